"""SPARQL over exported graphs, with pyoxigraph: the Turtle is parsed once into an indexed
store instead of being rescanned for every question (as rdflib's in-memory engine does)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.export.rdf import PREFIXES

PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(PREFIXES.items()))


class QueryError(Exception):
    """A query or a graph file that cannot be used, in one line."""


def open_store(path: Path) -> ox.Store:
    """An in-memory store loaded from a Turtle file."""
    store = ox.Store()
    try:
        with open(path, "rb") as f:
            store.bulk_load(f, format=ox.RdfFormat.TURTLE)
    except OSError as e:
        raise QueryError(f"{path}: cannot read: {e.strerror or e}") from None
    except SyntaxError as e:
        raise QueryError(f"{path}: not valid Turtle: {e}") from None
    return store


def select(store: ox.Store, query: str) -> list[dict[str, object]]:
    """Rows of a SELECT query as dicts of Python values (str, int, float), prefixes predeclared."""
    try:
        solutions = store.query(PROLOGUE + query)
    except SyntaxError as e:
        raise QueryError(f"SPARQL syntax error: {e}") from None
    names = [v.value for v in solutions.variables]
    return [{n: _py(row[n]) for n in names} for row in solutions]


def _py(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> object:
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype.value.endswith("#integer"):
        return int(term.value)
    return term.value
