"""The lexicon: the vocabularies the rules read, and the component that marks known names.

- `lexicon/*.tsv` (and a user's ``--lexicon`` files): widely known public models, datasets,
  benchmarks, methods, tasks and metrics (``term<TAB>type``): a prior, not a list of what a
  corpus contains. ``kg_lexicon`` marks them in ``doc.spans["kg_lexicon"]``.
- `lexicon/heads.txt`: term head words and their type ("detection" -> Task);
  `specificity.txt`: how term-like a modifier is, learnt from SciERC (see `specificity.py`);
  `organizations.txt`, `fields.txt`, `hardware.txt`: names that are not entities.
- ``TYPE_NOUNS`` and ``NAMING``: the words around a name that say what it is.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from kg.extract.tokens import WordMerger
from kg.model import TYPES
from kg.names import is_acronym_like

LEXICON_DIR = Path(__file__).with_name("lexicon")


def rows(name: str) -> list[list[str]]:
    """The tab-separated rows of a table in lexicon/, without comments and blank lines."""
    with open(LEXICON_DIR / name, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f
                if line.strip() and not line.startswith("#")]


#: head word -> (type, whether the word alone is a term)
HEADS = {row[0]: (row[1], row[2] == "alone") for row in rows("heads.txt")}
SPECIFICITY = {row[0]: float(row[1]) for row in rows("specificity.txt")}
ORGANISATIONS = {row[0].strip() for row in rows("organizations.txt")}
HARDWARE = {form for row in rows("hardware.txt") for form in (row[0], row[0] + "s")}
RESEARCH_FIELDS = {row[0].strip().lower() for row in rows("fields.txt")}

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
#: Words that give a name: "dubbed X", "X, named Y".
NAMING = {"dubbed", "named", "called", "termed", "coined", "dub", "coin"}


def load_lexicon(paths: list[Path]) -> dict[str, str]:
    """term -> type, from TSV files with columns term, type (later files win)."""
    terms: dict[str, str] = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for no, row in enumerate(csv.reader(f, delimiter="\t"), 1):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) < 2 or row[1].strip() not in TYPES:
                    raise ValueError(f"{path}:{no}: expected 'term<TAB>type', type one of "
                                     f"{', '.join(TYPES)}")
                terms[row[0].strip()] = row[1].strip()
    return terms


def _plural(term: str) -> str:
    if term.endswith("s"):
        return term
    return term[:-1] + "ies" if term.endswith("y") and term[-2:-1] not in "aeiou" else term + "s"


@Language.factory("kg_lexicon", default_config={"extra": []}, assigns=["doc.spans"])
def make_lexicon(nlp: Language, name: str, extra: list[str]) -> Lexicon:
    files = sorted(LEXICON_DIR.glob("*.tsv")) + [Path(p) for p in extra]
    return Lexicon(nlp, load_lexicon(files))


class Lexicon:
    """Mark known names and terms in ``doc.spans["kg_lexicon"]``.

    Acronym-like names match as written ("COCO" is not "CoCo"); other names and terms match
    in any case ("Pascal VOC" finds "PASCAL VOC", "fine-tuning" finds "Fine-tuning"), except
    that a one-word name with capitals needs a capital in the text ("Transformer", not
    "transformer"; "Falcon", not "falcon").
    """

    def __init__(self, nlp: Language, terms: dict[str, str]):
        self.terms = {t.lower(): type_ for t, type_ in terms.items()}
        merger = WordMerger()
        self.matchers = {attr: PhraseMatcher(nlp.vocab, attr=attr) for attr in ("ORTH", "LOWER")}
        by_key = defaultdict(list)
        self.capitalised = set()  # one-word names written with capitals: "Transformer"
        for term, type_ in terms.items():
            attr = "ORTH" if is_acronym_like(term) else "LOWER"
            forms = [term, _plural(term)] if term.islower() else [term]  # "success rates"
            by_key[(attr, type_)].extend(merger(nlp.make_doc(form)) for form in forms)
            if attr == "LOWER" and not term.islower() and len(merger(nlp.make_doc(term))) == 1:
                self.capitalised.add(term.lower())
        for (attr, type_), docs in by_key.items():
            self.matchers[attr].add(type_, docs)

    def __call__(self, doc: Doc) -> Doc:
        doc.spans["kg_lexicon"] = [
            span for matcher in self.matchers.values() for span in matcher(doc, as_spans=True)
            if not (span.text.islower() and span.text in self.capitalised)]
        return doc

    def family(self, word: str) -> str | None:
        """The type of a variant's family: "LLaMA-3-70B" -> llama, "CIFAR-100" -> cifar,
        "MMLU-STEM" -> mmlu, "T5-XXL" -> t5."""
        m = re.match(r"([A-Za-z]+(?:-[A-Za-z]+)*?)[-_ ]?v?\d", word)
        for fam in (m.group(1) if m else "", word.split("-")[0] if "-" in word else ""):
            fam = fam.lower()
            while fam:
                if fam in self.terms:
                    return self.terms[fam]
                fam = fam.rsplit("-", 1)[0] if "-" in fam else ""
        return None
