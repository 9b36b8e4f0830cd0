"""paperkg's spaCy components, registered as factories and wired up by `pipeline.cfg`.

- ``kg_word_merger`` (before the tagger): "GPT-3.5-turbo", "LLaMA-3-70B", "NEVIS'22" and
  "fine-tuning" become one token each, so names are tagged and parsed as units.
- ``kg_acronyms``: "Long Form (LF)" definitions (Schwartz & Hearst's algorithm).
- ``kg_lexicon``: known names and terms from the lexicon files (`lexicon/*.tsv`, user files).
- ``kg_mentions``: candidate spans (names, acronym pairs, technical noun phrases), typed by
  voting over evidence (lexicon, head noun, apposition, list context, verbs, name shape), and
  flagged when the paper introduces them. Results go to ``doc.spans["kg"]``.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from kg.extract import TYPES, Mention

LEXICON_DIR = Path(__file__).with_name("lexicon")
CLOSERS = set(".,;:!?)]}\"”’/") | {"...", "—", "–"}
OPENERS = set("([{\"“‘/") | {"—", "–"}

Doc.set_extension("acronyms", default=[], force=True)  # [(short Span, long Span)]
Span.set_extension("kg", default=None, force=True)  # Evidence for spans of doc.spans["kg"]


@dataclass
class Evidence:
    votes: dict[str, float]
    rules: list[str]
    introduced: bool = False
    long_form: str = ""

    def vote(self, type_: str, weight: float, rule: str) -> None:
        self.votes[type_] = self.votes.get(type_, 0.0) + weight
        self.rules.append(rule)

    @property
    def best(self) -> tuple[str, float]:
        type_, weight = max(self.votes.items(), key=lambda kv: (kv[1], -TYPES.index(kv[0])))
        return type_, weight


# ---------------------------------------------------------------------------- word merger

@Language.factory("kg_word_merger")
def make_word_merger(nlp: Language, name: str) -> WordMerger:
    return WordMerger()


class WordMerger:
    """Merge the pieces of one whitespace-delimited word that the tokenizer split at infixes."""

    def __call__(self, doc: Doc) -> Doc:
        spans, i, n = [], 0, len(doc)
        while i < n:
            j = i
            while (j + 1 < n and not doc[j].whitespace_ and doc[j].text not in OPENERS
                   and doc[j + 1].text not in CLOSERS and doc[j + 1].text not in OPENERS
                   and not (doc[j + 1].text == "'s" or doc[j + 1].text == "'")):
                j += 1
            if j > i:
                spans.append(doc[i:j + 1])
            i = j + 1
        if spans:
            with doc.retokenize() as retok:
                for span in spans:
                    retok.merge(span)
        return doc


# ---------------------------------------------------------------------------- acronyms

_SHORT = re.compile(r"^(?=.*[A-Z])[A-Za-z0-9][A-Za-z0-9&\-.']{0,11}$")


def _long_form_start(short: str, words: list[str]) -> int | None:
    """Schwartz & Hearst: the index of the first word of the shortest long form, or None."""
    core = re.sub(r"['\-]?\d+$", "", short)  # NEVIS'22 -> NEVIS
    core = core[:-1] if core.endswith("s") and core[:-1].isupper() else core
    chars = [c.lower() for c in core if c.isalnum()]
    if len(chars) < 2:
        return None
    text = " ".join(words).lower()
    s, li = len(chars) - 1, len(text) - 1
    while s >= 0:
        c = chars[s]
        while li >= 0 and (text[li] != c or (s == 0 and li > 0 and text[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return None
        s -= 1
        li -= 1
    start_char = li + 1
    return text[:start_char].count(" ")


@Language.factory("kg_acronyms")
def make_acronyms(nlp: Language, name: str) -> Acronyms:
    return Acronyms()


class Acronyms:
    """Find "Long Form (LF)" pairs; the long form must start with the acronym's first letter."""

    def __call__(self, doc: Doc) -> Doc:
        pairs = []
        for tok in doc[1:-1]:
            if tok.text != "(" or doc[tok.i + 2].text != ")" if tok.i + 2 < len(doc) else True:
                continue
            short = doc[tok.i + 1]
            if not _SHORT.match(short.text):
                continue
            n = len([c for c in short.text if c.isalnum()])
            lo = max(tok.sent.start, tok.i - min(n + 5, 2 * n))
            window = [t for t in doc[lo:tok.i]]
            # the long form never crosses punctuation other than hyphens
            while window and any(p in window[0].text for p in ",;:()") or (
                    window and window[0].is_punct):
                window = window[1:]
            for k in range(len(window) - 1, -1, -1):
                if window[k].is_punct or window[k].text in {",", ";", ":"}:
                    window = window[k + 1:]
                    break
            if not window:
                continue
            start = _long_form_start(short.text, [t.text for t in window])
            if start is None:
                continue
            first = window[start]
            while first.i < tok.i and (first.is_stop or first.pos_ in ("DET", "PRON")):
                first = doc[first.i + 1]
            if first.i >= tok.i or first.text.lower()[0] != short.text.lower()[0]:
                continue
            pairs.append((doc[short.i:short.i + 1], doc[first.i:tok.i]))
        doc._.acronyms = pairs
        return doc


