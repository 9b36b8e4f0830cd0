"""Experiment (issue #11): a trained span type classifier voting beside the rules.

Not part of the default pipeline: on the held-out-style measurements it did not improve the
extractor (see RESULTS.md beside this file). It is kept here, complete, so that it can be
re-run, scored elsewhere or picked up again.

The component ``kg_type_model`` (registered by importing this module) adds one more type cue
to each candidate, learnt rather than written: a linear classifier (spaCy's
`TextCategorizer`, bag-of-features architecture) over a bag of feature strings of the span --
its words, head word, suffix and shape, an acronym's long form, the words and number shapes
around it, the word that governs it in the parse -- predicting a coarse class: Data,
Approach, Task, Metric, or none (not an entity of ours). It runs after ``kg_types``. For each
candidate the rules kept (one with a vote), it votes for its best entity class with weight
`W_MODEL` times that class's probability, unless "none" is likelier (it abstains: the rules
decide what is a candidate, and the lone capitalised words they drop stay dropped). Within a
class's group (Dataset/Benchmark, Method/Model) the vote is split in proportion to the
rules' votes: the model picks the group, the rules the member.

Train it (seeded: the same data gives the same model; ~20 s):

    python benchmarks/span_typer/span_typer.py --scierc ../shared/eval/scierc/train.json \\
        --gold ../shared/eval/dev_gold.jsonl --papers ../shared/eval/dev_papers.jsonl -o MODEL

and use it: ``nlp.add_pipe("kg_type_model", after="kg_types", config={"model": "MODEL"})``.

Training examples are the spans the classifier meets: the pipeline's candidates on each text
(SciERC abstracts, the gold papers' titles and abstracts), labelled by the annotated span
they match (the same span, or one ending on the same word), "none" when they overlap no
annotated span, left out when they overlap one ambiguously (a part of a longer annotation);
annotated spans that no candidate matched are added as they are. Classes:

- SciERC Material -> Data (corpora, datasets; also "speech", "images": broader than ours),
  Method -> Approach, Task -> Task, Metric -> Metric, OtherScientificTerm and Generic ->
  none (features, constraints, "this method": not things the graph names);
- gold Dataset/Benchmark -> Data, Model/Method -> Approach, Task, Metric; an optional gold
  entity is neither an example nor a counter-example.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from kg.extract.candidates import W_LEXICON, Evidence

#: The coarse classes, in the classifier's label order; "none" is every other span.
CLASSES = ("Data", "Approach", "Task", "Metric", "none")
#: The project's types each class votes for; the first takes the vote when no rule chose.
GROUPS = {"Data": ("Dataset", "Benchmark"), "Approach": ("Method", "Model"),
          "Task": ("Task",), "Metric": ("Metric",)}
SCIERC_CLASSES = {"Material": "Data", "Method": "Approach", "Task": "Task", "Metric": "Metric",
                  "OtherScientificTerm": "none", "Generic": "none"}
GOLD_CLASSES = {"Dataset": "Data", "Benchmark": "Data", "Model": "Approach",
                "Method": "Approach", "Task": "Task", "Metric": "Metric"}

#: A confident model vote (p ~ 0.9 -> 1.35) outweighs a name's shape, a suffix and a data
#: context, ties with a head word and yields to a type noun, an apposition or the lexicon.
W_MODEL = 1.5

WINDOW = 3  # context words on each side, by position
BAG = 6  # context words on each side, as a bag
EPOCHS = 10
LENGTH = 2 ** 17  # hashed feature slots (~30,000 distinct features in training)
BATCH = 32
MAX_GOLD_WORDS = 8  # an annotated span longer than this is not a name the pipeline proposes


# -- the features and the component ------------------------------------------------------

def shape(text: str) -> str:
    """"ImageNet-1k" -> "XxXx-dx": character classes, runs collapsed."""
    out = []
    for c in text:
        k = "X" if c.isupper() else "x" if c.isalpha() else "d" if c.isdigit() else c
        if not out or out[-1] != k:
            out.append(k)
    return "".join(out)


def _word(tok: Token) -> str:
    """A context word: lower case, numbers by their shape ("3,000" -> "d,d")."""
    return shape(tok.text) if any(c.isdigit() for c in tok.text) else tok.lower_


def features(span: Span) -> list[str]:
    """What the classifier sees of a span: a bag of feature strings."""
    doc, last = span.doc, span[-1]
    feats = [f"w={t.lower_}" for t in span] + [f"s={shape(t.text)}" for t in span]
    feats += [f"head={last.lower_}", f"first={span[0].lower_}", f"suf={last.lower_[-3:]}",
              f"shape={' '.join(shape(t.text) for t in span)}", f"n={min(len(span), 5)}",
              f"tag={last.tag_}"]
    if span.text.islower():
        feats.append("lower")
    defined = {doc[a:b].text: doc[c:d] for (a, b), (c, d) in doc._.long_forms.items()}
    long_form = defined.get(span.text)
    if long_form:  # "KD": what "knowledge distillation" says
        feats += [f"w={t.lower_}" for t in long_form] + [
            f"head={long_form[-1].lower_}", f"suf={long_form[-1].lower_[-3:]}", "acronym"]
    for k in range(1, WINDOW + 1):
        left, right = span.start - k, span.end + k - 1
        feats.append(f"L{k}={_word(doc[left]) if left >= 0 else '<s>'}")
        feats.append(f"R{k}={_word(doc[right]) if right < len(doc) else '</s>'}")
    feats += [f"l={_word(t)}" for t in doc[max(0, span.start - BAG):span.start]]
    feats += [f"r={_word(t)}" for t in doc[span.end:span.end + BAG]]
    root = span.root
    if root.head is not root and not (span.start <= root.head.i < span.end):
        gov = root.head
        feats.append(f"dep={root.dep_}>{gov.lower_}")
        if root.dep_ == "pobj" and gov.head is not gov:  # "trained on X", "results on X"
            feats.append(f"prep={gov.head.lower_}>{gov.lower_}")
    if doc.user_data.get("is_title"):
        feats.append("title")
    return feats


def model_config(settings: dict) -> dict:
    """The TextCategorizer architecture: a softmax over hashed feature weights."""
    return {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True,
            "ngram_size": 1, "no_output_layer": False, "length": settings["length"]}


class Classifier:
    """The trained classifier: feature bags in, class probabilities (in `CLASSES` order) out."""

    def __init__(self, path: Path):
        import spacy

        self.settings = json.loads((path / "typer.json").read_text(encoding="utf-8"))
        nlp = spacy.blank("en")
        pipe = nlp.add_pipe("textcat", config={"model": model_config(self.settings)})
        pipe.from_disk(path / "textcat", exclude=["vocab"])
        if tuple(pipe.labels) != CLASSES:
            raise ValueError(f"{path}: classes {pipe.labels}, expected {CLASSES}")
        self.vocab, self.model = nlp.vocab, pipe.model

    def predict(self, bags: list[list[str]]) -> list[dict[str, float]]:
        if not bags:
            return []
        scores = self.model.predict([Doc(self.vocab, words=bag) for bag in bags])
        return [dict(zip(CLASSES, map(float, row), strict=True)) for row in scores]


@Language.factory("kg_type_model", default_config={"model": ""}, assigns=["span._.kg"],
                  requires=["span._.kg", "doc._.long_forms", "token.pos", "token.tag",
                            "token.dep"])
def make_type_model(nlp: Language, name: str, model: str) -> TypeModel:
    return TypeModel(Classifier(Path(model)))


class TypeModel:
    """Add the classifier's vote to every kept candidate of ``doc.spans["kg_candidates"]``;
    with `only_below`, only to those whose strongest rule vote is weaker than that."""

    def __init__(self, classifier: Classifier, weight: float = W_MODEL,
                 only_below: float = float("inf")):
        self.classifier = classifier
        self.weight = weight
        self.only_below = only_below

    def __call__(self, doc: Doc) -> Doc:
        spans = [s for s in doc.spans.get("kg_candidates", [])
                 if s._.kg.votes and max(s._.kg.votes.values()) < self.only_below]
        for span, probs in zip(spans, self.classifier.predict([features(s) for s in spans]),
                               strict=True):
            vote(span._.kg, probs, self.weight)
        return doc


def vote(ev: Evidence, probs: dict[str, float], weight: float) -> None:
    """The best entity class's vote, split within its group as the rules' votes are."""
    best = max(CLASSES, key=probs.__getitem__)
    if best == "none":
        return
    members = GROUPS[best]
    ruled = sum(ev.votes.get(t, 0.0) for t in members)
    for type_ in members:
        share = ev.votes.get(type_, 0.0) / ruled if ruled else float(type_ == members[0])
        if share:
            ev.vote(type_, weight * probs[best] * share, f"model:{best.lower()}")


# -- training data ----------------------------------------------------------------------

#: An annotated character span of a text, and its class (None: neither example nor not).
Annotation = tuple[int, int, "str | None"]
#: A text to learn from: (group, text, is a title, its annotations). Groups are documents.
Text = tuple[str, str, bool, list[Annotation]]

PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}",
       "``": '"', "''": '"'}
NO_SPACE_BEFORE = {",", ".", ";", ":", ")", "]", "}", "%", "'s", "?", "!", "n't"}
NO_SPACE_AFTER = {"(", "[", "{"}


@dataclass
class Instance:
    """One span to learn from (or to test on)."""

    features: list[str]
    label: str
    source: str  # "scierc" or "gold"
    group: str  # its document: folds never split one
    votes: dict[str, float]  # the rules' type votes (for comparison)

    @property
    def rule(self) -> str:
        """The rules' class: their best type's, "none" when they say nothing."""
        return GOLD_CLASSES[Evidence(dict(self.votes)).best[0]] if self.votes else "none"


def detokenize(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """SciERC's Penn Treebank tokens -> plain text and each token's character offsets."""
    text, offsets, prev = "", [], ""
    for tok in tokens:
        tok = PTB.get(tok, tok)
        if text and tok not in NO_SPACE_BEFORE and prev not in NO_SPACE_AFTER:
            text += " "
        offsets.append((len(text), len(text) + len(tok)))
        text += tok
        prev = tok
    return text, offsets


def scierc_texts(path: Path) -> Iterator[Text]:
    """SciERC documents (JSON lines: `sentences`, `ner` with inclusive token offsets)."""
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f):
            doc = json.loads(line)
            text, offsets = detokenize([t for sent in doc["sentences"] for t in sent])
            spans = [(offsets[a][0], offsets[b][1], SCIERC_CLASSES[label])
                     for sent in doc["ner"] for a, b, label in sent]
            yield f"{path.stem}:{doc.get('doc_key', no)}", text, False, spans


def gold_texts(gold_path: Path, papers_path: Path) -> Iterator[Text]:
    """A gold's papers, title and abstract, with every occurrence of every gold alias."""
    from kg.evaluate import load_gold
    from kg.ingest import read_papers

    gold = load_gold(gold_path)
    for paper in read_papers([papers_path]):
        entities = gold.get(paper.id)
        if entities is None:
            continue
        for text, is_title in ((paper.title, True), (paper.abstract, False)):
            spans = []
            for e in entities:
                label = None if e.get("optional") else GOLD_CLASSES[e["type"]]
                for alias in dict.fromkeys([e["name"], *e["aliases"]]):
                    pattern = rf"(?<![0-9A-Za-z]){re.escape(alias)}(?![0-9A-Za-z])"
                    spans += [(m.start(), m.end(), label) for m in re.finditer(pattern, text)]
            yield paper.id, text, is_title, spans


