"""``kg validate``: check an exported graph against the SHACL shapes of a valid export
(``ontology/shapes.ttl``) with pyshacl, and report each violation on one readable line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF

from kg.query import abbreviate

SH = Namespace("http://www.w3.org/ns/shacl#")
#: The shapes of a valid export, shipped inside the package (ontology/ at the top of the
#: repository is the published copy of the same files).
SHAPES = Path(__file__).resolve().parent / "ontology" / "shapes.ttl"


class ValidationError(Exception):
    """A graph or shapes file that cannot be read, in one line."""


@dataclass(frozen=True, order=True)
class Violation:
    focus: str  # the node that breaks a shape
    message: str
    path: str = ""
    value: str = ""

    def line(self) -> str:
        path = f" {self.path}:" if self.path else ""
        value = f" [{self.value}]" if self.value and self.value not in self.message else ""
        return f"{self.focus}{path} {self.message}{value}"


@dataclass
class Report:
    conforms: bool
    violations: list[Violation]
    counts: dict[str, int]  # papers, entities, mentions: what was checked
    text: str  # pyshacl's own report


def validate(graph: Path, shapes: Path = SHAPES) -> Report:
    """Validate a Turtle file against the shapes; the violations come sorted by node."""
    from pyshacl import validate as shacl_validate

    data, shapes_graph = _parse(graph), _parse(shapes)
    conforms, results, text = shacl_validate(data, shacl_graph=shapes_graph, inference="none",
                                             allow_warnings=False)
    violations = sorted({
        Violation(focus=_short(results.value(r, SH.focusNode), results),
                  message=re.sub(r"https?://[^\s\"'<>]+", lambda m: abbreviate(m[0]),
                                 str(results.value(r, SH.resultMessage) or "violates " + _short(
                                     results.value(r, SH.sourceConstraintComponent), results))),
                  path=_short(results.value(r, SH.resultPath), results),
                  value=_short(results.value(r, SH.value), results))
        for r in results.subjects(RDF.type, SH.ValidationResult)})
    kg = Namespace("https://w3id.org/paperkg/ontology#")
    counts = {name: len(set(data.subjects(RDF.type, cls))) for name, cls in
              (("papers", kg.Paper), ("mentions", kg.Mention))}
    counts["entities"] = len({e for c in ("Dataset", "Benchmark", "Model", "Method", "Task",
                                          "Metric") for e in data.subjects(RDF.type, kg[c])})
    return Report(bool(conforms), violations, counts, text)


def _parse(path: Path) -> Graph:
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file") from None
    except OSError as e:
        raise ValidationError(f"{path}: cannot read: {e.strerror or e}") from None
    except Exception as e:  # rdflib's parse errors have no common base class
        raise ValidationError(f"{path}: not valid Turtle: {str(e).splitlines()[0]}") from None
    return g


def _short(term, results: Graph) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return abbreviate(str(term))
    if isinstance(term, BNode) and (inverse := results.value(term, SH.inversePath)):
        return "^" + _short(inverse, results)
    return str(term)
