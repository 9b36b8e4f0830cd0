"""Learn how term-like a modifier word is, from an annotated corpus (SciERC by default).

For every word, the share of its occurrences that fall inside an annotated entity
(Task, Method, Metric, Material, OtherScientificTerm; "Generic" spans excluded) before the
entity's head word. "supervised" (1.0), "semantic" (0.87) make terms; "novel" (0.0),
"efficient" (0.03) make descriptions. The table ships as `lexicon/specificity.txt`:

    python -m kg.extract.specificity SCIERC/train.json SCIERC/dev.json \
        > kg/extract/lexicon/specificity.txt
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

MIN_COUNT = 3


def learn(paths: list[Path]) -> dict[str, tuple[float, int]]:
    """word -> (share of occurrences inside an entity as a modifier, occurrences)."""
    inside: Counter = Counter()
    total: Counter = Counter()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                tokens = [t for sent in doc["sentences"] for t in sent]
                modifiers = {i for sent in doc["ner"] for a, b, label in sent
                             if label != "Generic" for i in range(a, b)}
                for i, tok in enumerate(tokens):
                    word = tok.lower()
                    total[word] += 1
                    inside[word] += i in modifiers
    return {w: (inside[w] / n, n) for w, n in total.items() if n >= MIN_COUNT and w.isascii()
            and any(c.isalpha() for c in w)}


def main(argv: list[str]) -> None:
    table = learn([Path(p) for p in argv])
    print("# word<TAB>share of occurrences inside an annotated entity, as a modifier<TAB>count")
    print("# learnt from SciERC (Luan et al. 2018, 500 AI abstracts) by kg/extract/specificity.py")
    for word, (share, n) in sorted(table.items()):
        print(f"{word}\t{share:.2f}\t{n}")


if __name__ == "__main__":
    main(sys.argv[1:])