def candidate_pipeline() -> Language:
    """The extractor up to the rules' type votes: candidates and what the rules say."""
    from kg.extract import build_pipeline

    nlp = build_pipeline()
    for name in nlp.pipe_names[nlp.pipe_names.index("kg_types") + 1:]:
        nlp.remove_pipe(name)
    return nlp


def instances(nlp: Language, texts: Iterable[Text], source: str) -> list[Instance]:
    """Label the pipeline's candidates (and the annotated spans none matched) of each text,
    with the rules' votes for each."""
    texts = list(texts)

    def docs() -> Iterator[Doc]:
        for _, text, is_title, _ in texts:
            doc = nlp.make_doc(text)
            doc.user_data["is_title"] = is_title
            yield doc

    out = []
    types = nlp.get_pipe("kg_types")
    for doc, (group, _, _, spans) in zip(nlp.pipe(docs(), batch_size=32), texts, strict=True):
        labelled = list(labelled_spans(doc, spans))  # candidates first, then added spans
        votes = [dict(span._.kg.votes) for span, _, candidate in labelled if candidate]
        added = [span for span, _, candidate in labelled if not candidate]
        votes += [dict(ev.votes) for ev in rule_votes(doc, added, types)]
        out += [Instance(features(span), label, source, group, v)
                for (span, label, _), v in zip(labelled, votes, strict=True)]
    return out


