"""Relations: what an abstract states between its entities, found from the parse and cue words.

``kg_relations`` reads the typed spans of ``doc.spans["kg"]`` sentence by sentence and writes
``doc._.relations``: `Found` records (kind, head span, tail span, rule). A tail is found by
its position -- the data "on"/"across" which something is evaluated, the data a model is
"trained on", the task a thing is "for", the method "used"/"based on"/"fine-tuned", the system
"outperformed"/"compared with", the metric "improved" -- and lists distribute ("outperforms A,
B and C"). The head is the subject of the clause that states it when that is a name, else the
paper's own contribution: ``head=None`` stands for "we" / "our method" / "the proposed
framework", which the paper-level stage resolves to the entity the paper introduces.

Kinds and the types they relate come from `kg.model.RELATION_KINDS`; a pair of types a kind
does not relate is never proposed.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from kg.model import relation_kind

Doc.set_extension("relations", default=[], force=True)

EVALUATED_ON, TRAINED_ON = relation_kind("evaluated_on"), relation_kind("trained_on")
ADDRESSES, USES = relation_kind("addresses"), relation_kind("uses")
COMPARED_WITH, MEASURED_BY = relation_kind("compared_with"), relation_kind("measured_by")
SYSTEMS = frozenset(USES.heads)
DATA = frozenset(EVALUATED_ON.tails)


@dataclass(frozen=True)
class Found:
    """A relation stated in one sentence: token offsets of its ends; head None = the paper's
    own contribution ("we", "our method")."""

    kind: str
    head: tuple[int, int] | None
    tail: tuple[int, int]
    rule: str
    sentence: tuple[int, int]  # token offsets of the sentence
    author_types: tuple[str, ...] = ()  # for head None: what "our X" says the contribution is


# ---------------------------------------------------------------- cue words (lowercase forms)

#: Words that make "on/across Y" the data a system is evaluated on.
EVAL_CUES = {
    "evaluate", "evaluated", "evaluates", "evaluating", "evaluation", "evaluations",
    "experiment", "experiments", "experimental", "result", "results", "achieve", "achieves",
    "achieved", "achieving", "outperform", "outperforms", "outperformed", "outperforming",
    "surpass", "surpasses", "surpassed", "state-of-the-art", "sota", "performance",
    "performances", "accuracy", "score", "scores", "improve", "improves", "improved",
    "improving", "improvement", "improvements", "test", "tested", "testing", "tests",
    "demonstrate", "demonstrates", "show", "shows", "shown", "report", "reports", "gain",
    "gains", "reach", "reaches", "sets", "exceed", "exceeds", "parity", "competitive",
    "attain", "attains", "benchmark", "benchmarks", "benchmarked", "assess", "assessed",
    "validate", "validated", "validation", "effectiveness", "superior", "enhances", "enhance",
    "boosts", "boost", "yields", "obtain", "obtains", "perform", "performs", "study",
}
#: Verbs (and nouns) of training: "trained on Y", "fine-tuning on Y".
TRAIN_CUES = {
    "train", "trained", "trains", "training", "pretrain", "pretrained", "pre-train",
    "pre-trained", "pretraining", "pre-training", "fine-tune", "fine-tuned", "fine-tunes",
    "fine-tuning", "finetune", "finetuned", "finetunes", "finetuning", "tune", "tuned",
    "tuning", "learn", "learned", "learns", "learnt", "distill", "distilled",
}
#: Words before a method or model that make it something used: "using Y", "based on Y".
USE_CUES = {
    "use", "uses", "used", "using", "utilize", "utilizes", "utilizing", "utilise", "utilises",
    "leverage", "leverages", "leveraging", "employ", "employs", "employing", "adopt",
    "adopts", "adopting", "build", "builds", "built", "based", "extend", "extends",
    "extending", "incorporate", "incorporates", "incorporating", "integrate", "integrates",
    "integrating", "combine", "combines", "combining", "via", "through", "upon", "exploit",
    "exploits", "exploiting", "apply", "applies", "applying", "augment", "augments",
    "inspired", "relies", "rely", "backbone", "initialized", "initialised", "distills",
    "fine-tune", "fine-tunes", "fine-tuning", "finetune", "finetunes", "finetuning",
    "fine-tuned", "finetuned", "with", "from", "guided", "enhanced", "equipped", "adapt",
    "adapts", "adapting", "enables", "enable", "enabling",
}
#: Verbs whose subject is made of their objects: "X consists of A and B".
PART_CUES = {"consists", "consist", "comprises", "comprise", "comprising", "contains",
             "includes", "including", "composed", "components", "component", "stages"}
#: Words that put a system beside another: "outperforms Y", "compared with Y", "Y baselines".
COMPARE_CUES = {
    "outperform", "outperforms", "outperformed", "outperforming", "surpass", "surpasses",
    "surpassed", "surpassing", "beat", "beats", "exceed", "exceeds", "exceeding", "than",
    "compared", "compare", "comparing", "comparison", "versus", "vs", "vs.", "against",
    "parity", "matches", "match", "matching", "rival", "rivals", "par", "comparable",
    "competitive", "trailing", "trails", "unlike", "contrast", "baseline", "baselines",
    "over", "superior", "superiority", "better", "improves", "outperformance",
}
#: Words that make "over Y" a comparison: "improves over Y", "a gain over Y".
IMPROVE_WORDS = {"improve", "improves", "improvement", "improvements", "gain", "gains",
                 "superiority", "advantage", "improving", "improved", "margin"}
#: Verbs whose object is the task a thing is for: "tackles Y", "we apply X to Y".
TASK_VERBS = {
    "tackle", "tackles", "tackling", "solve", "solves", "solving", "address", "addresses",
    "addressing", "target", "targets", "targeting", "handle", "handles", "mitigate",
    "mitigates", "mitigating", "alleviate", "alleviates", "alleviating", "enable", "enables",
    "enabling", "support", "supports", "facilitate", "facilitates", "facilitating",
    "perform", "performs", "excel", "excels", "reduce", "reduces", "prevent", "prevents",
    "overcome", "overcomes", "avoid", "avoids", "improve", "improves", "advance", "advances",
    "study", "studies", "evaluate", "evaluates", "assess", "assesses", "measure", "measures",
}
#: Prepositions that link a thing to the task it is for: "a method for Y", "applied to Y".
TASK_PREPS = {"for", "to", "in", "towards", "toward", "on"}
#: Words that make a metric a measured outcome: "improves accuracy", "a higher F1".
OUTCOME_CUES = EVAL_CUES | {"reduce", "reduces", "reducing", "reduced", "increase",
                            "increases", "increased", "higher", "lower", "better", "best",
                            "measured", "measure", "measures", "terms", "metric", "metrics",
                            "raises", "drops", "maximize", "minimize", "displaying", "boasting"}
#: Subjects that are the authors or their contribution.
AUTHOR_WORDS = {"we", "our", "us", "it", "this", "ours", "proposed", "i"}
#: Nouns that, after "our"/"the proposed", name the paper's contribution and what type it is.
CONTRIBUTION_NOUNS = {
    "method": SYSTEMS, "approach": SYSTEMS, "framework": SYSTEMS, "model": SYSTEMS,
    "models": SYSTEMS, "system": SYSTEMS, "algorithm": SYSTEMS, "technique": SYSTEMS,
    "architecture": SYSTEMS, "pipeline": SYSTEMS, "strategy": SYSTEMS, "agent": SYSTEMS,
    "network": SYSTEMS, "policy": SYSTEMS, "protocol": SYSTEMS, "solution": SYSTEMS,
    "mechanism": SYSTEMS, "module": SYSTEMS, "paradigm": SYSTEMS, "loss": SYSTEMS,
    "dataset": DATA, "benchmark": DATA, "corpus": DATA, "suite": DATA, "data": DATA,
    "work": frozenset(), "paper": frozenset(), "study": frozenset(),
}
#: Links inside one list of names: "A, B and C", "(i.e., A, B)", "such as A".
LIST_GLUE = {",", "and", "or", "&", "(", ")", "i.e.", "e.g.", "i.e", "e.g", "such", "as",
             "including", "like", "namely", "both", "as well", "well"}
#: Verbs whose object, not subject, is evaluated or trained: "we fine-tune X on Y".
OBJECT_HEADED = {"evaluate", "evaluated", "evaluates", "fine-tune", "fine-tuned", "finetune",
                 "fine-tunes", "finetunes", "train", "trained", "trains", "test", "tested",
                 "compare", "pretrain", "pre-train", "tune"}
#: Nouns of quantity: "a mix of A and B", "variants of A".
QUANTITY = {"mix", "mixture", "set", "subset", "variety", "range", "suite", "collection",
            "combination", "variants", "versions", "family", "series", "number", "pair"}
#: How far (tokens) a cue may stand before the list it governs.
CUE_WINDOW = 6


@Language.factory("kg_relations", assigns=["doc._.relations"],
                  requires=["doc.spans", "span._.kg", "token.dep", "token.pos", "doc.sents"])
def make_relations(nlp: Language, name: str) -> Relations:
    return Relations()


class Relations:
    """Find the relations each sentence states between the doc's typed spans."""

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.spans.get("kg", []))
        found: list[Found] = []
        for sent in doc.sents:
            inside = [s for s in spans if sent.start <= s.start and s.end <= sent.end]
            if inside:
                found.extend(_sentence_relations(doc, sent, inside))
        if doc.user_data.get("is_title"):
            found.extend(_title_relations(doc, spans, found))
        doc._.relations = list(dict.fromkeys(found))
        return doc


