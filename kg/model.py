"""The data model every stage shares: papers read, mentions and relations found, entities
resolved, and the one table of the kinds of edge between them.

Free of spaCy, so resolution, the graph, the exporters and the queries load without the
extractor. Extraction records are plain frozen dataclasses: they pickle (to worker processes)
and round-trip through JSON (`as_dict` / `from_dict`, for the extraction cache).

The relation-kind table `RELATION_KINDS` is where a kind of edge is defined, once: the graph
keys its edges by kind name, and the Turtle export, the ontology check, the SHACL shapes,
`kg stats`, `kg validate` and the HTML page read their properties, labels and styles from it.
Looking up a name that is not in it (`relation_kind`) raises at once, at import time where
modules look their kinds up, rather than in a user's query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from typing import Any, NamedTuple

TYPES = ("Dataset", "Benchmark", "Model", "Method", "Task", "Metric")
TEXT_FIELDS = ("title", "abstract")
ARXIV_ID = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/|arxiv:)(\d{4}\.\d{4,5})", re.I)


@dataclass(frozen=True)
class Paper:
    """One paper as read from the input; `id` is stable across runs and re-orderings."""

    id: str
    title: str
    abstract: str
    url: str = ""
    date: str = ""
    authors: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    @property
    def arxiv_id(self) -> str:
        m = ARXIV_ID.search(self.url) or ARXIV_ID.search(self.id)
        return m.group(1) if m else ""

    def text(self, field_name: str) -> str:
        return self.title if field_name == "title" else self.abstract


@dataclass(frozen=True)
class Mention:
    """One occurrence of an entity name in a paper, with the evidence for it."""

    paper_id: str
    text: str
    field: str  # "title" or "abstract"
    start: int  # character offsets into that field
    end: int
    sentence: str
    type: str  # the type its own evidence favours
    evidence: str  # the rules that typed it, e.g. "head:dataset" or "appos:benchmark"
    votes: tuple[tuple[str, float], ...]  # every type its evidence supports, with weights
    introduced: bool = False
    long_form: str = ""  # for an acronym defined in this paper: its long form
    name: str = ""  # the name it stands for when not its text: "CIFAR100" for the "100" of
    # "CIFAR10&100", "B-Coder" for "$\\mathcal{B}$-Coder"

    @property
    def key_name(self) -> str:
        """The name resolution works with."""
        return self.name or self.text

    @property
    def ref(self) -> MentionRef:
        return (self.field, self.start)


#: A mention within its paper: (field, start offset). Relations point at mentions this way.
MentionRef = tuple[str, int]


@dataclass(frozen=True)
class Relation:
    """A relation one paper states between two of its mentions (head -> tail)."""

    paper_id: str
    kind: str  # an entity-to-entity kind of RELATION_KINDS
    head: MentionRef
    tail: MentionRef
    sentence: str  # the evidence a reader checks
    rule: str  # the pattern that found it, e.g. "evaluate-on" or "outperform"


@dataclass(frozen=True)
class Result:
    """A number one paper reports as an outcome, and what it is tied to (mentions of the
    paper; `system` None = nobody the text names)."""

    paper_id: str
    value: str  # as written: "84.2%", "+3.06", "4 pts"
    number: float  # normalised, sign kept for a gain: 84.2, 3.06, -2.6
    unit: str  # "%", "points", "x", "dB", "BLEU" or ""
    kind: str  # "score" (a level reached), "gain" (a difference) or "other"
    field: str
    start: int  # character offsets of the value in its field
    end: int
    sentence: str
    rule: str
    system: MentionRef | None = None
    dataset: MentionRef | None = None
    metric: MentionRef | None = None
    compared_to: MentionRef | None = None

    @property
    def roles(self) -> dict[str, MentionRef]:
        """Role (a result-scope kind of RELATION_KINDS) -> the mention it points at."""
        return {name: ref for name in RESULT_ROLES if (ref := getattr(self, name))}


@dataclass(frozen=True)
class Extraction:
    """Everything the extractor found in one paper, as plain records."""

    paper_id: str
    mentions: tuple[Mention, ...] = ()
    relations: tuple[Relation, ...] = ()
    results: tuple[Result, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Extraction:
        """The inverse of `as_dict` (JSON turns tuples into lists; this turns them back)."""
        return cls(paper_id=d["paper_id"],
                   mentions=tuple(_record(Mention, m) for m in d["mentions"]),
                   relations=tuple(_record(Relation, r) for r in d["relations"]),
                   results=tuple(_record(Result, r) for r in d.get("results", ())))


def _tupled(v: Any) -> Any:
    return tuple(_tupled(x) for x in v) if isinstance(v, list) else v


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _record(cls: type, d: dict[str, Any]):
    # called for every cached record of a build: only lists need converting
    return cls(**{name: _tupled(d[name]) if type(d[name]) is list else d[name]
                  for name in _field_names(cls) if name in d})


class Name(NamedTuple):
    """What resolution reads of a `Mention` (which it also takes as it is): the cache keeps
    these apart, so the passes over a whole corpus need not decode every record."""

    key_name: str
    long_form: str
    votes: Sequence[Sequence]  # (type, weight) pairs


@dataclass
class Entity:
    """A canonical entity with every mention that resolved to it."""

    key: str
    type: str
    label: str
    aliases: list[str]
    mentions: list[Mention] = field(repr=False)
    variant_of: str = ""  # the key of its family's entity: Llama-3-8B -> Llama-3

    @property
    def papers(self) -> list[str]:
        return sorted({m.paper_id for m in self.mentions})

    @property
    def introduced_by(self) -> list[str]:
        return sorted({m.paper_id for m in self.mentions if m.introduced})


# ---------------------------------------------------------------- kinds of edge

_SYSTEMS = ("Model", "Method")
_DATA = ("Dataset", "Benchmark")


@dataclass(frozen=True)
class RelationKind:
    """One kind of edge of the graph.

    scope: "paper" (paper -> entity, with the mentions as evidence), "entity" (entity ->
    entity: stated by papers, with their sentences, or found by resolution with none),
    "result" (a reported number -> the entity it belongs to, is on, is measured by or is
    compared to), or "derived" (computed by the graph stage, drawn by the HTML page, not
    exported to RDF).
    """

    name: str
    scope: str
    prop: str  # local name of the RDF property in the kg: namespace ("" when not exported)
    label: str  # read from the head: "X evaluated on Y"
    inverse: str  # read from the tail: "Y evaluates X"
    comment: str  # the ontology's rdfs:comment
    heads: tuple[str, ...] = ()  # entity types allowed at each end (entity scope)
    tails: tuple[str, ...] = ()
    sub_of: str = ""  # a kind whose property this one's is a sub-property of (stated too)
    #: what a statement of this kind reads as when resolution types its ends so that this
    #: kind does not fit them, first fitting wins ("evaluated on X", X a task: addresses X)
    read_as: tuple[str, ...] = ()
    style: dict = field(default_factory=dict, compare=False)  # vis-network edge options

    def allows(self, head_type: str, tail_type: str) -> bool:
        return head_type in self.heads and tail_type in self.tails


def _arrow(colour: str, width: float = 1.6, dashes: list[int] | None = None) -> dict:
    style = {"color": {"color": colour, "opacity": 0.85}, "width": width,
             "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}}
    return {**style, "dashes": dashes} if dashes else style


RELATION_KINDS: tuple[RelationKind, ...] = (
    RelationKind(
        "mentions", "paper", "mentions", "mentions", "mentioned by",
        "The paper's title or abstract names the entity.",
        style={"color": {"color": "#9a9a9a", "opacity": 0.45}, "width": 1,
               "arrows": {"to": {"enabled": False}}}),
    RelationKind(
        "introduces", "paper", "introduces", "introduces", "introduced by",
        "The paper proposes, introduces or releases the entity (\"we propose X\", \"dubbed "
        "X\", the title's name). Every introduces edge is also stated as kg:mentions.",
        sub_of="mentions",
        style={"color": {"color": "#555555", "opacity": 0.9}, "width": 2.2,
               "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}}}),
    RelationKind(
        "evaluated_on", "entity", "evaluatedOn", "evaluated on", "evaluates",
        "A paper evaluates the model or method on the dataset or benchmark (\"we evaluate X "
        "on Y\", \"X achieves 85% on Y\", \"experiments on Y show that X ...\").",
        _SYSTEMS, _DATA, read_as=("addresses",), style=_arrow("#4e79a7", 2.0)),
    RelationKind(
        "trained_on", "entity", "trainedOn", "trained on", "trains",
        "A paper trains, pre-trains or fine-tunes the model or method on the dataset.",
        _SYSTEMS, ("Dataset",), read_as=("evaluated_on", "addresses"),
        style=_arrow("#76b7b2", 2.0)),
    RelationKind(
        "addresses", "entity", "addresses", "addresses", "addressed by",
        "The model, method, dataset or benchmark is for the task (\"X for Y\", \"a "
        "benchmark for Y\", \"we apply X to Y\").",
        (*_SYSTEMS, *_DATA), ("Task",), style=_arrow("#b07aa1", 1.4, [6, 3])),
    RelationKind(
        "uses", "entity", "uses", "uses", "used by",
        "The model or method builds on, extends, fine-tunes, distils or has as a component "
        "the other model or method.",
        _SYSTEMS, _SYSTEMS, read_as=("addresses", "evaluated_on"), style=_arrow("#f28e2b", 1.6)),
    RelationKind(
        "compared_with", "entity", "comparedWith", "compared with", "compared with",
        "A paper compares the model or method with the other one (\"X outperforms Y\", "
        "\"Y as baselines\"); the head is the paper's own or the better system.",
        _SYSTEMS, _SYSTEMS, read_as=("evaluated_on",), style=_arrow("#e15759", 1.4, [2, 3])),
    RelationKind(
        "measured_by", "entity", "measuredBy", "measured by", "measures",
        "The model, method, task, dataset or benchmark is measured with the metric.",
        (*_SYSTEMS, "Task", *_DATA), ("Metric",), style=_arrow("#c9a227", 1.4, [4, 2])),
    RelationKind(
        "variant_of", "entity", "variantOf", "variant of", "has variant",
        "The entity is a size, version, checkpoint or fine-tune of the other, its family "
        "(Llama-3-8B of Llama-3, BERT-large of BERT, ResNet-50 of ResNet). Found by "
        "resolution from the names, or declared in a curation file; no paper states it.",
        ("Dataset", "Benchmark", "Model", "Method"), ("Dataset", "Benchmark", "Model", "Method"),
        style=_arrow("#9c755f", 1.2, [1, 3])),
    RelationKind(
        "system", "result", "system", "result of", "reports",
        "The model or method whose result the number is (the paper's own when the text says "
        "\"our method\").", tails=_SYSTEMS, style=_arrow("#e15759", 1.2)),
    RelationKind(
        "dataset", "result", "dataset", "result on", "results on it",
        "The dataset or benchmark the result is on.", tails=_DATA,
        style=_arrow("#4e79a7", 1.2)),
    RelationKind(
        "metric", "result", "metric", "measured by", "results measured by it",
        "The metric the result is measured by.", tails=("Metric",),
        style=_arrow("#c9a227", 1.2)),
    RelationKind(
        "compared_to", "result", "comparedTo", "relative to", "results relative to it",
        "The model or method a gain is relative to (\"+4.4 points over X\").", tails=_SYSTEMS,
        style=_arrow("#9c755f", 1.2, [2, 3])),
    RelationKind(
        "co_occurs", "derived", "", "co-occurs with", "co-occurs with",
        "Both entities are mentioned by the same papers (weight: how many).",
        style={"color": {"color": "#7f9fbf", "opacity": 0.35}, "dashes": [3, 4],
               "arrows": {"to": {"enabled": False}}}),
)
RELATIONS: dict[str, RelationKind] = {k.name: k for k in RELATION_KINDS}
PAPER_KINDS = tuple(k.name for k in RELATION_KINDS if k.scope == "paper")
ENTITY_KINDS = tuple(k.name for k in RELATION_KINDS if k.scope == "entity")
RESULT_ROLES = tuple(k.name for k in RELATION_KINDS if k.scope == "result")
#: The kinds of result a number can be.
RESULT_KINDS = ("score", "gain", "other")
if not set(RESULT_ROLES) <= {f.name for f in fields(Result)}:  # a role with nowhere to live
    raise TypeError(f"result roles {RESULT_ROLES} must be fields of Result")


if {r for k in RELATION_KINDS for r in k.read_as} - set(ENTITY_KINDS):
    raise TypeError("a kind may read only as an entity -> entity kind")


def fitting_kind(name: str, head_type: str, tail_type: str) -> str | None:
    """The kind a statement of kind `name` has between ends of these (resolved) types: its
    own, else the first of its `read_as` that fits; None when none does."""
    kind = relation_kind(name)
    return next((k for k in (name, *kind.read_as) if RELATIONS[k].allows(head_type, tail_type)),
                None)


def relation_kind(name: str) -> RelationKind:
    """The kind called `name`; a name outside the table is a programming error, raised now."""
    try:
        return RELATIONS[name]
    except KeyError:
        raise KeyError(f"no relation kind {name!r} (kinds: {', '.join(RELATIONS)})") from None
