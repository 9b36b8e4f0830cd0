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

import re
from collections import Counter
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from kg.extract.introduced import INTRO_VERBS, intro_stem
from kg.extract.parse import clause_subject, clause_verb, lists, name_in
from kg.model import relation_kind
from kg.names import name_key

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
    head_name: str = ""  # for head None: a name the head goes by ("SAMI" of "SAMI-trained")


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
    "comparable", "leaderboard", "leaderboards", "rank", "ranks", "ranked", "matches",
    "rivals", "beats", "surpassing", "exceeding",
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
    "adapts", "adapting", "enables", "enable", "enabling", "by", "perform", "performs",
    "performing", "conduct", "conducts", "conducting",
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
#: Verbs whose subject, the name just before them, is the better system: "X outperforms Y".
BEATS = {"outperform", "outperforms", "outperformed", "surpass", "surpasses", "surpassed",
         "beat", "beats", "exceeds", "exceeded", "rivals", "matches"}
#: Verbs of a purpose clause that evaluates systems with data: "use X to evaluate A and B".
PURPOSE_EVAL_VERBS = {"evaluate", "assess", "test", "benchmark", "probe", "compare", "examine"}
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
#: Verbs whose object, not subject, is evaluated or trained: "we fine-tune X on Y".
OBJECT_HEADED = {"evaluate", "evaluated", "evaluates", "fine-tune", "fine-tuned", "finetune",
                 "fine-tunes", "finetunes", "train", "trained", "trains", "test", "tested",
                 "compare", "pretrain", "pre-train", "tune"}
#: Nouns of a group of tasks: "tasks such as A", "three challenges: A, B".
TASK_GROUP_NOUNS = {"tasks", "challenges", "applications", "subtasks",
                    "sub-tasks"}
#: Verbs that put a thing to a task: "we apply X to Y", "transferring X to tasks such as Y".
APPLY_VERBS = {"apply", "applied", "applies", "applying", "transfer", "transfers",
               "transferred", "transferring", "adapt", "adapts", "adapted", "adapting",
               "extend", "extends", "extended", "extending"}
#: Words that join a task to the means of doing it: "Cable Routing through Imitation".
MANNER = {"via", "through", "with", "using", "by"}
#: Nouns of quantity: "a mix of A and B", "variants of A".
QUANTITY = {"mix", "mixture", "set", "subset", "variety", "range", "suite", "collection",
            "combination", "variants", "versions", "family", "series", "number", "pair"}
#: Nouns of data whose members a list names: "ZSAR benchmarks (i.e., A, B)".
DATA_NOUNS = {"benchmark", "benchmarks", "dataset", "datasets", "corpus", "corpora", "suite",
              "suites", "testbed", "testbeds"}
#: Words between a data noun and the list of its members: "like", "such as", "(i.e.,".
MEMBER_OPENERS = {"(", ",", ":", "like", "such", "as", "including", "include", "includes",
                  "namely", "e.g.", "i.e.", "e.g", "i.e", "viz."}
#: How far (tokens) after a data noun its members may start: "benchmarks (i.e., A".
MEMBER_WINDOW = 4
#: Below this vote a name's type is a guess from its shape ("-Net": a model), which its
#: place in the sentence overrides.
WEAK_TYPE = 1.0
#: How far (tokens) a cue may stand before the list it governs.
CUE_WINDOW = 6


@Language.factory("kg_relations", assigns=["doc._.relations"],
                  requires=["doc.spans", "span._.kg", "token.dep", "token.pos", "doc.sents"])
def make_relations(nlp: Language, name: str) -> Relations:
    return Relations()


class Relations:
    """Find the relations each sentence states between the doc's typed spans."""

    def __call__(self, doc: Doc) -> Doc:
        spans = consensus_types(doc, list(doc.spans.get("kg", [])))
        found: list[Found] = []
        for sent in doc.sents:
            inside = [s for s in spans if sent.start <= s.start and s.end <= sent.end]
            if inside:
                found.extend(_sentence_relations(doc, sent, inside))
        if doc.user_data.get("is_title"):
            found.extend(_title_relations(doc, spans, found))
        doc._.relations = list(dict.fromkeys(found))
        return doc


