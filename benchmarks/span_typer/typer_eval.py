"""Does the trained span type classifier (span_typer.py, `kg_type_model`) help, and where?

    python benchmarks/span_typer/typer_eval.py [--eval ../shared/eval] [-o FILE]

1. The classifier alone on SciERC's dev split (coarse classes Data, Approach, Task, Metric,
   none; SciERC's annotated spans and the pipeline's candidates that overlap none), trained
   on SciERC train only, against the majority class, the rules (what `kg_types` votes for
   the same spans) and the rules with the model's vote added.
2. End to end on the dev gold (`kg eval`'s figures: each paper's extraction resolved and
   scored): the rules alone; with the model trained on SciERC + the whole dev gold (what
   would ship: optimistic, the dev gold is in its training data); trained on SciERC only
   (fair: it never saw these papers); 5-fold cross-validation over the dev papers (SciERC +
   4/5 of the dev gold, scored on the other 1/5, counts pooled: the held-out estimate). For
   each vote weight, and voting only where the rules' strongest vote is below a head word's.
3. Speed: abstracts per second on one core, as benchmarks/bench_extract.py measures it (the
   seed papers three times over, after a warm-up, median of runs), with and without the
   component, runs alternating.

Everything is trained here, seeded; the figures are printed (and written to FILE with -o).
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

from span_typer import (  # noqa: E402
    CLASSES,
    GOLD_CLASSES,
    W_MODEL,
    Classifier,
    Instance,
    candidate_pipeline,
    features,
    fit,
    gold_texts,
    instances,
    scierc_texts,
    vote,
)

from kg.evaluate import Report, evaluate, load_gold  # noqa: E402
from kg.extract import build_pipeline, extract  # noqa: E402
from kg.extract.candidates import W_HEAD, Evidence  # noqa: E402
from kg.graph import build_graph  # noqa: E402
from kg.ingest import read_papers  # noqa: E402
from kg.resolve import resolve  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval"
FOLDS = 5
WEIGHTS = (1.0, W_MODEL, 2.0, 3.0)
TYPES = ("Dataset", "Benchmark", "Model", "Method", "Task", "Metric")
#: Sentences of other fields, written for this probe (not a gold): what the rules and the
#: model say of the names in them.
PROBES = [
    "We collect KneeCT-3K, 3,000 CT scans of knees annotated by two radiologists.",
    "We release MedSeg-X, comprising 12,000 annotated MRI volumes from four hospitals.",
    "Our policy is trained with PPO and evaluated on RoboSuite and MetaWorld.",
    "We present GraspNet-Billion, a collection of 1.2 million grasps.",
    "We benchmark anomaly detectors on CICIDS2017 and UNSW-NB15.",
    "FinBench contains 3,200 questions on portfolio optimisation.",
    "We address speaker diarization in meetings and report results on AMI.",
]


def classification(gold: list[str], pred: list[str]) -> str:
    """Accuracy, macro-F1 over the classes present, and each class's F1."""
    f1 = {}
    for c in CLASSES:
        tp = sum(g == p == c for g, p in zip(gold, pred, strict=True))
        if gold.count(c):
            f1[c] = 2 * tp / (gold.count(c) + pred.count(c))
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    per = "  ".join(f"{c} {v:.2f}" for c, v in f1.items())
    return f"acc {acc:.3f}  macro-F1 {sum(f1.values()) / len(f1):.3f}  ({per})"


def with_model(inst: Instance, probs: dict[str, float], weight: float) -> str:
    """The class the rules' votes plus the model's vote give, as in the pipeline: a span
    the rules say nothing of stays "none" (the pipeline drops it)."""
    ev = Evidence(dict(inst.votes))
    if ev.votes:
        vote(ev, probs, weight)
    return GOLD_CLASSES[ev.best[0]] if ev.votes else "none"


def merged(reports: list[Report]) -> Report:
    out = Report()
    for r in reports:
        out.counts.update(r.counts)
        for t, c in r.per_type.items():
            out.per_type[t].update(c)
    return out


def figures(r: Report) -> str:
    cells = [f"{r.prf(key)[2]:.3f}" for key in ("tp", "coarse", "typed")]
    per = " ".join(f"{r.per_type[t]['typed'] / r.per_type[t]['gold']:.2f}" for t in TYPES
                   if r.per_type[t]["gold"])
    return " | ".join([*cells, per])


