"""Type votes: what the words around a candidate say it is.

``kg_types`` adds, to each candidate's `Evidence`, votes from its head noun ("... dataset",
"... detection"), the type noun after it ("the Zorblat dataset"), apposition and definitions
("X, a benchmark for ..."), the words before it ("datasets such as X", "trained on X"), a size
suffix (-7B), its lexicon family (LLaMA-3-70B -> LLaMA) and how coined names end (-Bench,
-GPT); then names listed together share a type, and an acronym and its long form share
their votes. The weights say how much each cue is trusted, in one place (below).
"""

from __future__ import annotations

import re
from collections import Counter

from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.extract.candidates import (
    W_APPOSITION,
    W_DATA_CONTEXT,
    W_FAMILY,
    W_HEAD,
    W_LIST_NOUN,
    W_LIST_OF,
    W_NEAR_NOUN,
    W_SHAPE,
    W_SIZE,
    W_SUFFIX,
    W_TYPE_NOUN,
    Evidence,
)
from kg.extract.lexicon import HEADS, NAMING, TYPE_NOUNS, Lexicon
from kg.extract.shapes import NAME_SUFFIXES, SIZE, is_namelike, term_head

#: Words around "on X" that make X the data something was trained or tested on.
DATA_CONTEXT = {"trained", "train", "evaluated", "evaluate", "tested", "experiments",
                "results", "pretrained", "pre-trained", "fine-tuned", "finetuned", "accuracy",
                "achieves", "achieve", "reaches", "reach", "outperforms", "performance",
                "state-of-the-art", "improves", "obtains", "scores", "evaluation"}


@Language.factory("kg_types", assigns=["span._.kg"],
                  requires=["span._.kg", "doc._.long_forms", "token.pos", "token.dep"])
def make_types(nlp: Language, name: str) -> TypeVotes:
    lexicon = nlp.get_pipe("kg_lexicon") if "kg_lexicon" in nlp.pipe_names else None
    return TypeVotes(lexicon)


class TypeVotes:
    """Vote on the type of every candidate of ``doc.spans["kg_candidates"]``."""

    def __init__(self, lexicon: Lexicon | None):
        self.lexicon = lexicon

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.spans.get("kg_candidates", []))
        for span in spans:
            self._type_evidence(doc, span, span._.kg)
            self._name_vote(span, span._.kg)
        share_list_types(doc, spans)
        share_definition_votes(doc)
        return doc

    def _type_evidence(self, doc: Doc, span: Span, ev: Evidence) -> None:
        last = span[-1]
        head = term_head(last)
        if head in TYPE_NOUNS and len(span) > 1:
            ev.vote(TYPE_NOUNS[head], W_TYPE_NOUN, f"inner-head:{head}")
        if head in HEADS:
            type_ = HEADS[head][0]
            if head == "learning" and span[0].text.lower() in ("zero-shot", "few-shot", "one-shot"):
                type_ = "Task"
            ev.vote(type_, W_HEAD, f"head:{head}")
        nxt = doc[span.end] if span.end < len(doc) else None
        if head in HEADS:
            pass  # "captioning models" are models for a task: the task stays a task
        elif nxt is not None and nxt.text.lower() in TYPE_NOUNS:
            # "the Zorblat dataset" names it; "ZSAR benchmarks" are benchmarks for it
            weight = W_NEAR_NOUN / 2 if term_head(nxt) != nxt.lower_ else W_TYPE_NOUN
            ev.vote(TYPE_NOUNS[nxt.text.lower()], weight, f"next:{nxt.text.lower()}")
        elif nxt is not None and nxt.text.lower() == "and":  # "X and Y datasets"
            k = span.end + 1
            while k < len(doc) and k < span.end + 5 and doc[k].text.lower() not in TYPE_NOUNS:
                k += 1
            word = doc[k].text.lower() if k < len(doc) else ""
            if word in TYPE_NOUNS and doc[k - 1].pos_ != "VERB":
                ev.vote(TYPE_NOUNS[word], W_NEAR_NOUN, f"coord:{word}")
        # apposition / definition: "X, a benchmark for ..." / "X (a dataset of ...)"
        k = span.end + (1 if nxt is not None and nxt.text == ")" else 0)
        if k < len(doc) - 1 and doc[k].text in (",", "(", ":", "is") and (
                doc[k + 1].lower_ in ("a", "an", "the", "our") or doc[k].text != ","):
            for tok in doc[k + 1: min(len(doc), k + 8)]:
                if tok.text.lower() in TYPE_NOUNS and (doc[k + 1].lower_ != "our"
                                                       or tok.dep_ == "appos"):
                    ev.vote(TYPE_NOUNS[tok.text.lower()], W_APPOSITION, f"appos:{tok.text.lower()}")
                    if any(t.text.lower() in ("novel", "new", "our") for t in doc[span.end:tok.i]):
                        ev.introduced = True
                    break
                if tok.text in (",", ";", ".", ")") or tok.pos_ == "VERB":
                    break
        # "datasets such as X" / "benchmark X" / "the X" preceded by a type noun
        for tok in reversed(doc[max(0, span.start - 4):span.start]):
            low = tok.text.lower()
            if low in TYPE_NOUNS and tok.i == span.start - 1 and tok.text[0].islower():
                ev.vote(TYPE_NOUNS[low], W_NEAR_NOUN, f"prev:{low}")
                break
            if low in TYPE_NOUNS and tok.i < span.start - 1 and _introduces_list(doc, tok.i + 1):
                ev.vote(TYPE_NOUNS[low], W_LIST_NOUN, f"list:{low}")
                break
        noun = _named_by(doc, span) or (span.root.head.lower_ if _appositive_of(span) else "")
        if noun:
            ev.vote(TYPE_NOUNS[noun], W_APPOSITION, f"appos-before:{noun}")
        prev = doc[span.start - 1] if span.start > 0 else None
        if prev is not None and prev.text.lower() in ("on", "across") and span.start > 0:
            before = {t.text.lower() for t in doc[max(0, span.start - 4):span.start - 1]}
            if prev.is_sent_start:  # "On X, our model reaches 99% accuracy": the clause says
                before = {t.lower_ for t in doc[span.end:span.sent.end]}
            if before & DATA_CONTEXT:
                ev.vote("Dataset", W_DATA_CONTEXT, "context:trained-on")
        if any(SIZE.search(t.text) for t in span) or re.search(r"-\d+(\.\d+)?[BbMm]\b", span.text):
            ev.vote("Model", W_SIZE, "shape:size")

    def _name_vote(self, span: Span, ev: Evidence) -> None:
        fam = self.lexicon.family(span.text) if self.lexicon is not None else None
        if fam:
            ev.vote(fam, W_FAMILY, "lexicon:family")
        if any(is_namelike(t) or t.pos_ == "PROPN" for t in span):
            ev.vote("Method", W_SHAPE, "shape:name")
            for type_, suffix in NAME_SUFFIXES if not (fam or ev.known) else ():
                if suffix.search(span[-1].text):
                    ev.vote(type_, W_SUFFIX, f"suffix:{type_.lower()}")
                    break