def consensus_types(doc: Doc, spans: list[Span]) -> list[Span]:
    """The spans, each typed as the doc types its name most often: one mention of a task
    typed Benchmark by "ZSAR benchmarks" is still the task the other mentions (and its long
    form) say it is, and the relation rules judge it by that."""
    key = {s.start: name_key(s.text) for s in spans}
    for short, long in doc._.long_forms.items():  # an acronym votes with its long form
        if short[0] in key and long[0] in key:
            key[short[0]] = key[long[0]]
    votes: dict[str, Counter] = {}
    for s in spans:
        votes.setdefault(key[s.start], Counter())[s.label_] += 1
    out = []
    for s in spans:
        (top, n), *rest = votes[key[s.start]].most_common()
        if top != s.label_ and n > votes[key[s.start]][s.label_] and (not rest or rest[0][1] < n):
            s = Span(doc, s.start, s.end, label=top)  # span._.kg is keyed by offsets: kept
        out.append(s)
    return out


def _sentence_relations(doc: Doc, sent: Span, spans: list[Span]) -> list[Found]:
    at = {i: s for s in spans for i in range(s.start, s.end)}
    groups = lists(doc, spans)
    words = {t.lower_ for t in sent}
    out: list[Found] = []

    def add(kind, head: Span | None, tail: Span, rule: str, author: tuple[str, ...] = (),
            head_name: str = "", alone: bool = False):
        for member in [tail] if alone else [  # the tail as given: it may be retyped
                tail if m.start == tail.start else m for m in groups.get(tail.start, [tail])]:
            if member.label_ not in kind.tails or member is head:
                continue
            if head is not None and not kind.allows(head.label_, member.label_):
                continue
            out.append(Found(kind.name, None if head is None else (head.start, head.end),
                             (member.start, member.end), rule, (sent.start, sent.end),
                             author, head_name))

    for span in spans:
        cue = _governor(doc, span, groups)
        if cue is not None and any(c.dep_ == "neg" for c in clause_verb(cue).children):
            continue  # "classical ANN does not use a curriculum" states no relation
        context = _context(doc, span, cue, groups, at)
        if span.label_ in SYSTEMS and cue is not None and cue.lower_ == "on" and (
                words & EVAL_CUES) and span._.kg.best[1] < WEAK_TYPE:
            span = Span(doc, span.start, span.end, label="Dataset")  # "ResNet18 on
            # TinyImageNet": a name typed only by its shape, in the data's place, is data
        if span.label_ != "Metric":
            _data_for_task(doc, span, at, groups, add)
        if span.label_ in DATA:
            _data_relations(doc, span, cue, context, words, at, groups, add)
        elif span.label_ == "Task":
            _task_relations(doc, span, cue, at, groups, add)
        elif span.label_ in SYSTEMS:
            _system_relations(doc, span, cue, context, at, add)
        elif span.label_ == "Metric" and words & OUTCOME_CUES:
            verb = clause_verb(span.root)
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
    out = []
    for task in (s for s in spans if s.label_ == "Task"):  # "Cable Routing through X"
        by = next((s for s in spans if s.label_ in SYSTEMS and 0 < s.start - task.end <= 2
                   and doc[s.start - 1].lower_ in MANNER), None)
        if by is not None:
            out.append(Found(ADDRESSES.name, (by.start, by.end), (task.start, task.end),
                             "title-means", whole))
        elif (task.start, task.end) not in claimed:
            out.append(Found(ADDRESSES.name, None, (task.start, task.end), "title-task", whole))
    return out