class EndToEnd:
    """The whole extractor on some gold papers, with the rules alone or a model's vote."""

    def __init__(self, eval_dir: Path):
        self.gold = load_gold(eval_dir / "dev_gold.jsonl")
        self.papers = {p.id: p for p in read_papers([eval_dir / "dev_papers.jsonl"])}
        self.nlp = build_pipeline()

    def run(self, ids: list[str], model: Path | None = None, weight: float = W_MODEL,
            only_below: float = float("inf")) -> Report:
        nlp = self.nlp
        if "kg_type_model" in nlp.pipe_names:
            nlp.remove_pipe("kg_type_model")
        if model is not None:
            pipe = nlp.add_pipe("kg_type_model", after="kg_types", config={"model": str(model)})
            pipe.weight, pipe.only_below = weight, only_below
        papers = [self.papers[i] for i in ids]
        found = list(extract(papers, nlp))
        g = build_graph(papers, resolve([m for x in found for m in x.mentions]),
                        [r for x in found for r in x.relations])
        return evaluate(g, {i: self.gold[i] for i in ids})


def speed(model: Path, runs: int = 5, copies: int = 3) -> dict[str, tuple[float, float]]:
    """Median abstracts/s on one core without and with the component, by the wall clock (as
    bench_extract.py) and by CPU time (less sensitive to other processes on the machine)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    papers = read_papers([ROOT / "seeds"]) * copies
    without = build_pipeline()
    with_ = build_pipeline()
    with_.add_pipe("kg_type_model", after="kg_types", config={"model": str(model)})
    rates: dict[tuple[str, int], list[float]] = defaultdict(list)
    for nlp in (without, with_):
        list(extract(papers[:20], nlp))  # warm-up
    for _ in range(runs):
        for k, nlp in enumerate((without, with_)):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in extract(papers, nlp):
                pass
            rates["wall", k].append(len(papers) / (time.perf_counter() - t0))
            rates["cpu", k].append(len(papers) / (time.process_time() - c0))
    return {clock: (statistics.median(rates[clock, 0]), statistics.median(rates[clock, 1]))
            for clock in ("wall", "cpu")}


def probe(model: Path) -> list[str]:
    """For each name in `PROBES`: the rules' type and votes, and the model's classes."""
    nlp = candidate_pipeline()
    classifier = Classifier(model)
    out = []
    for doc in nlp.pipe(PROBES):
        spans = [s for s in doc.spans["kg_candidates"] if s._.kg.votes]
        for span, probs in zip(spans, classifier.predict([features(s) for s in spans]),
                               strict=True):
            ev = span._.kg
            out.append(f"{span.text} | {ev.best[0]} ({', '.join(dict.fromkeys(ev.rules))}) | "
                       + ", ".join(f"{c} {p:.2f}" for c, p in probs.items() if p >= 0.1))
    return out


def component_cost(model: Path) -> float:
    """CPU milliseconds per abstract (title and abstract) of the component alone."""
    nlp = build_pipeline()
    papers = read_papers([ROOT / "seeds"])
    docs = list(nlp.pipe(t for p in papers for t in (p.title, p.abstract)))
    component = nlp.add_pipe("kg_type_model", after="kg_types", config={"model": str(model)})
    component(docs[0])  # warm-up
    c0 = time.process_time()
    for doc in docs:
        component(doc)
    return 1000 * (time.process_time() - c0) / len(papers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval", type=Path, default=EVAL, help="the shared eval directory")
    ap.add_argument("-o", "--out", type=Path)
    args = ap.parse_args()
    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    say("# The span type classifier: figures")
    say()
    say("Written by `python benchmarks/span_typer/typer_eval.py -o "
        "benchmarks/span_typer/RESULTS.md` (see README.md beside it).")
    say()
    nlp = candidate_pipeline()
    scierc = args.eval / "scierc"
    train = instances(nlp, scierc_texts(scierc / "train.json"), "scierc")
    dev = instances(nlp, scierc_texts(scierc / "dev.json"), "scierc")
    gold = instances(nlp, gold_texts(args.eval / "dev_gold.jsonl",
                                     args.eval / "dev_papers.jsonl"), "gold")
    tmp = Path(tempfile.mkdtemp(prefix="span-typer-"))

    say("## 1. The classifier on SciERC dev (coarse classes)")
    say()
    say(f"Training: {len(train)} SciERC train spans "
        f"({', '.join(f'{c} {n}' for c, n in Counter(i.label for i in train).most_common())})"
        f"; the dev gold adds {len(gold)} "
        f"({', '.join(f'{c} {n}' for c, n in Counter(i.label for i in gold).most_common())})."
        f" SciERC dev: {len(dev)} "
        f"({', '.join(f'{c} {n}' for c, n in Counter(i.label for i in dev).most_common())}).")
    say()
    m_scierc = fit(train, tmp / "scierc")
    probs = Classifier(m_scierc).predict([i.features for i in dev])
    labels = [i.label for i in dev]
    majority = Counter(i.label for i in train).most_common(1)[0][0]
    say(f"- majority class ({majority}): {classification(labels, [majority] * len(dev))}")
    say(f"- rules (kg_types): {classification(labels, [i.rule for i in dev])}")
    say(f"- model (SciERC train): "
        f"{classification(labels, [max(CLASSES, key=p.get) for p in probs])}")
    for w in WEIGHTS:
        pred = [with_model(i, p, w) for i, p in zip(dev, probs, strict=True)]
        say(f"- rules + model vote, weight {w}: {classification(labels, pred)}")
    ents = [k for k, i in enumerate(dev) if i.label != "none"]
    say()
    say(f"The {len(ents)} entity spans only, typed among the four entity classes:")
    say()
    for name, pred in (("rules", [dev[k].rule for k in ents]),
                       ("model", [max(CLASSES[:4], key=probs[k].get) for k in ents]),
                       (f"rules + model vote, weight {W_MODEL}",
                        [with_model(dev[k], probs[k], W_MODEL) for k in ents])):
        say(f"- {name}: {classification([dev[k].label for k in ents], pred)}")

    e2e = EndToEnd(args.eval)
    ids = sorted(e2e.gold)
    folds = [ids[k::FOLDS] for k in range(FOLDS)]
    m_full = fit(train + gold, tmp / "full")
    m_folds = [fit(train + [i for i in gold if i.group not in held], tmp / f"fold{k}")
               for k, held in enumerate(folds)]
    say()
    say("## 2. End to end on the dev gold")
    say()
    say("F1 (lenient, coarse-typed, typed) and typed recall per type ("
        + ", ".join(t for t in TYPES) + ").")
    say()
    say("setting | lenient | coarse-typed | typed | typed recall per type")
    say("--- | --- | --- | --- | ---")
    say(f"rules alone, all 54 papers | {figures(e2e.run(ids))}")
    say(f"rules alone, {FOLDS} folds pooled | {figures(merged([e2e.run(f) for f in folds]))}")
    settings = [(w, float("inf"), f"weight {w}") for w in WEIGHTS] + [
        (w, W_HEAD, f"weight {w}, only where rules < {W_HEAD}") for w in (W_MODEL, 3.0)]
    for w, below, name in settings:
        say(f"+ model on SciERC + dev gold (dev gold seen), {name} | "
            f"{figures(e2e.run(ids, m_full, w, below))}")
    for w, below, name in settings:
        say(f"+ model on SciERC only (fair), {name} | "
            f"{figures(e2e.run(ids, m_scierc, w, below))}")
    for w, below, name in settings:
        rep = merged([e2e.run(f, m, w, below) for f, m in zip(folds, m_folds, strict=True)])
        say(f"+ model on SciERC + 4/5 dev gold, held-out 1/5, {FOLDS} folds pooled, {name} | "
            f"{figures(rep)}")

    say()
    say("## 3. Names in a few sentences of other fields (written for this probe, not a gold)")
    say()
    say("Model trained on SciERC + the dev gold.")
    say()
    say("name | rules' type (their cues) | model's classes (p >= 0.1)")
    say("--- | --- | ---")
    for line in probe(m_full):
        say(line)

    say()
    say("## 4. Speed (abstracts/s on one core, median of 5 runs)")
    say()
    for clock, (without, with_) in speed(m_full).items():
        say(f"- {clock} clock: without {without:.1f}, with the component {with_:.1f} "
            f"({100 * (with_ / without - 1):+.0f} %)")
    say(f"- the component alone: {component_cost(m_full):.2f} ms of CPU per abstract")
    size = sum(f.stat().st_size for f in m_full.rglob("*") if f.is_file())
    say(f"- model size: {size / 1e6:.1f} MB")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
