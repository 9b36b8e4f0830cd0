"""The paper-level rules: one paper's title and abstract docs -> its `Extraction` records.

Some decisions need the whole paper: a title's "Name: subtitle" name is introduced, two of
the paper's names side by side ("SSP ViTs") are two mentions, a once-used modified name
("over-confident contrastive learning") shrinks to the paper's plain name, and a bare head
("manipulation") stands for the one longer name of the paper it ends ("robot manipulation").
Relations found per sentence are tied to the final mentions, and "we" / "our method" becomes
the entity the paper introduces.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from spacy.tokens import Doc, Span

from kg.extract.candidates import Evidence
from kg.extract.lexicon import HEADS, TYPE_NOUNS
from kg.extract.shapes import is_namelike, term_head
from kg.model import Extraction, Mention, Relation, relation_kind

USES = relation_kind("uses")


def paper_extraction(paper_id: str, title: Doc, abstract: Doc) -> Extraction:
    """Everything the extractor finds in one paper, as plain records."""
    mentions = doc_mentions(paper_id, title, abstract)
    relations = doc_relations(paper_id, {"title": title, "abstract": abstract}, mentions)
    return Extraction(paper_id, tuple(mentions), tuple(relations))


def doc_relations(paper_id: str, docs: dict[str, Doc], mentions: list[Mention]
                  ) -> list[Relation]:
    """The relations of `doc._.relations`, between the paper's final mentions; a head of None
    ("we", "our method") is the paper's own contribution: its first introduced name whose
    type the relation (and "our dataset" / "our model") allows, title first."""
    ours = [m for m in mentions if m.introduced]
    out: dict[tuple, Relation] = {}
    for fld, doc in docs.items():
        here = [m for m in mentions if m.field == fld]
        for f in doc._.relations:
            kind = relation_kind(f.kind)
            tail = _mention_at(doc, f.tail, here)
            if tail is None:
                continue
            sent = doc[f.sentence[0]:f.sentence[1]]
            if f.head is not None:
                head = _mention_at(doc, f.head, here)
            else:  # the paper's own: named in this sentence, else first named (title first)
                fits = [m for m in ours if m.type in kind.heads and m.ref != tail.ref
                        and (not f.author_types or m.type in f.author_types)]
                head = next((m for m in fits if m.field == fld
                             and sent.start_char <= m.start < sent.end_char), None) or next(
                    iter(fits), None)
            if head is None or head.text.lower() == tail.text.lower():
                continue
            sentence = sent.text
            out.setdefault((kind.name, head.ref, tail.ref), Relation(
                paper_id, kind.name, head.ref, tail.ref, sentence, f.rule))
    for rel in _parts_of_contribution(paper_id, ours, USES):
        out.setdefault((rel.kind, rel.head, rel.tail), rel)
    return list(out.values())


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


def _mention_at(doc: Doc, tokens: tuple[int, int], mentions: list[Mention]) -> Mention | None:
    """The final mention inside the span at these token offsets (it may have shrunk)."""
    span = doc[tokens[0]:tokens[1]]
    return next((m for m in mentions if span.start_char <= m.start and m.end <= span.end_char),
                None)


def doc_mentions(paper_id: str, title: Doc, abstract: Doc) -> list[Mention]:
    """The mentions of one paper, after the paper-level rules: a title's "Name: subtitle"
    name is introduced, juxtaposed names and slogans are dropped, a once-used modified name
    shrinks to the paper's plain name, and a bare head stands for the paper's longer name."""
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
        if seen[span.text.lower()] == 1 and not (ev.acronym_pair or ev.known):
            shorter = _standalone_part(span, seen)
            if not ev.introduced or shorter.text.lower() in coined:
                span = shorter
        if ("title-prefix" in ev.rules and span.text not in abstract.text
                and not any(is_namelike(t) for t in span)):
            continue  # "Don't Stop Learning: ..." is a slogan, not a name
        if not _juxtaposed(span, names):
            kept.append((fld, span, ev))
    final = Counter(span.text.lower() for _, span, _ in kept)
    longer = _elliptical_heads(final, {s.text.lower() for _, s, ev in kept if ev.introduced})
    out = []
    for fld, span, ev in kept:
        type_ = ev.best[0]
        intro = ev.introduced or fld == "title" and span.end <= colon and (
            span.text.lower() in abstract_text or "title-prefix" in ev.rules)  # "Orca: ..."
        text = span.text.rstrip(".")  # "pass@N." kept its full stop as one token
        if len(text) < 2:
            continue
        bare = len(span) == 1 and type_ != "Metric"
        out.append(Mention(paper_id=paper_id, text=text, field=fld, start=span.start_char,
                           end=span.start_char + len(text), sentence=span.sent.text,
                           type=type_, evidence=",".join(dict.fromkeys(ev.rules)) or "shape",
                           votes=tuple(sorted(ev.votes.items())), introduced=intro,
                           long_form=ev.long_form,
                           refers_to=longer.get(text.lower(), "") if bare else ""))
    return out


def _juxtaposed(span: Span, names: set[str]) -> bool:
    """"SSP ViTs", "CLIP continual learning": two of the paper's names side by side."""
    return any(span[:k].text.lower() in names and span[k:].text.lower() in names
               for k in range(1, len(span)))


def _standalone_part(span: Span, seen: Counter) -> Span:
    """"over-confident contrastive learning" once, "contrastive learning" elsewhere in the
    paper: the modifier describes this use, and the entity is the shorter name; likewise
    "pass@N accuracy" once beside "pass@N" (a name and a bare head word)."""
    for k in range(1, len(span)):
        if seen[span[k:].text.lower()]:
            return span[k:]
    if len(span) > 1 and seen[span[:-1].text.lower()] and is_namelike(span[0]) and (
            term_head(span[-1]) in HEADS or span[-1].lower_ in TYPE_NOUNS):
        return span[:-1]
    return span


def _elliptical_heads(seen: Counter, coined: set[str]) -> dict[str, str]:
    """A bare head word that ends exactly one longer name of the paper stands for it:
    "robot manipulation ... manipulation" (the head of "knowledge distillation" likewise);
    not for the paper's own coinage ("question-answering" is not its new dataset)."""
    ends: dict[str, set[str]] = defaultdict(set)
    for name in seen.keys() - coined:
        words = name.split()
        if len(words) > 1:
            ends[words[-1]].add(name)
    return {head: next(iter(names)) for head, names in ends.items()
            if len(names) == 1 and head in seen}
