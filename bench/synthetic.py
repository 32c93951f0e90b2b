"""A synthetic alliance graph: deterministic from a seed, shaped like the real ontology.

The generator makes what the curated graph holds, only much more of it: states,
international organisations, groupings, partner frameworks, initiatives,
companies, events and graded sources, linked by reified relationship statements
(memberships, partnerships, participations, contracts with a supplier and a
buyer) that carry their dates with precision, role, sources, credibility grade
and status, plus a few attributed claims and contradictions. Degrees are skewed
as in real alliance data: objects are picked by preferential attachment, so a
few hubs (NATO, the EU, DIANA...) gather most edges and most companies are
leaves with one or two contracts.

Its identifiers never collide with the curated graph's (states are ``agr:XAA``,
``agr:XAB``... with ISO-like codes no real state has; everything else is
``agr:syn-...``), so it loads on top of the shipped data and stays valid against
the project's shapes. The first entity of each class is its biggest hub
(``agr:syn-int-0000000`` plays NATO).

Output is streamed, N-Triples and Turtle in one pass: a 5M-triple graph is
written without holding it in memory. The same ``(size, seed)`` always gives
byte-identical files.

Examples
--------
>>> import io
>>> nt, ttl = io.StringIO(), io.StringIO()
>>> stats = write_streams(2_000, nt=nt, ttl=ttl, seed=1)
>>> stats.triples >= 2_000 and stats.triples == nt.getvalue().count("\\n")
True
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

AG = "https://w3id.org/alliance-graph/ontology#"
AGR = "https://w3id.org/alliance-graph/id/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"

PREFIXES = {
    "ag": AG,
    "agr": AGR,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "prov": PROV,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "owl": "http://www.w3.org/2002/07/owl#",
    "wd": "http://www.wikidata.org/entity/",
}

#: A term as written in both syntaxes: (N-Triples form, Turtle form).
Term = tuple[str, str]

#: Sizes by name, as the CLI accepts them.
SIZE_SUFFIXES = {"k": 1_000, "m": 1_000_000}


def parse_size(text: str) -> int:
    """``"10k"`` → 10000, ``"1M"`` → 1000000, ``"2500"`` → 2500.

    >>> parse_size("100k"), parse_size("1M"), parse_size("1.5m")
    (100000, 1000000, 1500000)
    """
    t = text.strip().lower().replace("_", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", t)
    if not m:
        raise ValueError(f"not a size: {text!r} (expected e.g. 10k, 100k, 1M)")
    return int(float(m.group(1)) * SIZE_SUFFIXES.get(m.group(2), 1))


def size_name(n: int) -> str:
    """The short name of a size: 10000 → ``"10k"``, 1000000 → ``"1M"``."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def iri(ns: str, prefix: str, local: str) -> Term:
    return (f"<{ns}{local}>", f"{prefix}:{local}")


def ag(local: str) -> Term:
    return iri(AG, "ag", local)


def agr(local: str) -> Term:
    return iri(AGR, "agr", local)


def lit(text: str) -> Term:
    s = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return (s, s)


def lit_date(year: int, month: int, day: int) -> Term:
    v = f'"{year:04d}-{month:02d}-{day:02d}"'
    return (f"{v}^^<{XSD}date>", f"{v}^^xsd:date")


def lit_int(n: int) -> Term:
    return (f'"{n}"^^<{XSD}integer>', str(n))


A: Term = (f"<{RDF}type>", "a")
LABEL = iri(RDFS, "rdfs", "label")
ALT = iri(SKOS, "skos", "altLabel")
DERIVED = iri(PROV, "prov", "wasDerivedFrom")
SAME_AS = iri("http://www.w3.org/2002/07/owl#", "owl", "sameAs")
TITLE = iri(DCTERMS, "dcterms", "title")
P = {name: ag(name) for name in (
    "subject", "object", "relation", "role", "startDate", "endDate", "startPrecision",
    "endPrecision", "credibility", "status", "reliability", "supplier", "buyer", "item",
    "quantity", "claimText", "about", "contradicts", "itemDesignation", "itemDescription",
    "iso3", "contradictionNote",
)}  # fmt: skip

# --- the vocabulary the generator uses (kept in one place to follow the ontology) -----

