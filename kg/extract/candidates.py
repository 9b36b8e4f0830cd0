"""Candidates: every span that could name an entity, with an `Evidence` record to vote on.

``kg_candidates`` proposes acronym definitions and their long forms, runs of name-like and
capitalised tokens ("Tiny ImageNet", "Llama-3 8B"), a title's "Name: subtitle" name,
technical noun phrases whose head is a term head ("offline reinforcement learning"), "the X
task" phrases and lexicon names; overlapping candidates keep the acronym definitions, then the
longest. The kept spans go to ``doc.spans["kg_candidates"]``, each with its evidence as
``span._.kg``; the acronym -> long form offsets to ``doc._.long_forms``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from kg.extract.introduced import INTRO_VERBS, PROPOSED_TERM, intro_stem
from kg.extract.lexicon import (
    HARDWARE,
    HEADS,
    LANGUAGES,
    NAMING,
    ORGANISATIONS,
    RESEARCH_FIELDS,
    SPECIFICITY,
    TYPE_NOUNS,
)
from kg.extract.shapes import (
    JUNK,
    MODIFIER_SUFFIX,
    SIZE,
    VARIANTS,
    VERSION,
    is_capitalised,
    is_namelike,
    term_head,
)
from kg.model import TYPES

Span.set_extension("kg", default=None, force=True)  # the Evidence of a candidate span
Doc.set_extension("long_forms", default={}, force=True)  # acronym -> long form token offsets

#: Small words inside a title-case name: "Learning without Forgetting via Replayed Vocabulary".
INNER = {"of", "for", "without", "via", "with", "in", "on", "from", "to", "by"}
#: Words that end a title's name without being part of it: "Qwen2.5-Math Technical Report".
DOCUMENT_WORDS = {"technical", "report", "survey", "review", "study", "overview", "tutorial",
                  "primer", "paper"}


# Vote weights: how far each cue is trusted. A vote of 3 decides a type alone; cues of 1.5-2.5
# decide it unless a stronger one disagrees; below 1, a cue only breaks ties.
W_LEXICON = 3.0  # a widely known name of the lexicon is what the lexicon says it is
W_APPOSITION = 3.0  # "X, a benchmark for ...": the text defines it
W_FAMILY = 2.5  # LLaMA-3-70B is of the LLaMA family's type; a version may drift (-Instruct)
W_TYPE_NOUN = 2.0  # "the Zorblat dataset", "a process reward model": its own or next noun
W_LIST_NOUN = 2.0  # "datasets such as X": a list introduced by its kind
W_SIZE = 2.0  # "-7B", "13B": only models have parameter counts
W_HEAD = 1.5  # a term's head word ("... detection" is a task), overruled by a type noun
W_NEAR_NOUN = 1.5  # "benchmark X", "X and Y datasets": a type noun a step away
W_TASK_PHRASE = 1.0  # "the cable routing task"
W_DATA_CONTEXT = 1.0  # "trained on X", "experiments on X": usually data, sometimes a setting
W_LIST_OF = 1.0  # an untyped name listed among typed ones takes their type
W_SUFFIX = 0.8  # how coined names end (-Bench, -GPT): a hint, often wrong alone
W_SHAPE = 0.3  # capitals or digits say "a name", and Method is the commonest named thing
W_TITLE_PREFIX = 0.3  # "Name: subtitle": a name, of no particular type
W_PROPOSED = 1.0  # "we propose procedure cloning, which ...": mostly a method, often a task


@dataclass
class Evidence:
    """What the rules found about one candidate span: type votes, the rules behind them, and
    whether the paper introduces it."""

    votes: dict[str, float] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    introduced: bool = False
    long_form: str = ""
    acronym_pair: bool = False  # part of a "Long Form (LF)" definition: wins overlaps

    def vote(self, type_: str, weight: float, rule: str) -> None:
        self.votes[type_] = self.votes.get(type_, 0.0) + weight
        self.rules.append(rule)

    @property
    def known(self) -> bool:
        """A lexicon name (or a version of one) is an existing thing, never introduced."""
        return any(r.startswith("lexicon") for r in self.rules)

    @property
    def best(self) -> tuple[str, float]:
        type_, weight = max(self.votes.items(), key=lambda kv: (kv[1], -TYPES.index(kv[0])))
        return type_, weight


@Language.factory("kg_candidates", default_config={"max_term_words": 5, "min_specificity": 0.3},
                  assigns=["doc.spans", "span._.kg", "doc._.long_forms"],
                  requires=["token.pos", "token.dep", "doc.sents", "doc._.acronyms"])
def make_candidates(nlp: Language, name: str, max_term_words: int,
                    min_specificity: float) -> Candidates:
    return Candidates(max_term_words, min_specificity)


def _listed_task(doc: Doc, tok: Token) -> bool:
    """A task head word alone in a list of tasks: "translation" in "translation, question
    answering and cloze tasks" (alone, "translation" is not yet a term)."""
    if HEADS[term_head(tok)][0] != "Task":
        return False
    before = doc[tok.i - 1].lower_ if tok.i > 0 else ""
    after = doc[tok.i + 1].lower_ if tok.i + 1 < len(doc) else ""
    if not ({before, after} & {",", "and", "or"} or before in ("including", "as", "like")):
        return False
    near = doc[max(0, tok.i - 4):tok.i + 5]
    return any(t.i != tok.i and t.pos_ in ("NOUN", "VERB") and term_head(t) in HEADS
               and HEADS[term_head(t)][0] == "Task" for t in near)


