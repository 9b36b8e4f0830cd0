"""The extractor's components on small sentences: what each rule finds, types and flags."""

from __future__ import annotations

import pytest

from kg.extract import build_pipeline, extract
from kg.extract.lexicon import load_lexicon
from kg.model import Paper


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


def spans(nlp, text: str, title: bool = False) -> dict[str, tuple[str, bool]]:
    doc = nlp.make_doc(text)
    doc.user_data["is_title"] = title
    doc = nlp(doc)
    return {s.text: (s.label_, s._.kg.introduced) for s in doc.spans["kg"]}


def test_word_merger_keeps_names_whole(nlp):
    doc = nlp("We fine-tune GPT-3.5-turbo and LLaMA-3-70B on NEVIS'22 (CIFAR-100).")
    words = [t.text for t in doc]
    assert {"fine-tune", "GPT-3.5-turbo", "LLaMA-3-70B", "NEVIS'22", "CIFAR-100"} <= set(words)
    assert "(" in words and ")" in words  # brackets stay separate


def test_acronym_definition_pairs_long_and_short_form(nlp):
    doc = nlp("The Contrastive Language-Image Pre-training (CLIP) model is widely used.")
    assert [(s.text, lf.text) for s, lf in doc._.acronyms] == [
        ("CLIP", "Contrastive Language-Image Pre-training")]


def test_acronym_with_plural_and_digits(nlp):
    doc = nlp("Large language models (LLMs) and the Never-Ending VIsual-classification "
              "Stream (NEVIS'22) are studied.")
    pairs = {s.text: lf.text for s, lf in doc._.acronyms}
    assert pairs["LLMs"] == "Large language models"
    assert pairs["NEVIS'22"] == "Never-Ending VIsual-classification Stream"


def test_apposition_types_a_new_name_and_marks_it_introduced(nlp):
    found = spans(nlp, "In this work, we introduce FooBench, a benchmark for table reasoning.")
    assert found["FooBench"] == ("Benchmark", True)
    assert found["table reasoning"][0] == "Task"


def test_head_noun_after_name_types_it(nlp):
    found = spans(nlp, "We report results on the Zorblat dataset and the Quuxify benchmark.")
    assert found["Zorblat"][0] == "Dataset"
    assert found["Quuxify"][0] == "Benchmark"


@pytest.mark.parametrize("text, name, type_", [
    ("We build a large speech dataset called Zorbvox, which covers 40 languages.", "Zorbvox",
     "Dataset"),
    ("We train detectors on one dataset (e.g., QuuxFake) and test them on others.", "QuuxFake",
     "Dataset"),
    ("We collected two target datasets: FrobPerson and FrobCar, under various lighting.",
     "FrobPerson", "Dataset"),
    ("We collected two target datasets: FrobPerson and FrobCar, under various lighting.",
     "FrobCar", "Dataset"),
    ("The dominant training corpus, Zenvox, contains outdated samples.", "Zenvox", "Dataset"),
    ("We evaluate on benchmarks such as Quuxify and report the accuracy.", "Quuxify",
     "Benchmark"),
])
def test_a_type_noun_before_a_name_types_it(nlp, text, name, type_):
    """"a dataset called X", "a dataset (e.g., X)", "datasets: X and Y", "the corpus, X"."""
    assert spans(nlp, text)[name][0] == type_


def test_model_size_suffix_means_model(nlp):
    assert spans(nlp, "We compare against Frobnik-13B and prior work.")["Frobnik-13B"][0] == "Model"


def test_technical_noun_phrases_use_learned_specificity(nlp):
    found = spans(nlp, "We combine data augmentation with novel contrastive learning for "
                       "semantic segmentation.")
    assert found["data augmentation"][0] == "Method"
    assert found["contrastive learning"][0] == "Method"  # "novel" is not part of the term
    assert found["semantic segmentation"][0] == "Task"


def test_zero_shot_learning_is_a_task(nlp):
    assert spans(nlp, "CLIP excels at zero-shot learning.")["zero-shot learning"][0] == "Task"


def test_existing_methods_are_not_introduced(nlp):
    found = spans(nlp, "We propose Blorp, which outperforms BERT on GLUE.")
    assert found["Blorp"][1] is True
    assert found["BERT"][1] is False
    assert found["GLUE"][1] is False


def test_descriptive_phrases_and_urls_are_not_entities(nlp):
    found = spans(nlp, "Our approach achieves strong results; code is at https://github.com/a/b.")
    assert found == {}