# ---------------------------------------------------------------------------- lexicon

def load_lexicon(paths: list[Path]) -> dict[str, str]:
    """term (lowercased) -> type, from TSV files with columns term, type (later files win)."""
    terms: dict[str, str] = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for no, row in enumerate(csv.reader(f, delimiter="\t"), 1):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) < 2 or row[1].strip() not in TYPES:
                    raise ValueError(f"{path}:{no}: expected 'term<TAB>type', type one of "
                                     f"{', '.join(TYPES)}")
                terms[row[0].strip().lower()] = row[1].strip()
    return terms


@Language.factory("kg_lexicon", default_config={"extra": []})
def make_lexicon(nlp: Language, name: str, extra: list[str]) -> Lexicon:
    files = sorted(LEXICON_DIR.glob("*.tsv")) + [Path(p) for p in extra]
    return Lexicon(nlp, load_lexicon(files))


class Lexicon:
    """Mark known names and terms in ``doc.spans["kg_lexicon"]`` (case-insensitive)."""

    def __init__(self, nlp: Language, terms: dict[str, str]):
        self.terms = terms
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        merger = WordMerger()
        by_type = defaultdict(list)
        for term, type_ in terms.items():
            by_type[type_].append(merger(nlp.make_doc(term)))
        for type_, docs in by_type.items():
            self.matcher.add(type_, docs)

    def __call__(self, doc: Doc) -> Doc:
        spans = self.matcher(doc, as_spans=True)
        doc.spans["kg_lexicon"] = spans
        return doc

    def family(self, word: str) -> str | None:
        """The type of a name's family: "LLaMA-3-70B" -> "llama", "CIFAR-100" -> "cifar"."""
        m = re.match(r"[A-Za-z]+(?:-[A-Za-z]+)*?(?=[-_ ]?\d|$)", word)
        while m:
            fam = m.group(0).lower()
            if fam in self.terms:
                return self.terms[fam]
            if "-" not in fam:
                return None
            m = re.match(re.escape(fam.rsplit("-", 1)[0]), fam, re.I)
        return None


# ---------------------------------------------------------------------------- mentions

