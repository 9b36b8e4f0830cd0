"""SPARQL over exported graphs, with pyoxigraph: the Turtle is parsed once into an indexed
store instead of being rescanned for every question (as rdflib's in-memory engine does); a
large graph's store is kept on disk between `kg query` calls.

This is the one SPARQL module of the project: loading a graph, running a query with the
prefixes of the export predeclared, one-line syntax errors, the results in the W3C SPARQL 1.1
result formats (JSON, XML, CSV, TSV; Turtle for graphs) or as an aligned table, with an
optional cap on rows, and the worked examples shipped as ``kg/examples/NAME.rq``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import BinaryIO, TextIO
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from kg.export import DEFAULT_BASE, locked
from kg.export.rdf import PREFIXES, current_store

#: Prefixes every query may use without declaring them: the export's (the ontology's ``kg:``,
#: rdf, rdfs, skos, dcterms, owl, xsd, schema, prov).
PREFIX_IRIS: dict[str, str] = {p: str(ns) for p, ns in PREFIXES.items()}
#: The same prefixes as SPARQL text, for a query that is taken to another tool.
PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(PREFIX_IRIS.items()))
#: Prefixes for showing results: the export's and its entity/paper IRIs (``id:``).
DISPLAY_PREFIXES = {**PREFIX_IRIS, "id": DEFAULT_BASE}

#: --format name -> media type of the W3C SPARQL 1.1 Query Results formats.
RESULT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
#: --format name -> RDF syntax of a CONSTRUCT or DESCRIBE result.
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}

_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMBERS = {_XSD + t for t in ("integer", "decimal", "double", "float", "long", "int")}
_UPDATE = re.compile(r"(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.I)
_FORM = re.compile(r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PROLOGUE_DECL = re.compile(r"(?:\s+|#[^\n]*|PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)*", re.I)


class QueryError(Exception):
    """A query or a graph file that cannot be used, in one line."""


class UpdateRefused(QueryError):
    """A SPARQL Update (INSERT, DELETE, LOAD, ...): graphs are only ever read here."""


#: Graphs at least this large are kept as an on-disk store between `kg query` calls; a
#: smaller one parses faster than a store opens.
CACHE_MIN_BYTES = 8 << 20


def cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "paperkg" / "stores"


def open_store(path: Path, cache: bool = False) -> ox.Store:
    """An indexed store of a Turtle file: the store `kg build` wrote beside it when that is
    current (opened read-only, nothing parsed), else loaded into memory, or, with `cache` and
    a large file, kept on disk per version of the file so that the next query skips the
    parsing."""
    built = current_store(path)
    if built is not None:
        try:
            return ox.Store.read_only(str(built))
        except OSError:
            pass  # unreadable or half-replaced: parse the Turtle
    try:
        st = path.stat()
    except OSError as e:
        raise QueryError(f"{path}: cannot read: {e.strerror or e}") from None
    if not cache or st.st_size < CACHE_MIN_BYTES:
        return load_turtle(ox.Store(), path)
    home = cache_home() / hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    version = home / f"{st.st_size}-{st.st_mtime_ns}"
    if not (version / "complete").exists():
        home.mkdir(parents=True, exist_ok=True)
        with locked(home):  # one `kg query` loads a file at a time; the others then reuse it
            for old in home.iterdir():  # earlier versions, and loads that a crash cut short
                if old != version:
                    shutil.rmtree(old, ignore_errors=True)
            if not (version / "complete").exists():
                tmp = Path(tempfile.mkdtemp(dir=home, prefix=".loading-"))
                try:
                    store = load_turtle(ox.Store(str(tmp / "store")), path)
                    store.flush()
                    del store  # closes it
                except BaseException:
                    shutil.rmtree(tmp, ignore_errors=True)
                    raise
                (tmp / "complete").touch()
                tmp.rename(version)
    return ox.Store.read_only(str(version / "store"))


def load_turtle(store: ox.Store, path: Path) -> ox.Store:
    """Bulk-load a Turtle file into `store`, with one-line errors."""
    try:
        with open(path, "rb") as f:
            store.bulk_load(f, format=ox.RdfFormat.TURTLE)
    except OSError as e:
        raise QueryError(f"{path}: cannot read: {e.strerror or e}") from None
    except SyntaxError as e:
        raise QueryError(f"{path}: not valid Turtle: {e}") from None
    return store


# ---------------------------------------------------------------- running


@dataclass
class Result:
    """What a query answered: ``kind`` is "select", "ask" or "graph" (CONSTRUCT, DESCRIBE)."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: Iterator[tuple] = iter(())  # terms (or None when unbound) in the order of variables
    boolean: bool = False
    triples: Iterator[ox.Triple] = iter(())


