"""As-of answers against every membership statement in the shipped graph (issue #20, items 4 and 8).

A date is the first day of what is known plus a precision (day when missing). On the day before
the period starts the membership is out; on a day-precision start it is in; inside a year- or
month-precision period it is "uncertain"; after the whole period it is in. Checked on both
embedded engines, through the competency question, the app's own query and the CLI.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import RDF
from test_knowledge import STORES, _open, cell

ROOT = Path(__file__).resolve().parent.parent
AG = Namespace("https://w3id.org/alliance-graph/ontology#")
CQ46 = ROOT / "ontology" / "cq" / "cq46-memberships-as-of-date-with-certainty.rq"
CQ19 = ROOT / "ontology" / "cq" / "cq19-allies-as-of-date.rq"
APP_QUERY = ROOT / "graph" / "queries" / "example-members-as-of.rq"
NATO = "https://w3id.org/alliance-graph/id/NATO"


def _memberships() -> list[tuple[str, str, str, dt.date, str, dt.date | None, str]]:
    g = Graph()
    for f in sorted((ROOT / "graph" / "data").glob("*.ttl")):
        g.parse(f, format="turtle")
    out = []
    for st in g.subjects(RDF.type, AG.Membership):
        start = g.value(st, AG.startDate)
        if start is None:
            continue
        prec = g.value(st, AG.startPrecision) or AG.DayPrecision
        end = g.value(st, AG.endDate)
        eprec = g.value(st, AG.endPrecision) or AG.DayPrecision
        out.append(
            (
                str(st),
                str(g.value(st, AG.subject)),
                str(g.value(st, AG.object)),
                start.toPython(),
                str(prec).rsplit("#", 1)[1],
                end.toPython() if end is not None else None,
                str(eprec).rsplit("#", 1)[1],
            )
        )
    return sorted(out)


MEMBERSHIPS = _memberships()


def _period_end(start: dt.date, precision: str) -> dt.date:
    """The first day after the period a date with this precision stands for."""
    if precision == "YearPrecision":
        return dt.date(start.year + 1, 1, 1)
    if precision == "MonthPrecision":
        return dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start + dt.timedelta(days=1)


def _with_date(path: Path, var: str, day: dt.date) -> str:
    text = path.read_text(encoding="utf-8")
    literal = f'"{day.isoformat()}"^^<http://www.w3.org/2001/XMLSchema#date>'
    if var == "asOf":  # the CQs default an unbound ?asOf with COALESCE: put the day first
        assert "COALESCE(?asOf, " in text, path
        return text.replace("COALESCE(?asOf, ", f"COALESCE({literal}, ")
    return text.replace("?date", literal)


@functools.cache
def _cq46_rows(store: str, day: dt.date) -> frozenset[tuple[str, str, str, str]]:
    """(ally, organisation, joined, certainty) of cq46 on a day, run once per engine and day."""
    res = _open(store).query(_with_date(CQ46, "asOf", day))
    idx = [res.vars.index(v) for v in ("ally", "organisation", "joined", "certainty")]
    return frozenset(tuple(cell(r[i]) for i in idx) for r in res.rows)  # type: ignore[misc]


def _status(store: str, subject: str, obj: str, start: dt.date, day: dt.date) -> str:
    """'in', 'uncertain' or 'out' for one statement (picked by its start) on a day."""
    found = [
        c
        for s, o, j, c in _cq46_rows(store, day)
        if s == subject and o == obj and j == start.isoformat()
    ]
    return found[0] if found else "out"


def _expected_start(start: dt.date, precision: str, day: dt.date) -> str:
    if day < start:
        return "out"
    if precision == "DayPrecision":
        return "in"
    return "uncertain" if day < _period_end(start, precision) else "in"


def _days_to_check(start: dt.date, prec: str, end: dt.date | None) -> list[dt.date]:
    """The day before the start, the start, and (for a year or month) the period's last day
    and the day after it; none on or after the end."""
    days = [start - dt.timedelta(days=1), start]
    if prec != "DayPrecision":
        days += [_period_end(start, prec) - dt.timedelta(days=1), _period_end(start, prec)]
    return [d for d in days if end is None or d < end]


def _memory_sample(memberships: list[tuple[str, str, str, dt.date, str, dt.date | None, str]]) -> set[int]:
    """The memberships rdflib's memory store checks (cq46 takes 3 to 9 s a day there): the
    first of each date precision, the accessions the audit named (Albania and Croatia to
    NATO, 1 April 2009) and the first one with an end date. Oxigraph checks every one."""
    picked: dict[str, int] = {}
    for i, m in enumerate(memberships):
        picked.setdefault(m[4], i)
        if m[5] is not None:
            picked.setdefault("ended", i)
        if m[3] == dt.date(2009, 4, 1) and m[2].endswith("/NATO"):
            picked.setdefault(f"2009-{m[1]}", i)
    return set(picked.values())


_MEMORY = _memory_sample(MEMBERSHIPS)
_CASES = [
    pytest.param(store, m, id=f"{m[0].rsplit('/', 1)[1]}-{store}")
    for i, m in enumerate(MEMBERSHIPS)
    for store in STORES
    if store != "memory" or i in _MEMORY or os.environ.get("ALLIANCE_GRAPH_ALL_ENGINES") == "1"
]


@pytest.mark.parametrize(("store", "m"), _CASES)
def test_every_accession_as_of(
    store: str, m: tuple[str, str, str, dt.date, str, dt.date | None, str]
) -> None:
    _, subject, obj, start, prec, end, eprec = m
    for day in _days_to_check(start, prec, end):
        assert _status(store, subject, obj, start, day) == _expected_start(start, prec, day), day
    if end is not None and eprec == "DayPrecision" and end > start + dt.timedelta(days=1):
        assert _status(store, subject, obj, start, end) == "out"
        assert _status(store, subject, obj, start, end - dt.timedelta(days=1)) != "out"


def test_graph_has_uncertain_and_corrected_accessions() -> None:
    """The corrected days (item 8) and at least one month- or year-precision membership."""
    nato = {
        (s.rsplit("/", 1)[1], d.isoformat(), p) for _, s, o, d, p, _, _ in MEMBERSHIPS if o == NATO
    }
    for code, day in [
        ("ALB", "2009-04-01"),
        ("HRV", "2009-04-01"),
        ("MNE", "2017-06-05"),
        ("MKD", "2020-03-27"),
        ("DEU", "1955-05-06"),
    ]:
        assert (code, day, "DayPrecision") in nato
    assert any(m[4] != "DayPrecision" for m in MEMBERSHIPS)


@pytest.mark.parametrize("store", STORES)
def test_cq19_before_and_on_the_2009_accession(store: str) -> None:
    q = _open(store)
    before = q.query(_with_date(CQ19, "asOf", dt.date(2009, 2, 1)))
    names = [cell(r[before.vars.index("name")]) for r in before.rows]
    assert "Albania" not in names and "Croatia" not in names and "Bulgaria" in names
    on = q.query(_with_date(CQ19, "asOf", dt.date(2009, 4, 1)))
    rows = {cell(r[on.vars.index("name")]): cell(r[on.vars.index("certainty")]) for r in on.rows}
    assert rows["Albania"] == rows["Croatia"] == "in"


@pytest.mark.parametrize("store", STORES)
def test_app_query_members_as_of_has_certainty(store: str) -> None:
    res = _open(store).query(_with_date(APP_QUERY, "date", dt.date(2020, 3, 26)))
    labels = {
        cell(r[res.vars.index("label")]): cell(r[res.vars.index("certainty")]) for r in res.rows
    }
    assert "North Macedonia" not in labels and labels["Montenegro"] == "in" and len(labels) == 29
    res = _open(store).query(_with_date(APP_QUERY, "date", dt.date(2020, 3, 27)))
    assert len(res.rows) == 30


def _cli(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "graph", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_cli_shows_certainty() -> None:
    text = _cli(
        "query",
        "--name",
        "cq46-memberships-as-of-date-with-certainty",
        "--param",
        "asOf=2005-02-15",
        "--format",
        "csv",
    )
    lines = text.splitlines()
    assert lines[0].endswith("certainty")
    qatar = [ln for ln in lines if "Qatar" in ln and "ICI" in ln]
    kuwait = [ln for ln in lines if "Kuwait" in ln and "ICI" in ln]
    assert qatar and qatar[0].endswith(",uncertain") and kuwait[0].endswith(",in")
    allies = _cli(
        "query", "--name", "cq19-allies-as-of-date", "--param", "asOf=2009-02-01", "--format", "csv"
    )
    assert (
        "Albania" not in allies
        and "Croatia" not in allies
        and "certainty" in allies.splitlines()[0]
    )


def test_year_and_month_precision_on_a_small_graph() -> None:
    """The convention on a graph of its own, both engines: a year-precision start, a month-precision end."""
    import pyoxigraph

    ttl = """@prefix ag: <https://w3id.org/alliance-graph/ontology#> .