def _sentence_relations(doc: Doc, sent: Span, spans: list[Span]) -> list[Found]:
    at = {i: s for s in spans for i in range(s.start, s.end)}
    groups = _lists(doc, spans)
    words = {t.lower_ for t in sent}
    out: list[Found] = []

    def add(kind, head: Span | None, tail: Span, rule: str, author: tuple[str, ...] = ()):
        for member in groups.get(tail.start, [tail]):
            if member.label_ not in kind.tails or member is head:
                continue
            if head is not None and not kind.allows(head.label_, member.label_):
                continue
            out.append(Found(kind.name, None if head is None else (head.start, head.end),
                             (member.start, member.end), rule, (sent.start, sent.end),
                             author))

    for span in spans:
        cue = _governor(doc, span, groups)
        context = _context(doc, span, cue, groups, at)
        if span.label_ in DATA:
            _data_relations(doc, span, cue, context, words, at, add)
        elif span.label_ == "Task":
            _task_relations(doc, span, cue, at, add)
        elif span.label_ in SYSTEMS:
            _system_relations(doc, span, cue, context, at, add)
        elif span.label_ == "Metric" and words & OUTCOME_CUES:
            verb = _clause_verb(span.root)
            head, author = _head(doc, verb, at, frozenset(MEASURED_BY.heads), span)
            add(MEASURED_BY, head, span, "measured-by", author)
    return out