def _data_relations(doc: Doc, span: Span, cue: Token | None, context: set[str],
                    words: set[str], at: dict, groups: dict, add) -> None:
    """"trained on Y", "evaluated on Y", "experiments on Y show", "we evaluate X with Y"."""
    if cue is None:
        return
    word = cue.lower_
    verb = clause_verb(cue)
    if word in ("on", "with", "using", "from") and context & TRAIN_CUES:
        head, author = _head(doc, verb, at, SYSTEMS, span)
        add(TRAINED_ON, head, span, "train-on", author)
    elif word in ("on", "across", "over", "in", "with", "using") and words & EVAL_CUES or (
            word in ("on", "for", "across") and _fronted(doc, cue, span)):
        before = at.get(cue.i - 1)  # "ResNet18 on TinyImageNet": the system just before
        if before is not None and before.label_ in SYSTEMS and word == "on":
            add(EVALUATED_ON, before, span, "system-on")
        head, author = _head(doc, verb, at, SYSTEMS, span)
        add(EVALUATED_ON, head, span, "evaluate-on", author)
    elif word in ("evaluate", "evaluates", "evaluated", "test", "tested", "follow",
                  "follows", "use", "using", "uses") or cue.pos_ == "VERB" and word in EVAL_CUES:
        evaluated = _evaluated_systems(doc, cue, at, groups)
        for system in evaluated:
            add(EVALUATED_ON, system, span, "evaluate-systems")
        if not evaluated:
            head, author = _head(doc, cue, at, SYSTEMS, span)
            add(EVALUATED_ON, head, span, "evaluate-with", author)


def _fronted(doc: Doc, cue: Token, span: Span) -> bool:
    """"For the ADNI dataset, X gives 0.84": data fronted at the head of its sentence is
    what the rest of the sentence reports on."""
    return cue.i == cue.sent.start and any(t.text == "," for t in doc[span.end:span.end + 3])


def _evaluated_systems(doc: Doc, cue: Token, at: dict, groups: dict) -> list[Span]:
    """The systems a purpose clause evaluates with the data: "we follow CogEval to evaluate
    planning across eight LLMs (A, B, ...)", "we use X to benchmark A and B"."""
    purpose = next((c for c in cue.children if c.dep_ in ("xcomp", "advcl")
                    and c.lower_ in PURPOSE_EVAL_VERBS), None)
    if purpose is None:
        return []
    first = next((at[t.i] for t in doc[purpose.i + 1:cue.sent.end]
                  if t.i in at and at[t.i].label_ in SYSTEMS), None)
    return [] if first is None else groups.get(first.start, [first])


def _data_for_task(doc: Doc, span: Span, at: dict, groups: dict, add) -> None:
    """"three ZSAR benchmarks (i.e., A, B and C)", "reasoning benchmarks like BBH": a name
    that modifies a data noun whose members are listed names is the task they are for,
    whatever type its other mentions gave it."""
    if span.end >= span.sent.end or doc[span.end].lower_ not in DATA_NOUNS:
        return
    for k in range(span.end + 1, min(span.end + 1 + MEMBER_WINDOW, span.sent.end)):
        member = at.get(k)
        if member is not None:
            task = Span(doc, span.start, span.end, label="Task")
            for data in groups.get(member.start, [member]):
                if data.label_ in DATA:
                    add(ADDRESSES, data, task, "task-of-data", alone=True)
            return
        if doc[k].lower_ not in MEMBER_OPENERS:
            return


def _task_relations(doc: Doc, span: Span, cue: Token | None, at: dict, groups: dict,
                    add) -> None:
    """"a method for Y", "X tackles Y", "apply X to Y", "tasks such as Y"."""
    if cue is not None and cue.lower_ in TASK_PREPS:
        owner = cue.head
        holder = name_in(owner, at, ADDRESSES.heads)
        if holder is not None and not _in_contribution(holder) and (
                holder.root.dep_ != "pobj" or owner.pos_ == "PROPN"):
            add(ADDRESSES, holder, span, "for-task")
            return
        verb = owner if owner.pos_ in ("VERB", "AUX") else clause_verb(owner)
        evaluated = cue.lower_ in ("on", "in", "across") and {
            t.lower_ for t in span.sent} & EVAL_CUES  # "experiments on reasoning tasks show"
        if cue.lower_ in ("for", "towards", "toward") or evaluated or (
                verb.lower_ in APPLY_VERBS) or (
                owner.lower_ in ("results", "performance", "effective", "capabilities")):
            head, author = _head(doc, verb, at, frozenset(ADDRESSES.heads), span)
            add(ADDRESSES, head, span, "for-task", author)
    elif cue is not None and cue.lower_ in TASK_VERBS:
        head, author = _head(doc, cue, at, frozenset(ADDRESSES.heads), span)
        add(ADDRESSES, head, span, "tackles", author)
    elif (group := _task_group(doc, span, groups)) is not None:
        head, author = _head(doc, clause_verb(group), at, frozenset(ADDRESSES.heads), span)
        add(ADDRESSES, head, span, "task-of-group", author)