def test_title_name_before_colon_is_introduced():
    paper = Paper(id="p1", title="Zyxel: Fast Retrieval for Long Documents",
                  abstract="We present Zyxel, a retrieval model that indexes long documents "
                           "and answers questions about them with high accuracy.")
    mentions = [m for m in next(extract([paper])).mentions if m.text == "Zyxel"]
    assert mentions and all(m.introduced for m in mentions)
    title = next(m for m in mentions if m.field == "title")
    assert paper.title[title.start:title.end] == "Zyxel"
    assert title.sentence.startswith("Zyxel")


def test_a_title_term_before_the_colon_is_introduced_but_not_a_slogan(nlp):
    abstract = "We fine-tune language models on plain web text and evaluate them on MMLU."
    papers = [Paper("p1", "Non-instructional Fine-tuning: Instruction Following without "
                          "Instructions", abstract),
              Paper("p2", "Talking Models: What Language Models Say", abstract),
              Paper("p3", "Don't Stop Learning: Towards Continual Learning", abstract)]
    intro = [{m.text for m in x.mentions if m.introduced} for x in extract(papers, nlp)]
    assert intro[0] == {"Non-instructional Fine-tuning"}
    assert not intro[1] and not intro[2]


def test_a_bare_term_stands_for_the_one_longer_term_of_its_paper(nlp):
    one = Paper("p1", "Notes", "We study knowledge distillation for small models. "
                               "Distillation improves their accuracy.")
    two = Paper("p2", "Notes", "We compare knowledge distillation with feature "
                               "distillation. Distillation improves accuracy.")
    names = [{m.text: m.key_name for m in x.mentions} for x in extract([one, two], nlp)]
    assert names[0]["Distillation"] == "knowledge distillation"
    assert names[1]["Distillation"] == "Distillation"  # two longer terms: which one is moot


def test_a_name_after_comma_the_names_what_the_sentence_introduces(nlp):
    paper = Paper("p1", "Benchmarking Training Algorithms",
                  "To address these challenges, we introduce a new, competitive benchmark "
                  "using multiple workloads running on fixed hardware, the ZorpPerf: Training "
                  "Algorithms benchmark.")
    intro = {m.text for m in next(extract([paper], nlp)).mentions if m.introduced}
    assert "ZorpPerf" in intro


def test_what_authors_call_new_is_introduced(nlp):
    papers = [Paper("p1", "Web Agents", "We train DQN with Q-value function approximated with "
                                        "a novel QZorp neural network architecture."),
              Paper("p2", "Tutors", "We also present a proof-of-concept tutoring system, "
                                    "referred to as ZORP, for algebra."),
              Paper("p3", "Imitation", "To leverage expert procedures, we propose procedure "
                                       "cloning, which applies sequence prediction to imitate "
                                       "the expert.")]
    papers += [Paper("p4", "Markets", "The platform prices trades by utilizing a novel market "
                                      "equilibrium pricing for reduced slippage."),
               Paper("p5", "Teaching", "This paper introduces a novel interpretable knowledge "
                                       "distillation approach to enhance smaller LLMs."),
               Paper("p6", "Replay", "We present a novel replay-based method for streams.")]
    intro = [{m.text for m in x.mentions if m.introduced} for x in extract(papers, nlp)]
    assert intro == [{"QZorp"}, {"ZORP"}, {"procedure cloning"}, {"market equilibrium pricing"},
                     {"interpretable knowledge distillation"}, set()]
    plural = Paper("p4", "Notes", "We propose evaluation protocols to compare the models.")
    assert not any(m.introduced for m in next(extract([plural], nlp)).mentions)


def test_two_names_a_prefix_and_a_field_are_no_names(nlp):
    paper = Paper("p", "ZORP Meet QUUX: A Design Framework for Tutors",
                  "We present a framework called ZORP for tutors. We also present a tutor, "
                  "referred to as QUUX, trained using the ZORP framework. It is better than "
                  "no-ZR and existing ZR methods on many vision tasks.")
    texts = {m.text for m in next(extract([paper], nlp)).mentions}
    assert texts == {"ZORP", "QUUX", "ZR"}  # not "ZORP Meet QUUX", "no-ZR", "vision"


def test_user_lexicon_extends_and_is_validated(tmp_path, nlp):
    extra = tmp_path / "mine.tsv"
    extra.write_text("# my lab's datasets\nZappoCorpus\tDataset\n", encoding="utf-8")
    custom = build_pipeline(lexicons=[extra])
    doc = custom("We train on ZappoCorpus.")
    assert {(s.text, s.label_) for s in doc.spans["kg"]} == {("ZappoCorpus", "Dataset")}
    bad = tmp_path / "bad.tsv"
    bad.write_text("ZappoCorpus\tThing\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:1"):
        load_lexicon([bad])