def _load_heads() -> dict[str, tuple[str, bool]]:
    heads = {}
    with open(LEXICON_DIR / "heads.txt", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if row and not row[0].startswith("#"):
                heads[row[0]] = (row[1], row[2] == "alone")
    return heads


TYPE_NOUNS = {  # head nouns that say what the name before or after them is
    "dataset": "Dataset", "datasets": "Dataset", "corpus": "Dataset", "corpora": "Dataset",
    "benchmark": "Benchmark", "benchmarks": "Benchmark", "suite": "Benchmark",
    "leaderboard": "Benchmark", "testbed": "Benchmark",
    "model": "Model", "models": "Model", "llm": "Model", "llms": "Model", "checkpoint": "Model",
    "network": "Model", "networks": "Model", "checkpoints": "Model",
    "method": "Method", "methods": "Method", "algorithm": "Method", "algorithms": "Method",
    "framework": "Method", "approach": "Method", "technique": "Method", "architecture": "Method",
    "module": "Method", "strategy": "Method", "pipeline": "Method", "loss": "Method",
    "paradigm": "Method", "mechanism": "Method", "scheme": "Method", "system": "Method",
    "task": "Task", "tasks": "Task", "problem": "Task", "challenge": "Benchmark",
    "metric": "Metric", "metrics": "Metric", "measure": "Metric", "score": "Metric",
}
_INTRO_VERBS = {"propose", "introduce", "present", "develop", "release", "design", "build",
                "construct", "create", "contribute", "curate", "collect", "establish", "devise",
                "offer", "provide"}
_NAMING = {"dubbed", "named", "called", "termed", "coined"}
_DATA_CONTEXT = {"trained", "train", "evaluated", "evaluate", "tested", "experiments",
                 "results", "pretrained", "pre-trained", "fine-tuned", "finetuned"}
_INNER = {"of", "for", "without", "via", "with", "in", "on", "from", "to", "by"}
_SIZE = re.compile(r"^\d+(\.\d+)?[BbMmKk]$|^\d+x\d+[Bb]$|(-|^)\d+(\.\d+)?[BbMm]$")
_NAMELIKE = re.compile(r"[A-Za-z].*[0-9]|[0-9].*[A-Za-z]|[a-z].*[A-Z]|^[A-Z][A-Z0-9&'\-.]+s?$"
                       r"|[A-Z].*[A-Z]|\\|\$")


def is_namelike(tok: Token) -> bool:
    text = tok.text
    return bool(_NAMELIKE.search(text)) and any(c.isalpha() for c in text) and len(text) > 1


def is_capitalised(tok: Token) -> bool:
    return tok.text[:1].isupper() and tok.is_alpha or is_namelike(tok)


def term_head(tok: Token) -> str:
    """The head word of a (possibly hyphenated) token, singular: "self-distillation" -> "distillation"."""
    word = tok.text.lower().rsplit("-", 1)[-1]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@Language.factory("kg_mentions", default_config={"max_term_words": 5, "generic_modifiers": []})
def make_mentions(nlp: Language, name: str, max_term_words: int,
                  generic_modifiers: list[str]) -> Mentions:
    lexicon = nlp.get_pipe("kg_lexicon") if "kg_lexicon" in nlp.pipe_names else None
    return Mentions(lexicon, max_term_words, set(generic_modifiers))


class Mentions:
    """Candidate entity spans with typed evidence, into ``doc.spans["kg"]``."""

    def __init__(self, lexicon: Lexicon | None, max_term_words: int, generic: set[str]):
        self.lexicon = lexicon
        self.max_words = max_term_words
        self.generic = generic
        self.heads = _load_heads()

    # -- candidates ------------------------------------------------------------------
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
            lo, hi = i, i + 1
            while hi < len(doc):
                if is_namelike(doc[hi]) or _SIZE.match(doc[hi].text) or (
                        not is_title and is_capitalised(doc[hi]) and not doc[hi].is_stop):
                    hi += 1
                elif (not is_title and doc[hi].lower_ in _INNER and hi + 1 < len(doc)
                      and doc[hi + 1].is_title and not is_namelike(doc[hi - 1])):
                    hi += 2  # "Learning without Forgetting"
                else:
                    break
            while (not is_title and lo > 0 and is_capitalised(doc[lo - 1])
                   and not doc[lo - 1].is_sent_start and not doc[lo - 1].is_stop):
                lo -= 1
            out.append(doc[lo:hi])
            i = hi
        return out

    def _terms(self, doc: Doc) -> list[Span]:
        """Technical noun phrases: the longest suffix of a noun run whose head is a term head
        ("offline reinforcement learning") and whose modifiers are content words."""
        out, i = [], 0
        while i < len(doc):
            tok = doc[i]
            if not (tok.pos_ in ("NOUN", "PROPN", "VERB") and term_head(tok) in self.heads):
                i += 1
                continue
            lo = i
            while (lo > 0 and i - lo + 1 < self.max_words and self._modifier(doc[lo - 1])):
                lo -= 1
            alone = self.heads[term_head(tok)][1]
            if lo < i or alone or "-" in tok.text:
                if not (lo == i and tok.text[:1].isupper() and not tok.is_sent_start
                        and not is_namelike(tok)):
                    out.append(doc[lo:i + 1])
            i += 1
        return out

    def _modifier(self, tok: Token) -> bool:
        text = tok.text.lower()
        return ((tok.pos_ in ("NOUN", "ADJ", "PROPN")
                 or tok.pos_ == "VERB" and tok.dep_ in ("amod", "compound"))
                and not tok.is_stop and not tok.like_num and text not in self.generic
                and text not in TYPE_NOUNS and any(c.isalpha() for c in text)
                and not tok.is_punct and tok.dep_ not in ("nsubj", "dobj", "pobj", "ROOT"))

    # -- typing ------------------------------------------------------------------------
    def _type_evidence(self, doc: Doc, span: Span, ev: Evidence) -> None:
        last = span[-1]
        head = term_head(last)
        if head in TYPE_NOUNS and len(span) > 1:
            ev.vote(TYPE_NOUNS[head], 2.0, f"inner-head:{head}")
        if head in self.heads:
            type_ = self.heads[head][0]
            if head == "learning" and span[0].text.lower() in ("zero-shot", "few-shot", "one-shot"):
                type_ = "Task"
            ev.vote(type_, 1.5, f"head:{head}")
        nxt = doc[span.end] if span.end < len(doc) else None
        if nxt is not None and nxt.text.lower() in TYPE_NOUNS:
            ev.vote(TYPE_NOUNS[nxt.text.lower()], 2.0, f"next:{nxt.text.lower()}")
        elif nxt is not None and nxt.text.lower() == "and":  # "X and Y datasets"
            k = span.end + 1
            while k < len(doc) and k < span.end + 5 and doc[k].text.lower() not in TYPE_NOUNS:
                k += 1
            if k < len(doc) and doc[k].text.lower() in TYPE_NOUNS and doc[k - 1].pos_ != "VERB":
                ev.vote(TYPE_NOUNS[doc[k].text.lower()], 1.5, f"coord:{doc[k].text.lower()}")
        # apposition / definition: "X, a benchmark for ..." / "X (a dataset of ...)"
        k = span.end + (1 if nxt is not None and nxt.text == ")" else 0)
        if k < len(doc) - 1 and doc[k].text in (",", "(", ":", "is"):
            for tok in doc[k + 1: min(len(doc), k + 8)]:
                if tok.text.lower() in TYPE_NOUNS:
                    ev.vote(TYPE_NOUNS[tok.text.lower()], 3.0, f"appos:{tok.text.lower()}")
                    if any(t.text.lower() in ("novel", "new", "our") for t in doc[span.end:tok.i]):
                        ev.introduced = True
                    break
                if tok.text in (",", ";", ".", ")") or tok.pos_ == "VERB":
                    break
        # "datasets such as X" / "benchmark X" / "the X" preceded by a type noun
        for tok in reversed(doc[max(0, span.start - 4):span.start]):
            low = tok.text.lower()
            if low in TYPE_NOUNS and tok.i == span.start - 1 and tok.text[0].islower():
                ev.vote(TYPE_NOUNS[low], 1.5, f"prev:{low}")
                break
            if low in TYPE_NOUNS and tok.i < span.start - 1 and doc[tok.i + 1].text.lower() in (
                    "such", "including", "like", "e.g.", "namely"):
                ev.vote(TYPE_NOUNS[low], 2.0, f"list:{low}")
                break
        prev = doc[span.start - 1] if span.start > 0 else None
        if prev is not None and prev.text.lower() in ("on", "across") and span.start > 1:
            before = {t.text.lower() for t in doc[max(0, span.start - 4):span.start - 1]}
            if before & _DATA_CONTEXT:
                ev.vote("Dataset", 1.0, "context:trained-on")
        if any(_SIZE.search(t.text) for t in span) or re.search(r"-\d+(\.\d+)?[BbMm]\b", span.text):
            ev.vote("Model", 2.0, "shape:size")

    def _name_vote(self, span: Span, ev: Evidence) -> None:
        if self.lexicon is not None:
            fam = self.lexicon.family(span.text)
            if fam:
                ev.vote(fam, 2.5, "lexicon:family")
        if any(is_namelike(t) or t.pos_ == "PROPN" for t in span):
            ev.vote("Method", 0.3, "shape:name")

    def _introduced(self, doc: Doc, span: Span) -> bool:
        """"we propose X", "X, dubbed Y", "our X" and "X is proposed" in the same sentence."""
        prev = doc[span.start - 1] if span.start > 0 else None
        if prev is not None and prev.text.lower() in _NAMING | {"our"}:
            return True
        sent = span.sent
        for tok in doc[sent.start:span.start]:
            lemma = tok.text.lower().rstrip("s").rstrip("e")
            if any(lemma == v.rstrip("e") for v in _INTRO_VERBS) and tok.pos_ == "VERB" and (
                    span.start - tok.i <= 12 and any(t.text.lower() in ("we", "paper", "work", "this")
                                                     for t in doc[sent.start:tok.i])):
                return not any(t.text in (";",) or t.lower_ in ("previous", "existing", "prior")
                               for t in doc[tok.i:span.start])
        nxt = doc[span.end:span.end + 3]
        return any(t.lower_ in ("proposed", "introduced") for t in nxt) and (
            nxt[0].lower_ in ("is", "was") if len(nxt) else False)

    # -- main ------------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        is_title = bool(doc.user_data.get("is_title"))
        cands: dict[tuple[int, int], Evidence] = {}

        def add(span: Span, trim: bool = True) -> Evidence | None:
            while trim and span and (span[0].is_stop or span[0].pos_ in ("DET", "PRON", "NUM")
                                     or span[0].is_punct):
                span = span[1:]
            while span and (span[-1].is_punct or span[-1].is_stop):
                span = span[:-1]
            if (not span or not any(c.isalpha() for c in span.text) or len(span.text) < 2
                    or len(span) == 1 and span[0].lower_ in TYPE_NOUNS):
                return None
            return cands.setdefault((span.start, span.end), Evidence({}, []))

        long_forms = {}
        for short, long in doc._.acronyms:
            ev_s, ev_l = add(short, trim=False), add(long)
            if ev_s is not None and ev_l is not None:
                ev_s.long_form = long.text
                long_forms[(short.start, short.end)] = (long.start, long.end)
        for span in self._names(doc, is_title):
            add(span)
        for span in self._terms(doc):
            add(span)
        if self.lexicon is not None:
            for span in doc.spans.get("kg_lexicon", []):
                ev = add(span, trim=False)
                if ev is not None:
                    ev.vote(span.label_, 3.0, "lexicon")
        spans = self._resolve_overlaps(doc, cands)
        for span in spans:
            ev = cands[(span.start, span.end)]
            self._type_evidence(doc, span, ev)
            self._name_vote(span, ev)
            if not ev.votes:
                continue
            ev.introduced = ev.introduced or self._introduced(doc, span)
            span._.kg = ev
        # an acronym shares the evidence of its long form and vice versa
        for s_key, l_key in long_forms.items():
            es, el = cands.get(s_key), cands.get(l_key)
            if es is not None and el is not None:
                for t, w in list(el.votes.items()):
                    es.vote(t, w, "acronym-of")
                for t, w in list(es.votes.items()):
                    el.vote(t, w * 0.5, "long-form-of")
                es.introduced = el.introduced = es.introduced or el.introduced
        doc.spans["kg"] = [s for s in spans if s._.kg is not None and s._.kg.votes]
        for s in doc.spans["kg"]:
            s.label_ = s._.kg.best[0]
        return doc

    @staticmethod
    def _resolve_overlaps(doc: Doc, cands: dict[tuple[int, int], Evidence]) -> list[Span]:
        """Keep the longest of overlapping candidates (lexicon hits and acronyms included)."""
        taken: set[int] = set()
        keep = []
        for (start, end) in sorted(cands, key=lambda k: (-(k[1] - k[0]), k[0])):
            if any(i in taken for i in range(start, end)):
                continue
            taken.update(range(start, end))
            keep.append(doc[start:end])
        return sorted(keep, key=lambda s: s.start)


# ---------------------------------------------------------------------------- records

def doc_mentions(paper_id: str, title: Doc, abstract: Doc) -> list[Mention]:
    """The mentions of one paper; a title's "Name: subtitle" name is introduced when the
    abstract uses it too, and acronyms defined in the abstract type the title's uses."""
    out = []
    abstract_names = {s.text.lower() for s in abstract.spans.get("kg", [])}
    for fld, doc in (("title", title), ("abstract", abstract)):
        for span in doc.spans.get("kg", []):
            ev: Evidence = span._.kg
            type_, weight = ev.best
            intro = ev.introduced
            if fld == "title" and span.start == 0 and span.end < len(doc) and (
                    doc[span.end].text == ":") and span.text.lower() in abstract_names:
                intro = True
            out.append(Mention(paper_id=paper_id, text=span.text, field=fld,
                               start=span.start_char, end=span.end_char,
                               sentence=span.sent.text, type=type_,
                               evidence=",".join(dict.fromkeys(ev.rules)) or "shape",
                               weight=weight, introduced=intro, long_form=ev.long_form))
    return out
