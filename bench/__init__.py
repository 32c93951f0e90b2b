"""The benchmark harness and the synthetic graph generator: development tools, not part of
the installed library (the wheel carries ``graph/`` only).

``alliance-graph bench`` (``make bench``) runs :mod:`bench.harness` from a checkout; the
scripts beside it (``load_test.py``, ``serve_compare.py``...) are run by path.
"""
