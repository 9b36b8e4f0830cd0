"""Extraction stage: papers -> mentions, relations and numeric results, each with its
evidence, by a spaCy pipeline.

The pipeline is the pretrained English model plus paperkg's own components, one module each
(tokens, acronyms, lexicon, candidates, votes, introduced, relations, results; `shapes.py`
and `parse.py` hold the pure helpers they share), registered as spaCy factories and
assembled from `pipeline.cfg` so that users can swap or re-configure them; `paper.py`
applies the rules that need a whole paper and returns plain `kg.model` records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# importing the component modules registers their factories
from kg.extract import (  # noqa: F401
    acronyms,
    candidates,
    introduced,
    lexicon,
    relations,
    results,
    tokens,
    votes,
)
from kg.extract.paper import paper_extraction
from kg.model import Extraction, Paper

CONFIG = Path(__file__).with_name("pipeline.cfg")


def build_pipeline(config_path: Path = CONFIG, lexicons: Iterable[Path] = ()) -> Language:
    """The base model (parser and tagger only: NER and lemmas are not used) + our components."""
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


def extract(papers: Iterable[Paper], nlp: Language | None = None,
            progress: Callable[[int], None] = lambda n: None) -> Iterator[Extraction]:
    """What each paper states: its mentions (title then abstract, in document order) and
    the relations between them, one `Extraction` per paper, in input order."""
    nlp = nlp or build_pipeline()

    def texts() -> Iterator[tuple[Doc, tuple[Paper, str]]]:
        for paper in papers:
            for fld, text in (("title", paper.title), ("abstract", paper.abstract)):
                doc = nlp.make_doc(text)
                doc.user_data["is_title"] = fld == "title"
                yield doc, (paper, fld)

    docs = nlp.pipe(texts(), as_tuples=True, batch_size=32)
    title_doc = None
    for doc, (paper, fld) in docs:
        if fld == "title":
            title_doc = doc
            continue
        yield paper_extraction(paper.id, title_doc, doc)
        progress(1)
