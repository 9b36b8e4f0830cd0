"""The paper-level rules: one paper's title and abstract docs -> its `Extraction` records.

Some decisions need the whole paper: a title's "Name: subtitle" name is introduced, two of
the paper's names side by side ("SSP ViTs") are two mentions, a once-used modified name
("over-confident contrastive learning") shrinks to the paper's plain name; a name is never
folded into a longer one that contains it ("ImageNet" is not "Tiny ImageNet").
Relations found per sentence are tied to the final mentions, and "we" / "our method" becomes
the entity the paper introduces.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from spacy.tokens import Doc, Span

from kg.extract.candidates import Evidence
from kg.extract.introduced import HEADLINE
from kg.extract.lexicon import HEADS, TYPE_NOUNS
from kg.extract.shapes import is_namelike, term_head
from kg.model import Extraction, Mention, MentionRef, Relation, Result, relation_kind
from kg.names import name_key, plain_text

USES = relation_kind("uses")
EVALUATED_ON = relation_kind("evaluated_on").name
EVALUATED_ON_TAILS = relation_kind("evaluated_on").tails
COMPARED_WITH = relation_kind("compared_with").name
SYSTEM_TYPES = relation_kind("system").tails


def paper_extraction(paper_id: str, title: Doc, abstract: Doc) -> Extraction:
    """Everything the extractor finds in one paper, as plain records."""
    mentions = doc_mentions(paper_id, title, abstract)
    docs = {"title": title, "abstract": abstract}
    relations = doc_relations(paper_id, docs, mentions)
    return Extraction(paper_id, tuple(mentions), tuple(relations),
                      tuple(doc_results(paper_id, docs, mentions)))


def doc_results(paper_id: str, docs: dict[str, Doc], mentions: list[Mention]) -> list[Result]:
    """The numbers of `doc._.results`, tied to the paper's final mentions; a result whose
    text names no system is the paper's own contribution's (its introduced model or method,
    named in the sentence if it is, else the first)."""
    ours = [m for m in mentions if m.introduced and m.type in SYSTEM_TYPES]
    out = []
    for fld, doc in docs.items():
        here = [m for m in mentions if m.field == fld]
        for f in doc._.results:
            sent = doc[f.sentence[0]:f.sentence[1]]
            value = doc[f.value[0]:f.value[1]]

            def ref(tokens: tuple[int, int] | None, doc=doc, here=here) -> MentionRef | None:
                found = _mentions_at(doc, tokens, here) if tokens else []
                return found[0].ref if found else None

            system = ref(f.system)
            if system is None:
                own = next((m for m in ours if m.field == fld
                            and sent.start_char <= m.start < sent.end_char), None) or next(
                    iter(ours), None)
                system = own.ref if own else None
            out.append(Result(paper_id, f.text, f.number, f.unit, f.kind, fld,
                              value.start_char, value.end_char, sent.text, f.rule, system,
                              ref(f.dataset), ref(f.metric), ref(f.compared_to)))
    return out


def doc_relations(paper_id: str, docs: dict[str, Doc], mentions: list[Mention]
                  ) -> list[Relation]:
    """The relations of `doc._.relations`, between the paper's final mentions; a head of None
    ("we", "our method") is the paper's own contribution: its first introduced name whose
    type the relation (and "our dataset" / "our model") allows, title first."""
    ours = sorted((m for m in mentions if m.introduced), key=_headline_first)
    out: dict[tuple, Relation] = {}
    for fld, doc in docs.items():
        here = [m for m in mentions if m.field == fld]
        for f in doc._.relations:
            kind = relation_kind(f.kind)
            sent = doc[f.sentence[0]:f.sentence[1]]
            for tail in _mentions_at(doc, f.tail, here):
                if f.head is not None:
                    heads = _mentions_at(doc, f.head, here)
                elif f.head_name:  # "a SAMI-trained mistral-7b": a mention of SAMI
                    named = name_key(f.head_name)
                    heads = [next(m for m in mentions if name_key(m.key_name) == named)
                             ] if any(name_key(m.key_name) == named for m in mentions) else []
                else:  # the paper's own: named in this sentence, else first named (title first)
                    fits = [m for m in ours if m.type in kind.heads and m.ref != tail.ref
                            and (not f.author_types or m.type in f.author_types)]
                    head = next((m for m in fits if m.field == fld
                                 and sent.start_char <= m.start < sent.end_char), None) or next(
                        iter(fits), None)
                    heads = [head] if head is not None else []
                for head in heads:
                    if head.key_name.lower() != tail.key_name.lower():
                        out.setdefault((kind.name, head.ref, tail.ref), Relation(
                            paper_id, kind.name, head.ref, tail.ref, sent.text, f.rule))
    for rel in [*_parts_of_contribution(paper_id, ours, USES), *_evaluated_alike(out),
                *_compared_on_ours(out, ours, mentions)]:
        out.setdefault((rel.kind, rel.head, rel.tail), rel)
    return list(out.values())


def _headline_first(m: Mention) -> int:
    """The paper's own contribution, most central first: the title's "Name:", then what
    "we propose" names (not the long form of a part it is built from), then the rest."""
    rules = m.evidence.split(",")
    return 0 if "title-prefix" in rules else 1 if HEADLINE in rules else 2


def _evaluated_alike(found: dict[tuple, Relation]) -> list[Relation]:
    """What a sentence compares with a system evaluated on some data is evaluated on it too:
    "Orca reaches parity with ChatGPT on the BBH benchmark"."""
    evaluated = [r for r in found.values() if r.kind == EVALUATED_ON]
    return [replace(e, head=c.tail, rule="compared-on")
            for c in found.values() if c.kind == COMPARED_WITH
            for e in evaluated if e.head == c.head and e.sentence == c.sentence]


#: Words by which a sentence reports the paper's own experiments.
EXPERIMENT_WORDS = {"experiments", "experiment", "experimental", "results", "evaluation",
                    "evaluations"}


def _compared_on_ours(found: dict[tuple, Relation], ours: list[Mention],
                      mentions: list[Mention]) -> list[Relation]:
    """A paper that introduces one benchmark (or dataset) and reports "our experiments show
    X outperforms Y" with no data named in that sentence: X and Y were run on it."""
    data = {m.ref: m for m in ours if m.type in EVALUATED_ON_TAILS}
    if len({m.key_name.lower() for m in data.values()}) != 1:
        return []
    bench = next(iter(data.values()))
    named = {m.sentence for m in mentions if m.type in EVALUATED_ON_TAILS}
    return [Relation(c.paper_id, EVALUATED_ON, end, bench.ref, c.sentence, "compared-on-ours")
            for c in found.values() if c.kind == COMPARED_WITH and c.sentence not in named
            and set(re.findall(r"[a-z]+", c.sentence.lower())) & EXPERIMENT_WORDS
            for end in (c.head, c.tail)]