@prefix agr: <https://w3id.org/alliance-graph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
agr:X rdfs:label "X" . agr:NATO rdfs:label "NATO" .
agr:st a ag:Membership ; ag:subject agr:X ; ag:object agr:NATO ;
  ag:startDate "2001-01-01"^^xsd:date ; ag:startPrecision ag:YearPrecision ;
  ag:endDate "2010-05-01"^^xsd:date ; ag:endPrecision ag:MonthPrecision .
"""
    store = pyoxigraph.Store()
    store.load(ttl.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    g = Graph().parse(data=ttl, format="turtle")
    cases = {
        dt.date(2000, 12, 31): None,
        dt.date(2001, 1, 1): "uncertain",
        dt.date(2001, 12, 31): "uncertain",
        dt.date(2002, 1, 1): "in",
        dt.date(2010, 4, 30): "in",
        dt.date(2010, 5, 1): "uncertain",
        dt.date(2010, 5, 31): "uncertain",
        dt.date(2010, 6, 1): None,
    }
    for day, want in cases.items():
        text = _with_date(CQ19, "asOf", day)
        ox = [str(s["certainty"].value) for s in store.query(text)]  # type: ignore[union-attr,index]
        rd = [str(r[3]) for r in g.query(text)]  # type: ignore[index]
        assert ox == rd == ([want] if want else []), day


# --- the explorer: the same answers, on the network it draws ----------------------------------


@functools.cache
def _network():  # type: ignore[no-untyped-def]
    from graph.network import project
    from graph.store import open_graph

    return project(open_graph())


@functools.cache
def _explorer_statuses(day: dt.date) -> dict[str, str]:
    """Each statement drawn in the explorer's as-of view of ``day``: 'in' or 'uncertain'
    (one view per day, shared by the memberships checked on that day)."""
    from graph.view import ViewState, filter_graph

    view = filter_graph(_network(), ViewState(as_of=day))
    return {
        str(key): "uncertain" if data.get("uncertain_on") == day.isoformat() else "in"
        for _, _, key, data in view.edges(keys=True, data=True)
    }


def _explorer_status(statement: str, day: dt.date) -> str:
    """'in', 'uncertain' or 'out' for one membership statement in the explorer's as-of view."""
    return _explorer_statuses(day).get(statement, "out")


