"""Property-based tests (hypothesis) over what users type: CSV imports, query parameters,
the view state in a URL (as-of date and filters).

Each property: no crash other than the library's own clear errors, and nothing loaded
changes. The long run is `python bench/fuzz.py` (see the README).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import AllianceGraphError
from graph.export import export_rdf
from graph.importer import check_import
from graph.sparql import parse_term, run_query
from graph.view import ViewState

#: Examples per property; the long run (bench/fuzz.py) raises it with FUZZ_EXAMPLES.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Cells that look like what people paste: text, dates, numbers, formulas, markup, junk.
cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "Canada", "CAN", "agr:CAN", "State", "memberOf", "2023-04-04", "2023",
                     "1", "7", "A", "Z", "=HYPERLINK(\"http://x\")", "<script>alert(1)</script>",
                     "javascript:alert(1)", "\x00", "\ufeff", "1949-02-30", "-5", "https://ex.org/s"]),
)  # fmt: skip


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _digest(kg) -> str:
    return hashlib.sha256(b"\n".join(sorted(export_rdf(kg, "nt").splitlines()))).hexdigest()


@pytest.fixture(scope="module")
def digest_before(kg) -> str:
    return _digest(kg)


@SETTINGS
@given(
    ent_rows=st.lists(st.lists(cell, min_size=3, max_size=4), max_size=5),
    rel_rows=st.lists(st.lists(cell, min_size=5, max_size=6), max_size=5),
)
def test_csv_import_never_crashes_and_changes_nothing(kg, digest_before, ent_rows, rel_rows) -> None:
    entities = ("entities.csv", _csv(["ID", "Label", "Type", "Aliases"], ent_rows))
    rels = ("relationships.csv", _csv(["From", "To", "Type", "Start", "Credibility", "Source"], rel_rows))
    result = check_import([entities, rels], kg)
    for issue in result.errors:
        # every problem says where it is
        assert issue.file in ("entities.csv", "relationships.csv")
        assert str(issue).startswith(issue.file)
    assert _digest(kg) == digest_before


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_csv_import_of_arbitrary_bytes_gives_clear_errors(kg, raw) -> None:
    result = check_import([("upload.csv", raw)], kg)
    assert result.ok or all(str(i).startswith("upload.csv") for i in result.errors)


@SETTINGS
@given(value=st.text(max_size=60))
def test_any_parameter_value_is_bound_as_a_term_never_as_query_text(kg, value) -> None:
    try:
        term = parse_term(value)
    except AllianceGraphError:
        return
    # A bound value can only ever match; it can never widen the query or inject a clause.
    q = "SELECT ?x WHERE { BIND(?v AS ?x) }"
    try:
        result = run_query(kg, q, {"v": term})
    except AllianceGraphError:
        return
    assert result.kind == "select"
    assert len(result.rows) == 1
    assert result.rows[0][0] == term or str(result.rows[0][0]) == str(term)


@SETTINGS
@given(
    params=st.dictionaries(
        st.sampled_from(["focus", "hops", "cap", "types", "rels", "src", "date", "grade", "colour", "size", "x"]),
        st.one_of(st.text(max_size=20), st.lists(st.text(max_size=10), max_size=3)),
        max_size=8,
    )
)
def test_view_state_from_any_url_is_valid_and_round_trips(params) -> None:
    state = ViewState.from_params(params)
    assert 0 <= state.hops <= 5 and state.cap >= 1
    assert state.min_grade is None or 1 <= state.min_grade <= 6
    assert state.as_of is None or isinstance(state.as_of, dt.date)
    assert ViewState.from_params(state.to_params()) == state
    if state.focus:
        from graph.view import to_iri

        assert not any(c in '<>"{} ' for c in str(to_iri(state.focus)))


@SETTINGS
@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_any_as_of_date_round_trips_through_the_url(day) -> None:
    state = ViewState(as_of=day)
    assert ViewState.from_params(state.to_params()).as_of == day
