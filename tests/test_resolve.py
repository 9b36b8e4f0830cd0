"""Resolution: one entity per real-world thing across papers."""

from __future__ import annotations

from kg.model import Mention
from kg.resolve import name_key, resolve


def m(paper: str, text: str, type_: str = "Method", long_form: str = "", weight: float = 1.0,
      introduced: bool = False) -> Mention:
    return Mention(paper_id=paper, text=text, field="abstract", start=0, end=len(text),
                   sentence=text, type=type_, evidence="test", votes=((type_, weight),),
                   introduced=introduced, long_form=long_form)


def test_name_key_ignores_case_hyphens_plural_and_article():
    assert name_key("Large Language Models") == name_key("large-language model")
    assert name_key("the ImageNet dataset") == name_key("ImageNet datasets")
    assert name_key("LLMs") == name_key("LLM")
    assert name_key("class") != name_key("cla")  # "ss" is not a plural


def test_acronym_joins_its_long_form_across_papers():
    ents = resolve([m("a", "LLMs", "Model", long_form="large language models"),
                    m("a", "large language models", "Model"),
                    m("b", "LLM", "Model"), m("c", "Large Language Model", "Model")])
    assert len(ents) == 1
    assert sorted(ents[0].papers) == ["a", "b", "c"]
    assert set(ents[0].aliases) == {"LLMs", "large language models", "LLM",
                                    "Large Language Model"}


def test_ambiguous_acronym_keeps_each_papers_sense():
    ents = resolve([m("a", "CL", long_form="continual learning"), m("a", "continual learning"),
                    m("b", "CL", long_form="contrastive learning"), m("b", "contrastive learning"),
                    m("c", "CL")])
    by_key = {e.key: e.papers for e in ents}
    assert by_key["continuallearning"] == ["a"]
    assert by_key["contrastivelearning"] == ["b"]
    assert by_key["cl"] == ["c"]


def test_type_is_a_weighted_vote_and_label_the_most_frequent_form():
    ents = resolve([m("a", "GLUE", "Benchmark", weight=3), m("b", "GLUE", "Dataset"),
                    m("c", "glue", "Dataset")])
    assert [(e.type, e.label) for e in ents] == [("Benchmark", "GLUE")]


def test_resolution_is_order_independent():
    ms = [m("a", "BERT", "Model"), m("b", "bert", "Model"), m("a", "GPT-4", "Model"),
          m("b", "fine-tuning"), m("c", "Fine-Tuning", introduced=True)]
    one = [(e.key, e.type, e.label, e.aliases, e.introduced_by) for e in resolve(ms)]
    two = [(e.key, e.type, e.label, e.aliases, e.introduced_by) for e in resolve(ms[::-1])]
    assert one == two