def _task_group(doc: Doc, span: Span, groups: dict) -> Token | None:
    """The noun of tasks a task is one of: "a stream of visual classification tasks", "three
    challenges: A, B and C", "tasks such as A" -- what holds the group addresses each."""
    first = groups.get(span.start, [span])[0]
    if first.start > 1 and doc[first.start - 1].text == ":" and (
            doc[first.start - 2].lower_ in TASK_GROUP_NOUNS):  # whatever the parse says
        return doc[first.start - 2]
    tok = span.root
    for _ in range(6):
        if tok.lower_ in TASK_GROUP_NOUNS and tok is not span.root:
            return tok
        if tok.dep_ == "pobj" and tok.head.lower_ in ("as", "like", "including", "from", "to"):
            tok = tok.head.head.head if tok.head.head.lower_ == "such" else tok.head.head
        elif tok.dep_ in ("compound", "conj", "appos", "nmod", "amod") and tok.head is not tok:
            tok = tok.head
        else:
            return None
    return None


def _system_relations(doc: Doc, span: Span, cue: Token | None, context: set[str],
                      at: dict, add) -> None:
    """A method or model that is compared with, made part of, or used by the clause's
    subject (or the paper's own contribution)."""
    acting = next((at[c.i] for c in span.root.head.children if c.dep_ == "dobj"
                   and c.i in at and at[c.i] is not span and at[c.i].label_ == "Model"), None)
    if acting is None and span.end < span.sent.end:  # "fine-tuning GPT-3.5 Turbo", unparsed
        after = at.get(span.end + (doc[span.end].pos_ == "DET"))
        acting = after if after is not None and after.label_ == "Model" else None
    if span.root.tag_ == "VBG" and span.label_ == "Method" and acting is not None:
        add(USES, span, acting, "method-on-model")  # "fine-tuning GPT-3.5 Turbo"
    kind_of = _kind_of(span, at)
    if kind_of is not None:  # "DQN, a deep reinforcement learning agent": DQN uses it
        add(USES, kind_of, span, "kind-of")
    trained_by = _trained_by(doc, span)
    if trained_by:  # "a SAMI-trained mistral-7b": SAMI uses mistral-7b
        add(USES, None, span, "trained-by", head_name=trained_by)
    if cue is None:
        return
    verb = cue if cue.pos_ in ("VERB", "AUX") else clause_verb(cue)
    holder = name_in(cue.head, at, SYSTEMS) if cue.dep_ == "acl" and cue.head is not cue else None
    if holder is not None and holder.start != span.start and context & USE_CUES:
        add(USES, holder, span, "use")  # "distillation using the Llama-3.1-405B teacher"
    elif context & COMPARE_CUES and (cue.lower_ != "over" or context & IMPROVE_WORDS):
        before = at.get(cue.i - 1) if cue.lower_ in BEATS and cue.pos_ != "VERB" else None
        if before is not None and before.label_ in SYSTEMS and before is not span:
            add(COMPARED_WITH, before, span, "compare")  # "X outperforms Y", parsed as nouns
        else:
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
    elif _in_contribution(span):  # "we propose a GloRe distillation framework, termed X"
        named = _named_contribution(span, at)
        if named is not None and named.start != span.start:
            add(USES, named, span, "part-of-name")
        elif named is None and not span._.kg.introduced:
            add(USES, None, span, "part-of-name")


# ---------------------------------------------------------------- cues around a name