def execute(store: ox.Store, query: str) -> Result:
    """Run a query (SELECT, ASK, CONSTRUCT or DESCRIBE) with the prefixes predeclared.

    Rows and triples come lazily: the engine does the work as they are read."""
    try:
        answer = store.query(query, prefixes=PREFIX_IRIS)
    except SyntaxError as e:
        raise syntax_error(e, query) from None
    except OSError as e:  # an evaluation error, e.g. a SERVICE that cannot be reached
        raise QueryError(f"query failed: {e}") from None
    if isinstance(answer, ox.QueryBoolean):
        return Result("ask", boolean=bool(answer))
    if isinstance(answer, ox.QueryTriples):
        return Result("graph", triples=_evaluated(answer))
    return Result("select", [v.value for v in answer.variables],
                  (tuple(s) for s in _evaluated(answer)))


def _evaluated(items) -> Iterator:
    """The engine's lazy results, with an error met on the way (a SERVICE that cannot be
    reached, ...) as a QueryError."""
    try:
        yield from items
    except OSError as e:
        raise QueryError(f"query failed: {e}") from None


def calls_service(query: str) -> bool:
    """Whether a query calls another endpoint (SERVICE), as a SPARQL parser reads it.

    A query whose text, codepoint escapes decoded, never spells "service" cannot (the keyword
    has no other spelling); any other is parsed with rdflib's SPARQL parser, and one that it
    cannot parse counts as calling out: a parser's blind spot must not let a SERVICE through.
    """
    decoded = _CODEPOINT.sub(lambda m: chr(min(int(m[1] or m[2], 16), 0x10FFFF)), query)
    if "service" not in decoded.casefold():
        return False
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        todo = [parseQuery(PROLOGUE + query)]
    except Exception:  # a syntax error, or pyparsing's recursion on deep nesting
        return True
    while todo:  # the parse tree, without recursion
        node = todo.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            todo.extend(node.values())
        elif isinstance(node, list | tuple | ParseResults):
            todo.extend(node)
    return False


def select(store: ox.Store, query: str) -> list[dict[str, object]]:
    """Rows of a SELECT query as dicts of Python values (str, int, float), prefixes predeclared."""
    result = execute(store, query)
    return [{n: _py(t) for n, t in zip(result.variables, row, strict=True)} for row in result.rows]