#: Words that end a bare term the authors propose: "we propose procedure cloning, which".
TERM_ENDS = {",", ".", ";", "(", "which", "that", "to", "for", "as", "where", "in"}


def _proposed_terms(doc: Doc) -> list[Span]:
    """"we propose procedure cloning, which ...", "which we call LM up-scaling, ...", "a
    novel market equilibrium pricing for ...", "a novel interpretable knowledge distillation
    approach": a bare noun phrase right after the authors' "propose"-verb, a naming word or
    "novel" is the name of what they put forward, even lowercase and with no term head."""
    out = []
    for cue in doc:
        novel = cue.lower_ == "novel"
        if not (novel or (intro_stem(cue.lower_) in INTRO_VERBS and cue.pos_ == "VERB"
                          or cue.lower_ in NAMING or cue.lower_ == "call")
                and any(t.lower_ == "we" for t in doc[max(0, cue.i - 3):cue.i])):
            continue  # "we propose X", "which we call X" ("a point called X": a definition)
        end = cue.i + 1
        while end < len(doc) and end - cue.i <= 5 and doc[end].pos_ in ("ADJ", "NOUN", "PROPN") \
                and not doc[end].is_stop:
            end += 1
        if novel:
            if doc[end - 1].lower_ in TYPE_NOUNS:  # "a novel X approach": X is the name,
                end -= 1  # the approach what it is ("a novel replay-based method": no name)
            if any(is_namelike(t) for t in doc[cue.i + 1:end]):
                continue  # "a novel QWeb architecture": QWeb is the name
        elif end >= len(doc) or doc[end].lower_ not in TERM_ENDS:
            continue
        if end - cue.i > 2 and doc[end - 1].pos_ in ("NOUN", "PROPN") and (
                doc[end - 1].tag_ != "NNS" or is_namelike(doc[end - 1])):  # "LLM prompts"
            out.append(doc[cue.i + 1:end])  # (a plural is a description)
    return out


def _capitals(tok: Token) -> bool:
    return tok.text.isalpha() and tok.text.isupper() and len(tok.text) > 1


