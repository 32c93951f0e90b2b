"""Checks made on untrusted files before any parser sees them.

* :func:`require_regular_file`: FIFOs, devices, sockets and folders are refused by type
  (``os.stat``) before the file is opened: a FIFO would block forever and ``/dev/zero``
  would be read until memory runs out.
* :func:`refuse_xml_entities`: an RDF/XML document that declares entities in its DOCTYPE
  is refused (the parsers expand internal entities without limit: "billion laughs").
* :data:`BOM` / :func:`strip_bom`: a UTF-8 byte-order mark is accepted in every text
  format by dropping it.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from graph.errors import DataLoadError

BOM = b"\xef\xbb\xbf"

#: How much of an XML file is read to find the end of its prolog (the DOCTYPE).
XML_PROLOG_LIMIT = 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, "is a folder, not a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
)


def require_regular_file(path: str | os.PathLike[str]) -> os.stat_result:
    """``os.stat`` of ``path``, or :class:`DataLoadError` if it is not a regular file.

    Checked without opening the file, so a FIFO never blocks and a device is never read.
    """
    p = os.fspath(path)
    try:
        st = os.stat(p)
    except FileNotFoundError as err:
        raise DataLoadError(p, "file not found") from err
    except OSError as err:
        raise DataLoadError(p, f"cannot read: {err.strerror or err}") from err
    if not stat.S_ISREG(st.st_mode):
        for test, reason in _KINDS:
            if test(st.st_mode):
                raise DataLoadError(p, reason)
        raise DataLoadError(p, "is not a regular file")
    return st


def strip_bom(data: bytes) -> bytes:
    """``data`` without a leading UTF-8 byte-order mark."""
    return data[len(BOM) :] if data.startswith(BOM) else data


def has_bom(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(BOM)) == BOM


_ENTITY = re.compile(rb"<!ENTITY\b", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")  # the first element: the prolog (and any DOCTYPE) is over


def refuse_xml_entities(name: str, head: bytes) -> None:
    """Refuse an XML text whose prolog declares entities (``<!ENTITY``), naming the line.

    ``head`` is the start of the file (at least its prolog). Internal entities are
    expanded by the parsers without any limit (an 890-byte file took 676 MB) and RDF
    data has no need of them, so any declaration is refused rather than capped.
    """
    root = _ROOT.search(head)
    prolog = head  # the whole head: a comment in the prolog cannot hide a declaration
    m = _ENTITY.search(prolog)
    if m is not None:
        line = prolog.count(b"\n", 0, m.start()) + 1
        column = m.start() - (prolog.rfind(b"\n", 0, m.start()) + 1) + 1
        raise DataLoadError(
            name,
            "XML entity declarations (<!ENTITY ...>) are refused: they can expand without "
            "limit; write the values out in full",
            line=line,
            column=column,
        )
    if root is None and len(head) >= XML_PROLOG_LIMIT:
        raise DataLoadError(name, f"the XML prolog is longer than {XML_PROLOG_LIMIT:,} bytes")


def refuse_xml_entities_in_file(path: Path) -> None:
    """:func:`refuse_xml_entities` on the start of a file."""
    with path.open("rb") as fh:
        head = fh.read(XML_PROLOG_LIMIT)
    refuse_xml_entities(str(path), head)
