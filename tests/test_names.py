"""Entities users can trust: names that are lists, TeX, junk shapes and definitions are read
as the things they name; resolution never merges a thing into another that contains it,
links variants to their families, and applies a user's curation file; the headline
contribution of ten classic abstracts (written for this test) is found and introduced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDFS, Graph, Literal

from kg.cli import cli
from kg.curation import load
from kg.export.rdf import KG
from kg.extract import build_pipeline, extract
from kg.extract.paper import coordinated
from kg.ingest import InputError
from kg.model import Mention, Paper
from kg.names import family_names, plain_text
from kg.resolve import resolve

CLASSICS = Path(__file__).with_name("data") / "classic_abstracts.jsonl"


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


def names_of(nlp, title: str, abstract: str) -> dict[str, tuple[str, bool]]:
    """name -> (type, introduced) of one paper's mentions (introduced if any mention is)."""
    found: dict[str, tuple[str, bool]] = {}
    for m in next(extract([Paper("p", title, abstract)], nlp)).mentions:
        type_, intro = found.get(m.key_name, (m.type, False))
        found[m.key_name] = (type_, intro or m.introduced)
    return found


# ---------------------------------------------------------------- extraction


@pytest.mark.parametrize(("text", "members"), [
    ("CIFAR10&100", ["CIFAR10", "CIFAR100"]),
    ("MoCoV1&V2", ["MoCoV1", "MoCoV2"]),
    ("Qwen2.5-Math-Instruct-1.5B/7B/72B", ["Qwen2.5-Math-Instruct-1.5B",
                                          "Qwen2.5-Math-Instruct-7B",
                                          "Qwen2.5-Math-Instruct-72B"]),
    ("BERT/RoBERTa", ["BERT", "RoBERTa"]),
    ("ViT-B/16", ["ViT-B/16"]),
    ("$\\mathcal{B}$-Coder", ["B-Coder"]),
])
def test_a_written_list_stands_for_each_of_its_names(text, members):
    found = coordinated(text)
    assert [name for _, _, name in found] == members
    first_start, first_end, _ = found[0]
    assert text[first_start:first_end] in (members[0], text)  # offsets point into the text


def test_tex_becomes_text():
    assert plain_text("$\\mathcal{B}$-Coder") == "B-Coder"
    assert plain_text("8\\%") == "8%"
    assert plain_text("$\\alpha$-NAS") == "α-NAS"
    assert plain_text("GPT-4") == "GPT-4"


def test_list_names_become_mentions_of_each(nlp):
    found = names_of(nlp, "Notes", "We evaluate on CIFAR10&100 and compare MoCoV1&V2.")
    assert {"CIFAR10", "CIFAR100", "MoCoV1", "MoCoV2"} <= found.keys()
    assert found["CIFAR100"][0] == "Dataset"


def test_names_in_capitals_and_case_insensitive_lexicon(nlp):
    found = names_of(nlp, "Detection", "Our detector is tested on PASCAL VOC and MS MARCO.")
    assert found["PASCAL VOC"][0] == "Dataset"  # the lexicon's "Pascal VOC", in any case
    assert "PASCAL" not in found and "VOC" not in found and "MS MARCO" in found


def test_junk_shapes_are_no_names(nlp):
    found = names_of(nlp, "Notes", "We train on 8 GPUs with 256x256 images, 3-digit numbers "
                                   "and pre-LLM baselines. The Zorblat model is small.")
    assert not {"GPUs", "256x256", "3-digit", "pre-LLM"} & found.keys()
    assert "Zorblat" in found


def test_stands_for_and_or_definitions_link_long_forms(nlp):
    bert = names_of(nlp, "Notes", "We introduce a model called BERT, which stands for "
                                  "Bidirectional Encoder Representations from Transformers.")
    lora = names_of(nlp, "Notes", "We propose Low-Rank Adaptation, or LoRA, which freezes the "
                                  "pre-trained weights.")
    for found, short, long in ((bert, "BERT", "Bidirectional Encoder Representations from "
                                              "Transformers"),
                               (lora, "LoRA", "Low-Rank Adaptation")):
        assert found[short][1] and found[long][1]  # both introduced, as one definition
    entities = resolve(next(extract([Paper("p", "Notes", "We propose Low-Rank Adaptation, or "
                                                         "LoRA, which freezes weights.")],
                                    nlp)).mentions)
    lora_entity = next(e for e in entities if "LoRA" in e.aliases)
    assert lora_entity.label == "Low-Rank Adaptation"


