"""`alliance-graph analyze`: centrality, brokers, communities, paths with reasons, gaps, suggestions, change."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from typing import Any

from rdflib import URIRef

from graph import analytics as an
from graph.commands import open_from_args, progress
from graph.errors import ConfigError
from graph.network import Filters, node_id, project
from graph.results import safe_spreadsheet_cell, short_name

HELP = "Network analytics: centrality, brokers, communities, paths, gaps, suggested links, change over time"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--measure",
        nargs="+",
        action="extend",
        choices=an.MEASURES,
        metavar="MEASURE",
        help=f"measures to compute (default: all): {', '.join(an.MEASURES)}",
    )
    parser.add_argument("--as-of", type=_date, metavar="DATE", help="only relationships that held on DATE")
    parser.add_argument("--from", dest="date_from", type=_date, metavar="DATE", help="compare DATE ...")
    parser.add_argument("--to", dest="date_to", type=_date, metavar="DATE", help="... with DATE (rank movements)")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument("--top", type=int, default=20, metavar="N", help="rows per table (json: all nodes)")
    parser.add_argument("--by", choices=an.MEASURES, help="sort the table by this measure")
    parser.add_argument("--path", nargs=2, metavar=("A", "B"), help="paths between two entities, with the statements behind each hop")
    parser.add_argument("--max-hops", type=int, default=3, metavar="K", help="longest path listed with --path (default 3)")
    parser.add_argument("--gaps", action="store_true", help="who stands outside a group most of their peers share")
    parser.add_argument("--group", metavar="ENTITY", help="with --gaps: only this group (e.g. agr:NIF)")
    parser.add_argument("--suggest", action="store_true", help="links the structure suggests between states, with the shared neighbours")
    parser.add_argument("--co-participation", action="store_true", help="state pairs by groups shared, with Jaccard overlap")
    parser.add_argument("--contribution", action="store_true", help="spending share of GDP (where known) against influence")
    parser.add_argument("--write-rdf", metavar="FILE", help="write the measures as RDF (TriG, or N-Quads for .nq) in the analytics named graph")
    f = parser.add_argument_group("what the network holds")
    f.add_argument("--max-credibility", type=int, choices=range(1, 7), metavar="GRADE", help="keep statements graded GRADE or better (1 best)")
    f.add_argument("--relation", nargs="+", action="extend", metavar="REL", help="keep only these relations (e.g. memberOf)")
    f.add_argument("--entity-type", nargs="+", action="extend", metavar="TYPE", help="keep only these entity types (e.g. State Fund)")
    f.add_argument("--events", action="store_true", help="include events (summits, meetings) as nodes")
    f.add_argument("--all-entities", action="store_true", help="include places, documents, technology areas (default: actors only)")
    f.add_argument("--include-contradicted", action="store_true", help="keep statements whose status is Contradicted")
    c = parser.add_argument_group("computation")
    c.add_argument("--seed", type=int, default=0, help="seed for sampling and communities (default 0)")
    c.add_argument("--samples", type=int, default=an.SAMPLES, help="pivots for betweenness/closeness on large graphs")
    c.add_argument("--backend", choices=["auto", "networkx", "igraph"], default="auto", help="auto: igraph for large graphs when installed")


def filters_from_args(args: argparse.Namespace, as_of: dt.date | None) -> Filters:
    return Filters(
        as_of=as_of,
        max_credibility=args.max_credibility,
        relations=frozenset(args.relation) if args.relation else None,
        entity_types=frozenset(args.entity_type) if args.entity_type else None,
        exclude_status=frozenset() if args.include_contradicted else frozenset({"Contradicted"}),
        events=bool(args.events),
        actors_only=not args.all_entities,
    )


def _plain(value: Any) -> Any:
    """JSON-ready: IRIs to strings, dates to ISO text, sets and tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if not value.is_integer() else str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value)
    text = str(value)
    return short_name(URIRef(text)) if text.startswith(("http://", "https://")) else text


def _table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> str:
    body = [[_fmt(r.get(c))[:70] for c in columns] for r in rows]
    widths = [max([len(c), *(len(b[i]) for b in body)]) for i, c in enumerate(columns)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [f"== {title} ==", fmt.format(*columns), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*b) for b in body]
    if not rows:
        lines.append("(none)")
    return "\n".join(lines) + "\n"


def _path_rows(paths: list[an.Path]) -> list[dict[str, Any]]:
    out = []
    for i, p in enumerate(paths, start=1):
        for h in p.hops:
            best = h.statements[0] if h.statements else {}
            out.append(
                {
                    "path": i,
                    "from": h.source,
                    "to": h.target,
                    "statement": best.get("statement"),
                    "relation": best.get("relation"),
                    "start": best.get("start"),
                    "end": best.get("end"),
                    "credibility": best.get("credibility"),
                    "sources": best.get("sources"),
                    "also": len(h.statements) - 1,
                }
            )
    return out


def _paths_json(paths: list[an.Path]) -> list[dict[str, Any]]:
    return [
        {
            "nodes": [str(n) for n in p.nodes],
            "hops": [{"from": str(h.source), "to": str(h.target), "statements": _plain(h.statements)} for h in p.hops],
        }
        for p in paths
    ]