def _py(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> object:
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype.value.endswith("#integer"):
        return int(term.value)
    return term.value


def syntax_error(e: SyntaxError, query: str) -> QueryError:
    """pyoxigraph's parse error as one line that says where: line, column and the text there."""
    body_at = _PROLOGUE_DECL.match(query).end()
    if _UPDATE.match(query, body_at):
        return UpdateRefused("updates are refused: the graph is read-only "
                             "(queries are SELECT, ASK, CONSTRUCT or DESCRIBE)")
    if not _FORM.match(query, body_at):
        line = query.count("\n", 0, body_at) + 1
        col = body_at - (query.rfind("\n", 0, body_at) + 1) + 1
        word = query[body_at:].split(None, 1)[0] if query[body_at:].strip() else "nothing"
        return QueryError(f"SPARQL syntax error at line {line}, column {col}: expected SELECT, "
                          f"ASK, CONSTRUCT or DESCRIBE, found {word!r}")
    msg = str(e)
    m = re.match(r"error at (\d+):(\d+): (.*)", msg, re.S)
    if not m:
        return QueryError(f"SPARQL syntax error: {_first_line(msg)}")
    line, col, what = int(m[1]), int(m[2]), m[3]
    lines = query.splitlines() or [""]
    before = lines[min(line, len(lines)) - 1][: max(col - 1, 0)]
    if "Prefix not found" in what:
        prefix = re.search(r"([A-Za-z][\w.-]*)?:[\w.-]*$", before)
        what = f"unknown prefix '{prefix[1] or ''}:'" if prefix else "unknown prefix"
        col = prefix.start() + 1 if prefix else col
    near = before.strip()
    near = f", near {'…' * (len(near) > 25) + near[-25:]!r}" if near else ""
    return QueryError(f"SPARQL syntax error at line {line}, column {col}{near}: "
                      f"{_first_line(what)}")


def _first_line(text: str, width: int = 100) -> str:
    text = text.strip().splitlines()[0] if text.strip() else text
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------- parameters


def values_clauses(query: str) -> dict[str, str]:
    """The ``VALUES ?name { value }`` clauses of a query: its parameters and their defaults."""
    return {m["var"]: m["value"] for m in _values(None).finditer(query)}


def bind(query: str, values: dict[str, str]) -> str:
    """The query with each ``VALUES ?name { … }`` set to its value (a string, a number, an
    <IRI> or prefix:name), in one pass over the query as written: an inserted value is never
    read again as query text, so it can neither rewrite another clause nor leave its quotes."""
    for name in values:
        if not _values(name).search(query):
            raise QueryError(f"cannot bind {name!r}: the query has no 'VALUES ?{name} {{ … }}'")
    terms = {name: sparql_term(value) for name, value in values.items()}
    return _values(None).sub(lambda m: m["head"] + terms[m["var"]] + m["tail"]
                             if m["var"] in terms else m[0], query)


def _values(name: str | None) -> re.Pattern:
    var = re.escape(name) if name else r"\w+"
    return re.compile(rf"(?P<head>VALUES\s+\?(?P<var>{var})\s*\{{\s*)(?P<value>[^{{}}]*?)"
                      rf"(?P<tail>\s*\}})", re.I)


def sparql_term(value: str) -> str:
    """A command-line value as a SPARQL term: <IRI>, prefix:name (a known prefix, id: too),
    an integer, or else a string literal."""
    prefixed = re.fullmatch(r"([A-Za-z][\w.-]*):([\w.\-/]*)", value)
    if prefixed and prefixed[1] in DISPLAY_PREFIXES:
        value = f"<{DISPLAY_PREFIXES[prefixed[1]]}{prefixed[2]}>"
    if value.startswith("<") and value.endswith(">"):
        if re.search(r'[\s<>"{}|^`\\]', value[1:-1]):
            raise QueryError(f"not an IRI: {value}")
        return value
    if re.fullmatch(r"[+-]?\d+", value):
        return value
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return json.dumps(value, ensure_ascii=False)  # a valid SPARQL string literal


# ---------------------------------------------------------------- examples


@dataclass
class Example:
    name: str
    description: str
    text: str

    @property
    def params(self) -> dict[str, str]:
        return values_clauses(self.text)


def examples() -> dict[str, Example]:
    """The worked examples shipped in kg/examples/*.rq, by name."""
    found = {}
    for f in sorted(resources.files("kg").joinpath("examples").iterdir(), key=lambda f: f.name):
        if f.name.endswith(".rq"):
            text = f.read_text(encoding="utf-8")
            first = text.splitlines()[0] if text else ""
            found[f.name[:-3]] = Example(f.name[:-3], first.lstrip("# ").strip(), text)
    return found


def example(name: str) -> Example:
    found = examples()
    if name not in found:
        raise QueryError(f"no example {name!r}: try one of {', '.join(found)}")
    return found[name]


# ---------------------------------------------------------------- result formats
# Written here, not by pyoxigraph's QuerySolutions.serialize: that writes a whole result and
# cannot stop at a row cap (kg serve --max-rows, kg query --limit) nor say that it cut one.
# tests/test_query.py checks that the output is the library's, term for term.


def serialize(result: Result, fmt: str, out: BinaryIO, max_rows: int | None = None) -> bool:
    """Write a result in a W3C format (json, xml, csv, tsv for SELECT and ASK; turtle,
    ntriples, rdfxml for graphs). At most max_rows rows or triples; True if some were cut."""
    if result.kind == "graph":
        if fmt not in GRAPH_FORMATS:
            raise QueryError(f"a CONSTRUCT or DESCRIBE result is a graph: use one of "
                             f"{', '.join(GRAPH_FORMATS)}, not {fmt}")
        triples, cut = _capped(result.triples, max_rows)
        ox.serialize(triples, out, format=GRAPH_FORMATS[fmt], prefixes=PREFIX_IRIS)
        return cut()
    if fmt not in RESULT_FORMATS:
        raise QueryError(f"a {result.kind.upper()} result is a table: use one of "
                         f"{', '.join(RESULT_FORMATS)}, not {fmt}")
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        rows, cut = _capped(result.rows, max_rows)
        {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}[fmt](result, rows, text)
        text.flush()
    finally:
        text.detach()
    return cut()


def _capped(items: Iterator, max_rows: int | None):
    if max_rows is None:
        return items, lambda: False
    return islice(items, max_rows), lambda: next(items, None) is not None


def _json(result: Result, rows: Iterator[tuple], out: TextIO) -> None:
    if result.kind == "ask":
        out.write(json.dumps({"head": {}, "boolean": result.boolean}) + "\n")
        return
    out.write(json.dumps({"head": {"vars": result.variables}})[:-1] + ',"results":{"bindings":[')
    for i, row in enumerate(rows):
        out.write(("," if i else "") + "\n" + json.dumps(
            {v: _json_term(t) for v, t in zip(result.variables, row, strict=True)
             if t is not None}, ensure_ascii=False))
    out.write("\n]}}\n")


def _json_term(t) -> dict:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value != _XSD + "string":
            d["datatype"] = t.datatype.value
        return d
    return {"type": "triple", "value": {"subject": _json_term(t.subject),  # RDF 1.2 triple term
                                        "predicate": _json_term(t.predicate),
                                        "object": _json_term(t.object)}}


def _xml(result: Result, rows: Iterator[tuple], out: TextIO) -> None:
    out.write('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n')
    out.write("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in result.variables)
              + "</head>\n")
    if result.kind == "ask":
        out.write(f"<boolean>{str(result.boolean).lower()}</boolean>\n</sparql>\n")
        return
    out.write("<results>\n")
    for row in rows:
        out.write("<result>" + "".join(
            f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
            for v, t in zip(result.variables, row, strict=True) if t is not None) + "</result>\n")
    out.write("</results>\n</sparql>\n")


def _xml_term(t) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if isinstance(t, ox.Literal):
        if t.language:
            attr = f" xml:lang={quoteattr(t.language)}"
        elif t.datatype.value != _XSD + "string":
            attr = f" datatype={quoteattr(t.datatype.value)}"
        else:
            attr = ""
        return f"<literal{attr}>{escape(t.value)}</literal>"
    return (f"<triple><subject>{_xml_term(t.subject)}</subject><predicate>"
            f"{_xml_term(t.predicate)}</predicate><object>{_xml_term(t.object)}</object></triple>")


def _csv(result: Result, rows: Iterator[tuple], out: TextIO) -> None:
    if result.kind == "ask":
        out.write(f"{str(result.boolean).lower()}\r\n")
        return
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(result.variables)
    for row in rows:
        w.writerow(["" if t is None else f"_:{t.value}" if isinstance(t, ox.BlankNode)
                    else str(t) if isinstance(t, ox.Triple) else t.value for t in row])


def _tsv(result: Result, rows: Iterator[tuple], out: TextIO) -> None:
    if result.kind == "ask":
        out.write(f"{str(result.boolean).lower()}\n")
        return
    out.write("\t".join(f"?{v}" for v in result.variables) + "\n")
    for row in rows:
        out.write("\t".join("" if t is None else _tsv_term(t) for t in row) + "\n")


def _tsv_term(t) -> str:
    if isinstance(t, ox.Literal) and t.datatype.value == _XSD + "integer" and \
            re.fullmatch(r"[+-]?\d+", t.value):
        return t.value  # the abbreviated form the TSV format allows for numbers
    return str(t)  # N-Triples syntax, with tabs and newlines escaped


# ---------------------------------------------------------------- the table for a terminal


def abbreviate(iri: str) -> str:
    """An IRI as prefix:name with the display prefixes (id: for the graph's nodes), or <IRI>."""
    return next((f"{p}:{iri[len(ns):]}" for p, ns in DISPLAY_PREFIXES.items()
                 if iri.startswith(ns) and re.fullmatch(r"[\w.\-/]*", iri[len(ns):])),
                f"<{iri}>")


def short(t, width: int = 60) -> str:
    """A term as a reader wants it: prefixed IRIs, bare literal values, on one line."""
    if t is None:
        return ""
    if isinstance(t, ox.NamedNode):
        text = abbreviate(t.value)
    elif isinstance(t, ox.BlankNode):
        text = f"_:{t.value}"
    elif isinstance(t, ox.Literal):
        text = " ".join(t.value.split())
    else:
        text = str(t)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(result: Result, out: TextIO, max_rows: int | None = None, width: int = 60) -> int:
    """Write an aligned table (numbers right-aligned) and return the number of rows."""
    if result.kind == "ask":
        out.write(f"{str(result.boolean).lower()}\n")
        return 1
    rows = list(islice(result.rows, max_rows) if max_rows is not None else result.rows)
    cells = [[short(t, width) for t in row] for row in rows]
    numeric = [bool(rows) and all(isinstance(r[i], ox.Literal) and r[i].datatype.value in _NUMBERS
                                  for r in rows if r[i] is not None)
               for i in range(len(result.variables))]
    widths = [max([len(v)] + [len(c[i]) for c in cells]) for i, v in enumerate(result.variables)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric, strict=True)).rstrip()

    out.write(line(result.variables) + "\n")
    out.write(line(["-" * w for w in widths]) + "\n")
    for c in cells:
        out.write(line(c) + "\n")
    out.write(f"({len(rows)} row{'' if len(rows) == 1 else 's'})\n")
    return len(rows)
