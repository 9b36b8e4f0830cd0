"""`kg eval`'s measure on its own: strict and lenient name matching, optional gold entities,
strict matches first, types exact and coarse, introduced entities, papers found by id."""

from __future__ import annotations

from conftest import entity, paper

from kg.evaluate import evaluate
from kg.graph import build_graph


def gold(name: str, etype: str, aliases: tuple[str, ...] = (), introduced: bool = False,
         optional: bool = False) -> dict:
    return {"name": name, "aliases": [name, *aliases], "type": etype, "introduced": introduced,
            "optional": optional}


def report(entities, golds, pid: str = "p1"):
    return evaluate(build_graph([paper("p1")], entities), {pid: golds})


def test_strict_match_by_any_name_normalised():
    r = report([entity("bert", "Model", "BERT", {"p1": "BERT"}, aliases=("Bert-base",))],
               [gold("bert base", "Model")])  # an alias, case and hyphen aside
    assert (r.counts["tp"], r.counts["typed"], r.counts["system"], r.counts["gold"]) == \
        (1, 1, 1, 1)
    assert r.prf("tp") == (1.0, 1.0, 1.0) and not r.misses and not r.spurious


def test_lenient_match_needs_a_shared_word_that_is_not_generic():
    found = report([entity("imagenet", "Dataset", "ImageNet", {"p1": "ImageNet"})],
                   [gold("ImageNet dataset", "Dataset")])
    assert found.counts["tp"] == 1
    generic = report([entity("model", "Method", "language model", {"p1": "BERT"})],
                     [gold("large language model", "Model")])  # only generic words shared
    assert generic.counts["tp"] == 0
    assert generic.misses == {"large language model": 1}
    assert generic.spurious == {"language model": 1}


def test_a_strict_match_claims_its_gold_entity_before_a_lenient_one():
    """System "A tiny ImageNet" matches both golds leniently and sorts first; "ImageNet"
    matches gold "ImageNet" strictly, which it claims first, leaving "Tiny ImageNet"."""
    r = report([entity("tiny", "Dataset", "A tiny ImageNet", {"p1": "ImageNet"}),
                entity("imagenet", "Dataset", "ImageNet", {"p1": "ImageNet"})],
               [gold("ImageNet", "Dataset"), gold("Tiny ImageNet", "Dataset")])
    assert r.counts["tp"] == 2 and not r.misses and not r.spurious


def test_optional_gold_neither_rewards_nor_penalises():
    r = report([entity("gpt4", "Model", "GPT-4", {"p1": "GPT-4"})],
               [gold("GPT-4", "Model", optional=True)])
    assert r.counts["system"] == r.counts["gold"] == r.counts["tp"] == 0
    assert not r.misses and not r.spurious


def test_types_exact_and_coarse():
    r = report([entity("imagenet", "Benchmark", "ImageNet", {"p1": "ImageNet"}),
                entity("bert", "Method", "BERT", {"p1": "BERT"}),
                entity("gpt4", "Task", "GPT-4", {"p1": "GPT-4"})],
               [gold("ImageNet", "Dataset"), gold("BERT", "Model"), gold("GPT-4", "Model")])
    assert (r.counts["tp"], r.counts["typed"], r.counts["coarse"]) == (3, 0, 2)
    assert r.per_type["Model"] == {"gold": 2, "found": 2, "typed": 0}


def test_introduced_counts_the_papers_own_entities():
    r = evaluate(build_graph([paper("p1")], [
        entity("bert", "Model", "BERT", {"p1": "BERT"}, introduced=("p1",)),
        entity("gpt4", "Model", "GPT-4", {"p1": "GPT-4"}, introduced=("p1",))]),
        {"p1": [gold("BERT", "Model", introduced=True), gold("GPT-4", "Model")]})
    assert (r.counts["intro_tp"], r.counts["gold_intro"], r.counts["system_intro"]) == (1, 1, 2)
    assert r.prf("intro_tp", "gold_intro", "system_intro") == (0.5, 1.0, 2 / 3)


def test_a_gold_paper_missing_from_the_graph_is_all_misses():
    r = report([entity("bert", "Model", "BERT", {"p1": "BERT"})], [gold("BERT", "Model")],
               pid="p9")
    assert r.counts["tp"] == 0 and r.misses == {"BERT": 1} and r.counts["system"] == 0
