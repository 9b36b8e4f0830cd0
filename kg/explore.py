"""`kg serve`'s explorer: the page at ``/`` and the small JSON API it calls, over the same
Oxigraph store as ``/sparql``.

The page is the explorer of ``graph.html`` (the same template and scripts); instead of the
whole graph it carries an overview, made once when the server starts: the entities the canvas
may draw (the most mentioned), their papers by month, their strongest co-occurrences and the
relations between them. Everything else comes on demand, in the records `kg/export/templates/
source.js` describes, from GET requests on the same origin:

- ``/api/entity?id=ID``: an entity, its papers (the first `PAPERS`, with their evidence), the
  relations papers state about it (with sentences), its neighbours (entities of the same
  papers, with how many papers they share);
- ``/api/paper?id=ID``: a paper, its abstract, its entities (with offsets) and relations;
- ``/api/shared?a=ID&b=ID``: the papers that mention both;
- ``/api/search?q=TEXT``: entities (by label or alias) and papers (by title);
- ``/api/around?id=ID&radius=1|2``: the drawable entities within that many shared-paper steps.

What is counted and listed (which papers mention which entity, an entity's neighbours and
the papers they share, the entities within two steps, search) is answered from an index read
from the store once, at start (`Index`: the entities' labels, aliases, types and paper counts,
the papers' titles, dates and links, and who mentions whom as integers), so a hub of 30,000
papers is counted in a fraction of a second. The rest (evidence sentences, relation
statements, abstracts, authors, mention offsets) is read per request by a few bounded SPARQL
queries (`kg.query`) that the endpoint's workers run, with the endpoint's time limit and row
cap; a query stopped by either fails the request with the endpoint's status.

The API only reads, answers GET alone, takes an ID only as an IRI under the graph's base, and
puts search text in the query as a string literal. The page's Content-Security-Policy lets it
connect to its own origin and nowhere else.
"""

from __future__ import annotations

import json
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations

import pyoxigraph as ox

from kg.export import DEFAULT_BASE
from kg.export.html import (
    DEFAULT_MAX_NODES,
    PAPER_STYLE,
    kinds_table,
    month,
    paper_link,
    render_page,
    strongest_pairs,
    type_styles,
)
from kg.export.rdf import KG
from kg.model import RELATION_KINDS, TYPES
from kg.query import execute, select

PAPERS = 200  # papers listed in an entity's record, introduced ones first, then the newest
EVIDENCE = 60  # of which with their evidence (as many as the panel shows at first)
STATEMENTS = 300  # relation statements in an entity's record
RESULTS = 200  # results in a record
NEIGHBOURS = 60  # neighbours per type in an entity's record, the most shared first
SHARED = 200  # papers listed as shared by two entities
SEARCH = 12  # search hits
MAX_ID = 2000  # characters of an id or a search
JSON_RESULTS = "application/sparql-results+json"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "Cache-Control": "no-store"}
_IRI_SAFE = re.compile(r'[^\s<>"{}|^`\\]+')
_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _value(term: dict | None) -> object:
    """A SPARQL JSON results term as a Python value."""
    if term is None:
        return None
    if term.get("datatype") == _XSD_INTEGER:
        return int(term["value"])
    return term["value"]


