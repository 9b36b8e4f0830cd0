"""Measure extraction against a user's gold annotations (the format of the eval GUIDELINE).

Per paper, a system entity matches a gold entity when one of its names normalises like a
gold alias ("strict"), or else when one's word set contains the other's and they share a
non-generic word ("lenient"). Optional gold entities neither reward nor penalise.

Relations (the RELATIONS guideline's format: per paper, head, type, tail as gold entity
names) count when both ends stand for the gold ends and the kind and direction agree
("typed"), or when the two ends are linked at all ("pair"); a relation with an optional end
is neutral.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from kg.graph import entities_of, relation_edges
from kg.ingest import InputError
from kg.names import name_key

COARSE = {"Dataset": "Data", "Benchmark": "Data", "Model": "Approach", "Method": "Approach",
          "Task": "Task", "Metric": "Metric"}
GENERIC = {"model", "method", "dataset", "data", "benchmark", "learning", "network", "task",
           "framework", "approach", "system", "algorithm", "the", "a", "an", "of", "for", "and",
           "in", "on", "with", "to", "based", "large", "language", "deep", "neural", "new"}


def _words(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[0-9a-z]+", name.lower())) - {"the"}


def _lenient(a: frozenset[str], b: frozenset[str]) -> bool:
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


def load_gold(path: Path, field_name: str = "entities") -> dict[str, list[dict]]:
    """paper id -> its gold `field_name` list (entities, relations), with a one-line error for
    a bad line or a missing file."""
    gold = {}
    try:
        with open(path, encoding="utf-8") as f:
            for no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    gold[str(row["id"])] = list(row[field_name])
                except (json.JSONDecodeError, KeyError, TypeError) as e:
                    raise InputError(path, no, f"not a gold record ({e})") from None
    except OSError as e:
        raise InputError(path, None, f"cannot read: {e.strerror or e}") from None
    return gold


def evaluate(g: nx.MultiDiGraph, gold: dict[str, list[dict]]) -> Report:
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
                           "keys": {name_key(n) for n in names},
                           "words": [_words(n) for n in names],
                           "intro": g.has_edge(node, ent, "introduces")})
        golds = [{"g": e, "keys": {name_key(a) for a in [e["name"], *e["aliases"]]},
                  "words": [_words(a) for a in [e["name"], *e["aliases"]]], "by": None}
                 for e in gold_entities]
        # strict matches claim gold entities before lenient ones
        ranked = []
        for s in system:
            strict = [x for x in golds if x["keys"] & s["keys"]]
            hits = strict or [x for x in golds if any(_lenient(a, b) for a in x["words"]
                                                      for b in s["words"])]
            ranked.append((not strict, s["label"], s, hits))
        for _, _, s, hits in sorted(ranked, key=lambda r: r[:2]):
            free = [x for x in hits if not x["g"].get("optional") and x["by"] is None]
            if free:
                free[0]["by"] = s
            elif any(x["g"].get("optional") for x in hits):
                continue  # neutral
            else:
                report.spurious[s["label"]] += 1
            report.counts["system"] += 1
            report.counts["system_intro"] += s["intro"]
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


def stands_for(names: list[str], gold_entities: list[dict]) -> int | None:
    """The gold entity (its index) that a system entity with these names stands for: a
    strict match first, else a lenient one."""
    keys = {name_key(n) for n in names}
    for i, e in enumerate(gold_entities):
        if keys & {name_key(a) for a in [e["name"], *e["aliases"]]}:
            return i
    words = [_words(n) for n in names]
    for i, e in enumerate(gold_entities):
        if any(_lenient(_words(a), w) for a in [e["name"], *e["aliases"]] for w in words):
            return i
    return None


def evaluate_relations(g: nx.MultiDiGraph, gold: dict[str, list[dict]],
                       relations: dict[str, list[dict]]) -> Report:
    """Compare the relations each gold paper states (by paper id) with the gold's."""
    report = Report()
    papers = {d["paper_id"]: n for n, d in g.nodes(data=True) if d["kind"] == "paper"}
    stated: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for h, t, kind, d in relation_edges(g):
        for st in d["statements"]:
            stated[st["paper"]].add((h, kind, t))
    for pid, rows in sorted(relations.items()):
        ents = gold.get(pid, [])
        index = {e["name"]: i for i, e in enumerate(ents)}
        wanted, neutral = set(), set()
        for r in rows:
            h, t = index.get(r["head"]), index.get(r["tail"])
            if h is not None and t is not None:
                optional = ents[h].get("optional") or ents[t].get("optional")
                (neutral if optional else wanted).add((h, r["type"], t))
        found = set()
        for h, kind, t in stated.get(papers.get(pid, ""), ()):
            hi = stands_for([g.nodes[h]["label"], *g.nodes[h]["aliases"]], ents)
            ti = stands_for([g.nodes[t]["label"], *g.nodes[t]["aliases"]], ents)
            if hi is None or ti is None:
                found.add((f"?{h}", kind, t))
            elif not (ents[hi].get("optional") or ents[ti].get("optional")):
                found.add((hi, kind, ti))
        found -= neutral
        report.counts["gold"] += len(wanted)
        report.counts["system"] += len(found)
        report.counts["tp"] += len(found & wanted)
        gold_pairs = {frozenset((h, t)) for h, _, t in wanted}
        sys_pairs = {frozenset((h, t)) for h, _, t in found}
        report.counts["gold_pairs"] += len(gold_pairs)
        report.counts["system_pairs"] += len(sys_pairs)
        report.counts["tp_pairs"] += len(gold_pairs & sys_pairs)
        for key in wanted:
            report.per_type[key[1]]["gold"] += 1
            report.per_type[key[1]]["found"] += key in found
            if key not in found:
                report.misses[f"{ents[key[0]]['name']} {key[1]} {ents[key[2]]['name']}"] += 1
        for key in found - wanted:
            h, kind, t = key
            name = (ents[h]["name"] if isinstance(h, int) else g.nodes[h[1:]]["label"])
            report.spurious[f"{name} {kind} {ents[t]['name'] if isinstance(t, int) else t}"] += 1
        for key in found:
            report.per_type[key[1]]["system"] += 1
    return report


def format_relation_report(report: Report, top: int = 15) -> str:
    lines = [f"gold relations {report.counts['gold']}  system relations "
             f"{report.counts['system']}"]
    for name, tp, gold, system in (("typed", "tp", "gold", "system"),
                                   ("pair", "tp_pairs", "gold_pairs", "system_pairs")):
        p, r, f = report.prf(tp, gold, system)
        lines.append(f"{name:13s} P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    lines.append("per relation (gold, system, P, R):")
    for kind, c in sorted(report.per_type.items()):
        p = c["found"] / c["system"] if c["system"] else 0.0
        r = c["found"] / c["gold"] if c["gold"] else 0.0
        lines.append(f"  {kind:14s} {c['gold']:4d} {c['system']:4d}  {p:.2f}  {r:.2f}")
    lines.append("top misses: " + "; ".join(f"{n} ({k})"
                                           for n, k in report.misses.most_common(top)))
    lines.append("top spurious: " + "; ".join(f"{n} ({k})"
                                             for n, k in report.spurious.most_common(top)))
    return "\n".join(lines)
