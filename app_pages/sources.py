"""Sources and data: every source with its grade and the statements resting on it; the
contradictions side by side; the validation report; the ontology reference; your own data;
downloads of the whole graph."""

from __future__ import annotations

import hashlib

import streamlit as st
from rdflib import URIRef

from app_pages.common import (
    base_graph,
    code,
    current_graph,
    forget_upload,
    graph_key,
    is_base_key,
    md,
    register_upload,
    start_validation,
    validation,
    validation_status,
)
from graph.errors import AllianceGraphError
from graph.results import short_name
from graph.sources import (
    Contradiction,
    SourceRow,
    list_contradictions,
    list_sources,
    source_statements,
)


@st.cache_data(max_entries=4, show_spinner=False)
def _sources(key: str) -> list[SourceRow]:
    return list_sources(current_graph())


@st.cache_data(max_entries=4, show_spinner=False)
def _contradictions(key: str) -> list[Contradiction]:
    return list_contradictions(current_graph())


@st.cache_data(max_entries=2, show_spinner=False)
def _ontology_terms() -> list:  # type: ignore[type-arg]
    from graph.ontology_ref import ontology_terms

    return ontology_terms()


@st.cache_data(max_entries=8, show_spinner="Preparing the download…")
def _export(key: str, fmt: str) -> bytes:
    from graph.export import export_graph

    return export_graph(current_graph(), fmt)


key = graph_key()
start_validation(key)
st.title("Sources and data")
tab_src, tab_con, tab_val, tab_onto, tab_own, tab_dl = st.tabs(
    ["Sources", "Contradictions", "Validation", "Ontology", "Your data", "Downloads"]
)

with tab_src:
    sources = _sources(key)
    st.caption(
        f"{len(sources)} sources. Reliability: A completely reliable … E unreliable, F cannot be judged. "
        "Select a source to see what rests on it."
    )
    picked = st.dataframe(
        [
            {
                "reliability": s.reliability,
                "source": s.label,
                "statements": s.statements,
                "claims": s.claims,
                "link": s.safe_url,
                "id": short_name(URIRef(s.iri)),
            }
            for s in sources
        ],
        hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="sd_sources",
        column_config={"link": st.column_config.LinkColumn("link")},
    )  # fmt: skip
    rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
    chosen = st.selectbox(
        "Statements resting on", [""] + [s.iri for s in sources], key="sd_source",
        format_func=lambda i: next((s.label for s in sources if s.iri == i), "—") if i else "—",
    )  # fmt: skip
    if rows:
        chosen = sources[rows[0]].iri
    if chosen:
        items = source_statements(current_graph(), URIRef(chosen))
        st.dataframe(
            [
                {
                    "subject": i.subject,
                    "relation": i.relation,
                    "object": i.object,
                    "from": i.start,
                    "until": i.end,
                    "credibility": i.credibility,
                    "status": i.status,
                    "text": i.text,
                    "id": short_name(URIRef(i.iri)),
                }
                for i in items
            ],
            hide_index=True, width="stretch",
        )  # fmt: skip

with tab_con:
    contradictions = _contradictions(key)
    st.caption(f"{len(contradictions)} contradictions recorded (ag:contradicts).")
    labels = {s.iri: f"{s.label} ({s.reliability or '?'})" for s in _sources(key)}
    for c in contradictions:
        with st.container(border=True):
            left, right = st.columns(2)
            for col, side in ((left, c.a), (right, c.b)):
                col.markdown(f"**{md(side.text)}**")
                col.caption(
                    f"{md(side.status or 'no status')} · credibility {md(side.credibility or '—')} · "
                    f"{code(short_name(URIRef(side.iri)))}"
                )
                for s in side.sources:
                    col.markdown(f"- {md(labels.get(s, short_name(URIRef(s))))}")
            for note in c.notes:
                st.caption(md(note))

@st.fragment(run_every=3)
def _validation_tab(key: str) -> None:
    report = validation(key, timeout=0)
    if report is None:
        st.info(f"Checking the graph against the shapes: {validation_status(key)}. The report appears here when done.")
        return
    if isinstance(report, Exception):
        st.error(f"Could not validate: {report}")
    elif report.conforms:
        st.success(f"The graph conforms to the shapes ({validation_status(key)}).")
    else:
        st.warning(f"{len(report.violations)} result(s) from the shapes ({validation_status(key)}).")
        st.dataframe(
            [
                {
                    "severity": v.severity,
                    "node": short_name(v.focus) if v.focus is not None else "",
                    "property": short_name(v.path) if v.path is not None else "",
                    "message": v.message,
                    "value": short_name(v.value) if v.value is not None else "",
                    "shape": short_name(v.shape) if isinstance(v.shape, URIRef) else "",
                }
                for v in report.violations
            ],
            hide_index=True, width="stretch", key="sd_report",
        )  # fmt: skip