class Index:
    """What the explorer counts and lists, read from the store once: entities (label,
    aliases, type, paper count, most papers first), papers (title, date, link), and which
    paper mentions (or introduces) which entity, as integers."""

    def __init__(self, store: ox.Store, base: str):
        self.base = base
        rows = select(store, """SELECT ?e ?label ?type ?n WHERE {
            ?e kg:paperCount ?n ; rdfs:label ?label ; a ?type } ORDER BY DESC(?n) ?label ?e""")
        self.entities = [self.node(r["e"]) for r in rows]  # most papers first
        self.labels = [r["label"] for r in rows]
        self.types = [_local(r["type"]) for r in rows]
        self.counts = [r["n"] for r in rows]
        self.entity_index = {e: i for i, e in enumerate(self.entities)}
        self.papers: list[str] = []
        self.paper_index: dict[str, int] = {}
        self.entity_papers = [array("i") for _ in self.entities]
        self.paper_entities: list[array] = []
        self.introduced: set[tuple[int, int]] = set()
        mentions, introduces = str(KG.mentions), str(KG.introduces)
        for p, k, e in execute(store, """SELECT ?p ?k ?e WHERE {
                VALUES ?k { kg:mentions kg:introduces } ?p ?k ?e }""").rows:
            i = self.entity_index.get(self.node(e.value))
            if i is None:
                continue
            j = self._paper(p.value)
            if k.value == introduces:
                self.introduced.add((j, i))
            elif k.value == mentions:
                self.entity_papers[i].append(j)
                self.paper_entities[j].append(i)
        self.titles, self.dates, self.links = ([""] * len(self.papers) for _ in range(3))
        for p, t, d, u, a in execute(store, """SELECT ?p ?t ?d ?u ?a WHERE {
                ?p a kg:Paper ; dcterms:title ?t . OPTIONAL { ?p dcterms:date ?d }
                OPTIONAL { ?p schema:url ?u } OPTIONAL { ?p kg:arxivId ?a } }""").rows:
            j = self._paper(p.value)
            if j == len(self.titles):  # a paper that mentions no entity
                for column in (self.titles, self.dates, self.links):
                    column.append("")
            self.titles[j], self.dates[j] = t.value, d.value if d is not None else ""
            self.links[j] = paper_link({"url": u.value if u is not None else "",
                                        "arxiv": a.value if a is not None else ""})
        self.months = [month(d) for d in self.dates]
        self.aliases: list[list[str]] = [[] for _ in self.entities]
        for e, a in execute(store, "SELECT ?e ?a WHERE { ?e skos:altLabel ?a }").rows:
            i = self.entity_index.get(self.node(e.value))
            if i is not None and a.value != self.labels[i]:
                self.aliases[i].append(a.value)

    def node(self, iri: str) -> str:
        return iri[len(self.base):] if iri.startswith(self.base) else iri

    def _paper(self, iri: str) -> int:
        node = self.node(iri)
        j = self.paper_index.get(node)
        if j is None:
            j = self.paper_index[node] = len(self.papers)
            self.papers.append(node)
            self.paper_entities.append(array("i"))
        return j

    def neighbours(self, i: int) -> Counter:
        """Entity index -> the number of papers it shares with entity i."""
        counts: Counter = Counter()
        for j in self.entity_papers[i]:
            counts.update(self.paper_entities[j])
        counts.pop(i, None)
        return counts

    def around(self, i: int, radius: int) -> set[int]:
        """Entity indexes within `radius` shared-paper steps of entity i."""
        seen = bytearray(len(self.entities))
        paper_seen = bytearray(len(self.papers))
        seen[i] = 1
        frontier = [i]
        for _ in range(radius):
            papers = _step(frontier, self.entity_papers, paper_seen)
            frontier = _step(papers, self.paper_entities, seen)
        return {x for x, on in enumerate(seen) if on}

    def search(self, q: str, limit: int) -> list[tuple[float, int, str, bool, int]]:
        """``(score, -papers, text, alias, index)`` of the best matches of `q` (casefolded) among
        entity labels and aliases (index >= 0) and paper titles (index ~j): exact, then at
        the start, at a word's start, anywhere; aliases after labels, papers after entities."""
        def score(text: str) -> float | None:
            key = text.casefold()
            at = key.find(q)
            if at < 0:
                return None
            return 0 if key == q else 1 if at == 0 else 2 if not key[at - 1].isalnum() else 3

        best: dict[int, tuple] = {}
        for i, label in enumerate(self.labels):
            for text, alias in ((label, False), *((a, True) for a in self.aliases[i])):
                s = score(text)
                if s is not None:
                    hit = (s + 0.5 * alias, -self.counts[i], text, alias, i)
                    best[i] = min(best.get(i, hit), hit)
        for j, title in enumerate(self.titles):
            s = score(title)
            if s is not None:
                best[~j] = (s + 4, 1, title, False, ~j)
        return sorted(best.values())[:limit]

    def ref(self, i: int) -> dict:
        """What the page shows of entity i wherever it names it."""
        return {"l": self.labels[i], "t": self.types[i], "n": self.counts[i]}

    def paper_ref(self, j: int) -> dict:
        """What the page shows of paper j wherever it names it."""
        return {"l": self.titles[j], "d": self.dates[j], "u": self.links[j]}