#: Statement class, relation, and the roles a statement of that kind may carry.
KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "membership": ("Membership", "memberOf", ("FoundingMember", "Member")),
    "partnership": ("Partnership", "partnerOf", ("Partner",)),
    "participation": ("Participation", "participatesIn", ("Participant", "Host", "Attendee")),
    "contract": ("Contract", "suppliesTo", ("Supplier",)),
}
#: Share of statements of each kind.
KIND_WEIGHTS = {"membership": 0.2, "partnership": 0.1, "participation": 0.4, "contract": 0.3}
PRECISION = {"day": ag("DayPrecision"), "year": ag("YearPrecision")}
STATUSES = (("Verified", 70), ("Unverified", 20), ("Contradicted", 5), ("Opinion", 5))
RELIABILITY = (("A", 20), ("B", 35), ("C", 25), ("D", 10), ("E", 6), ("F", 4))
CREDIBILITY = ((1, 30), (2, 35), (3, 18), (4, 8), (5, 5), (6, 4))

#: Name stems of the synthetic entities of each class (the first ones are the hubs).
STEMS = {
    "InternationalOrganisation": "Organisation",
    "Grouping": "Grouping",
    "PartnerFramework": "Partner framework",
    "Initiative": "Initiative",
    "Event": "Summit",
    "Company": "Company",
}


