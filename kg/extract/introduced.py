"""Introduced: which of a paper's names are its own contribution.

``kg_introduced`` flags a candidate as introduced by the paper when it is named ("dubbed X",
"our X"), defined ("X is a ... approach"), or sits in the object of the authors' "we propose
/ introduce / present ..." (found by climbing the dependency parse, or, where the parse
misses the link, the first new name after that verb); never a lexicon name, a name that
"has been proposed" by others, or one said to be earlier work. An acronym and its long form
share the flag. It then writes the final, labelled spans to ``doc.spans["kg"]``: a lone
capitalised word with no evidence but its capital ("Momentum", "Evaluation") is dropped.
"""

from __future__ import annotations

from collections import Counter

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from kg.extract.lexicon import NAMING, TYPE_NOUNS
from kg.extract.shapes import is_namelike

#: Verbs by which authors put forward something new.
INTRO_VERBS = {"propose", "introduce", "present", "develop", "release", "design", "build",
               "construct", "create", "contribute", "curate", "collect", "establish", "devise",
               "describe"}
#: Dependency links from a name up to the verb whose object it is part of.
CLIMB = {"dobj", "appos", "conj", "attr", "oprd", "nsubjpass", "npadvmod", "compound", "amod",
         "nmod", "dep", "pobj", "prep", "relcl", "acl"}
_OF = {"of", "including", "as", "like"}
#: Subjects that are the authors: "we propose", "this paper introduces".
AUTHORS = {"we", "paper", "work", "study", "i"}
#: The rule of a bare term put forward as new ("a novel market equilibrium pricing").
PROPOSED_TERM = "proposed-term"
#: Words just before a name that make it the authors' own: "our X", "a novel X".
OWNING = {"our", "novel", "proposed"}
#: Words just before a name that make it somebody else's earlier work.
EARLIER = {"recently", "previously", "existing", "prior", "previous", "earlier"}