def _step(frontier: list[int], links: list, seen: bytearray) -> list[int]:
    """One step of a search over the papers-entities graph: the not yet `seen` neighbours of
    `frontier` through `links` (index -> neighbour indexes), now marked seen."""
    out = []
    for x in frontier:
        for j in links[x]:
            if not seen[j]:
                seen[j] = 1
                out.append(j)
    return out


class Explorer:
    """The explorer for the store in `store_dir`; `run(query, accept)` is the endpoint's way
    of running a query (the workers, with their time limit and row cap), answering ``(status,
    content type, body, headers)``."""

    def __init__(self, store_dir: str, run: Callable[[str, str], tuple], title: str = "",
                 max_nodes: int = DEFAULT_MAX_NODES):
        self._run = run
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kg-explore")
        store = ox.Store.read_only(store_dir)
        self.base = _base(store)
        self.index = Index(store, self.base)
        self.overview = _overview(store, self.index, max_nodes, title)
        del store
        self.drawable = set(range(self.overview["drawable"]))
        self.page = render_page(self.overview, connect="'self'").encode()
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                        self.page.decode()).group(1)
        self.page_headers = {**SECURITY_HEADERS, "Content-Security-Policy":
                             csp + "; frame-ancestors 'none'", "X-Frame-Options": "DENY"}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ HTTP

    def handle(self, method: str, route: str, params: dict[str, list[str]]) -> tuple:
        """``(status, content type, body, headers)`` for a request to ``/`` or ``/api/...``."""
        if method not in ("GET", "HEAD"):
            return 405, "text/plain; charset=utf-8", b"GET only\n", {"Allow": "GET"}
        if route == "/":
            return 200, "text/html; charset=utf-8", self.page, self.page_headers
        try:
            answer = self._api(route.removeprefix("/api/"), params)
            status = 200
        except ApiError as e:
            status, answer = e.status, {"error": str(e)}
        body = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
        return status, "application/json; charset=utf-8", body, SECURITY_HEADERS

    def _api(self, name: str, params: dict[str, list[str]]) -> dict:
        def one(key: str) -> str:
            values = params.get(key, [])
            if len(values) != 1 or not values[0] or len(values[0]) > MAX_ID:
                raise ApiError(400, f"give one '{key}' of at most {MAX_ID} characters")
            return values[0]

        if name == "entity":
            return self.entity(one("id"))
        if name == "paper":
            return self.paper(one("id"))
        if name == "shared":
            return self.shared(one("a"), one("b"))
        if name == "search":
            return self.search(one("q"))
        if name == "around":
            radius = one("radius")
            if radius not in ("1", "2"):
                raise ApiError(400, "radius is 1 or 2")
            return self.around(one("id"), int(radius))
        raise ApiError(404, "no such API: entity, paper, shared, search or around")

    # ------------------------------------------------------------ SPARQL through the workers

    def _select(self, query: str) -> list[dict]:
        """The rows of a SELECT, as Python values."""
        status, _, body, _ = self._run(query, JSON_RESULTS)
        if status != 200:
            raise ApiError(status if status >= 500 else 500, body.decode("utf-8", "replace")
                           .strip())
        doc = json.loads(body)
        names = doc["head"]["vars"]
        return [{k: _value(b.get(k)) for k in names} for b in doc["results"]["bindings"]]

    def _all(self, *queries: str) -> list[list[dict]]:
        """Several queries at once, on as many workers."""
        return list(self._pool.map(self._select, queries))

    def iri(self, node: str) -> str:
        """The IRI of a node id (a path under the graph's base), as SPARQL."""
        iri = node if node.startswith(("http://", "https://")) else self.base + node
        if not _IRI_SAFE.fullmatch(iri):
            raise ApiError(400, "not an id of this graph")
        return f"<{iri}>"

    def node(self, iri: str) -> str:
        return self.index.node(iri)

    def _entity(self, node: str) -> int:
        self.iri(node)  # the same checks as for any id
        i = self.index.entity_index.get(node)
        if i is None:
            raise ApiError(404, f"no entity {node!r} in this graph")
        return i

    def _newest(self, papers) -> list[int]:
        """Paper indexes, the latest date first, then by id."""
        ix = self.index
        by_id = sorted(papers, key=lambda j: ix.papers[j])
        return sorted(by_id, key=lambda j: ix.dates[j], reverse=True)

    # ------------------------------------------------------------ records

    def entity(self, node: str) -> dict:
        ix = self.index
        i = self._entity(node)
        e = self.iri(node)
        mine = ix.entity_papers[i]
        chosen = [j for j in mine if (j, i) in ix.introduced]
        chosen = self._newest(chosen) + [j for j in self._newest(mine)
                                         if (j, i) not in ix.introduced]
        listed = [{"p": ix.papers[j], "r": "introduces" if (j, i) in ix.introduced
                   else "mentions", "ev": []} for j in chosen[:PAPERS]]
        with_evidence = " ".join(self.iri(p["p"]) for p in listed[:EVIDENCE]) or "<urn:x-none>"
        evidence, statements, direct, results = self._all(
            f"""SELECT ?p ?field ?sentence ?text ?start WHERE {{
                VALUES ?p {{ {with_evidence} }}
                ?m kg:inPaper ?p ; kg:mentionOf {e} ; kg:field ?field ; kg:sentence ?sentence ;
                   kg:surfaceForm ?text ; kg:start ?start . }}""",
            f"""SELECT ?st ?h ?prop ?t ?p ?sentence ?rule WHERE {{
                {{ ?st rdf:subject {e} }} UNION {{ ?st rdf:object {e} }}
                ?st rdf:subject ?h ; rdf:predicate ?prop ; rdf:object ?t ; kg:statedIn ?p .
                OPTIONAL {{ ?st kg:evidence ?sentence }} OPTIONAL {{ ?st kg:rule ?rule }}
            }} LIMIT {STATEMENTS}""",
            f"""SELECT ?h ?prop ?t WHERE {{ VALUES ?prop {{ {_entity_props()} }}
                {{ {e} ?prop ?t }} UNION {{ ?h ?prop {e} }} }} LIMIT {STATEMENTS}""",
            _results_query(f"VALUES ?anyrole {{ {_props('result')} }} ?r ?anyrole {e}"))
        refs: dict[str, dict] = {node: ix.ref(i)}
        for j in chosen[:PAPERS]:
            refs[ix.papers[j]] = ix.paper_ref(j)
        by_paper = {p["p"]: p for p in listed}
        for r in sorted(evidence, key=lambda r: (r["p"], r["field"] != "title", r["start"])):
            items = by_paper[self.node(r["p"])]["ev"]
            item = next((x for x in items if x["s"] == r["sentence"]), None)
            if item is None:
                item = {"f": r["field"], "s": r["sentence"], "m": []}
                items.append(item)
            at = r["sentence"].find(r["text"])
            if at >= 0 and [at, at + len(r["text"])] not in item["m"]:
                item["m"].append([at, at + len(r["text"])])
        for p in listed[EVIDENCE:]:
            p["ev"] = None

        kinds = {str(KG[k.prop]): k.name for k in RELATION_KINDS if k.scope == "entity"}
        grouped: dict[tuple, list] = defaultdict(list)
        for r in statements:
            kind, h, t = kinds.get(r["prop"]), self.node(r["h"]), self.node(r["t"])
            other = t if h == node else h
            k = ix.entity_index.get(other)
            if kind is None or k is None:
                continue
            refs[other] = ix.ref(k)
            pid = self.node(r["p"])
            if pid in ix.paper_index:
                refs[pid] = ix.paper_ref(ix.paper_index[pid])
            grouped[kind, "out" if h == node else "in", other].append(
                {"p": pid, "s": r["sentence"], "r": r["rule"] or ""})
        for r in direct:  # a relation no paper states (variant_of, found from the names)
            kind = kinds.get(r["prop"])
            h, t = (self.node(r[x]) if r[x] else node for x in ("h", "t"))
            other = t if h == node else h
            k = ix.entity_index.get(other)
            if kind is not None and k is not None:
                refs[other] = ix.ref(k)
                grouped.setdefault((kind, "out" if h == node else "in", other), [])
        relations = [{"k": k, "d": d, "e": o, "st": st} for (k, d, o), st in grouped.items()]

        counts = ix.neighbours(i)
        per_type: dict[str, list] = defaultdict(list)
        totals: Counter = Counter()
        for k, n in sorted(counts.items(), key=lambda kn: (-kn[1], kn[0])):
            t = ix.types[k]
            totals[t] += 1
            if len(per_type[t]) < NEIGHBOURS:
                per_type[t].append({"e": ix.entities[k], "n": n})
                refs[ix.entities[k]] = ix.ref(k)
        neighbours = sorted((nb for nbs in per_type.values() for nb in nbs),
                            key=lambda nb: (-nb["n"], refs[nb["e"]]["l"].casefold()))
        cut = []
        if ix.counts[i] > len(listed):
            cut.append(f"{len(listed)} of its {ix.counts[i]:,} papers are listed")
        if len(listed) > EVIDENCE:
            cut.append(f"the sentences of the first {EVIDENCE}")
        if len(statements) >= STATEMENTS:
            cut.append(f"the first {STATEMENTS} relation statements")
        missing = None
        if cut:
            label = ix.labels[i]
            missing = ["Here: " + ", ".join(cut) + ".", [
                "kg query --example papers-mentioning " + _bind("entity", label),
                "kg query --example evidence " + _bind("entity", label)]]
        found = sorted(self._results(results, refs), key=lambda x: x["p"])
        found.sort(key=lambda x: refs[x["p"]]["d"] if x["p"] in refs else "", reverse=True)
        return {"id": node, "l": ix.labels[i], "t": ix.types[i], "n": ix.counts[i],
                "a": sorted(ix.aliases[i]),
                "papers": listed, "more": {"papers": ix.counts[i] - len(listed)},
                "relations": relations, "neighbours": neighbours, "totals": dict(totals),
                "results": found, "missing": missing, "refs": refs}

    def _results(self, rows: list[dict], refs: dict) -> list[dict]:
        """The results of `_results_query` rows, as records; what they name goes in refs."""
        ix = self.index
        roles = {str(KG[k.prop]): k.name for k in RELATION_KINDS if k.scope == "result"}
        order = list(roles.values())
        found: dict[str, dict] = {}
        for r in rows:
            pid = self.node(r["p"])
            x = found.setdefault(r["r"], {"v": r["value"], "k": r["kind"] or "", "roles": [],
                                          "p": pid, "ev": None})
            if pid in ix.paper_index:
                refs[pid] = ix.paper_ref(ix.paper_index[pid])
            if r["sentence"] and x["ev"] is None:
                at = r["sentence"].find(r["value"])
                x["ev"] = {"f": "", "s": r["sentence"],
                           "m": [[at, at + len(r["value"])]] if at >= 0 else []}
            other = self.node(r["o"]) if r["o"] else None
            if r["role"] in roles and other in ix.entity_index:
                refs[other] = ix.ref(ix.entity_index[other])
                if [roles[r["role"]], other] not in x["roles"]:
                    x["roles"].append([roles[r["role"]], other])
        for x in found.values():
            x["roles"].sort(key=lambda role: (order.index(role[0]), role[1]))
        return list(found.values())

    def paper(self, node: str) -> dict:
        p = self.iri(node)
        ix = self.index
        j = ix.paper_index.get(node)  # None for a paper that mentions no entity
        head, spans, relations, results = self._all(
            f"""SELECT ?title ?abstract ?date ?url ?arxiv ?author WHERE {{
                {p} dcterms:title ?title .
                OPTIONAL {{ {p} dcterms:abstract ?abstract }} OPTIONAL {{ {p} dcterms:date ?date }}
                OPTIONAL {{ {p} schema:url ?url }} OPTIONAL {{ {p} kg:arxivId ?arxiv }}
                OPTIONAL {{ {p} dcterms:creator ?author }} }}""",
            f"""SELECT ?e ?field ?start ?end WHERE {{
                ?m kg:inPaper {p} ; kg:mentionOf ?e ; kg:field ?field ; kg:start ?start ;
                   kg:end ?end }}""",
            f"""SELECT ?prop ?h ?t ?sentence ?rule WHERE {{
                ?st kg:statedIn {p} ; rdf:subject ?h ; rdf:predicate ?prop ; rdf:object ?t .
                OPTIONAL {{ ?st kg:evidence ?sentence }} OPTIONAL {{ ?st kg:rule ?rule }} }}""",
            _results_query(f"?r a kg:Result ; kg:statedIn {p}"))
        if not head:
            raise ApiError(404, f"no paper {node!r} in this graph")
        first = head[0]
        refs = {node: {"l": first["title"], "d": first["date"] or "", "u": paper_link(
            {"url": first["url"] or "", "arxiv": first["arxiv"] or ""})}}
        ents = {}
        for k in ix.paper_entities[j] if j is not None else ():
            e = ix.entities[k]
            refs[e] = ix.ref(k)
            ents[e] = {"e": e, "r": "introduces" if (j, k) in ix.introduced else "mentions",
                       "sp": []}
        for r in sorted(spans, key=lambda r: (r["field"], r["start"])):
            item = ents.get(self.node(r["e"]))
            if item is not None:
                item["sp"].append([r["field"], r["start"], r["end"]])
        kinds = {str(KG[k.prop]): k.name for k in RELATION_KINDS if k.scope == "entity"}
        stated = []
        for r in relations:
            h, t = self.node(r["h"]), self.node(r["t"])
            if r["prop"] in kinds and h in ix.entity_index and t in ix.entity_index:
                refs[h], refs[t] = ix.ref(ix.entity_index[h]), ix.ref(ix.entity_index[t])
                stated.append({"k": kinds[r["prop"]], "h": h, "t": t, "s": r["sentence"],
                               "r": r["rule"] or ""})
        return {"id": node, "l": first["title"], "a": first["abstract"] or "",
                "u": refs[node]["u"], "d": first["date"] or "",
                "au": sorted({r["author"] for r in head if r["author"]}),
                "ents": sorted(ents.values(), key=lambda x: refs[x["e"]]["l"].casefold()),
                "relations": stated, "results": self._results(results, refs), "missing": None,
                "refs": refs}

    def shared(self, a: str, b: str) -> dict:
        ix = self.index
        i, k = self._entity(a), self._entity(b)
        both = set(ix.entity_papers[i]) & set(ix.entity_papers[k])
        chosen = self._newest(both)[:SHARED]
        return {"papers": [ix.papers[j] for j in chosen],
                "refs": {ix.papers[j]: ix.paper_ref(j) for j in chosen}}

    def search(self, text: str) -> dict:
        ix = self.index
        hits, refs = [], {}
        for score, _, found, alias, k in ix.search(" ".join(text.split()).casefold(), SEARCH):
            if k >= 0:
                x, n = ix.entities[k], ix.counts[k]
                refs[x] = ix.ref(k)
            else:
                x, n = ix.papers[~k], -1
                refs[x] = ix.paper_ref(~k)
            hits.append({"id": x, "score": score, "text": found, "alias": alias, "n": n})
        return {"hits": hits, "refs": refs}

    def around(self, node: str, radius: int) -> dict:
        """The drawable entities within `radius` shared-paper steps of `node`, and itself."""
        ix = self.index
        near = ix.around(self._entity(node), radius)
        return {"entities": sorted({ix.entities[k] for k in near if k in self.drawable}
                                   | {node})}