def _parts_of_contribution(paper_id: str, ours: list[Mention], kind) -> list[Relation]:
    """A paper that introduces several methods builds its headline one (named in the title,
    else first) from the others: "we propose CoCo ... a Dual Cross-modality Alignment
    module"; "Based on PCR, we further develop HPCR" (named in the title)."""
    systems = [m for m in ours if m.type in kind.heads]
    if len(systems) < 2:
        return []
    main = systems[0]
    named = {main.text.lower(), main.long_form.lower()}
    return [Relation(paper_id, kind.name, main.ref, m.ref, m.sentence, "part-of-contribution")
            for m in systems[1:] if m.text.lower() not in named
            and m.long_form.lower() not in named and m.type in kind.tails]


def _mentions_at(doc: Doc, tokens: tuple[int, int], mentions: list[Mention]) -> list[Mention]:
    """The final mentions inside the span at these token offsets: it may have shrunk, or
    stand for several names ("CIFAR10&100")."""
    span = doc[tokens[0]:tokens[1]]
    return [m for m in mentions if span.start_char <= m.start and m.end <= span.end_char]


def doc_mentions(paper_id: str, title: Doc, abstract: Doc) -> list[Mention]:
    """The mentions of one paper, after the paper-level rules: a title's "Name: subtitle"
    name is introduced, juxtaposed names and slogans are dropped, a once-used modified name
    shrinks to the paper's plain name."""
    abstract_text = abstract.text.lower()
    colon = next((t.i for t in title[:7] if t.text in (":", ",")), -1)  # "Name: what it does"
    spans = [(fld, s) for fld, doc in (("title", title), ("abstract", abstract))
             for s in doc.spans.get("kg", [])]
    names = {s.text.lower() for _, s in spans}
    seen = Counter(s.text.lower() for _, s in spans)
    coined = {s.text.lower() for _, s in spans if s._.kg.introduced}
    kept: list[tuple[str, Span, Evidence]] = []
    for fld, span in spans:
        ev: Evidence = span._.kg
        if seen[span.text.lower()] == 1 and not (ev.acronym_pair or ev.known or (
                "title-prefix" in ev.rules and _titled_term(span))):
            shorter = _standalone_part(span, seen, fld == "title")
            if not ev.introduced or shorter.text.lower() in coined:
                span = shorter
        if "title-prefix" in ev.rules and span.text not in abstract.text and (
                _slogan(span) or sum(t.lower_ in names for t in span) > 1):
            continue  # "Don't Stop Learning: ..." is a slogan, "CLASS Meet SPOCK: ..." two names
        if not _juxtaposed(span, names):
            kept.append((fld, span, ev))
    out = []
    for fld, span, ev in kept:
        type_ = ev.best[0]
        intro = ev.introduced or fld == "title" and span.end <= colon and (
            span.text.lower() in abstract_text or "title-prefix" in ev.rules)  # "Orca: ..."
        text = span.text.rstrip(".")  # "pass@N." kept its full stop as one token
        if len(text) < 2:
            continue
        for start, end, name in coordinated(text):
            out.append(Mention(
                paper_id=paper_id, text=text[start:end], field=fld,
                start=span.start_char + start, end=span.start_char + end,
                sentence=span.sent.text, type=type_,
                evidence=",".join(dict.fromkeys(ev.rules)) or "shape",
                votes=tuple(sorted(ev.votes.items())), introduced=intro,
                long_form=ev.long_form, name=name if name != text[start:end] else ""))
    return _titled(_shortened(_spelled_out(out)), title.text)