def test_title_only_name_in_the_lexicon_is_found_in_the_abstract_too(nlp):
    x = next(extract([Paper("p", "U-Net: Convolutional Networks for Segmentation",
                            "We present U-Net, a network for biomedical image segmentation. "
                            "U-Net is fast.")], nlp))
    assert {m.field for m in x.mentions if m.key_name == "U-Net"} == {"title", "abstract"}


def test_classic_abstracts_introduce_their_headline_contribution(nlp):
    """Ten classic papers, in our own words: each headline name is found and introduced,
    and the other expected entities are found (a word-set match, as the scorer's lenient)."""
    misses = []
    for line in CLASSICS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        found = names_of(nlp, row["title"], row["abstract"])
        lower = {n.lower(): v for n, v in found.items()}
        for name in row["expect"]["headline"]:
            if not lower.get(name.lower(), (None, False))[1]:
                misses.append(f"{row['id']}: {name} not introduced")
        for name in row["expect"]["entities"]:
            words = set(name.lower().split())
            if not any(words <= set(n.split()) or set(n.split()) <= words for n in lower):
                misses.append(f"{row['id']}: {name} not found")
    assert not misses, misses


# ---------------------------------------------------------------- resolution


def m(paper: str, text: str, type_: str = "Model", start: int = 0, **kw) -> Mention:
    return Mention(paper_id=paper, text=text, field="abstract", start=start,
                   end=start + len(text), sentence=text, type=type_, evidence="test",
                   votes=((type_, 1.0),), **kw)


def test_a_thing_is_never_merged_into_one_that_contains_it():
    entities = resolve([m("a", "ImageNet", "Dataset"), m("a", "Tiny ImageNet", "Dataset", 20),
                        m("b", "fine-tuning", "Method"),
                        m("b", "instruction fine-tuning", "Method", 30),
                        m("c", "R-CNN", "Method"), m("c", "Mask R-CNN", "Method", 9)])
    assert sorted(e.label for e in entities) == sorted(
        ["ImageNet", "Tiny ImageNet", "fine-tuning", "instruction fine-tuning", "R-CNN",
         "Mask R-CNN"])


def test_two_spellings_of_different_things_stay_apart():
    entities = resolve([m("a", "COCO", "Dataset"), m("b", "CoCo", "Method"),
                        m("c", "LLaMA", "Model"), m("d", "Llama", "Model")])
    labels = sorted((e.label, e.type) for e in entities)
    assert ("COCO", "Dataset") in labels and ("CoCo", "Method") in labels
    assert len([e for e in entities if e.type == "Model"]) == 1  # LLaMA is Llama


@pytest.mark.parametrize(("name", "families"), [
    ("Llama-3.1-8B-Instruct", ["Llama-3.1-8B", "Llama-3.1", "Llama"]),
    ("BERT-large", ["BERT"]),
    ("ResNet-50", ["ResNet"]),
    ("GPT-3 175B", ["GPT-3", "GPT"]),
    ("Qwen2.5-Math", ["Qwen2.5", "Qwen"]),
    ("Tiny ImageNet", []),
    ("Mask R-CNN", []),
    ("VR-LwF", []),
])
def test_family_names(name, families):
    assert family_names(name) == families


def test_variants_link_to_the_nearest_family_the_corpus_names():
    entities = resolve([m("a", "Llama"), m("b", "Llama-3-8B-Instruct"), m("c", "Llama-3-8B"),
                        m("d", "Llama-3"), m("e", "BERT-large"), m("f", "BERT"),
                        m("g", "GPT-3 175B")])
    parent = {e.label: next((p.label for p in entities if p.key == e.variant_of), None)
              for e in entities}
    assert parent["Llama-3-8B-Instruct"] == "Llama-3-8B"
    assert parent["Llama-3-8B"] == "Llama-3"
    assert parent["Llama-3"] == "Llama"
    assert parent["BERT-large"] == "BERT"
    assert parent["Llama"] is None and parent["GPT-3 175B"] is None  # no GPT-3 in the corpus


# ---------------------------------------------------------------- the curation file

CURATION = """\
# corrections for my corpus
[alias]
"GPT4" = "GPT-4"

[merge]
"large language models" = ["LLMs"]

[separate]
"CL" = ["continual learning"]

[drop]
names = ["research"]

[type]
"Zorblat" = "Dataset"

[variant]
"Orca 2" = "Orca"

[alias]
"""


