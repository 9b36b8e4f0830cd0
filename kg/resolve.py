"""Resolution stage: mentions -> one canonical entity per real-world thing.

Names are merged when they normalise alike (case, hyphens and spaces, a plural last word,
a leading "the") or when a paper defines one as the other's acronym: "Large Language Models
(LLMs)" links "LLMs", "LLM" and "large language models" into one entity, in every paper.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.model import TYPES, Entity, Mention


def name_key(name: str) -> str:
    """The normal form under which two names are the same entity."""
    s = unicodedata.normalize("NFKC", name).lower().replace("\u2019", "'")
    words = [w for w in re.split(r"[^0-9a-z]+", s) if w]
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    if words:
        last = words[-1]
        if len(last) > 3 and last.endswith("ies"):
            words[-1] = last[:-3] + "y"
        elif len(last) > 2 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
            words[-1] = last[:-1]
    if name.count("-") >= 2 and any(c.isdigit() for c in name):
        # "Llama-3.1-405B-Instruct" and "Llama-3.1-Instruct-405B": same checkpoint
        parts = re.split(r"-+", s)
        return "".join([re.sub(r"[^0-9a-z]", "", parts[0]),
                        *sorted(re.sub(r"[^0-9a-z]", "", p) for p in parts[1:])])
    return "".join(words)


def acronym_forms(mentions: Iterable[Mention], forms: dict[str, Counter]) -> None:
    """Count, into `forms`, the long forms that papers define for each acronym key."""
    for m in mentions:
        if m.long_form:
            forms[name_key(m.text)][name_key(m.long_form)] += 1


@dataclass
class Tally:
    """What resolution keeps of one entity while the papers stream past: type votes, surface
    forms (all, and the full names), and how many papers name it."""

    votes: Counter = field(default_factory=Counter)
    surface: Counter = field(default_factory=Counter)
    full: Counter = field(default_factory=Counter)
    papers: int = 0

    def summary(self) -> tuple[str, str, list[str]]:
        """Type by weighted vote; label the most frequent full name (not an acronym or a bare
        head), every surface form an alias."""
        type_ = max(self.votes, key=lambda t: (self.votes[t], -TYPES.index(t)))
        full = self.full or self.surface
        label = max(full, key=lambda s: (full[s], len(s), s))
        return type_, label, sorted(self.surface)


class Resolver:
    """Resolution in two streaming passes over the papers, one paper's mentions at a time,
    holding per-entity tallies only (memory grows with entities, not with mentions):

    1. `learn` every paper: the acronyms' long forms across the corpus;
    2. `add` every paper: the entity key of each mention, tallied.

    `keys` gives a paper's mention -> entity keys again (for the exporters' pass). An acronym
    joins the long form its paper defines, else the one long form the corpus gives it; an
    acronym with several long forms in the corpus and none in its paper stays an entity of
    its own rather than joining the wrong one."""

    def __init__(self) -> None:
        self.forms: dict[str, Counter] = defaultdict(Counter)
        self.tallies: dict[str, Tally] = {}
        self._corpus: dict[str, str] | None = None

    def learn(self, mentions: Iterable[Mention]) -> None:
        acronym_forms(mentions, self.forms)

    @property
    def corpus(self) -> dict[str, str]:
        """Acronym key -> long-form key, where the whole corpus agrees on one long form."""
        if self._corpus is None:
            self._corpus = {short: c.most_common(1)[0][0] for short, c in self.forms.items()
                            if len(c) == 1}
        return self._corpus

    def keys(self, mentions: list[Mention]) -> list[tuple[str, bool]]:
        """One paper's mentions -> (entity key, whether the mention is not the full name: an
        acronym or a bare head) each."""
        local = {}
        for m in mentions:
            if m.long_form:
                local[name_key(m.text)] = name_key(m.long_form)
        out = []
        for m in mentions:
            key = name_key(m.refers_to or m.text)
            target = local.get(key) or self.corpus.get(key)
            out.append((target or key, bool(target or m.refers_to)))
        return out

    def add(self, mentions: list[Mention]) -> list[str]:
        """Tally one paper's mentions; returns their entity keys."""
        keys = self.keys(mentions)
        for key in dict.fromkeys(k for k, _ in keys):
            self.tallies.setdefault(key, Tally()).papers += 1
        for m, (key, short) in zip(mentions, keys, strict=True):
            t = self.tallies[key]
            t.votes.update(dict(m.votes))
            t.surface[m.text] += 1
            if not short:
                t.full[m.text] += 1
        return [k for k, _ in keys]


def resolve(mentions: Iterable[Mention]) -> list[Entity]:
    """Group mentions into entities, in memory (see `Resolver` for the streaming form);
    deterministic whatever the mention order."""
    by_paper: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        by_paper[m.paper_id].append(m)
    r = Resolver()
    for ms in by_paper.values():
        r.learn(ms)
    groups: dict[str, list[Mention]] = defaultdict(list)
    for ms in by_paper.values():
        for m, key in zip(ms, r.add(ms), strict=True):
            groups[key].append(m)
    return sorted((Entity(key, *r.tallies[key].summary(), mentions=ms)
                   for key, ms in groups.items()), key=lambda e: (e.type, e.key))