def run(args: argparse.Namespace) -> int:
    if (args.date_from is None) != (args.date_to is None):
        raise ConfigError("--from and --to go together")
    kg = open_from_args(args, quiet=False)
    progress("projecting the network")
    g = project(kg, filters_from_args(args, args.as_of))
    if g.number_of_nodes() == 0:
        raise ConfigError("the network is empty with the filters given")
    analysis = an.analyze(
        g,
        args.measure,
        seed=args.seed,
        samples=args.samples,
        backend=args.backend,
        progress=progress,
    )
    analysis.as_of = args.as_of
    rows = analysis.node_rows(g, by=args.by)
    report: dict[str, Any] = {
        "as_of": args.as_of,
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "seed": args.seed,
        "modularity": analysis.modularity if "community" in analysis.measures else None,
        "articulation_points": analysis.articulation_points,
        "bridges": [list(b) for b in analysis.bridges],
        "measures": rows,
        "measures_asked": bool(args.measure),
    }
    if args.path:
        a, b = node_id(g, args.path[0]), node_id(g, args.path[1])
        report["shortest_paths"] = an.shortest_paths(g, a, b)
        report["paths"] = an.simple_paths(g, a, b, max_hops=args.max_hops)
    if args.gaps:
        group = node_id(g, args.group) if args.group else None
        report["gaps"] = an.gaps(g, group=group)
    if args.suggest:
        report["suggestions"] = an.suggest_links(g, types=an.STATE_TYPES, top=args.top)
    if args.co_participation:
        report["co_participation"] = an.co_participation(g)
    if args.contribution:
        report["contribution"] = an.contribution_vs_influence(
            g, an.spending_shares(kg), measure=args.by or "betweenness", seed=args.seed
        )
    if args.date_from is not None:
        progress(f"comparing {args.date_from} with {args.date_to}")
        before = project(kg, filters_from_args(args, args.date_from))
        after = project(kg, filters_from_args(args, args.date_to))
        report["change"] = an.rank_changes(
            before, after, measure=args.by or "betweenness", seed=args.seed,
            day_from=args.date_from, day_to=args.date_to,
        )  # fmt: skip
        report["change"]["from"], report["change"]["to"] = args.date_from, args.date_to
    if args.write_rdf:
        n = an.write_analytics_rdf(analysis, args.write_rdf, as_of=args.as_of)
        progress(f"wrote {n} quads to {args.write_rdf}")
    sys.stdout.write(render(report, args.format, args.top))
    return 0


def render(report: dict[str, Any], fmt: str, top: int) -> str:
    """The report as JSON (everything), CSV (the measures table) or text tables."""
    if fmt == "json":
        out = dict(report)
        for key in ("shortest_paths", "paths"):
            if key in out:
                out[key] = _paths_json(out[key])
        return json.dumps(_plain(out), indent=2) + "\n"
    rows = report["measures"]
    if fmt == "csv":
        buf = io.StringIO()
        cols = list(rows[0]) if rows else ["id"]
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([safe_spreadsheet_cell(_fmt(r.get(c))) for c in cols])
        return buf.getvalue()
    parts = []
    head = f"{report['nodes']} entities, {report['edges']} relationships"
    if report.get("as_of"):
        head += f", as of {report['as_of']}"
    if report.get("modularity") is not None:
        head += f"; modularity {report['modularity']:.3f}"
    parts.append(head + "\n")
    measure_cols = [c for c in rows[0] if c not in ("id", "type")] if rows else []
    questions = ("shortest_paths", "gaps", "suggestions", "co_participation", "contribution", "change")
    if report.get("measures_asked") or not any(k in report for k in questions):
        # a question (a path, the gaps...) is answered on its own unless measures were asked too
        parts.append(_table(f"top {top} entities", rows[:top], measure_cols))
    path_cols = ["path", "from", "to", "relation", "start", "end", "credibility", "statement", "sources", "also"]
    if "shortest_paths" in report:
        parts.append(_table("shortest paths", _path_rows(report["shortest_paths"]), path_cols))
        parts.append(_table("paths up to the hop limit", _path_rows(report["paths"]), path_cols))
    if "gaps" in report:
        gap_rows = [{**r, "share": f"{r['inside']}/{r['peer_count']}"} for r in report["gaps"]]
        parts.append(_table("gaps: outside a group most of their peers share", gap_rows, ["group", "peers", "share", "outside"]))
    if "suggestions" in report:
        parts.append(_table("suggested links", report["suggestions"], ["a", "b", "adamic_adar", "jaccard", "because"]))
    if "co_participation" in report:
        parts.append(_table("co-participation", report["co_participation"][:top], ["a", "b", "shared", "jaccard", "groups"]))
    if "contribution" in report:
        c = report["contribution"]
        rho = c["spearman"]
        title = f"contribution vs influence ({c['measure']}; Spearman {rho:.2f})" if rho is not None else f"contribution vs influence ({c['measure']})"
        parts.append(_table(title, c["rows"], ["label", "share_of_gdp", "date", c["measure"], "rank_spending", "rank_influence"]))
    if "change" in report:
        ch = report["change"]
        parts.append(_table(f"statements that began between {ch['from']} and {ch['to']}", ch["added"], ["subject", "relation", "object", "start", "statement"]))
        parts.append(_table("statements that ended", ch["ended"], ["subject", "relation", "object", "end", "statement"]))
        moved = sorted((r for r in ch["ranks"] if r["move"]), key=lambda r: -abs(r["move"]))[:top]
        parts.append(_table(f"rank movements ({ch['measure']})", moved, ["label", "rank_from", "rank_to", "move", "value_from", "value_to"]))
        parts.append(_table("entered the network", [{"id": n} for n in ch["entered"]], ["id"]))
    return "\n".join(parts)