def intro_stem(word: str) -> str:
    """"proposes", "proposed", "proposing" -> "propose" (the lemmatizer is not loaded)."""
    for suffix in ("ing", "es", "ed", "s", "d"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and (stem in INTRO_VERBS or stem + "e" in INTRO_VERBS):
            return stem if stem in INTRO_VERBS else stem + "e"
    return word


CLAUSE_LINKS = ("conj", "pcomp", "xcomp", "advcl", "prep")
#: The rule of a name the authors put forward in so many words: "we present X", "a model
#: called X", "we call them X", "we train X, a language model ..." -- strong enough to
#: introduce even a name the lexicon knows (the paper that made it).
HEADLINE = "intro:headline"
#: Verbs that name: "we call these networks ResNets", "which we term X".
NAMING_VERBS = {"call", "name", "term", "dub", "coin"}
#: Verbs of making a model that introduce it when an apposition says what it is: "we train
#: GPT-3, an autoregressive language model".
MAKING_VERBS = {"train", "build", "release", "pretrain", "pre-train", "develop", "create"}


def _headline(doc: Doc, span: Span) -> bool:
    """A name the authors put forward as their own, in so many words: the object of "we
    propose / present / introduce", or its apposition ("a new architecture, the Transformer"),
    the name after "called"/"named", what "we call" something, or a model "we train" with
    an apposition saying what it is."""
    if not any(is_namelike(t) or t.pos_ == "PROPN" for t in span):
        return False
    k = span.start - 1
    while k > 0 and doc[k].is_quote:
        k -= 1
    if k >= 0 and _naming(doc, k):
        return True
    while k > 0 and doc[k].pos_ == "DET":
        k -= 1  # "we propose the Transformer", even where the parse does not link them
    if k > 0 and intro_stem(doc[k].lower_) in INTRO_VERBS and doc[k - 1].lower_ == "we":
        return True
    tok = span.root
    while tok.dep_ in ("appos", "conj") and tok.head is not tok:
        tok = tok.head
    verb = tok.head
    if tok.dep_ not in ("dobj", "oprd") or verb.pos_ != "VERB" or not any(
            c.dep_ == "nsubj" and c.lower_ in AUTHORS for c in verb.children):
        return False
    stem = intro_stem(verb.lower_)
    if stem in INTRO_VERBS or verb.lower_ in NAMING_VERBS:
        return True
    if stem.rstrip("e") in {v.rstrip("e") for v in MAKING_VERBS} or verb.lower_ in MAKING_VERBS:
        return any(c.dep_ == "appos" and c.lower_ in TYPE_NOUNS for c in span.root.children)
    return False


def _naming(doc: Doc, k: int) -> bool:
    """Whether the words ending at token k name what follows: "dubbed", "called", "referred
    to as"."""
    return doc[k].lower_ in NAMING or k >= 2 and doc[k].lower_ == "as" and (
        doc[k - 1].lower_ == "to" and doc[k - 2].lower_ in ("referred", "refer"))


def _is_intro_verb(verb: Token) -> bool:
    """"we propose", "this paper introduces", "X is proposed" (no "by" agent)."""
    if intro_stem(verb.lower_) not in INTRO_VERBS:
        return False
    if any(c.dep_ == "agent" or c.lower_ in ("have", "has", "had") for c in verb.children):
        return False  # "X was proposed by ...", "LLMs have been developed": earlier work
    subject = verb  # "we exploit ... by building X", "we propose ... and introduce X"
    for _ in range(4):
        if any(c.dep_ == "nsubj" and c.lower_ in AUTHORS or c.dep_ == "nsubjpass"
               for c in subject.children):
            return True
        if subject.dep_ not in CLAUSE_LINKS or subject.head is subject:
            return False
        subject = subject.head
    return False


@Language.factory("kg_introduced", assigns=["doc.spans", "span._.kg"],
                  requires=["span._.kg", "doc._.long_forms", "token.dep", "token.pos"])
def make_introduced(nlp: Language, name: str) -> Introduced:
    return Introduced()


class Introduced:
    """Flag introduced candidates; write the kept ones, labelled by type, to doc.spans["kg"]."""

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.spans.get("kg_candidates", []))
        for span in spans:
            ev = span._.kg
            new = ev.introduced or self._introduced(doc, span)
            if _headline(doc, span):  # even a known name: "We present YOLO, a new approach"
                ev.rules.append(HEADLINE)
            ev.introduced = (new and not ev.known or HEADLINE in ev.rules) and not (
                len(span) == 1 and span.text.islower()  # "reasoning": a generic word
                or any(t.lower_ in EARLIER for t in doc[max(0, span.start - 3):span.start]))
        self._first_new_name(doc, spans)
        share_definition_flags(doc, spans)
        counts = Counter(t.text for t in doc)
        found = []
        for span in spans:
            ev = span._.kg
            if ev.votes and not (ev.rules == ["shape:name"] and len(span) == 1
                                 and not is_namelike(span[0]) and not ev.introduced
                                 and counts[span.text] < 2):
                labelled = Span(doc, span.start, span.end, label=ev.best[0])
                labelled._.kg = ev
                found.append(labelled)
        doc.spans["kg"] = found
        return doc

    @staticmethod
    def _introduced(doc: Doc, span: Span) -> bool:
        """"dubbed X", "our X", or X inside the object of "we propose / introduce / present"
        (its apposition, conjunct, compound, "of"-phrase or relative clause), or of a passive
        "X is proposed"."""
        k = span.start - 1
        while k > 0 and doc[k].is_quote:
            k -= 1  # which we dub "prompt-based learning"
        prev = doc[k] if k >= 0 else None
        if prev is not None and (_naming(doc, k) or prev.lower_ in OWNING and (
                is_namelike(span[0]) or PROPOSED_TERM in span._.kg.rules)):
            return True  # "dubbed X", "our X", "a novel QWeb architecture", "the proposed X"
        head = span.root.head
        if (span.root.dep_ == "nsubj" and head.lower_ in ("is", "are") and is_namelike(span[0])
                and any(c.dep_ == "attr" and c.lower_ in TYPE_NOUNS for c in head.children)):
            return True  # "PSI-KT is a hierarchical generative approach that ..."
        tok, in_clause = span.root, False
        for _ in range(10):
            if tok.pos_ in ("VERB", "AUX") and tok is not span.root:
                if _is_intro_verb(tok):
                    return True
                if tok.dep_ not in ("relcl", "acl") or any(
                        c.lower_ in ("where", "when") for c in tok.children):
                    return False  # "a task where multi-step inference is ..." sets a scene
                in_clause = True  # "X, which consists of Y": where the clause attaches is moot
            elif (tok.dep_ == "prep" and tok.lower_ not in _OF and not in_clause
                  or tok.dep_ not in CLIMB or in_clause and span.text.islower()):
                return False  # a clause names an introduced thing's parts, not its contents
            if tok.head is tok:
                return False
            tok = tok.head
        return False

    @staticmethod
    def _first_new_name(doc: Doc, spans: list[Span]) -> None:
        """"We argue ... and propose HyperCRL, a method ...": when the parse misses the link,
        the first new (non-lexicon) name after an authors' "propose"-verb is introduced."""
        for sent in doc.sents:
            verb = next((t for t in sent if intro_stem(t.lower_) in INTRO_VERBS
                         and t.pos_ == "VERB" and any(w.lower_ == "we"
                                                      for w in doc[sent.start:t.i])), None)
            if verb is None:
                continue
            after = [s for s in spans if s.start > verb.i and s.end <= sent.end
                     and any(is_namelike(t) for t in s)]
            near = next((s for s in after if s.start - verb.i <= 6), None)
            named = near or next((s for s in after if _renamed(doc, s)), None)
            if named is not None and not named._.kg.known:
                named._.kg.introduced = True


def _renamed(doc: Doc, span: Span) -> bool:
    """", the AlgoPerf ... benchmark": a name in apposition after a comma and "the", which
    names what the sentence put forward however far back ("we introduce a new benchmark
    using ... hardware, the AlgoPerf: Training Algorithms benchmark")."""
    return span.start >= 2 and doc[span.start - 1].lower_ == "the" and (
        doc[span.start - 2].text == ",")


def share_definition_flags(doc: Doc, spans: list[Span]) -> None:
    """An acronym and its long form are introduced together; "X (Y)" with no acronym match
    ("... Replayed Vocabulary (VR-LwF)") likewise; a later use of a defined acronym ("ICL"
    after "in-context learning (ICL)") introduces nothing."""
    long_forms = doc._.long_forms
    for span in spans:
        k = span.end
        inner = doc[k + 1:k + 2]._.kg if k + 2 < len(doc) else None
        if (inner is not None and doc[k].text == "(" and doc[k + 2].text == ")"
                and (k + 1, k + 2) not in long_forms):
            ev = span._.kg
            inner.introduced = ev.introduced = (inner.introduced or ev.introduced) and not (
                inner.known or ev.known)
    defined = {doc[a:b].text: (a, b) for a, b in reversed(list(long_forms))}
    for span in spans:
        first = defined.get(span.text)
        if first is not None and first != (span.start, span.end):
            span._.kg.introduced = False
    for (s0, s1), (l0, l1) in long_forms.items():
        es, el = doc[s0:s1]._.kg, doc[l0:l1]._.kg
        if es is not None and el is not None:
            headline = HEADLINE in es.rules or HEADLINE in el.rules
            es.introduced = el.introduced = (es.introduced or el.introduced) and (
                headline or not (es.known or el.known))