def test_curation_rules_apply():
    curation = load_text(CURATION.replace("[alias]\n\"GPT4\"", "[alias]\n\"GPT4\"", 1)
                         .rsplit("[alias]", 1)[0])
    entities = resolve([m("a", "GPT4"), m("b", "GPT-4", start=10),
                        m("c", "LLMs", long_form=""), m("d", "large language models"),
                        m("e", "research", "Method"), m("f", "Zorblat", "Method"),
                        m("g", "Orca 2"), m("h", "Orca"),
                        m("i", "CL", "Method", long_form="continual learning"),
                        m("i", "continual learning", "Method", 30),
                        m("j", "unused name")], curation)
    by_label = {e.label: e for e in entities}
    assert sorted(by_label["GPT-4"].aliases) == ["GPT-4", "GPT4"]
    assert set(by_label["large language models"].aliases) == {"LLMs", "large language models"}
    assert "research" not in by_label
    assert by_label["Zorblat"].type == "Dataset"
    assert by_label["Orca 2"].variant_of == by_label["Orca"].key
    assert "CL" in by_label and "continual learning" in by_label  # kept apart
    assert not curation.unused()


def load_text(text: str, tmp=Path("/tmp")):
    path = tmp / "kg-test-curation.toml"
    path.write_text(text, encoding="utf-8")
    return load(path)


@pytest.mark.parametrize(("text", "line", "message"), [
    ("[type]\n\"X\" = \"Gadget\"\n", 2, "unknown type 'Gadget'"),
    ("[alias]\nx = [1]\n", 2, '[alias] takes "name" = "name"'),
    ("[drop]\nnames = \"x\"\n", 2, "[drop] takes names"),
    ("[nonsense]\na = \"b\"\n", 1, "unknown section [nonsense]"),
    ("[alias]\n\"a\" = \n", 2, "not valid TOML"),
])
def test_a_bad_curation_line_is_named(tmp_path, text, line, message):
    path = tmp_path / "curation.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load(path)
    assert str(e.value).startswith(f"{path}:{line}: ") and message in str(e.value)


def test_build_with_a_curation_file_end_to_end(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "papers.jsonl").write_text(json.dumps({
        "id": "p1", "title": "Zorblat: a benchmark for research on reasoning",
        "abstract": "We introduce Zorblat, a new benchmark of reasoning problems. We evaluate "
                    "GPT-4 and GPT4-turbo on Zorblat and find that research is needed. LLaMA "
                    "and CodeLlama lag behind GPT-4 on our research benchmark."}) + "\n")
    (corpus / "curation.toml").write_text(
        '[drop]\nnames = ["research"]\n\n[type]\n"Zorblat" = "Dataset"\n\n'
        '[alias]\n"CodeLlama" = "LLaMA"\n"Nonesuch" = "GPT-4"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(corpus), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{corpus / 'curation.toml'}:9: [alias] 'Nonesuch' matches no name" in result.output
    g = Graph().parse(out / "graph.ttl")
    labels = {str(o) for o in g.objects(None, RDFS.label)}
    assert "research" not in labels
    zorblat = next(g.subjects(RDFS.label, Literal("Zorblat")))
    assert (zorblat, None, KG.Dataset) in g
    llama = next(g.subjects(RDFS.label, Literal("LLaMA")))
    assert Literal("CodeLlama") in set(g.objects(llama, None))


def test_variants_example_answers_every_variant_of_a_family(seed_graph):
    from kg.query import PREFIX_IRIS

    g = Graph().parse(seed_graph, format="turtle")
    family = {e for p in (RDFS.label,) for e in g.subjects(p, Literal("Llama"))}
    expected = {}
    for v in set(g.subjects(KG.variantOf, None)):
        chain, seen = {v}, set()
        while chain:  # everything v is a variant of, however deep
            nxt = {p for c in chain for p in g.objects(c, KG.variantOf)} - seen
            seen |= nxt
            chain = nxt
        if seen & family:
            papers = set(g.subjects(KG.mentions, v))
            expected[str(v)] = (str(g.value(v, RDFS.label)), len(papers))
    result = CliRunner().invoke(cli, ["query", "--example", "variants", "--graph",
                                      str(seed_graph), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["results"]["bindings"]
    got = {r["resource"]["value"]: (r["variant"]["value"], int(r["papers"]["value"]))
           for r in rows}
    assert got == expected and len(got) >= 5
    assert PREFIX_IRIS  # the example runs with the predeclared prefixes only