def _kind_of(span: Span, at: dict) -> Span | None:
    """The name an apposition describes as built on this method or model: "DQN, a deep
    reinforcement learning agent", "X, a transformer-based model" -> X."""
    tok = span.root
    while tok.dep_ in ("compound", "amod", "nmod") and tok.head is not tok:
        tok = tok.head
    if tok is span.root or tok.dep_ != "appos" or tok.lower_ not in CONTRIBUTION_NOUNS:
        return None
    named = at.get(tok.head.i)
    return named if named is not None and named.label_ in SYSTEMS and named is not span else None


def _trained_by(doc: Doc, span: Span) -> str:
    """The name in a "<Name>-trained" (-tuned, -finetuned, -based) word just before a model
    or method: what it was made with."""
    prev = doc[span.start - 1] if span.start > 0 else None
    if prev is None:
        return ""
    m = re.fullmatch(r"(.+?)-(trained|tuned|finetuned|fine-tuned|based|distilled)", prev.text)
    return m[1] if m and any(c.isupper() for c in m[1]) else ""


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
        intro_stem(verb.lower_) in INTRO_VERBS or verb.lower_ == "of"  # "a benchmark of X"
        or any(c.lower_ in ("termed", "named", "called", "dubbed")
                                 for c in tok.subtree))


def _named_contribution(span: Span, at: dict) -> Span | None:
    """The name a contribution noun phrase is given ("..., termed GloReDi")."""
    tok = span.root
    while tok.dep_ in ("compound", "nmod", "amod", "appos") and tok.head is not tok:
        tok = tok.head
    for t in tok.subtree:
        if t.lower_ in ("termed", "named", "called", "dubbed"):
            return next((at[c.i] for c in t.subtree if c.i in at and c.i > t.i), None)
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
        span = name_in(obj, at, types) if obj is not None else None
        if span is None and verb.i < tail.start:  # the parse missed the object: the name
            span = next((at[i] for i in range(verb.i + 1, tail.start)  # between verb and tail
                         if i in at and at[i].label_ in types), None)
        if span is not None and span is not tail:
            return span, ()
    subject = clause_subject(verb) or clause_subject(verb.sent.root)  # attached too low:
    if subject is not None:  # "X outperforms Y without using any demonstration achieving Z"
        span = name_in(subject, at, types)
        if span is not None and span.start != tail.start:
            return span, ()
        if subject.lower_ == "which" and subject.head.head is not subject.head:
            antecedent = subject.head.head
            if antecedent.dep_ == "pobj" and antecedent.head.lower_ == "for" and (
                    antecedent.head.head.lower_ in CONTRIBUTION_NOUNS):  # "a framework for
                antecedent = antecedent.head.head  # ZSAR, which consists of": the framework
            span = name_in(antecedent, at, types)
            if span is not None and span.start != tail.start:
                return span, ()
            if antecedent.lower_ in CONTRIBUTION_NOUNS:
                return None, tuple(CONTRIBUTION_NOUNS[antecedent.lower_])
        words = {t.lower_ for t in subject.subtree}
        noun = subject.lower_
        if words & AUTHOR_WORDS or noun in CONTRIBUTION_NOUNS:
            return None, tuple(CONTRIBUTION_NOUNS.get(noun, ()))
        inside = next((at[t.i] for t in subject.subtree if t.i in at and at[t.i].label_ in types
                       and at[t.i].start != tail.start), None) if subject.tag_ == "VBG" else None
        if inside is not None:  # "Learning X with a flow matching policy leads to better ..."
            return inside, ()
        if subject.pos_ == "PRON":
            return None, ()
        for clause in (c for c in verb.children if c.dep_ == "ccomp"):
            inner = clause_subject(clause)
            span = name_in(inner, at, types) if inner is not None else None
            if span is not None and span.start != tail.start:
                return span, ()
    else:  # no subject parsed: "Our X fine-tuned on ... is comparable with Y": X, the paper's
        sent = verb.sent
        owned = at.get(sent.start + 1) if sent[0].lower_ == "our" and len(sent) > 1 else None
        if owned is not None and owned.start == sent.start + 1 and owned.label_ in types and (
                owned.start != tail.start):
            return owned, ()
    return None, ()