def labelled_spans(doc: Doc, spans: list[Annotation]) -> Iterator[tuple[Span, str, bool]]:
    """(span, class, is a pipeline candidate) for the candidates whose class is clear, then
    for the annotated spans that no candidate matched."""
    matched = set()
    for span in doc.spans.get("kg_candidates", []):
        over = [a for a in spans if a[0] < span.end_char and span.start_char < a[1]]
        if not over:
            yield span, "none", True
            continue
        same = [a for a in over if a[1] == span.end_char]  # the same head word
        labels = {a[2] for a in same}
        if same and len(labels) == 1 and None not in labels:
            matched.update(same)
            yield span, labels.pop(), True
    seen = set()
    for start, end, label in spans:
        if label is None or (start, end, label) in matched or (start, end) in seen:
            continue
        seen.add((start, end))
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is not None and len(span) <= MAX_GOLD_WORDS:
            yield span, label, False


def rule_votes(doc: Doc, spans: list[Span], types) -> list[Evidence]:
    """What the rules (the lexicon and ``kg_types``) say of spans that were not candidates,
    as if they had been: the baseline the classifier is compared with."""
    lexicon = {(s.start, s.end): s.label_ for s in doc.spans.get("kg_lexicon", [])}
    evidence = []
    for span in spans:
        span._.kg = ev = Evidence()
        if (span.start, span.end) in lexicon:
            ev.vote(lexicon[span.start, span.end], W_LEXICON, "lexicon")
        evidence.append(ev)
    kept = doc.spans["kg_candidates"]
    doc.spans["kg_candidates"] = spans
    types(doc)
    doc.spans["kg_candidates"] = kept
    return evidence