def test_an_acronym_takes_the_words_whose_initials_spell_it(nlp):
    doc = nlp("In this paper, we propose cyclical curriculum learning (CCL), in which the "
              "data size changes cyclically.")
    assert [(s.text, lf.text) for s, lf in doc._.acronyms] == [
        ("CCL", "cyclical curriculum learning")]


def test_a_colon_list_of_defined_terms_defines_no_acronym_before_it(nlp):
    doc = nlp("We summarize three stages of learning LLMs in the context of modern CL: "
              "Continual Pre-Training (CPT), Domain-Adaptive Pre-training (DAP), and "
              "Continual Fine-Tuning (CFT).")
    pairs = {(s.text, lf.text) for s, lf in doc._.acronyms}
    assert ("CPT", "Continual Pre-Training") in pairs
    assert not any(s == "CL" for s, _ in pairs)


def test_acronym_defined_after_a_colon_or_dubbed(nlp):
    doc = nlp("In this paper, we develop RISE: Recursive IntroSpEction, an approach for LLMs. "
              "We propose ARTE, dubbed Aligning TeacheR with StudenT PreferencEs, a framework.")
    assert {(s.text, lf.text) for s, lf in doc._.acronyms} >= {
        ("RISE", "Recursive IntroSpEction"),
        ("ARTE", "Aligning TeacheR with StudenT PreferencEs")}


def test_acronym_followed_by_its_long_form(nlp):
    doc = nlp("We present SciRIFF (Scientific Resource for Instruction-Following and "
              "Finetuning), a dataset of demonstrations.")
    assert [(s.text, lf.text) for s, lf in doc._.acronyms] == [
        ("SciRIFF", "Scientific Resource for Instruction-Following and Finetuning")]


def test_organisation_and_count_are_not_part_of_names(nlp):
    found = spans(nlp, "We compare OpenAI GPT-4 with Google Bard on 3.5K prompts, 5-10x faster.")
    assert "GPT-4" in found and "Bard" in found
    assert not {"OpenAI GPT-4", "OpenAI", "Google Bard", "3.5K", "5-10x"} & set(found)


def test_fields_and_formulae_are_not_entities(nlp):
    found = spans(nlp, "Deep Learning (DL) has changed AI; our bound is O(1/T) for 3D data "
                       "at 20Hz with k=5 and Y|X given, a 13-billion parameter model.")
    assert not {"Deep Learning", "DL", "AI", "O(1/T", "O(1", "3D", "20Hz", "k=5", "Y|X",
                "13-billion"} & set(found)


def test_earlier_work_is_not_introduced(nlp):
    found = spans(nlp, "Large models such as Frobnitz-3 have been developed recently. "
                       "We discuss recently proposed Zorg optimizations.")
    assert found["Frobnitz-3"][1] is False
    assert all(not intro for _, intro in found.values())


def test_paper_level_rules_shrink_descriptions_but_not_other_things():
    paper = Paper(id="p2", title="Robot manipulation with diffusion policies",
                  abstract="We study robot manipulation from demonstrations. Our policy "
                           "improves over-confident contrastive learning baselines, and "
                           "contrastive learning alone fails at manipulation in clutter. We "
                           "apply instruction fine-tuning, unlike plain fine-tuning, and test "
                           "on Tiny ImageNet and ImageNet.")
    mentions = next(extract([paper])).mentions
    texts = {m.text for m in mentions}
    assert "over-confident contrastive learning" not in texts  # shrunk to the paper's name
    assert {"instruction fine-tuning", "fine-tuning", "Tiny ImageNet", "ImageNet",
            "manipulation", "robot manipulation"} <= texts  # other things, each its own


def test_unicode_acronyms_latex_and_titled_benchmarks(nlp):
    found = spans(nlp, "We propose ÆtherNet (ÆN), cheaper than $O(n \\log n)$ attention, "
                       "and test it on the Long Range Arena with $\\mathcal{B}$-Former.")
    assert found["ÆtherNet"][1] and found["ÆN"][1]
    assert found["Long Range Arena"][0] == "Benchmark"
    assert "$\\mathcal{B}$-Former" in found
    assert not {"$O", "\\log", "n"} & set(found)


def test_pipeline_components_declare_what_they_need(nlp):
    """Each component's `requires` is met by an earlier one's `assigns`: a missing or
    misordered component is reported, not silently degrading quality."""
    analysis = nlp.analyze_pipes()
    assert analysis["problems"] == {name: [] for name in nlp.pipe_names}
    assert nlp.pipe_names[-5:] == ["kg_candidates", "kg_types", "kg_introduced", "kg_relations",
                                   "kg_results"]
    broken = build_pipeline()
    broken.remove_pipe("kg_acronyms")
    assert "doc._.acronyms" in broken.analyze_pipes()["problems"]["kg_candidates"]