#: Words after a type noun that introduce the names of that kind: "datasets such as X",
#: "a dataset (e.g., X)", "two target datasets: X and Y".
LIST_OPENERS = {"such", "including", "like", "e.g.", "namely", "i.e.", ":"}


def _introduces_list(doc: Doc, i: int) -> bool:
    """Whether the words from token `i` open a list ("such as", "(e.g.,", ":")."""
    if i < len(doc) and doc[i].text == "(":
        i += 1
    return i < len(doc) and doc[i].text.lower() in LIST_OPENERS


def _named_by(doc: Doc, span: Span) -> str:
    """The type noun of "a <...> dataset called X" / "a framework, dubbed X": the kind the
    text gives the name it coins ("" when none)."""
    k = span.start - 1
    if k < 1 or doc[k].lower_ not in NAMING:
        return ""
    for tok in reversed(doc[max(0, k - 3):k]):
        if tok.lower_ in TYPE_NOUNS:
            return tok.lower_
        if tok.text not in (",", "(") and tok.pos_ not in ("ADJ", "NOUN", "PROPN"):
            break
    return ""


def _appositive_of(span: Span) -> bool:
    """"the dominant training dataset, FF++, ...": a name in apposition to a type noun."""
    root = span.root
    return (root.dep_ == "appos" and root.head.i < span.start and root.head.lower_ in TYPE_NOUNS
            and span.start > 0 and span.doc[span.start - 1].text == ",")


def share_list_types(doc: Doc, spans: list[Span]) -> None:
    """"on CIFAR-100, PersonX and VehicleX": names listed together are of one kind, so a
    name with no evidence of its own takes the type its typed neighbours agree on."""
    groups: list[list[Span]] = []
    for span in spans:
        prev = groups[-1][-1] if groups else None
        glue = doc[prev.end:span.start] if prev is not None else None
        if (prev is not None and len(glue) <= 2 and all(t.text in (",", "and", "or", "&")
                                                        for t in glue)
                and prev.sent.start == span.sent.start):
            groups[-1].append(span)
        else:
            groups.append([span])
    for group in groups:
        if len(group) < 2:
            continue
        typed = Counter(s._.kg.best[0] for s in group
                        if not _weak(s._.kg))
        if not typed:
            continue
        type_, n = typed.most_common(1)[0]
        for span in group:
            ev = span._.kg
            if _weak(ev) and any(is_namelike(t) or t.pos_ == "PROPN" for t in span):
                ev.vote(type_, W_LIST_OF, "list-of")


LONG_FORM_SHARE = 0.5  # a long form's own head noun is better evidence than its acronym's votes


def share_definition_votes(doc: Doc) -> None:
    """An acronym and its long form share their votes (the long form trusts the acronym's
    at half weight: "LLMs" is a model whatever its long form's head says)."""
    for (s0, s1), (l0, l1) in doc._.long_forms.items():
        es, el = doc[s0:s1]._.kg, doc[l0:l1]._.kg
        if es is not None and el is not None:
            for t, w in list(el.votes.items()):
                es.vote(t, w, "acronym-of")
            for t, w in list(es.votes.items()):
                el.vote(t, w * LONG_FORM_SHARE, "long-form-of")


def _weak(ev: Evidence) -> bool:
    """Only a name's shape says what it is."""
    return all(r.startswith(("shape:", "title-prefix")) for r in ev.rules)