def _props(scope: str) -> str:
    """The properties of the kinds of the relation-kind table of a scope, as SPARQL."""
    return " ".join(f"<{KG[k.prop]}>" for k in RELATION_KINDS if k.scope == scope)


def _entity_props() -> str:
    return _props("entity")


def _results_query(which: str) -> str:
    """The results (at most `RESULTS`) that the pattern `which` binds to ?r, with their
    roles."""
    return f"""SELECT ?r ?p ?value ?kind ?sentence ?role ?o WHERE {{
        {{ SELECT DISTINCT ?r WHERE {{ {which} }} LIMIT {RESULTS} }}
        ?r kg:statedIn ?p ; kg:value ?value .
        OPTIONAL {{ ?r kg:resultKind ?kind }} OPTIONAL {{ ?r kg:evidence ?sentence }}
        OPTIONAL {{ VALUES ?role {{ {_props("result")} }} ?r ?role ?o }} }}"""


def _bind(name: str, value: str) -> str:
    """``--bind NAME=VALUE`` as one shell word."""
    return "--bind '" + f"{name}={value}".replace("'", "'\\''") + "'"


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _base(store: ox.Store) -> str:
    """The base of the graph's IRIs: a paper's IRI up to its ``paper/`` segment."""
    rows = select(store, "SELECT ?p WHERE { ?p a kg:Paper } LIMIT 1")
    if rows and "/paper/" in rows[0]["p"]:
        return rows[0]["p"].rsplit("paper/", 1)[0]
    return DEFAULT_BASE


