"""The graph stage on its own: node ids (paper ids that slugify alike, entity label clashes),
mention and introduces edges with their evidence, and co-occurrence weights."""

from __future__ import annotations

import itertools

import pytest
from conftest import entity, paper

from kg.graph import build_graph, cooccurrence, entity_nodes, paper_node


@pytest.mark.parametrize(("pid", "node"), [
    ("2401.00001", "paper/2401-00001"),
    ("2401.00001v2", "paper/2401-00001v2"),
    ("sparse-attention-transformers", "paper/sparse-attention-transformers"),
    ("paper-3f2a9c01bd", "paper/paper-3f2a9c01bd"),  # ingest's id for a title with no ASCII
])
def test_ordinary_ids_keep_their_plain_slug(pid, node):
    assert paper_node(paper(pid)) == node


def test_paper_ids_that_slugify_alike_get_distinct_nodes():
    ids = ["ABC", "abc", "a.b.c", "a-b-c", "A B C", "2401.00001", "2401-00001", "W3C:42",
           "w3c-42", "x" * 81, "x" * 80, "y-0123abcd", "über", "uber", "S001", "s001"]
    nodes = [paper_node(paper(i)) for i in ids]
    assert len(set(nodes)) == len(ids), sorted(zip(nodes, ids, strict=True))
    assert [paper_node(paper(i)) for i in ids] == nodes  # the same in every run
    assert nodes[:2] == ["paper/abc-3c01bdbb", "paper/abc"]
    g = build_graph([paper("ABC"), paper("abc")], [])
    assert sorted(d["paper_id"] for _, d in g.nodes(data=True)) == ["ABC", "abc"]


def test_entity_label_clash_gets_a_digest_of_the_key():
    entities = [entity("gpt4", "Model", "GPT-4", {}), entity("gpt 4", "Model", "GPT 4", {}),
                entity("gpt4m", "Method", "GPT-4", {}), entity("bert", "Model", "BERT", {})]
    ids = entity_nodes((e.key, e.type, e.label) for e in entities)
    assert ids["bert"] == "model/bert" and ids["gpt4m"] == "method/gpt-4"  # no clash
    assert ids["gpt4"] != ids["gpt 4"]
    assert all(ids[k].startswith("model/gpt-4-") and len(ids[k]) == len("model/gpt-4-") + 6
               for k in ("gpt4", "gpt 4"))


def test_mentions_introduces_evidence_and_co_occurrence_weights():
    papers = [paper("p1"), paper("p2"), paper("p3")]
    entities = [entity("bert", "Model", "BERT", {"p1": "BERT", "p2": "BERT", "p3": "BERT"},
                       introduced=("p2",)),
                entity("gpt4", "Model", "GPT-4", {"p1": "GPT-4", "p2": "GPT-4"}),
                entity("imagenet", "Dataset", "ImageNet", {"p2": "ImageNet"})]
    g = build_graph(papers, entities)
    assert set(g["paper/p1"]["model/bert"]) == {"mentions"}  # edges keyed by their kind
    assert set(g["paper/p2"]["model/bert"]) == {"introduces"}
    [ev] = g.edges["paper/p3", "model/bert", "mentions"]["evidence"]
    assert ev == {"field": "abstract", "start": 9, "end": 13, "text": "BERT", "rule": "test",
                  "sentence": "We train BERT and GPT-4 on ImageNet."}
    weights = {(u, v): d["weight"] for u, v, k, d in g.edges(keys=True, data=True)
               if k == "co_occurs"}
    assert weights == {("model/bert", "model/gpt-4"): 2,  # p1 and p2
                       ("dataset/imagenet", "model/bert"): 1,
                       ("dataset/imagenet", "model/gpt-4"): 1}
    assert all(u < v for u, v in weights)  # each pair once, the smaller id first
    assert cooccurrence(g) == weights
    assert {n: d["papers"] for n, d in g.nodes(data=True) if d["kind"] == "entity"} == {
        "model/bert": 3, "model/gpt-4": 2, "dataset/imagenet": 1}


def test_the_graph_does_not_depend_on_input_order():
    papers = [paper("p1"), paper("p2")]
    entities = [entity("bert", "Model", "BERT", {"p1": "BERT", "p2": "BERT"}),
                entity("gpt4", "Model", "GPT-4", {"p2": "GPT-4"})]
    built = [build_graph(list(ps), list(es)) for ps, es in
             itertools.product(itertools.permutations(papers), itertools.permutations(entities))]
    first = built[0]
    for g in built[1:]:
        assert list(g.nodes(data=True)) == list(first.nodes(data=True))
        assert list(g.edges(data=True)) == list(first.edges(data=True))


def test_every_line_of_graph_json_is_its_object_dumped_with_sorted_keys(seed_outputs):
    """write_json writes the co-occurrence edges without json.dumps: the same text."""
    import json

    lines = (seed_outputs / "graph.json").read_text(encoding="utf-8").splitlines()[1:-1]
    objects = [line.rstrip(",") for line in lines if line.startswith("{")]
    assert sum('"co_occurs"' in line for line in objects) > 100
    for line in objects:
        assert json.dumps(json.loads(line), ensure_ascii=False, sort_keys=True) == line
