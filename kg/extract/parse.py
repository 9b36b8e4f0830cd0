"""The parse, read for relations and results: pure helpers over a spaCy doc.

Which names form one list ("A, B and C"), the verb of a token's clause and that verb's
subject (through conjoined and embedded clauses), and the name at a token or among its
compounds.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

from kg.extract.lexicon import ORGANISATIONS

#: Links inside one list of names: "A, B and C", "(i.e., A, B)", "such as A".
LIST_GLUE = {",", "and", "or", "&", "(", ")", "i.e.", "e.g.", "i.e", "e.g", "such", "as",
             "including", "like", "namely", "both", "as well", "well"}


def lists(doc: Doc, spans: list[Span]) -> dict[int, list[Span]]:
    """span start -> the spans of its list: names joined only by list glue ("A, B and C",
    "(i.e., A, B)"), so a relation to one is a relation to each."""
    groups: list[list[Span]] = []
    for span in spans:
        prev = groups[-1][-1] if groups else None
        glue = doc[prev.end:span.start] if prev is not None else None
        if prev is not None and len(glue) <= 8 and all(
                t.lower_ in LIST_GLUE or t.like_num or t.text[:1] in "+-%" or t.text[-1:] == "%"
                or t.text in ORGANISATIONS  # "A, Google B and C"
                for t in glue) and sum(t.lower_ not in LIST_GLUE for t in glue) <= 2:
            groups[-1].append(span)
        else:
            groups.append([span])
    return {s.start: g for g in groups for s in g}


def clause_verb(tok: Token) -> Token:
    """The verb of the clause a token sits in (itself if it is one)."""
    for _ in range(8):
        if tok.pos_ in ("VERB", "AUX") or tok.head is tok:
            return tok
        tok = tok.head
    return tok


def clause_subject(verb: Token) -> Token | None:
    """The subject of a verb, through conjoined and embedded clauses ("X ... and shows")."""
    for _ in range(4):
        subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "csubj")]
        subject = subjects[0] if subjects else None
        if len(subjects) > 1 and subjects[1].left_edge.i == subject.right_edge.i + 1:
            subject = subjects[1]  # one noun phrase split in two: "our reference | PPO
            # implementation leads": its head is the last noun
        if subject is not None and subject.dep_ == "csubj":  # "X fine-tuned on Y is ..."
            subject = next((c for c in subject.children if c.dep_ == "nsubj"), subject)
        if subject is not None:
            return subject
        if verb.dep_ not in ("conj", "xcomp", "advcl", "acl", "pcomp", "prep", "relcl") or (
                verb.head is verb):
            return None
        verb = verb.head
    return None


def name_in(tok: Token, at: dict, types) -> Span | None:
    """A name of one of `types` at `tok` or among its compounds ("our CoCo framework")."""
    for t in (tok, *tok.children):
        span = at.get(t.i)
        if span is not None and span.label_ in types and (t is tok or t.dep_ in (
                "compound", "nmod", "amod", "appos", "poss")):
            return span
    return None
