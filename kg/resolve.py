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


def _acronym_links(mentions: list[Mention]) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """(paper, acronym key) -> long-form key where a paper defines it, and acronym key ->
    long-form key where the whole corpus agrees on one long form."""
    local: dict[tuple[str, str], str] = {}
    forms: dict[str, Counter] = defaultdict(Counter)
    for m in mentions:
        if m.long_form:
            long_key = name_key(m.long_form)
            local[(m.paper_id, name_key(m.text))] = long_key
            forms[name_key(m.text)][long_key] += 1
    corpus = {short: c.most_common(1)[0][0] for short, c in forms.items() if len(c) == 1}
    return local, corpus


def resolve(mentions: Iterable[Mention]) -> list[Entity]:
    """Group mentions into entities; deterministic whatever the mention order.

    An acronym joins the long form its paper defines, else the one long form the corpus
    gives it; an acronym with several long forms in the corpus and none in its paper stays
    an entity of its own rather than joining the wrong one.
    """
    mentions = list(mentions)
    local, corpus = _acronym_links(mentions)
    groups: dict[str, list[Mention]] = defaultdict(list)
    short: set[Mention] = set()  # acronyms and bare heads: not the full name
    for m in mentions:
        key = name_key(m.refers_to or m.text)
        target = local.get((m.paper_id, key)) or corpus.get(key)
        if target or m.refers_to:
            short.add(m)
        groups[target or key].append(m)
    return sorted((_entity(key, ms, short) for key, ms in groups.items()),
                  key=lambda e: (e.type, e.key))


def _entity(key: str, mentions: list[Mention], short: set[Mention]) -> Entity:
    """Type by weighted vote; label the most frequent full name (not an acronym or a bare
    head), every surface form an alias."""
    votes: Counter = Counter()
    for m in mentions:
        votes.update(dict(m.votes))
    type_ = max(votes, key=lambda t: (votes[t], -TYPES.index(t)))
    surface = Counter(m.text for m in mentions)
    full = Counter(m.text for m in mentions if m not in short) or surface
    label = max(full, key=lambda s: (full[s], len(s), s))
    return Entity(key=key, type=type_, label=label, aliases=sorted(surface), mentions=mentions)