class Candidates:
    """Candidate entity spans, each with an empty (or lexicon-voted) `Evidence`."""

    def __init__(self, max_term_words: int, min_specificity: float):
        self.max_words = max_term_words
        self.min_specificity = min_specificity

    def __call__(self, doc: Doc) -> Doc:
        cands, doc._.long_forms = self._candidates(doc, bool(doc.user_data.get("is_title")))
        spans = self._resolve_overlaps(doc, cands)
        for span in spans:
            span._.kg = cands[(span.start, span.end)]
        doc.spans["kg_candidates"] = spans
        return doc

    def _names(self, doc: Doc, is_title: bool) -> list[Span]:
        """Runs of name-like and capitalised tokens ("Tiny ImageNet", "Llama-3 8B")."""
        out, i = [], 0
        while i < len(doc):
            tok = doc[i]
            if not is_namelike(tok) and not (
                    not is_title and tok.pos_ == "PROPN" and tok.text[:1].isupper()
                    and not tok.is_sent_start and tok.is_alpha and not tok.is_stop):
                i += 1
                continue
            if tok.text in ORGANISATIONS or tok.text in HARDWARE or tok.text in LANGUAGES:
                i += 1
                continue
            lo, hi = i, i + 1
            while hi < len(doc) and not doc[hi - 1].text.endswith("."):
                if (is_namelike(doc[hi]) and any(is_namelike(t) for t in doc[lo:hi])
                        and not VERSION.match(doc[hi].text) and is_namelike(doc[lo])
                        and not (_capitals(doc[hi - 1]) and _capitals(doc[hi]))):
                    break  # "OpenAI GPT-4", "SSP ViTs": two names side by side (but one
                    # name in capitals, "PASCAL VOC", "MS MARCO", the paper level splits
                    # when both words are names of the paper on their own)
                if is_namelike(doc[hi]) or SIZE.match(doc[hi].text) or doc[hi].lower_ in (
                        VARIANTS) and is_namelike(doc[hi - 1]) or (
                        re.fullmatch(r"\d{1,2}(\.\d)?", doc[hi].text) and doc[hi - 1].is_alpha
                        and doc[hi - 1].text[:1].isupper()) or (
                        not is_title and is_capitalised(doc[hi]) and not doc[hi].is_stop):
                    hi += 1
                elif (not is_title and doc[hi].lower_ in INNER and hi + 1 < len(doc)
                      and doc[hi + 1].text[:1].isupper() and not is_namelike(doc[lo])
                      and not is_namelike(doc[hi + 1])):
                    hi += 2  # a title-case phrase: "Learning without Forgetting" (but not
                    # "Gaussian Splatting in PSNR": a name after the small word is its own)
                else:
                    break
            while hi - lo > 1 and doc[hi - 1].lower_ in TYPE_NOUNS and any(
                    is_namelike(t) for t in doc[lo:hi - 1]):
                hi -= 1  # "Alice Benchmarks" -> "Alice": the type noun is evidence, not name
            while (not is_title and lo > 0 and doc[lo - 1].text not in ORGANISATIONS
                   and not MODIFIER_SUFFIX.search(doc[lo - 1].text)) and not (
                    is_namelike(doc[lo - 1]) and any(is_namelike(t) for t in doc[lo:hi])):
                if (is_capitalised(doc[lo - 1]) and not doc[lo - 1].is_sent_start
                        and not doc[lo - 1].is_stop):
                    lo -= 1
                elif (lo > 1 and doc[lo - 1].lower_ in INNER and doc[lo - 2].is_title
                      and not is_namelike(doc[lo])
                      and not doc[lo - 2].is_sent_start and not doc[lo - 2].is_stop):
                    lo -= 2  # "Learning without Forgetting via Replayed Vocabulary"
                else:
                    break
            if hi - lo == 1 and SIZE.match(doc[lo].text):
                i = hi
                continue  # a bare size ("8B") is not a name
            out.append(doc[lo:hi])
            i = hi
        return out

    def _terms(self, doc: Doc) -> list[Span]:
        """Technical noun phrases: the longest suffix of a noun run whose head is a term head
        ("offline reinforcement learning") and whose modifiers are content words."""
        out, i = [], 0
        while i < len(doc):
            tok = doc[i]
            if not (tok.pos_ in ("NOUN", "PROPN", "VERB") and term_head(tok) in HEADS):
                i += 1
                continue
            lo = i
            while (lo > 0 and i - lo + 1 < self.max_words and self._modifier(doc[lo - 1])):
                lo -= 1
            alone = HEADS[term_head(tok)][1] or lo == i and _listed_task(doc, tok)
            lone_capital = (lo == i and tok.is_alpha and tok.text[:1].isupper()
                            and not tok.is_sent_start and not is_namelike(tok))
            if (lo < i or alone or "-" in tok.text) and not lone_capital:
                out.append(doc[lo:i + 1])
            i += 1
        return out

    def _task_phrases(self, doc: Doc) -> list[Span]:
        """"the continuous bandit problem", "the cable routing task": a noun phrase named
        as a task or problem."""
        out = []
        for tok in doc:
            if tok.lower_ in ("task", "tasks", "problem", "problems") and tok.i > 0:
                lo = tok.i
                while lo > 0 and tok.i - lo < 4 and self._modifier(doc[lo - 1]) or (
                        lo > 0 and doc[lo - 1].pos_ == "NOUN" and doc[lo - 1].dep_ == "compound"
                        and not doc[lo - 1].is_stop and tok.i - lo < 4):
                    lo -= 1
                if lo < tok.i and doc[tok.i - 1].pos_ in ("NOUN", "PROPN"):
                    out.append(doc[lo:tok.i])
        return out

    def _modifier(self, tok: Token) -> bool:
        """Does this word make a term ("contrastive", "zero-shot") rather than a description
        ("novel", "gigantic")? Learnt specificity first, then the word's shape."""
        text = tok.text.lower()
        if not (tok.pos_ in ("NOUN", "ADJ", "PROPN")
                or tok.pos_ == "VERB" and tok.dep_ in ("amod", "compound")):
            return False
        if (tok.is_stop or tok.like_num or tok.is_punct or text in TYPE_NOUNS
                or not any(c.isalpha() for c in text) or "$" in text or "\\" in text
                or tok.dep_ in ("nsubj", "dobj", "pobj", "ROOT")):
            return False
        share = SPECIFICITY.get(text)
        if share is not None:  # a noun modifier classifies more often than an adjective does
            return share >= self.min_specificity / (2 if tok.pos_ == "NOUN" else 1)
        if "-" in text:  # "zero-shot", "model-based"; not "higher-quality", "over-confident"
            first = SPECIFICITY.get(text.split("-", 1)[0], 1.0)
            return first >= 0.1
        if tok.pos_ in ("NOUN", "PROPN"):
            return True
        return tok.tag_ != "VBG" and text.endswith(("ive", "al", "ar", "ary", "ed"))

    def _candidates(self, doc: Doc, is_title: bool) -> tuple[dict, dict]:
        """Every candidate span (key: token offsets) with its evidence so far, and the
        acronym -> long form offsets of the doc's definitions."""
        cands: dict[tuple[int, int], Evidence] = {}
        blocked: set[int] = set()  # tokens of a field's name
        fields: set[str] = set()  # acronyms of fields ("DL")

        def add(span: Span, trim: bool = True) -> Evidence | None:
            while trim and span and not is_namelike(span[0]) and (
                    span[0].is_stop or span[0].pos_ in ("DET", "PRON", "NUM") or span[0].is_punct):
                span = span[1:]
            while span and (span[-1].is_punct or span[-1].is_stop):
                span = span[:-1]
            if (not span or not any(c.isalpha() for c in span.text) or len(span.text) < 2
                    or len(span) == 1 and span[0].lower_ in TYPE_NOUNS
                    or any(t.like_url or t.like_email or "://" in t.text for t in span)
                    or span.text.lower() in RESEARCH_FIELDS or span.text in fields
                    or span.text in HARDWARE or span.text in LANGUAGES
                    or JUNK.search(span.text)
                    or span.text.count("(") != span.text.count(")")
                    or any(i in blocked for i in range(span.start, span.end))):
                return None
            return cands.setdefault((span.start, span.end), Evidence())

        long_forms = {}
        for short, long in doc._.acronyms:
            if long.text.lower() in RESEARCH_FIELDS:  # "Deep Learning (DL)": a field, not a node
                blocked.update(range(long.start, long.end))
                fields.add(short.text)
                continue
            ev_s, ev_l = add(short, trim=False), add(long, trim=False)  # "Low-Rank Adaptation"
            if ev_s is not None and ev_l is not None:
                ev_s.long_form = long.text
                ev_s.acronym_pair = ev_l.acronym_pair = True
                long_forms[(short.start, short.end)] = (long.start, long.end)
        for span in self._names(doc, is_title):
            add(span)
        colon = next((t.i for t in doc[:7] if t.text in (":", ",")), 0) if is_title else 0
        if colon and doc[0].text[:1].isupper():  # "Alice Benchmarks: Connecting ..."
            end = colon - (colon > 1 and doc[colon - 1].lower_ in TYPE_NOUNS)
            while end > 1 and doc[end - 1].lower_ in DOCUMENT_WORDS:
                end -= 1  # "Qwen2.5-Math Technical Report: ..."
            ev = add(doc[0:end])
            if ev is not None:
                ev.vote("Method", W_TITLE_PREFIX, "title-prefix")
        for span in self._terms(doc):
            add(span)
        for span in _proposed_terms(doc):
            ev = add(span)
            if ev is not None:
                ev.vote("Method", W_PROPOSED, PROPOSED_TERM)
        for span in self._task_phrases(doc):
            ev = add(span)
            if ev is not None:
                ev.vote("Task", W_TASK_PHRASE, "task-noun")
        for span in doc.spans.get("kg_lexicon", []):
            ev = add(span, trim=False)
            if ev is not None:
                ev.vote(span.label_, W_LEXICON, "lexicon")
        return cands, long_forms

    @staticmethod
    def _resolve_overlaps(doc: Doc, cands: dict[tuple[int, int], Evidence]) -> list[Span]:
        """Keep acronym definitions, then the longest of overlapping candidates."""
        taken: set[int] = set()
        keep = []
        order = sorted(cands, key=lambda k: (not cands[k].acronym_pair, k[0] - k[1], k[0]))
        for (start, end) in order:
            if any(i in taken for i in range(start, end)):
                continue
            taken.update(range(start, end))
            keep.append(doc[start:end])
        return sorted(keep, key=lambda s: s.start)