def state_code(i: int) -> str:
    """Three capital letters for the i-th synthetic state: XAA, XAB, ... (never a real ISO code)."""
    codes = [f"X{a}{b}" for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    codes = [c for c in codes if c != "XKX"]  # Kosovo's user-assigned code
    return codes[i]


#: Which entity classes may be the subject / object of each kind of statement.
SUBJECTS = {
    "membership": ("State",),
    "partnership": ("InternationalOrganisation", "Grouping"),
    "participation": ("State", "Company", "InternationalOrganisation"),
    "contract": ("Company",),
}
OBJECTS = {
    "membership": ("InternationalOrganisation", "Grouping", "PartnerFramework"),
    "partnership": ("State",),
    "participation": ("Initiative", "Event"),
    "contract": ("State",),
}
ITEMS = ("field hospital", "air-defence system", "armoured vehicle", "radar", "frigate",
         "ammunition", "satellite service", "training", "cyber service", "drone")  # fmt: skip


@dataclass
class GraphStats:
    """What was written: triple count and how many of each kind of thing."""

    triples: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    statements: dict[str, int] = field(default_factory=dict)
    sources: int = 0
    claims: int = 0


def _weighted(rng: random.Random, table: tuple[tuple[object, int], ...]) -> object:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def entity_counts(target: int) -> dict[str, int]:
    """How many entities of each class a graph of ``target`` triples gets."""
    e = max(60, target // 25)
    counts = {
        "State": min(250, max(36, e // 20)),
        "InternationalOrganisation": max(4, e // 400),
        "Grouping": max(3, e // 1000),
        "PartnerFramework": max(4, e // 2000),
        "Initiative": max(8, e // 50),
        "Event": max(10, e // 20),
    }
    counts["Company"] = max(20, e - sum(counts.values()))
    return counts


class _Picker:
    """Preferential attachment: an urn of earlier picks, topped up with uniform picks."""

    def __init__(self, rng: random.Random, pool: list[Term], bias: float, seed_weights: int) -> None:
        self.rng = rng
        self.pool = pool
        self.bias = bias
        # The real hubs (first in the pool) start with extra weight.
        self.urn: list[Term] = []
        for i, t in enumerate(pool[:8]):
            self.urn.extend([t] * max(1, seed_weights // (i + 1)))

    def pick(self) -> Term:
        rng = self.rng
        if self.urn and rng.random() < self.bias:
            t = self.urn[int(rng.random() * len(self.urn))]
        else:
            t = self.pool[int(rng.random() * len(self.pool))]
        self.urn.append(t)
        return t


def generate(target: int, seed: int = 42) -> Iterator[tuple[Term, list[tuple[Term, Term]]]]:
    """Subject blocks ``(subject, [(predicate, object), ...])`` until ``target`` triples are reached."""
    rng = random.Random(seed)
    counts = entity_counts(target)
    pools: dict[str, list[Term]] = {}
    written = 0
    for cls, n in counts.items():
        pool: list[Term] = []
        for i in range(n):
            if cls == "State":
                code = state_code(i)
                term, label = agr(code), f"State {code}"
            else:
                term, label = agr(f"syn-{cls[:3].lower()}-{i:07d}"), f"{STEMS[cls]} {i}"
            pool.append(term)
            pos = [(A, ag(cls)), (LABEL, lit(label))]
            if cls == "State":
                # Shaped like a real state; the Wikidata numbers are far above any real item.
                pos.append((P["iso3"], lit(code)))
                pos.append((SAME_AS, iri("http://www.wikidata.org/entity/", "wd", f"Q9{i:08d}")))
            elif cls == "Event":
                pos.append((P["startDate"], lit_date(2000 + i % 26, 1 + i % 12, 1 + i % 28)))
                pos.append((P["startPrecision"], PRECISION["day"]))
            if i % 7 == 0:
                pos.append((ALT, lit(f"{label} (alt)")))
            written += len(pos)
            yield term, pos
        pools[cls] = pool

    n_sources = max(10, target // 300)
    sources: list[Term] = []
    for i in range(n_sources):
        term = agr(f"src-{i:07d}")
        sources.append(term)
        grade = str(_weighted(rng, RELIABILITY))
        pos = [(A, ag("Source")), (LABEL, lit(f"Source {i}")), (TITLE, lit(f"Synthetic report {i}")),
               (P["reliability"], lit(grade))]  # fmt: skip
        written += len(pos)
        yield term, pos
    source_picker = _Picker(rng, sources, 0.6, 20)

    subject_pools = {k: [t for c in cls for t in pools[c]] for k, cls in SUBJECTS.items()}
    object_pickers = {
        k: _Picker(rng, [t for c in cls for t in pools[c]], 0.85, 400) for k, cls in OBJECTS.items()
    }
    kinds = list(KIND_WEIGHTS)
    kind_weights = list(KIND_WEIGHTS.values())
    statuses = tuple(s for s, _ in STATUSES)
    status_w = [w for _, w in STATUSES]
    creds = [c for c, _ in CREDIBILITY]
    cred_w = [w for _, w in CREDIBILITY]
    i = 0
    pending: tuple[Term, Term, Term, str] | None = None  # a contradicted statement's opponent
    while written < target or pending is not None:
        if pending is not None:
            # The statement that contradicts the previous one: same parties, other source.
            opponent, s, o, kind = pending
            pending = None
            status = "Verified"
        else:
            kind = rng.choices(kinds, kind_weights)[0]
            subj_pool = subject_pools[kind]
            s = subj_pool[int(rng.random() * len(subj_pool))]
            o = object_pickers[kind].pick()
            if s == o:
                continue
            status = rng.choices(statuses, status_w)[0]
            opponent = None
        cls, relation, roles = KINDS[kind]
        st = agr(f"st-{i:08d}")
        year = rng.randint(1949, 2025)
        day_precise = rng.random() < 0.7
        month, day = (rng.randint(1, 12), rng.randint(1, 28)) if day_precise else (1, 1)
        pos = [
            (A, ag(cls)),
            (P["subject"], s),
            (P["object"], o),
            (P["relation"], ag(relation)),
            (P["role"], ag(roles[int(rng.random() * len(roles))])),
            (P["startDate"], lit_date(year, month, day)),
            (P["startPrecision"], PRECISION["day" if day_precise else "year"]),
            (P["credibility"], lit_int(rng.choices(creds, cred_w)[0])),
            (P["status"], ag(status)),
            (DERIVED, source_picker.pick()),
        ]
        if rng.random() < 0.3:
            src2 = source_picker.pick()
            if src2 != pos[-1][1]:
                pos.append((DERIVED, src2))
        if rng.random() < 0.1 and year < 2025:
            end_year = rng.randint(year + 1, 2026)
            pos.append((P["endDate"], lit_date(end_year, 1, 1)))
            pos.append((P["endPrecision"], PRECISION["year"]))
        if kind == "contract":
            item = ITEMS[int(rng.random() * len(ITEMS))]
            pos.append((P["supplier"], s))
            pos.append((P["buyer"], o))
            pos.append((P["itemDesignation"], lit(f"{item} model {int(rng.random() * 90) + 10}")))
            pos.append((P["itemDescription"], lit(item)))
            pos.append((P["quantity"], lit_int(rng.randint(1, 500))))
        if status == "Contradicted":
            opponent_term = agr(f"st-{i + 1:08d}")
            pos.append((P["contradicts"], opponent_term))
            pos.append((P["contradictionNote"], lit("The dates and terms differ between sources.")))
            pending = (st, s, o, kind)
        elif opponent is not None:
            pos.append((P["contradicts"], opponent))
            pos.append((P["contradictionNote"], lit("This source gives other dates and terms.")))
        written += len(pos)
        yield st, pos
        if i % 50 == 7:
            claim = agr(f"claim-{i:08d}")
            cpos = [
                (A, ag("Claim")),
                (P["claimText"], lit(f"Claim {i}: the {ITEMS[i % len(ITEMS)]} matters to the alliance")),
                (P["about"], s),
                (DERIVED, source_picker.pick()),
                (P["credibility"], lit_int(rng.choices(creds, cred_w)[0])),
                (P["status"], ag("Opinion")),
            ]
            written += len(cpos)
            yield claim, cpos
        i += 1


def _turtle_header() -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "\n"


def write_streams(
    target: int,
    *,
    nt: TextIO | None = None,
    ttl: TextIO | None = None,
    seed: int = 42,
) -> GraphStats:
    """Write one synthetic graph to N-Triples and/or Turtle text streams; return what was written."""
    stats = GraphStats()
    if ttl is not None:
        ttl.write(_turtle_header())
    nt_buf: list[str] = []
    ttl_buf: list[str] = []
    for subj, pos in generate(target, seed):
        stats.triples += len(pos)
        kind = pos[0][1][1]
        if subj[1].startswith("agr:st-"):
            stats.statements[kind] = stats.statements.get(kind, 0) + 1
        elif kind == "ag:Source":
            stats.sources += 1
        elif kind == "ag:Claim":
            stats.claims += 1
        else:
            stats.entities[kind] = stats.entities.get(kind, 0) + 1
        if nt is not None:
            s = subj[0]
            nt_buf.extend(f"{s} {p[0]} {o[0]} .\n" for p, o in pos)
        if ttl is not None:
            body = " ;\n    ".join(f"{p[1]} {o[1]}" for p, o in pos)
            ttl_buf.append(f"{subj[1]} {body} .\n")
        if len(nt_buf) > 20_000 or len(ttl_buf) > 2_000:
            if nt is not None:
                nt.write("".join(nt_buf))
            if ttl is not None:
                ttl.write("".join(ttl_buf))
            nt_buf.clear()
            ttl_buf.clear()
    if nt is not None:
        nt.write("".join(nt_buf))
    if ttl is not None:
        ttl.write("".join(ttl_buf))
    return stats


@dataclass(frozen=True)
class SyntheticFiles:
    """The files of one synthetic graph."""

    size: int
    seed: int
    nt: Path
    ttl: Path
    triples: int


def synthetic_files(
    size: int | str, out_dir: str | os.PathLike[str], *, seed: int = 42, force: bool = False
) -> SyntheticFiles:
    """Write (or reuse) ``alliance-<size>-s<seed>.nt`` and ``.ttl`` in ``out_dir``.

    Files are reused when they exist with their ``.count`` marker (written last, so a
    half-written file from an interrupted run is never taken for a whole one).
    """
    n = parse_size(size) if isinstance(size, str) else size
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"alliance-{size_name(n)}-s{seed}"
    nt, ttl, marker = stem.with_suffix(".nt"), stem.with_suffix(".ttl"), stem.with_suffix(".count")
    if not force and marker.exists() and nt.exists() and ttl.exists():
        return SyntheticFiles(n, seed, nt, ttl, int(marker.read_text().strip()))
    marker.unlink(missing_ok=True)
    tmp_nt, tmp_ttl = nt.with_suffix(".nt.part"), ttl.with_suffix(".ttl.part")
    with (
        tmp_nt.open("w", encoding="utf-8", buffering=1 << 20) as f_nt,
        tmp_ttl.open("w", encoding="utf-8", buffering=1 << 20) as f_ttl,
    ):
        stats = write_streams(n, nt=f_nt, ttl=f_ttl, seed=seed)
    tmp_nt.replace(nt)
    tmp_ttl.replace(ttl)
    marker.write_text(f"{stats.triples}\n")
    return SyntheticFiles(n, seed, nt, ttl, stats.triples)
