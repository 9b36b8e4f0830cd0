"""Measure extraction against a user's gold annotations (the format of the eval GUIDELINE).

Per paper, a system entity matches a gold entity when one of its names normalises like a
gold alias ("strict"), or else when one's word set contains the other's and they share a
non-generic word ("lenient"). Optional gold entities neither reward nor penalise. The rules
are those of the shared scorer (../shared/eval/score.py), word for word, so that `kg eval`
gives its figures (a test checks that they agree).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from kg.graph import entities_of
from kg.ingest import InputError

COARSE = {"Dataset": "Data", "Benchmark": "Data", "Model": "Approach", "Method": "Approach",
          "Task": "Task", "Metric": "Metric"}
GENERIC = {"model", "method", "dataset", "data", "benchmark", "learning", "network", "task",
           "framework", "approach", "system", "algorithm", "the", "a", "an", "of", "for", "and",
           "in", "on", "with", "to", "based", "large", "language", "deep", "neural", "new"}


def _words(name: str) -> list[str]:
    """The words of a name as the scorer reads them: a leading "the" dropped, the last word
    made singular."""
    words = re.findall(r"[0-9a-z]+", unicodedata.normalize("NFKC", name).lower())
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    if words and len(words[-1]) > 3 and words[-1].endswith("ies"):
        words[-1] = words[-1][:-3] + "y"
    elif words and len(words[-1]) > 3 and words[-1].endswith("s") and \
            not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return words


def _norm(name: str) -> str:
    """A name's strict-match key: its words, in order, run together."""
    return "".join(_words(name))


def _lenient(a: frozenset[str], b: frozenset[str]) -> bool:
    """One word set contains the other, and they share a word that is not generic."""
    return bool(a and b and (a <= b or b <= a) and (a & b) - GENERIC)


@dataclass
class Report:
    counts: Counter = field(default_factory=Counter)
    per_type: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    misses: Counter = field(default_factory=Counter)  # gold names not found
    spurious: Counter = field(default_factory=Counter)  # system names matching nothing

    def prf(self, tp: str, gold: str = "gold", system: str = "system") -> tuple[float, ...]:
        p = self.counts[tp] / self.counts[system] if self.counts[system] else 0.0
        r = self.counts[tp] / self.counts[gold] if self.counts[gold] else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0


def load_gold(path: Path) -> dict[str, list[dict]]:
    """paper id -> gold entities, with a one-line error for a missing file or a bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, None, "no such file") from None
    except OSError as e:
        raise InputError(path, None, f"cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise InputError(path, None, "not UTF-8 text") from None
    gold = {}
    for no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as e:
            raise InputError(path, no, f"not a gold record (not JSON: {e})") from None
        problem = _gold_problem(row)
        if problem:
            raise InputError(path, no, f"not a gold record ({problem})")
        gold[str(row["id"])] = row["entities"]
    return gold


def _gold_problem(row) -> str:
    """What keeps a parsed line from being a gold record ("" if nothing)."""
    if not isinstance(row, dict) or not isinstance(row.get("id"), str | int):
        return "no id"
    if not isinstance(row.get("entities"), list):
        return "no list of entities"
    for e in row["entities"]:
        if not (isinstance(e, dict) and isinstance(e.get("name"), str)
                and isinstance(e.get("aliases"), list) and e.get("type") in COARSE):
            return f"an entity needs a name, a list of aliases and one of the types " \
                   f"{', '.join(COARSE)}: {json.dumps(e)[:80]}"
    return ""


def evaluate(g: nx.DiGraph, gold: dict[str, list[dict]]) -> Report:
    """Compare the entities of each gold paper (matched by paper id) with the gold's."""
    report = Report()
    papers = {d["paper_id"]: n for n, d in g.nodes(data=True) if d["kind"] == "paper"}
    for pid, gold_entities in sorted(gold.items()):
        node = papers.get(pid)
        system = []
        for ent in entities_of(g, node) if node else []:
            d = g.nodes[ent]
            names = [d["label"], *d["aliases"]]
            system.append({"label": d["label"], "type": d["type"],
                           "keys": {_norm(n) for n in names}, "first": min(names),
                           "words": [frozenset(_words(n)) for n in names],
                           "intro": g.edges[node, ent]["relation"] == "introduces"})
        golds = [{"g": e, "keys": {_norm(a) for a in [e["name"], *e["aliases"]]},
                  "words": [frozenset(_words(a)) for a in [e["name"], *e["aliases"]]],
                  "by": None}
                 for e in gold_entities]
        # strict matches claim gold entities before lenient ones
        ranked = []
        for s in system:
            strict = [x for x in golds if x["keys"] & s["keys"]]
            hits = strict or [x for x in golds if any(_lenient(a, b) for a in x["words"]
                                                      for b in s["words"])]
            ranked.append((not strict, s["first"], s, hits))
        for _, _, s, hits in sorted(ranked, key=lambda r: r[:2]):
            report.counts["system_intro"] += s["intro"]  # neutral ones too, as the scorer
            free = [x for x in hits if not x["g"].get("optional") and x["by"] is None]
            if free:
                free[0]["by"] = s
            elif any(x["g"].get("optional") for x in hits):
                continue  # neutral
            else:
                report.spurious[s["label"]] += 1
            report.counts["system"] += 1
        for x in golds:
            e = x["g"]
            if e.get("optional"):
                continue
            report.counts["gold"] += 1
            report.per_type[e["type"]]["gold"] += 1
            report.counts["gold_intro"] += bool(e.get("introduced"))
            s = x["by"]
            if s is None:
                report.misses[e["name"]] += 1
                continue
            report.counts["tp"] += 1
            report.per_type[e["type"]]["found"] += 1
            report.per_type[e["type"]]["typed"] += s["type"] == e["type"]
            report.counts["typed"] += s["type"] == e["type"]
            report.counts["coarse"] += COARSE[s["type"]] == COARSE[e["type"]]
            report.counts["intro_tp"] += bool(e.get("introduced")) and s["intro"]
    return report


def format_report(report: Report, top: int = 15) -> str:
    lines = [f"gold entities {report.counts['gold']}  system entities {report.counts['system']}"]
    for name, key in (("lenient", "tp"), ("typed", "typed"), ("coarse-typed", "coarse")):
        p, r, f = report.prf(key)
        lines.append(f"{name:13s} P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    p, r, f = report.prf("intro_tp", "gold_intro", "system_intro")
    lines.append(f"{'introduced':13s} P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    lines.append("per type (gold, found, typed correctly):")
    for t, c in sorted(report.per_type.items()):
        lines.append(f"  {t:10s} {c['gold']:4d}  {c['found'] / c['gold']:.2f}  "
                     f"{c['typed'] / c['gold']:.2f}")
    lines.append("top misses: " + ", ".join(f"{n} ({k})"
                                           for n, k in report.misses.most_common(top)))
    lines.append("top spurious: " + ", ".join(f"{n} ({k})"
                                             for n, k in report.spurious.most_common(top)))
    return "\n".join(lines)