def _overview(store: ox.Store, ix: Index, max_nodes: int, title: str) -> dict:
    """The page data of the served explorer: like a file page's (`kg.export.html.page_data`)
    for the drawable entities, with no paper in it."""
    drawable = min(len(ix.entities), max(1, max_nodes))
    types = sorted(set(ix.types), key=lambda t: TYPES.index(t) if t in TYPES else 99)
    styles = type_styles(types)
    t_index = {t: k for k, t in enumerate(styles)}
    entities = [[ix.entities[i], ix.labels[i], t_index[ix.types[i]], ix.counts[i],
                 sorted(ix.aliases[i])] for i in range(drawable)]
    histograms = []
    for i in range(drawable):
        by_month = Counter(ix.months[j] for j in ix.entity_papers[i]
                           if ix.months[j] is not None)
        histograms.append([list(x) for x in sorted(by_month.items())])
    pairs: Counter = Counter()
    for found in ix.paper_entities:
        pairs.update(combinations(sorted(k for k in set(found) if k < drawable), 2))
    kinds = kinds_table()
    k_index = {str(KG[k.prop]): n for n, k in enumerate(RELATION_KINDS) if k.scope == "entity"}
    stated: dict[tuple, int] = {}  # (head, kind, tail) -> papers that state it (0: none)
    for r in select(store, f"""SELECT ?h ?prop ?t WHERE {{
            VALUES ?prop {{ {_entity_props()} }} ?h ?prop ?t }}"""):
        stated[r["h"], r["prop"], r["t"]] = 0
    for r in select(store, """SELECT ?h ?prop ?t (COUNT(DISTINCT ?p) AS ?n) WHERE {
            ?st rdf:subject ?h ; rdf:predicate ?prop ; rdf:object ?t ; kg:statedIn ?p .
        } GROUP BY ?h ?prop ?t"""):
        stated[r["h"], r["prop"], r["t"]] = r["n"]
    relations = []
    for (h_iri, prop, t_iri), n in stated.items():
        h, t = ix.entity_index.get(ix.node(h_iri)), ix.entity_index.get(ix.node(t_iri))
        if prop in k_index and h is not None and t is not None and max(h, t) < drawable:
            relations.append([h, k_index[prop], t, [], n])
    relations.sort()
    spread = [m for m in ix.months if m is not None]
    n_entities = len(ix.entities)
    return {
        "v": 2, "api": "/api/", "title": title or f"paperkg: {len(ix.papers):,} papers, "
        f"{n_entities:,} entities (kg serve)",
        "note": "" if n_entities <= drawable else (
            f"The canvas can draw the {drawable:,} entities seen in the most papers (each in at "
            f"least {ix.counts[drawable - 1]:,}) of {n_entities:,}; search finds the others."),
        "kinds": kinds, "types": [[t, c, s] for t, (c, s) in styles.items()],
        "paper": list(PAPER_STYLE), "total": {"papers": len(ix.papers), "entities": n_entities},
        "level": "served", "missing": "", "months": [min(spread), max(spread)] if spread else None,
        "E": entities, "drawable": drawable, "H": histograms,
        "C": strongest_pairs((a, b, w) for (a, b), w in pairs.items()),
        "P": [], "L": [], "V": None, "R": relations, "focus": None, "radius": None,
    }