@pytest.mark.parametrize("m", MEMBERSHIPS, ids=lambda m: m[0].rsplit("/", 1)[1])
def test_the_explorer_marks_every_membership_as_the_query_does(
    m: tuple[str, str, str, dt.date, str, dt.date | None, str],
) -> None:
    statement, _, _, start, prec, end, _ = m
    if statement not in {str(k) for _, _, k in _network().edges(keys=True)}:
        pytest.skip("not drawn in the network (an endpoint is not an entity)")
    for day in _days_to_check(start, prec, end):
        assert _explorer_status(statement, day) == _expected_start(start, prec, day), day


def test_an_uncertain_line_is_dashed_and_says_why() -> None:
    """The Quad, 2007 (known to the year): on 1 June 2007 Australia's line is drawn dashed
    and its tooltip says the date is known only to the year."""
    from graph.render import describe_statement, edge_pair_id, style_view
    from graph.view import ViewState, filter_graph

    quad = "https://w3id.org/alliance-graph/id/st-AUS-memberOf-Quad"
    view = filter_graph(_network(), ViewState(as_of=dt.date(2007, 6, 1)))
    (data,) = [d for _, _, k, d in view.edges(keys=True, data=True) if str(k) == quad]
    text = describe_statement(data)
    assert "from 2007 " in text + " " and "uncertain on 2007-06-01" in text
    later = filter_graph(_network(), ViewState(as_of=dt.date(2008, 6, 1)))
    (data_later,) = [d for _, _, k, d in later.edges(keys=True, data=True) if str(k) == quad]
    assert "uncertain" not in describe_statement(data_later)
    from rdflib import URIRef

    aus, org = URIRef("https://w3id.org/alliance-graph/id/AUS"), URIRef("https://w3id.org/alliance-graph/id/Quad")

    def line(g):  # type: ignore[no-untyped-def]
        drawn, _, _ = style_view(g, groups={n: "x" for n in g.nodes})
        ((_, _, d),) = [(u, v, d) for u, v, d in drawn.edges(data=True) if d["id"] == edge_pair_id(aus, org)]
        return d

    sub = view.subgraph([aus, org])
    assert line(sub)["dashes"] is True and "uncertain on 2007-06-01" in line(sub)["title"]
    assert line(later.subgraph([aus, org]))["dashes"] is False


def test_the_construct_query_of_a_view_keeps_what_an_uncertain_end_keeps() -> None:
    """A view's CONSTRUCT (its "query that rebuilds it") agrees with the drawn view about a
    statement whose end is known only to the year: inside that year both keep it."""
    from rdflib import URIRef

    from graph.sparql import run_query
    from graph.store import open_graph
    from graph.view import ViewState, build_view, construct_query, filter_graph

    statement = URIRef("https://w3id.org/alliance-graph/id/st-fp-AUS-participatesIn-op-RSM")
    ag_end = URIRef("https://w3id.org/alliance-graph/ontology#endDate")
    for day, kept in ((dt.date(2021, 6, 1), True), (dt.date(2022, 1, 1), False)):
        state = ViewState(focus="agr:AUS", hops=1, as_of=day)
        drawn = {str(k) for _, _, k in filter_graph(_network(), state).edges(keys=True)}
        assert (str(statement) in drawn) is kept, day
        built = run_query(open_graph(), construct_query(build_view(_network(), state)), limits=None)
        assert built.graph is not None
        assert ((statement, ag_end, None) in built.graph) is kept, day


