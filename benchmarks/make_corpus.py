"""A synthetic corpus for the scale benchmarks: N abstracts recombined from the seed sentences,
their entity names renamed from a growing pool (seeded, reproducible).

    python benchmarks/make_corpus.py 10000 -o /tmp/corpus-10k.jsonl [--seed 1]

Paper i is a function of (seed, i) and of the names in `output/graph.json` only, so the first
N papers of a larger corpus are the N-paper corpus: ``make_corpus.py 10100`` is the 10k
corpus plus 1 % new papers (as long as output/ has not been rebuilt in between: make the
corpora of one benchmark from one commit). Each paper
takes a seed title and 4 to 9 sentences of random seed abstracts; every entity name the seeds
build found in them (labels and aliases of `output/graph.json`) is replaced by a name of the
pool, drawn with Zipf-like popularity. The pool grows by one name every four papers (a real
corpus keeps naming new things), each a seed name with a coined suffix (``BERT-Vok3``), so
the number of distinct entities grows with the corpus as it does in real literature.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.ingest import read_papers  # noqa: E402

SYLLABLES = ["vo", "ka", "ri", "zen", "tu", "mo", "lex", "ar", "qi", "do", "sa", "nor"]


def coined(j: int, seed: int) -> str:
    rng = random.Random(seed * 7919 + j)
    return "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize() + str(j % 97)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("n", type=int)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    seeds = read_papers([ROOT / "seeds"])
    graph = json.loads((ROOT / "output" / "graph.json").read_text(encoding="utf-8"))
    # the names (a capital or a digit: "BERT", "GPT-4", "ImageNet"), not the terms
    names = sorted({n for d in graph["nodes"] if d.get("kind") == "entity"
                    for n in [d["label"], *d["aliases"]]
                    if len(n) > 2 and re.search(r"[A-Z0-9]", n) and not re.search(r"[$\\{]", n)},
                   key=len, reverse=True)
    pattern = re.compile("(" + "|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names) + ")")
    # every seed sentence and title as text parts between name slots (odd positions)
    sentences = [pattern.split(s) for p in seeds
                 for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", p.abstract) if len(s.split()) >= 5]
    titles = [pattern.split(p.title) for p in seeds]
    bases = sorted({n for n in names if " " not in n})

    with open(args.output, "w", encoding="utf-8") as out:
        for i in range(args.n):
            rng = random.Random(args.seed * 1_000_003 + i)
            pool = len(bases) + i // 4

            def fill(parts: list[str], rng=rng, pool=pool) -> str:
                text = []
                for k, part in enumerate(parts):
                    if k % 2 == 0:
                        text.append(part)
                        continue
                    j = (min(int(rng.paretovariate(1.1)) - 1, pool - 1) if rng.random() < 0.6
                         else rng.randrange(pool))
                    text.append(bases[j] if j < len(bases) else
                                f"{bases[(j - len(bases)) % len(bases)]}-"
                                f"{coined(j - len(bases), args.seed)}")
                return "".join(text)

            title = f"{fill(rng.choice(titles))} (part {i})"  # titles differ, as in a corpus
            abstract = " ".join(fill(s) for s in rng.sample(sentences, rng.randint(4, 9)))
            out.write(json.dumps({"id": f"syn{args.seed}-{i:07d}", "title": title,
                                  "abstract": abstract}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
