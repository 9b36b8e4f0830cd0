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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kg.curation import Curation, Rule
from kg.model import TYPES, Entity, Mention, Name, relation_kind
from kg.names import curation_key, family_names, is_acronym_like, name_key

#: Types whose names have families (not tasks or metrics).
FAMILY_TYPES = relation_kind("variant_of").heads


Named = Mention | Name


@dataclass
class Tally:
    """What resolution keeps of one entity while the papers stream past: type votes, names
    (all, and the full names: not acronyms), how many mentions and papers."""

    votes: Counter = field(default_factory=Counter)
    surface: Counter = field(default_factory=Counter)
    full: Counter = field(default_factory=Counter)
    mentions: int = 0
    papers: int = 0

    def entity(self, key: str) -> Entity:
        """Type by weighted vote; label the most frequent full name (not an acronym), every
        name an alias; without its mentions (`resolve` adds them)."""
        full = self.full or self.surface
        label = max(full, key=lambda s: (full[s], len(s), s))
        return Entity(key=key, type=_best(self.votes) if self.votes else "Method", label=label,
                      aliases=sorted(self.surface), mentions=[])


class Resolver:
    """Resolution in two streaming passes over the papers, one paper's mentions at a time,
    holding per-name and per-entity tallies only (memory grows with the entities, not with
    the mentions):

    1. `learn` every paper: the long forms the corpus gives each acronym, and the type votes
       of each case spelling of acronym-like names (for homonyms);
    2. `add` every paper: each mention's entity key, tallied;

    then `entities()`. `keys` gives a paper's mention -> entity keys again (the exporters'
    pass). An acronym joins the long form its paper defines, else the one long form the
    corpus gives it; an acronym with several long forms in the corpus and none in its paper
    stays an entity of its own rather than joining the wrong one."""

    def __init__(self, curation: Curation | None = None) -> None:
        self.rules = _Rules(curation or Curation())
        self.forms: dict[str, Counter] = defaultdict(Counter)
        self.case_votes: dict[tuple[str, bool], Counter] = defaultdict(Counter)
        self.tallies: dict[str, Tally] = {}
        self._links: tuple[dict[str, str], set[str]] | None = None

    def learn(self, mentions: Iterable[Named]) -> None:
        for m in mentions:
            if m.long_form:
                self.forms[name_key(m.key_name)][name_key(m.long_form)] += 1
            if is_acronym_like(m.key_name):
                self.case_votes[(name_key(m.key_name), m.key_name.isupper())].update(
                    dict(m.votes))

    def _corpus(self) -> tuple[dict[str, str], set[str]]:
        """Acronym key -> long-form key where the whole corpus agrees on one long form; and
        the keys under which the corpus writes two things that differ only in case: an
        all-caps spelling and a mixed-case one whose mentions vote for different types
        ("COCO" the dataset, "CoCo" a method)."""
        if self._links is None:
            corpus = {short: c.most_common(1)[0][0] for short, c in self.forms.items()
                      if len(c) == 1}
            v = self.case_votes
            homonyms = {key for (key, upper), votes in v.items() if upper
                        and (key, False) in v and _best(votes) != _best(v[(key, False)])}
            self._links = corpus, homonyms
        return self._links

    def keys(self, mentions: Sequence[Named]) -> list[tuple[str, bool]]:
        """One paper's mentions -> (entity key, whether the mention is not the full name: an
        acronym, or a name the curation redirects) each."""
        corpus, homonyms = self._corpus()
        local = {}
        for m in mentions:
            if m.long_form:
                local[name_key(m.key_name)] = name_key(m.long_form)
        out = []
        for m in mentions:
            key = name_key(m.key_name)
            if key in homonyms:
                key += "=" if m.key_name.isupper() else ""
            apart = self.rules.kept_apart(m.key_name)
            if apart:
                key = curation_key(m.key_name)
            target = None if apart else local.get(key) or corpus.get(key)
            redirect = self.rules.redirect(m.key_name)
            # the canonical name labels the entity
            out.append((redirect or target or key, bool(target or redirect and redirect != key)))
        return out

    def add(self, mentions: Sequence[Named]) -> list[str]:
        """Tally one paper's mentions; returns their entity keys."""
        keys = self.keys(mentions)
        for key in dict.fromkeys(k for k, _ in keys):
            self.tallies.setdefault(key, Tally()).papers += 1
        for m, (key, short) in zip(mentions, keys, strict=True):
            t = self.tallies[key]
            t.votes.update(dict(m.votes))
            t.surface[m.key_name] += 1
            t.mentions += 1
            if not short:
                t.full[m.key_name] += 1
        return [k for k, _ in keys]

    def entities(self) -> list[Entity]:
        """The entities (without their mentions), after the curation's drops and types,
        linked to their families."""
        entities = [self.rules.retype(e) for e in (t.entity(k) for k, t in self.tallies.items())
                    if not self.rules.dropped(e)]
        _link_families(entities, self.rules, {k: t.mentions for k, t in self.tallies.items()})
        return sorted(entities, key=lambda e: (e.type, e.key))


def resolve(mentions: Iterable[Mention], curation: Curation | None = None) -> list[Entity]:
    """Group mentions into entities, link variants to their families and apply the user's
    curation, in memory (see `Resolver` for the streaming form); deterministic whatever the
    mention order."""
    by_paper: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        by_paper[m.paper_id].append(m)
    r = Resolver(curation)
    for ms in by_paper.values():
        r.learn(ms)
    groups: dict[str, list[Mention]] = defaultdict(list)
    for ms in by_paper.values():
        for m, key in zip(ms, r.add(ms), strict=True):
            groups[key].append(m)
    entities = r.entities()
    for e in entities:
        e.mentions = groups[e.key]
    return entities


def _best(votes: Counter) -> str:
    return max(votes, key=lambda t: (votes[t], -TYPES.index(t)))




def _link_families(entities: list[Entity], rules: _Rules, sizes: dict[str, int]) -> None:
    """Each variant points at the nearest family the corpus names (or the user declares);
    `sizes`: entity key -> number of mentions."""
    by_name: dict[str, Entity] = {}
    for e in sorted(entities, key=lambda e: (-sizes[e.key], e.key)):
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
        if not table:  # no rule of this kind: the usual case, asked for every mention
            return None
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