_HEAD_KEYS = {name_key(h) for h in HEADS}


def _shortened(mentions: list[Mention]) -> list[Mention]:
    """A bare term ("distillation") in a paper that names one longer term with that head
    ("knowledge distillation", or an acronym's long form) refers to it: it resolves to that
    name. With two or more such terms ("contrastive distillation" too) it stays itself."""
    longer: dict[str, set[str]] = {}
    for m in mentions:
        for name in (m.key_name, m.long_form):
            words = name.lower().split()
            if len(words) > 1:
                longer.setdefault(name_key(words[-1]), set()).add(name)
    out = []
    for m in mentions:
        key = name_key(m.key_name)
        forms = longer.get(key, set())
        if " " not in m.key_name.strip() and key in _HEAD_KEYS and (
                len({name_key(f) for f in forms}) == 1):
            m = replace(m, name=min(forms))
        out.append(m)
    return out


def _spelled_out(mentions: list[Mention]) -> list[Mention]:
    """An acronym the paper never defines in brackets but spells out elsewhere, in the title
    or the abstract ("MMC" beside "Masked Momentum Contrastive Learning": the initials of its
    first words, the last word a head) has that long form."""
    defined = {m.key_name for m in mentions if m.long_form}
    names = [m.key_name for m in mentions if len(m.key_name.split()) > 1]
    out = []
    for m in mentions:
        acronym = m.key_name
        if (not m.long_form and acronym not in defined and acronym.isupper()
                and 2 <= len(acronym) <= 6 and acronym.isalpha()):
            long = next((n for n in names
                         if len(n.split()) in (len(acronym), len(acronym) + 1)
                         and "".join(w[0] for w in n.split()[:len(acronym)]).upper() == acronym
                         and all(w[:1].isalpha() for w in n.split())), "")
            if long:
                m = replace(m, long_form=long)
        out.append(m)
    return out


def _titled(mentions: list[Mention], title: str) -> list[Mention]:
    """A title that is one name the abstract uses ("Denoising Diffusion Probabilistic
    Models") is the paper's contribution: every mention of that name (or of its acronym)
    is introduced."""
    key = name_key(title.rstrip(".!? "))
    named = [m for m in mentions if key in (name_key(m.key_name), name_key(m.long_form))]
    if not any(m.field == "abstract" for m in named):
        return mentions
    return [replace(m, introduced=True) if m in named else m for m in mentions]