# -- training ---------------------------------------------------------------------------

def fit(data: list[Instance], out: Path, epochs: int = EPOCHS, seed: int = 0,
        length: int = LENGTH) -> Path:
    """Train the classifier on `data` and write it to `out` (typer.json, textcat/)."""
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(seed)
    settings = {"length": length, "epochs": epochs, "seed": seed,
                "examples": dict(sorted(Counter(f"{i.source}:{i.label}" for i in data).items()))}
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe("textcat", config={"model": model_config(settings)})
    for label in CLASSES:
        pipe.add_label(label)
    examples = [Example.from_dict(Doc(nlp.vocab, words=i.features),
                                  {"cats": {c: float(c == i.label) for c in CLASSES}})
                for i in data]
    optimizer = nlp.initialize(lambda: examples[:100])
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, BATCH):
            nlp.update(batch, sgd=optimizer)
    out.mkdir(parents=True, exist_ok=True)
    pipe.to_disk(out / "textcat", exclude=["vocab"])
    (out / "typer.json").write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Train the span type classifier.")
    ap.add_argument("--scierc", type=Path, action="append", default=[],
                    help="a SciERC JSON-lines file (repeatable)")
    ap.add_argument("--gold", type=Path, help="a paperkg gold (dev_gold.jsonl)")
    ap.add_argument("--papers", type=Path, help="the gold's papers (dev_papers.jsonl)")
    ap.add_argument("-o", "--out", type=Path, required=True, help="the model directory")
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if bool(args.gold) != bool(args.papers):
        ap.error("--gold and --papers go together")
    nlp = candidate_pipeline()
    data = [i for path in args.scierc for i in instances(nlp, scierc_texts(path), "scierc")]
    if args.gold:
        data += instances(nlp, gold_texts(args.gold, args.papers), "gold")
    if not data:
        ap.error("no training data: give --scierc and/or --gold")
    fit(data, args.out, args.epochs, args.seed)
    counts = Counter(i.label for i in data)
    print(f"{len(data)} examples ({', '.join(f'{c} {counts[c]}' for c in CLASSES)}) "
          f"-> {args.out}")


if __name__ == "__main__":
    main()
