"""Resolution stage: mentions -> one canonical entity per real-world thing, and families.

Names are merged when they normalise alike (case, hyphens and spaces, a plural last word,
a leading "the") or when a paper defines one as the other's acronym: "Large Language Models
(LLMs)" links "LLMs", "LLM" and "large language models" into one entity, in every paper.
Nothing else merges: a name is never folded into a longer one that contains it ("ImageNet"
is not "Tiny ImageNet"), and two spellings that differ only in case stay apart when the
corpus uses them for things of different types ("COCO" the dataset, "CoCo" a method).

Sizes, versions, checkpoints and fine-tunes are entities of their own, linked by
``variant_of`` to the nearest family the corpus names: Llama-3-8B-Instruct -> Llama-3-8B ->
Llama-3 -> Llama, BERT-large -> BERT, ResNet-50 -> ResNet. A user's curation file
(`kg.curation`) adds aliases, forced and forbidden merges, drops, types and variant links.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from kg.curation import Curation, Rule
from kg.model import TYPES, Entity, Mention, relation_kind
from kg.names import curation_key, family_names, is_acronym_like, name_key

#: Types whose names have families (not tasks or metrics).
FAMILY_TYPES = relation_kind("variant_of").heads


def _acronym_links(mentions: list[Mention]) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """(paper, acronym key) -> long-form key where a paper defines it, and acronym key ->
    long-form key where the whole corpus agrees on one long form."""
    local: dict[tuple[str, str], str] = {}
    forms: dict[str, Counter] = defaultdict(Counter)
    for m in mentions:
        if m.long_form:
            long_key = name_key(m.long_form)
            local[(m.paper_id, name_key(m.key_name))] = long_key
            forms[name_key(m.key_name)][long_key] += 1
    corpus = {short: c.most_common(1)[0][0] for short, c in forms.items() if len(c) == 1}
    return local, corpus


def _homonyms(mentions: list[Mention]) -> set[str]:
    """Keys under which the corpus writes two things that differ only in case: an all-caps
    spelling and a mixed-case one whose mentions vote for different types ("COCO" the
    dataset, "CoCo" a method)."""
    votes: dict[tuple[str, bool], Counter] = defaultdict(Counter)
    for m in mentions:
        if is_acronym_like(m.key_name):
            votes[(name_key(m.key_name), m.key_name.isupper())].update(dict(m.votes))
    return {key for (key, upper), v in votes.items() if upper and (key, False) in votes
            and _best(v) != _best(votes[(key, False)])}


def resolve(mentions: Iterable[Mention], curation: Curation | None = None) -> list[Entity]:
    """Group mentions into entities, link variants to their families and apply the user's
    curation; deterministic whatever the mention order.

    An acronym joins the long form its paper defines, else the one long form the corpus
    gives it; an acronym with several long forms in the corpus and none in its paper stays
    an entity of its own rather than joining the wrong one.
    """
    mentions = list(mentions)
    rules = _Rules(curation or Curation())
    local, corpus = _acronym_links(mentions)
    homonyms = _homonyms(mentions)
    groups: dict[str, list[Mention]] = defaultdict(list)
    short: set[Mention] = set()  # acronyms: not the full name
    for m in mentions:
        key = name_key(m.key_name)
        if key in homonyms:
            key += "=" if m.key_name.isupper() else ""
        apart = rules.kept_apart(m.key_name)
        if apart:
            key = curation_key(m.key_name)
        target = None if apart else local.get((m.paper_id, key)) or corpus.get(key)
        redirect = rules.redirect(m.key_name)
        if target or redirect and redirect != key:  # the canonical name labels the entity
            short.add(m)
        groups[redirect or target or key].append(m)
    entities = [_entity(key, ms, short) for key, ms in groups.items()]
    entities = [rules.retype(e) for e in entities if not rules.dropped(e)]
    _link_families(entities, rules)
    return sorted(entities, key=lambda e: (e.type, e.key))


def _best(votes: Counter) -> str:
    return max(votes, key=lambda t: (votes[t], -TYPES.index(t)))


def _entity(key: str, mentions: list[Mention], short: set[Mention]) -> Entity:
    """Type by weighted vote; label the most frequent full name (not an acronym), every name
    an alias."""
    votes: Counter = Counter()
    for m in mentions:
        votes.update(dict(m.votes))
    surface = Counter(m.key_name for m in mentions)
    full = Counter(m.key_name for m in mentions if m not in short) or surface
    label = max(full, key=lambda s: (full[s], len(s), s))
    return Entity(key=key, type=_best(votes) if votes else "Method", label=label,
                  aliases=sorted(surface), mentions=mentions)


def _link_families(entities: list[Entity], rules: _Rules) -> None:
    """Each variant points at the nearest family the corpus names (or the user declares)."""
    by_name: dict[str, Entity] = {}
    for e in sorted(entities, key=lambda e: (-len(e.mentions), e.key)):
        for name in (e.label, *e.aliases):
            by_name.setdefault(name_key(name), e)
    for e in entities:
        declared = rules.family(e)
        if declared is not None:
            parent = by_name.get(name_key(declared))
            if parent is not None and parent is not e:
                e.variant_of = parent.key
            continue
        if e.type not in FAMILY_TYPES:
            continue
        for family in family_names(e.label):
            parent = by_name.get(name_key(family))
            if parent is not None and parent is not e and parent.type in FAMILY_TYPES:
                e.variant_of = parent.key
                break


class _Rules:
    """A curation file's rules, indexed for lookups during resolution."""

    def __init__(self, curation: Curation):
        self.curation = curation
        self.redirects: dict[str, tuple[str, Rule]] = {}
        for rule in curation.of("alias"):
            self.redirects[curation_key(rule.names[0])] = (name_key(rule.value), rule)
        for rule in curation.of("merge"):
            for name in rule.names:
                self.redirects[curation_key(name)] = (name_key(rule.names[0]), rule)
        self.apart = {curation_key(n): r for r in curation.of("separate") for n in r.names}
        self.drops = {curation_key(r.names[0]): r for r in curation.of("drop")}
        self.types = {curation_key(r.names[0]): r for r in curation.of("type")}
        self.families = {curation_key(r.names[0]): r for r in curation.of("variant")}

    def _hit(self, table: dict, name: str):
        for key in (f"={name.strip()}", name_key(name)):
            found = table.get(key)
            if found is not None:
                rule = found[1] if isinstance(found, tuple) else found
                self.curation.used.add(rule)
                return found
        return None

    def _any(self, table: dict, e: Entity) -> Rule | None:
        return next((hit for n in (e.label, *e.aliases) if (hit := self._hit(table, n))), None)

    def redirect(self, name: str) -> str | None:
        found = self._hit(self.redirects, name)
        return found[0] if found else None

    def kept_apart(self, name: str) -> bool:
        return self._hit(self.apart, name) is not None

    def dropped(self, e: Entity) -> bool:
        return self._any(self.drops, e) is not None

    def retype(self, e: Entity) -> Entity:
        rule = self._any(self.types, e)
        if rule is not None:
            e.type = rule.value
        return e

    def family(self, e: Entity) -> str | None:
        rule = self._any(self.families, e)
        return rule.value if rule else None