#: A short part after "&" or "/" that replaces the end of the name before it: "100" in
#: "CIFAR10&100", "V2" in "MoCoV1&V2", "7B" in "...-1.5B/7B".
_TAIL_PART = re.compile(r"[A-Za-z]?\d+(\.\d+)?[A-Za-z]?")


def coordinated(text: str) -> list[tuple[int, int, str]]:
    """The names one written token stands for, as (start, end, name): "CIFAR10&100" ->
    CIFAR10 and CIFAR100; "MoCoV1&V2" -> MoCoV1 and MoCoV2; "BERT/RoBERTa" -> both;
    "$\\mathcal{B}$-Coder" -> one, named "B-Coder". A name with no "&" or "/" is itself."""
    pieces = [(m.start(), m.end()) for m in re.finditer(r"[^&/]+", text)]
    if len(pieces) < 2 or " " in text or pieces[0][0] != 0 or pieces[-1][1] != len(text):
        return [(0, len(text), plain_text(text))]
    first = text[pieces[0][0]:pieces[0][1]]
    out = [(0, len(first), plain_text(first))]
    for start, end in pieces[1:]:
        part = text[start:end]
        if _TAIL_PART.fullmatch(part):
            shape = re.sub(r"\d+(\.\d+)?", "#", re.sub(r"[A-Za-z]", "a", part))
            pattern = shape.replace("#", r"\d+(?:\.\d+)?").replace("a", "[A-Za-z]") + "$"
            found = re.search(pattern, first)
            if found is None or found.start() == 0:
                return [(0, len(text), plain_text(text))]
            out.append((start, end, plain_text(first[:found.start()] + part)))
        elif len(part) >= 2 and any(c.isalpha() for c in part):
            out.append((start, end, plain_text(part)))
        else:
            return [(0, len(text), plain_text(text))]
    return out


def _slogan(span: Span) -> bool:
    """A title's "Phrase: ..." that is no name ("Don't Stop Learning", "Talking Models"):
    names are name-like ("CPL", "Orca 2") or coined compounds of capitalised parts
    ("Ensemble-Instruct", "Skill-Mix")."""
    coined = len(span) == 1 and re.fullmatch(r"[A-Z][a-z]+(-[A-Z][a-z]+)+", span.text)
    return not (coined or any(is_namelike(t) for t in span) or _titled_term(span))


def _titled_term(span: Span) -> bool:
    """A title's "Term: ..." that names a method by a term ("Non-instructional Fine-tuning:
    ..."): it ends in a term head and holds no stop word and no verb, nor starts with one
    ("Talking Models", "Rethinking Fine-Tuning when ..." are sentences)."""
    return len(span) > 1 and term_head(span[-1]) in HEADS and span[0].tag_ != "VBG" and not any(
        t.is_stop or "'" in t.text or t.tag_ in ("VB", "VBD", "VBP", "VBZ", "MD") for t in span)


def _juxtaposed(span: Span, names: set[str]) -> bool:
    """"SSP ViTs", "CLIP continual learning": two of the paper's names side by side."""
    return any(span[:k].text.lower() in names and span[k:].text.lower() in names
               for k in range(1, len(span)))


def _standalone_part(span: Span, seen: Counter, in_title: bool) -> Span:
    """"over-confident contrastive learning" once, "contrastive learning" elsewhere in the
    paper: the modifier describes this use, and the entity is the shorter name; likewise
    "pass@N accuracy" once beside "pass@N" (a name and a bare head word). Only descriptive
    words shrink away: "instruction fine-tuning" and "Tiny ImageNet" are other things."""
    for k in range(1, len(span)):
        if not all(t.pos_ in ("ADJ", "ADV", "VERB", *("PROPN",) * in_title)
                   and (t.text.islower() or in_title) and not is_namelike(t) for t in span[:k]):
            break
        if seen[span[k:].text.lower()]:
            return span[k:]
    if len(span) > 1 and seen[span[:-1].text.lower()] and is_namelike(span[0]) and (
            term_head(span[-1]) in HEADS or span[-1].lower_ in TYPE_NOUNS):
        return span[:-1]
    return span