def test_an_arms_transfer_holds_from_its_order_date() -> None:
    """Transfers carry an order date, not a start: before it they are not drawn, after it they
    are (Australia's 58 F-35A of 2014 on 1 June 2007 and on 1 June 2015), in the view and in
    the query that rebuilds it."""
    from graph.sparql import run_query
    from graph.store import open_graph
    from graph.view import ViewState, build_view, construct_query, filter_graph

    kg = open_graph()
    (row,) = run_query(
        kg,
        "SELECT ?t ?d WHERE { ?t ag:supplierState agr:USA ; ag:recipientState agr:AUS ; "
        "ag:itemDesignation ?n ; ag:quantity 58 ; ag:orderDate ?d . FILTER(CONTAINS(?n, 'F-35')) }",
    ).rows
    transfer, ordered = row[0], row[1].toPython()
    assert ordered.year == 2014
    for day, kept in ((dt.date(2007, 6, 1), False), (dt.date(2015, 6, 1), True)):
        state = ViewState(focus="agr:AUS", hops=1, as_of=day)
        drawn = {str(k) for _, _, k in filter_graph(_network(), state).edges(keys=True)}
        assert (str(transfer) in drawn) is kept, day
        built = run_query(kg, construct_query(build_view(_network(), state)), limits=None)
        assert built.graph is not None
        assert ((transfer, None, None) in built.graph) is kept, day


def _line(statement: str, day: dt.date) -> dict | None:  # type: ignore[type-arg]
    from graph.view import ViewState, filter_graph

    view = filter_graph(_network(), ViewState(as_of=day))
    found = [d for _, _, k, d in view.edges(keys=True, data=True) if str(k) == statement]
    return found[0] if found else None


def test_statements_without_a_date_take_their_event_or_treaty_signature_date() -> None:
    """Korea's attendance at the Washington Summit (no date of its own) holds from the summit
    (9 July 2024); the United States' party to its 2024 security agreement with Ukraine from
    the agreement's signature (13 June 2024). Both tooltips say where the date comes from,
    and the view's CONSTRUCT agrees."""
    from graph.render import describe_statement
    from graph.store import open_graph
    from graph.view import ViewState, construct_query

    attended = "https://w3id.org/alliance-graph/id/st-KOR-attended-summit-2024-washington"
    party = "https://w3id.org/alliance-graph/id/st-USA-partyTo-agreement-BSA-UKR-USA"
    assert _line(attended, dt.date(2024, 7, 8)) is None
    data = _line(attended, dt.date(2024, 7, 9))
    assert data is not None and "dated by its event" in describe_statement(data)
    assert "uncertain" not in describe_statement(data)
    assert _line(party, dt.date(2024, 6, 12)) is None
    data = _line(party, dt.date(2024, 6, 13))
    assert data is not None and "dated by the treaty's signature" in describe_statement(data)
    from rdflib import URIRef

    from graph.sparql import run_query
    from graph.view import build_view

    kg = open_graph()
    for statement, focus, before, after in (
        (attended, "agr:KOR", dt.date(2024, 7, 8), dt.date(2024, 7, 9)),
        (party, "agr:agreement-BSA-UKR-USA", dt.date(2024, 6, 12), dt.date(2024, 6, 13)),
    ):
        for day, present in ((before, False), (after, True)):
            state = ViewState(focus=focus, hops=1, as_of=day)
            built = run_query(kg, construct_query(build_view(_network(), state)), limits=None)
            assert built.graph is not None
            assert ((URIRef(statement), None, None) in built.graph) is present, (statement, day)


def test_an_undated_statement_is_drawn_as_uncertain_on_any_day() -> None:
    """A statement the record gives no date for (Pakistan in the Pakistan-Afghanistan
    Transit Group... any one) is shown on an as-of view, dashed, saying so."""
    from graph.render import describe_statement

    undated = [
        str(k) for _, _, k, d in _network().edges(keys=True, data=True) if d.get("start") is None and d.get("end") is None
    ]
    assert len(undated) > 50
    data = _line(undated[0], dt.date(1990, 1, 1))
    assert data is not None and data.get("undated")
    assert "uncertain on 1990-01-01 (the record gives no date)" in describe_statement(data)