def _title_relations(doc: Doc, spans: list[Span], found: list[Found]) -> list[Found]:
    """A title names what the paper is for. "Name: what it is" -- everything after the colon
    describes Name: it addresses the tasks there and uses the methods and models there
    ("Orca: Progressive Learning from ... GPT-4"); otherwise the paper's contribution addresses
    every task the title names that no other name of the title claims ("Predictive ...
    Market Making Architecture for Decentralized Finance")."""
    whole = (0, len(doc))
    colon = next((t.i for t in doc[:8] if t.text == ":"), None)
    named = next((s for s in spans if colon is not None and s.end == colon), None)
    if named is not None and named.label_ in USES.heads:
        head = (named.start, named.end)
        found[:] = [f for f in found if f.head is not None and f.head[0] < colon]
        return [Found(kind.name, head, (s.start, s.end), "title-name", whole)
                for s in spans if s.start > colon
                for kind in (ADDRESSES, USES) if kind.allows(named.label_, s.label_)]
    claimed = {f.tail for f in found if f.kind == ADDRESSES.name}
    return [Found(ADDRESSES.name, None, (s.start, s.end), "title-task", whole)
            for s in spans if s.label_ == "Task" and (s.start, s.end) not in claimed]


def _data_relations(doc: Doc, span: Span, cue: Token | None, context: set[str],
                    words: set[str], at: dict, add) -> None:
    """"trained on Y", "evaluated on Y", "experiments on Y show", "we evaluate X with Y"."""
    if cue is None:
        return
    word = cue.lower_
    verb = _clause_verb(cue)
    if word in ("on", "with", "using", "from") and context & TRAIN_CUES:
        head, author = _head(doc, verb, at, SYSTEMS, span)
        add(TRAINED_ON, head, span, "train-on", author)
    elif word in ("on", "across", "over", "in", "with", "using") and words & EVAL_CUES:
        head, author = _head(doc, verb, at, SYSTEMS, span)
        add(EVALUATED_ON, head, span, "evaluate-on", author)
    elif word in ("evaluate", "evaluates", "evaluated", "test", "tested", "follow",
                  "follows", "use", "using", "uses") or cue.pos_ == "VERB" and word in EVAL_CUES:
        head, author = _head(doc, cue, at, SYSTEMS, span)
        add(EVALUATED_ON, head, span, "evaluate-with", author)


