"""Typed relations: the data model's table, what the extractor finds in small abstracts, the
graph's edges, the ontology and shapes that the table defines, the worked SPARQL examples
(each against the same question answered in plain Python over rdflib), and the quality
guard on the shared dev gold."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import eval_on_dev
from rdflib import OWL, RDF, RDFS, Graph, Literal
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, SKOS

from kg.cli import cli
from kg.export.rdf import KG
from kg.extract import build_pipeline, extract
from kg.graph import build_graph, relation_edges
from kg.model import (
    ENTITY_KINDS,
    RELATION_KINDS,
    Entity,
    Extraction,
    Mention,
    Paper,
    Relation,
    fitting_kind,
    relation_kind,
)
from kg.validate import validate

ROOT = Path(__file__).resolve().parents[1]
SH = "http://www.w3.org/ns/shacl#"
#: Typed relation F1 the committed output reaches on the dev gold; the guard allows 0.05 less.
DEV_TYPED_F1 = 0.634


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


def relations_of(nlp, title: str, abstract: str) -> set[tuple[str, str, str]]:
    """(head text, kind, tail text) of what the extractor finds in one paper."""
    x = next(extract([Paper("p", title, abstract)], nlp))
    text = {m.ref: m.text for m in x.mentions}
    return {(text[r.head], r.kind, text[r.tail]) for r in x.relations}


# ---------------------------------------------------------------- the table and the records


def test_an_unknown_kind_fails_at_once():
    with pytest.raises(KeyError, match="no relation kind 'evaluted_on'"):
        relation_kind("evaluted_on")
    assert relation_kind("uses").allows("Method", "Model")
    assert not relation_kind("evaluated_on").allows("Dataset", "Method")


def test_extraction_records_round_trip_through_json():
    m = Mention("p", "BERT", "abstract", 0, 4, "BERT works.", "Model", "lexicon",
                (("Model", 3.0),), introduced=False)
    x = Extraction("p", (m,), (Relation("p", "uses", ("title", 0), ("abstract", 0), "s", "r"),))
    assert Extraction.from_dict(json.loads(json.dumps(x.as_dict()))) == x


# ---------------------------------------------------------------- extraction


def test_evaluated_on_distributes_over_a_list(nlp):
    found = relations_of(nlp, "Zorp: Fast Retrieval",
                         "We propose Zorp, a retrieval model. Experiments on MS MARCO, "
                         "Natural Questions and TriviaQA show that Zorp outperforms BM25.")
    assert {("Zorp", "evaluated_on", d) for d in ("MS MARCO", "Natural Questions",
                                                   "TriviaQA")} <= found
    assert ("Zorp", "compared_with", "BM25") in found


def test_trained_on_and_fine_tuned_model(nlp):
    found = relations_of(nlp, "Tuning small models",
                         "We fine-tune LLaMA-2-7B on the OpenWebText dataset and evaluate it "
                         "on the MMLU benchmark.")
    assert ("LLaMA-2-7B", "trained_on", "OpenWebText") in found
    assert ("LLaMA-2-7B", "evaluated_on", "MMLU") in found


def test_our_method_is_the_paper_contribution(nlp):
    found = relations_of(nlp, "Blorp: Contrastive Learning for Image Retrieval",
                         "We present Blorp, a method built on contrastive learning. Our "
                         "method outperforms SimCLR and MoCo on ImageNet.")
    assert ("Blorp", "addresses", "Image Retrieval") in found
    assert ("Blorp", "compared_with", "SimCLR") in found
    assert ("Blorp", "compared_with", "MoCo") in found
    assert ("Blorp", "evaluated_on", "ImageNet") in found
    # baselines are compared on the same data, but compared with nothing and use nothing
    assert ("SimCLR", "evaluated_on", "ImageNet") in found
    assert not any(h == "SimCLR" and k != "evaluated_on" for h, k, _ in found)


def test_components_of_a_proposed_framework(nlp):
    found = relations_of(nlp, "A study", "We propose the Quark framework for machine "
                                         "translation, which consists of a Dual Encoder module "
                                         "and a Sparse Attention module.")
    assert ("Quark", "addresses", "machine translation") in found
    assert {("Quark", "uses", "Dual Encoder"), ("Quark", "uses", "Sparse Attention")} <= found


def test_a_task_before_a_list_of_its_benchmarks(nlp):
    found = relations_of(nlp, "Notes", "We test on three VQA benchmarks (i.e., GQA, VizWiz "
                                       "and OK-VQA) and on commonsense reasoning benchmarks "
                                       "like HellaSwag and PIQA.")
    assert {("GQA", "addresses", "VQA"), ("VizWiz", "addresses", "VQA"),
            ("OK-VQA", "addresses", "VQA"), ("HellaSwag", "addresses", "commonsense reasoning"),
            ("PIQA", "addresses", "commonsense reasoning")} <= found
    assert not relations_of(nlp, "Notes", "We release three VQA benchmarks.")


def test_what_a_framework_for_a_task_consists_of(nlp):
    found = relations_of(nlp, "A study", "We propose a novel Cross-modal Modeling (Quark) "
                                         "framework for VQA, which consists of a Dual Encoder "
                                         "module and a Sparse Attention module.")
    # the acronym and its long form are one entity once resolved
    parts = {(h, t) for h, k, t in found if k == "uses"}
    assert {t for h, t in parts if h in ("Quark", "Cross-modal Modeling")} == {
        "Dual Encoder", "Sparse Attention"}
    assert not any(h == "VQA" for h, _, _ in found)


def test_the_contribution_is_what_we_propose_not_the_long_form_of_a_part(nlp):
    found = relations_of(nlp, "Learning to Distill Global Representation for CT",
                         "We propose a global representation (GloRe) distillation framework, "
                         "termed GloReDi. Extensive experiments demonstrate the superiority of "
                         "the proposed GloReDi over the state-of-the-art methods on LIDC.")
    assert ("GloReDi", "evaluated_on", "LIDC") in found
    assert not any(h == "global representation" for h, _, _ in found)


#: (why, title, abstract, relations the extractor must find): one sentence pattern each
STATED = [
    ("tasks a method is transferred to", "Blorp: Better Pre-training",
     "We propose Blorp, a pre-training method. The improvement is also observed in "
     "transferring pre-trained encoders to the downstream tasks, including object detection "
     "and segmentation.",
     {("Blorp", "addresses", "object detection"), ("Blorp", "addresses", "segmentation")}),
    ("a gerund method uses the model after it", "Notes",
     "Moreover, our experiments on fine-tuning GPT-3.5 Turbo show that the defence is "
     "feasible.", {("fine-tuning", "uses", "GPT-3.5 Turbo")}),
    ("a leaderboard is what both systems are evaluated on", "Notes",
     "Our Zorp-70B is comparable with LLaMA-3.1-70B-Instruct on the Arena Hard leaderboard.",
     {("LLaMA-3.1-70B-Instruct", "evaluated_on", "Arena Hard")}),
    ("the name before 'outperforms' is the better system, even unparsed", "Notes",
     "Our experiments present several discoveries: sequential finetuning outperforms "
     "existing lifelong learning methods in forward transfer.",
     {("sequential finetuning", "compared_with", "lifelong learning")}),
    ("'Our X' is the head when the parse has no subject", "Notes",
     "Our LLaMA-3-70B-Instruct fine-tuned through \"non-instructional data\" is comparable "
     "with LLaMA-3.1-70B-Instruct on the Arena Hard leaderboard.",
     {("LLaMA-3-70B-Instruct", "compared_with", "LLaMA-3.1-70B-Instruct"),
      ("LLaMA-3-70B-Instruct", "evaluated_on", "Arena Hard")}),
    ("the systems a purpose clause evaluates are evaluated on the data", "Notes",
     "Here we follow ZorpEval to systematically evaluate planning ability across four LLMs "
     "(OpenAI GPT-4, Google Bard, LLaMA-13B and Alpaca-7B).",
     {(m, "evaluated_on", "ZorpEval") for m in ("GPT-4", "Bard", "LLaMA-13B", "Alpaca-7B")}),
    ("the sentence's subject when the clause hangs too low", "Web Agents",
     "We propose QZorp. The DQN agent outperforms the baseline without using any human "
     "demonstration achieving 100% success rate.", {("DQN", "measured_by", "success rate")}),
    ("fronted data is what the sentence reports on", "Segmentation",
     "For the ADNI dataset, using the simple UNet technique gives us 0.84 Dice.",
     {("UNet", "evaluated_on", "ADNI")}),
    ("an apposition says what a system is built on", "Web Agents",
     "We train DQZ, a deep reinforcement learning agent, with a curriculum.",
     {("DQZ", "uses", "deep reinforcement learning")}),
    ("a subject the parse split in two", "Notes",
     "As a demonstration of the research possible in ZorpFarm, we find that methods that use "
     "a reward model can substantially improve over supervised fine-tuning and that our "
     "reference PPO implementation leads to a +10% improvement in win-rate against "
     "Davinci003.",
     {("PPO", "compared_with", "Davinci003"), ("PPO", "measured_by", "win-rate")}),
    ("a benchmark addresses the tasks listed after 'challenges:'",
     "MassZorp: A Benchmark for the Discovery and Identification of Molecules",
     "We propose MassZorp -- the first comprehensive benchmark for the discovery of "
     "molecules from MS/MS data. Our benchmark comprises the largest publicly available "
     "collection of high-quality labeled MS/MS spectra and defines three MS/MS annotation "
     "challenges: de novo molecular structure generation, molecule retrieval, and spectrum "
     "simulation.",
     {("MassZorp", "addresses", "de novo molecular structure generation"),
      ("MassZorp", "addresses", "molecule retrieval")}),
    ("a benchmark paper's experiments run the systems they compare on its benchmark",
     "ZorpBench: Benchmarking Knowledge Transfer for Lifelong Robot Learning",
     "We introduce ZorpBench, a benchmark for lifelong robot learning. Our extensive "
     "experiments present several discoveries: sequential finetuning outperforms existing "
     "lifelong learning methods in forward transfer.",
     {("sequential finetuning", "evaluated_on", "ZorpBench"),
      ("lifelong learning", "evaluated_on", "ZorpBench")}),
    ("a name typed only by its shape, in the data's place, is data", "Private Inference",
     "Evaluated end-to-end, the modified protocol outperforms current protocols by reducing "
     "the mean latency by 4 times for ResNet18 on TinyZorpNet.",
     {("ResNet18", "evaluated_on", "TinyZorpNet")}),
    ("the subject of a parsed 'surpassed', not the name before it", "CoMD: Distillation",
     "We propose CoMD, a distillation framework. Finally, the 7B-sized student model after "
     "four distillations surpassed the current state-of-the-art model LLaVA-13B.",
     {("CoMD", "compared_with", "LLaVA-13B")}),
    ("a benchmark addresses the tasks it consists of", "Continual learning",
     "We introduce Zorp, a benchmark consisting of a stream of over 100 visual "
     "classification tasks.", {("Zorp", "addresses", "visual classification")}),
]


@pytest.mark.parametrize("why,title,abstract,expected", STATED, ids=[s[0] for s in STATED])
def test_stated_relations(nlp, why, title, abstract, expected):
    assert expected <= relations_of(nlp, title, abstract)


def test_no_relation_without_a_stated_link(nlp):
    found = relations_of(nlp, "Notes", "GPT-4 is a large model. ImageNet is a dataset of "
                                       "images. Accuracy is a metric.")
    assert found == set()
    denied = relations_of(nlp, "Notes", "However, unlike human education, classical ResNet "
                                        "does not use a curriculum. Our BERT does not "
                                        "outperform ELMo.")
    assert denied == set()


# ---------------------------------------------------------------- the graph


def _mention(pid: str, text: str, start: int, type_: str) -> Mention:
    return Mention(pid, text, "abstract", start, start + len(text), "s", type_, "t",
                   ((type_, 1.0),))


def test_two_kinds_between_the_same_entities_both_stand():
    bert, elmo = _mention("p", "BERT", 0, "Model"), _mention("p", "ELMo", 10, "Model")
    entities = [Entity("bert", "Model", "BERT", ["BERT"], [bert]),
                Entity("elmo", "Model", "ELMo", ["ELMo"], [elmo])]
    rels = [Relation("p", kind, bert.ref, elmo.ref, "s", "t") for kind in ("uses",
                                                                            "compared_with")]
    g = build_graph([Paper("p", "T", "A")], entities, rels)
    assert sorted(k for _, _, k, _ in relation_edges(g)) == ["compared_with", "uses"]
    assert g.edges["model/bert", "model/elmo", "uses"]["statements"] == [
        {"paper": "paper/p", "sentence": "s", "rule": "t"}]


def test_relations_the_resolved_types_do_not_allow_are_dropped():
    a, b = _mention("p", "GLUE", 0, "Method"), _mention("p", "BERT", 10, "Model")
    entities = [Entity("glue", "Benchmark", "GLUE", ["GLUE"], [a]),
                Entity("bert", "Model", "BERT", ["BERT"], [b])]
    g = build_graph([Paper("p", "T", "A")], entities,
                    [Relation("p", "uses", a.ref, b.ref, "s", "t"),
                     Relation("p", "evaluated_on", b.ref, a.ref, "s", "t")])
    assert [(u, k, v) for u, v, k, _ in relation_edges(g)] == [
        ("model/bert", "evaluated_on", "benchmark/glue")]


def test_a_statement_reads_as_the_kind_its_resolved_ends_allow():
    assert fitting_kind("uses", "Method", "Model") == "uses"
    assert fitting_kind("uses", "Method", "Task") == "addresses"  # "a framework for ZSAR"
    assert fitting_kind("uses", "Method", "Dataset") == "evaluated_on"
    assert fitting_kind("evaluated_on", "Model", "Task") == "addresses"
    assert fitting_kind("trained_on", "Model", "Benchmark") == "evaluated_on"
    assert fitting_kind("measured_by", "Model", "Task") is None
    a, b = _mention("p", "Quark", 0, "Method"), _mention("p", "ZSAR", 10, "Method")
    entities = [Entity("quark", "Method", "Quark", ["Quark"], [a]),
                Entity("zsar", "Task", "ZSAR", ["ZSAR"], [b])]
    g = build_graph([Paper("p", "T", "A")], entities, [Relation("p", "uses", a.ref, b.ref,
                                                                "s", "t")])
    assert [(u, k, v) for u, v, k, _ in relation_edges(g)] == [
        ("method/quark", "addresses", "task/zsar")]


# ---------------------------------------------------------------- ontology and shapes


def test_the_ontology_declares_each_relation_of_the_table():
    onto = Graph().parse(ROOT / "ontology" / "paperkg.ttl")

    def classes(node) -> set[str]:
        if (node, OWL.unionOf, None) in onto:
            members = Collection(onto, onto.value(node, OWL.unionOf))
            return {str(c).rsplit("#", 1)[1] for c in members}
        return {str(node).rsplit("#", 1)[1]}

    declared = {p for p in onto.subjects(RDF.type, OWL.ObjectProperty)
                if (p, RDFS.domain, None) in onto and (p, RDFS.range, None) in onto}
    for name in ENTITY_KINDS:
        kind = relation_kind(name)
        prop = KG[kind.prop]
        assert prop in declared, kind.prop
        assert str(onto.value(prop, RDFS.label)) == kind.label
        assert str(onto.value(prop, RDFS.comment)) == kind.comment
        assert classes(onto.value(prop, RDFS.domain)) == set(kind.heads)
        assert classes(onto.value(prop, RDFS.range)) == set(kind.tails)
    for kind in RELATION_KINDS:
        if kind.scope == "paper":
            assert (KG[kind.prop], RDF.type, OWL.ObjectProperty) in onto


def test_the_shapes_check_the_types_the_table_gives():
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    target = shapes.namespace_manager.expand_curie("sh:targetSubjectsOf")
    sh_or = shapes.namespace_manager.expand_curie("sh:or")
    sh_class = shapes.namespace_manager.expand_curie("sh:class")
    sh_path = shapes.namespace_manager.expand_curie("sh:path")
    sh_property = shapes.namespace_manager.expand_curie("sh:property")

    def alternatives(node) -> set[str]:
        return {str(shapes.value(c, sh_class)).rsplit("#", 1)[1]
                for c in Collection(shapes, shapes.value(node, sh_or))}

    for name in ENTITY_KINDS:
        kind = relation_kind(name)
        shape = shapes.value(None, target, KG[kind.prop])
        assert shape is not None, kind.prop
        assert alternatives(shape) == set(kind.heads)
        prop = next(p for p in shapes.objects(shape, sh_property)
                    if shapes.value(p, sh_path) == KG[kind.prop])
        assert alternatives(prop) == set(kind.tails)


def test_a_relation_of_the_wrong_types_or_without_its_triple_fails_validation(seed_graph,
                                                                             tmp_path):
    g = Graph().parse(seed_graph, format="turtle")
    statement = next(g.subjects(RDF.predicate, KG.evaluatedOn))
    head, tail = g.value(statement, RDF.subject), g.value(statement, RDF.object)
    g.remove((head, KG.evaluatedOn, tail))  # the statement's direct triple is gone
    task = next(g.subjects(RDF.type, KG.Task))
    g.add((task, KG.uses, head))  # a task uses nothing
    path = tmp_path / "broken.ttl"
    g.serialize(path, format="turtle")
    lines = [v.line() for v in validate(path).violations]
    assert any("direct triple is missing" in line for line in lines), lines
    assert any("what is uses something is a Model or Method" in line for line in lines), lines


# ---------------------------------------------------------------- the worked examples


@pytest.fixture(scope="module")
def g(seed_graph) -> Graph:
    return Graph().parse(seed_graph, format="turtle")


def example_rows(seed_graph: Path, name: str, *binds: str) -> list[tuple]:
    args = [a for b in binds for a in ("--bind", b)]
    result = CliRunner().invoke(cli, ["query", "--example", name, "--graph", str(seed_graph),
                                      "--format", "json", *args])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    return [tuple(_value(b.get(v)) for v in doc["head"]["vars"])
            for b in doc["results"]["bindings"]]


def _value(term):
    if term is None:
        return None
    if term.get("datatype", "").endswith("#integer"):
        return int(term["value"])
    return term["value"]


def statements(g: Graph, prop) -> list[tuple]:
    """(head, tail, paper, sentence) of every stated `prop` relation."""
    return [(g.value(s, RDF.subject), g.value(s, RDF.object), g.value(s, KG.statedIn),
             str(g.value(s, KG.evidence)))
            for s in g.subjects(RDF.predicate, prop)]


def named(g: Graph, name: str) -> set:
    return {e for p in (RDFS.label, SKOS.altLabel) for e in g.subjects(p, Literal(name))}


def kind_of(g: Graph, e, allowed) -> str | None:
    return next((str(t) for t in g.objects(e, RDF.type) if t in allowed), None)


def label(g: Graph, e) -> str:
    return str(g.value(e, RDFS.label))


def sort_rows(rows, *keys):
    rows = list(rows)
    for col, desc in reversed(keys):
        rows.sort(key=lambda r, c=col: r[c], reverse=desc)
    return rows


SYSTEM_TYPES = {KG.Model, KG.Method}
DATA_TYPES = {KG.Dataset, KG.Benchmark}


def test_evaluated_on(seed_graph, g):
    systems = named(g, "Orca")
    found = defaultdict(lambda: (set(), set()))
    for h, t, paper, sentence in statements(g, KG.evaluatedOn):
        if h in systems and kind_of(g, t, DATA_TYPES):
            found[t][0].add(paper)
            found[t][1].add(sentence)
    expected = sort_rows([(label(g, t), kind_of(g, t, DATA_TYPES), len(ps), min(ss), str(t))
                          for t, (ps, ss) in found.items()], (2, True), (0, False), (4, False))
    assert example_rows(seed_graph, "evaluated-on") == expected and expected


def test_evaluated_systems(seed_graph, g):
    data = named(g, "MATH")
    expected = sort_rows([(label(g, h), kind_of(g, h, SYSTEM_TYPES),
                           str(g.value(paper, DCTERMS.title)), sentence, str(h))
                          for h, t, paper, sentence in statements(g, KG.evaluatedOn)
                          if t in data and kind_of(g, h, SYSTEM_TYPES)],
                         (0, False), (2, False), (3, False), (4, False))
    assert example_rows(seed_graph, "evaluated-systems") == expected and expected
    other = example_rows(seed_graph, "evaluated-systems", "data=nonesuch")
    assert other == []


def test_baselines(seed_graph, g):
    papers, systems = defaultdict(set), defaultdict(set)
    for h, t, paper, _ in statements(g, KG.comparedWith):
        if kind_of(g, t, SYSTEM_TYPES):
            papers[t].add(paper)
            systems[t].add(h)
    expected = sort_rows([(label(g, t), kind_of(g, t, SYSTEM_TYPES), len(papers[t]),
                           len(systems[t]), str(t)) for t in papers],
                         (2, True), (3, True), (0, False), (4, False))[:20]
    assert example_rows(seed_graph, "baselines") == expected and expected


def test_users_of(seed_graph, g):
    used = named(g, "GPT-4")
    expected = sort_rows([(label(g, h), kind_of(g, h, SYSTEM_TYPES),
                           str(g.value(paper, DCTERMS.title)), sentence, str(h))
                          for h, t, paper, sentence in statements(g, KG.uses)
                          if t in used and kind_of(g, h, SYSTEM_TYPES)],
                         (0, False), (2, False), (3, False), (4, False))
    assert example_rows(seed_graph, "users-of") == expected and expected


def test_introduced_tasks(seed_graph, g):
    systems = defaultdict(set)
    for h, t, paper, _ in statements(g, KG.addresses):
        if (paper, KG.introduces, h) in g and kind_of(g, h, SYSTEM_TYPES):
            systems[t].add(h)
    expected = sort_rows([(label(g, t), len(hs), frozenset(label(g, h) for h in hs), str(t))
                          for t, hs in systems.items()], (1, True), (0, False), (3, False))
    got = [(t, n, frozenset(names.split(" | ")), r)
           for t, n, names, r in example_rows(seed_graph, "introduced-tasks")]
    assert got == expected and expected


# ---------------------------------------------------------------- quality on the dev gold


@pytest.fixture(scope="module")
def dev_report() -> str:
    return eval_on_dev("--relations", "dev_relations.jsonl").split("relations:\n", 1)[1]


def test_typed_relation_f1_does_not_regress(dev_report):
    f1 = float(re.search(r"^typed\s+P [\d.]+\s+R [\d.]+\s+F1 ([\d.]+)", dev_report, re.M)[1])
    assert f1 >= DEV_TYPED_F1 - 0.05, dev_report


def test_eval_relations_missing_file_is_one_line(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "entities": []}\n', encoding="utf-8")
    papers = tmp_path / "p.jsonl"
    papers.write_text('{"id": "a", "title": "T", "abstract": "A"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(gold), "--papers", str(papers),
                                      "--relations", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 1
    assert "none.jsonl: cannot read" in result.output and "Traceback" not in result.output