with tab_val:
    _validation_tab(key)

with tab_onto:
    try:
        terms = _ontology_terms()
    except AllianceGraphError as err:
        st.error(str(err))
        terms = []
    if terms:
        from graph.ontology_ref import reference_markdown

        kinds = sorted({t.kind for t in terms})
        kind = st.segmented_control("Show", kinds, default=kinds[0], key="sd_kind")
        needle = st.text_input("Filter terms", key="sd_term", placeholder="e.g. member, Source")
        shown = [
            t for t in terms
            if (not kind or t.kind == kind)
            and (not needle or needle.lower() in (t.name + t.label + t.comment).lower())
        ]  # fmt: skip
        st.dataframe(
            [
                {
                    "term": t.name,
                    "label": t.label,
                    "comment": t.comment,
                    "parent": ", ".join(t.parents),
                    "domain": ", ".join(t.domain),
                    "range": ", ".join(t.range),
                }
                for t in shown
            ],
            hide_index=True, width="stretch",
        )  # fmt: skip
        st.download_button(
            "Ontology reference (Markdown)", reference_markdown(terms), file_name="alliance-ontology.md",
            mime="text/markdown", key="sd_onto_md",
        )  # fmt: skip

with tab_own:
    st.markdown(
        "Add your own data for this browser session: **one Turtle file**, or **CSV sheets** in the spirit of "
        "Kumu — an *entities* sheet (`ID, Label, Type, Aliases, Description, ISO3, Wikidata`) and/or a *relationships* sheet "
        "(`From, To, Type, Role, Start, End, Credibility, Status, Source, Source label, Source reliability, "
        "Source URL`). It is checked and validated against the shapes first; if anything is wrong, nothing "
        "changes and each problem names its row and field."
    )
    imported = st.session_state.get("imported")
    if imported is not None:
        st.success(f"Your data is in the view: {', '.join(md(f) for f in imported[2])}")
        if st.button("Remove my data", key="sd_forget"):
            forget_upload()
            st.rerun()
    uploads = st.file_uploader(
        "Turtle or CSV", type=["ttl", "nt", "jsonld", "csv"], accept_multiple_files=True, key="sd_upload",
    )  # fmt: skip
    if uploads and st.button("Check and add", type="primary", key="sd_import"):
        from graph.importer import check_import, merge_import

        files = [(u.name, u.getvalue()) for u in uploads]
        base = base_graph()
        with st.status("Checking your data…", expanded=False) as status:
            result = check_import(files, base, progress=lambda m: status.update(label=f"Checking your data: {m}"))
            if result.ok:
                status.update(label="Adding it to a copy of the graph…")
                digest = hashlib.sha1(b"".join(n.encode() + d for n, d in files), usedforsecurity=False).hexdigest()[:12]
                register_upload(f"upload-{digest}", merge_import(base, result), [n for n, _ in files])
                status.update(label="Done", state="complete")
            else:
                status.update(label="Not added", state="error")
        for issue in result.issues:
            (st.error if issue.severity == "error" else st.warning)(md(str(issue)))
        if result.ok:
            st.success(
                f"Added {len(result.triples)} triples ({result.entities} entities, {result.statements} relationships). "
                "Every page now shows your data with the rest."
            )
            st.download_button("Your data as Turtle", result.turtle(), file_name="my-data.ttl", key="sd_my_ttl")

with tab_dl:
    st.caption("The whole graph" + (" (with your data)" if not is_base_key(key) else "") + ", as RDF or as a network.")
    cols = st.columns(4)
    for i, (fmt, label, mime) in enumerate(
        [
            ("ttl", "Turtle", "text/turtle"),
            ("nt", "N-Triples", "application/n-triples"),
            ("trig", "TriG", "application/trig"),
            ("jsonld", "JSON-LD", "application/ld+json"),
            ("graphml", "GraphML (network)", "application/graphml+xml"),
            ("gexf", "GEXF (Gephi)", "application/xml"),
            ("csv", "CSV nodes + edges (zip)", "application/zip"),
        ]
    ):
        cols[i % 4].download_button(
            label, lambda fmt=fmt: _export(key, fmt), file_name=f"alliance-graph.{'zip' if fmt == 'csv' else fmt}",
            mime=mime, key=f"sd_dl_{fmt}",
        )  # fmt: skip