def _task_relations(doc: Doc, span: Span, cue: Token | None, at: dict, add) -> None:
    """"a method for Y", "X tackles Y", "Y benchmarks (i.e., A, B)", "apply X to Y"."""
    if cue is not None and cue.lower_ in TASK_PREPS:
        owner = cue.head
        holder = _name_in(owner, at, ADDRESSES.heads)
        if holder is not None and not _in_contribution(holder) and (
                holder.root.dep_ != "pobj" or owner.pos_ == "PROPN"):
            add(ADDRESSES, holder, span, "for-task")
            return
        verb = owner if owner.pos_ in ("VERB", "AUX") else _clause_verb(owner)
        evaluated = cue.lower_ in ("on", "in", "across") and {
            t.lower_ for t in span.sent} & EVAL_CUES  # "experiments on reasoning tasks show"
        if cue.lower_ in ("for", "towards", "toward") or evaluated or verb.lower_ in (
                "apply", "applied", "applies", "applying") or (
                owner.lower_ in ("results", "performance", "effective", "capabilities")):
            head, author = _head(doc, verb, at, frozenset(ADDRESSES.heads), span)
            add(ADDRESSES, head, span, "for-task", author)
    elif cue is not None and cue.lower_ in TASK_VERBS:
        head, author = _head(doc, cue, at, frozenset(ADDRESSES.heads), span)
        add(ADDRESSES, head, span, "tackles", author)
    nxt = doc[span.end] if span.end < len(doc) else None
    if nxt is not None and nxt.lower_ in ("benchmark", "benchmarks", "dataset", "datasets"):
        for tok in nxt.children:  # "Y benchmarks (i.e., A, B and C)"
            if tok.dep_ == "appos" and at.get(tok.i) is not None:
                add(ADDRESSES, at[tok.i], span, "task-of-data")


def _system_relations(doc: Doc, span: Span, cue: Token | None, context: set[str],
                      at: dict, add) -> None:
    """A method or model that is compared with, made part of, or used by the clause's
    subject (or the paper's own contribution)."""
    if cue is None:
        return
    verb = cue if cue.pos_ in ("VERB", "AUX") else _clause_verb(cue)
    if context & COMPARE_CUES and (cue.lower_ != "over" or context & IMPROVE_WORDS):
        head, author = _head(doc, verb, at, SYSTEMS, span)
        add(COMPARED_WITH, head, span, "compare", author)
    elif context & PART_CUES:
        head, author = _head(doc, verb, at, SYSTEMS, span)
        add(USES, head, span, "part-of", author)
    elif context & USE_CUES - {"with", "from"} or cue.lower_ in USE_CUES or (
            cue.lower_ in ("for", "to") and (cue.head.lower_ in CONTRIBUTION_NOUNS
                                             or verb.lower_ in ("apply", "applying"))):
        head, author = _head(doc, verb, at, SYSTEMS, span)  # "an approach for fine-tuning"
        add(USES, head, span, "use", author)
    elif _in_contribution(span) and not span._.kg.introduced:
        add(USES, None, span, "part-of-name")  # "we propose a GloRe distillation framework"


# ---------------------------------------------------------------- the parse, as pure helpers

def _lists(doc: Doc, spans: list[Span]) -> dict[int, list[Span]]:
    """span start -> the spans of its list: names joined only by list glue ("A, B and C",
    "(i.e., A, B)"), so a relation to one is a relation to each."""
    groups: list[list[Span]] = []
    for span in spans:
        prev = groups[-1][-1] if groups else None
        glue = doc[prev.end:span.start] if prev is not None else None
        if prev is not None and len(glue) <= 8 and all(
                t.lower_ in LIST_GLUE or t.like_num or t.text[:1] in "+-%" or t.text[-1:] == "%"
                for t in glue) and sum(t.lower_ not in LIST_GLUE for t in glue) <= 2:
            groups[-1].append(span)
        else:
            groups.append([span])
    return {s.start: g for g in groups for s in g}


def _governor(doc: Doc, span: Span, groups: dict[int, list[Span]]) -> Token | None:
    """The cue a name depends on: the preposition or verb its list hangs from ("on" in "on
    A and B", "outperforms" in "outperforms A"), from the parse, else the nearest cue word
    just before the list."""
    tok = span.root
    for _ in range(6):
        if tok.dep_ in ("conj", "appos", "compound", "nmod", "amod", "nummod", "dep") and (
                tok.head is not tok):
            tok = tok.head
            continue
        break
    if tok.dep_ == "pobj" and tok.head.lower_ == "of" and tok.head.head.lower_ in QUANTITY:
        tok = tok.head.head  # "a mix of A and B": what holds for the mix holds for each
    if tok.dep_ == "pobj" and tok.head.lower_ in ("as", "like", "including") and (
            tok.head.head.pos_ in ("NOUN", "PROPN")):  # "models such as A": climb to "models"
        tok = tok.head.head
        while tok.dep_ in ("conj", "appos", "compound") and tok.head is not tok:
            tok = tok.head
    if tok.dep_ == "pobj" or tok.dep_ in ("dobj", "nsubjpass", "attr", "oprd") or (
            tok.dep_ == "pcomp"):
        return tok.head
    first = groups.get(span.start, [span])[0]
    for k in range(first.start - 1, max(first.sent.start, first.start - CUE_WINDOW) - 1, -1):
        t = doc[k]
        if t.pos_ in ("ADP", "VERB") or t.lower_ in COMPARE_CUES | USE_CUES | PART_CUES:
            return t
        if t.pos_ not in ("DET", "ADJ", "NUM", "NOUN", "PROPN", "PUNCT", "ADV", "CCONJ"):
            return None
    return None


def _context(doc: Doc, span: Span, cue: Token | None, groups: dict, at: dict) -> set[str]:
    """The cue words that bear on a name: its governor, the governor's head ("based" in
    "based on X"), and the words just before its list in the sentence."""
    first = groups.get(span.start, [span])[0]
    window = doc[max(first.sent.start, first.start - CUE_WINDOW):first.start]
    out = {t.lower_ for t in window if t.i not in at}  # "Competitive ... framework" is a name
    if cue is not None:
        out |= {cue.lower_, cue.head.lower_}
    return out


def _in_contribution(span: Span) -> bool:
    """A name inside the noun phrase of what the authors propose: "we propose a global
    representation (GloRe) distillation framework", "a simple SSP approach, termed MMC"."""
    tok = span.root
    for _ in range(4):
        if tok.dep_ not in ("compound", "nmod", "amod", "appos") or tok.head is tok:
            break
        tok = tok.head
    if tok is span.root or tok.lower_ not in CONTRIBUTION_NOUNS:
        return False
    verb = tok.head
    return tok.dep_ in ("dobj", "pobj", "attr") and (
        _intro_verb(verb) or any(c.lower_ in ("termed", "named", "called", "dubbed")
                                 for c in tok.subtree))


def _intro_verb(tok: Token) -> bool:
    return tok.lower_ in ("propose", "proposes", "present", "presents", "introduce",
                          "introduces", "develop", "develops", "design", "designs",
                          "design", "contribute", "build", "builds", "devise", "of")


def _clause_verb(tok: Token) -> Token:
    """The verb of the clause a token sits in (itself if it is one)."""
    for _ in range(8):
        if tok.pos_ in ("VERB", "AUX") or tok.head is tok:
            return tok
        tok = tok.head
    return tok


def _clause_subject(verb: Token) -> Token | None:
    """The subject of a verb, through conjoined and embedded clauses ("X ... and shows")."""
    for _ in range(4):
        subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "csubj")),
                       None)
        if subject is not None and subject.dep_ == "csubj":  # "X fine-tuned on Y is ..."
            subject = next((c for c in subject.children if c.dep_ == "nsubj"), subject)
        if subject is not None:
            return subject
        if verb.dep_ not in ("conj", "xcomp", "advcl", "acl", "pcomp", "prep", "relcl") or (
                verb.head is verb):
            return None
        verb = verb.head
    return None


def _name_in(tok: Token, at: dict, types) -> Span | None:
    """A name of one of `types` at `tok` or among its compounds ("our CoCo framework")."""
    for t in (tok, *tok.children):
        span = at.get(t.i)
        if span is not None and span.label_ in types and (t is tok or t.dep_ in (
                "compound", "nmod", "amod", "appos", "poss")):
            return span
    return None


def _head(doc: Doc, verb: Token, at: dict, types, tail: Span) -> tuple[Span | None,
                                                                         tuple[str, ...]]:
    """Who states the relation: the name that is the clause's subject (or object of
    "evaluate X on Y"), or None for the paper's own contribution, with the types "our X"
    gives it."""
    if verb.lower_ in OBJECT_HEADED:
        obj = next((c for c in verb.children if c.dep_ in ("dobj", "nsubjpass")), None)
        if obj is not None and obj.pos_ == "PRON" and verb.dep_ == "conj" and (
                verb.head.lower_ in OBJECT_HEADED):  # "we fine-tune X ... and evaluate it"
            return _head(doc, verb.head, at, types, tail)
        span = _name_in(obj, at, types) if obj is not None else None
        if span is None and verb.i < tail.start:  # the parse missed the object: the name
            span = next((at[i] for i in range(verb.i + 1, tail.start)  # between verb and tail
                         if i in at and at[i].label_ in types), None)
        if span is not None and span is not tail:
            return span, ()
    subject = _clause_subject(verb)
    if subject is not None:
        span = _name_in(subject, at, types)
        if span is not None and span.start != tail.start:
            return span, ()
        if subject.lower_ == "which" and subject.head.head is not subject.head:
            span = _name_in(subject.head.head, at, types)
            if span is not None and span.start != tail.start:
                return span, ()
        words = {t.lower_ for t in subject.subtree}
        noun = subject.lower_
        if words & AUTHOR_WORDS or noun in CONTRIBUTION_NOUNS:
            return None, tuple(CONTRIBUTION_NOUNS.get(noun, ()))
        if subject.pos_ == "PRON":
            return None, ()
        for clause in (c for c in verb.children if c.dep_ == "ccomp"):
            inner = _clause_subject(clause)
            span = _name_in(inner, at, types) if inner is not None else None
            if span is not None and span.start != tail.start:
                return span, ()
    return None, ()


def _is_training(cue: Token, verb: Token) -> bool:
    """"trained on Y", "fine-tuning LLaMA on Y", "pre-training with Y"."""
    near = {cue.head.lower_, verb.lower_}
    return bool(near & TRAIN_CUES)
