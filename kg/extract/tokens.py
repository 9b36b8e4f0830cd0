"""Tokens: keep a name one token, and set universal POS from the tagger's Penn tags.

- ``kg_word_merger`` (before the tagger): "GPT-3.5-turbo", "LLaMA-3-70B", "NEVIS'22" and
  "fine-tuning" become one token each, so names are tagged and parsed as units.
- ``kg_pos`` (after the parser): universal POS by a table lookup, standing in for the base
  model's slower attribute_ruler.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

CLOSERS = set(".,;:!?)]}\"”’/") | {"...", "—", "–", "''"}
OPENERS = set("([{\"“‘/") | {"—", "–", "``"}


@Language.factory("kg_word_merger", retokenizes=True)
def make_word_merger(nlp: Language, name: str) -> WordMerger:
    return WordMerger()


class WordMerger:
    """Merge the pieces of one whitespace-delimited word that the tokenizer split at infixes."""

    def __call__(self, doc: Doc) -> Doc:
        spans, i, n = [], 0, len(doc)
        while i < n:
            j = i
            while (j + 1 < n and not doc[j].whitespace_ and doc[j].text not in OPENERS
                   and doc[j + 1].text not in CLOSERS and doc[j + 1].text not in OPENERS
                   and not (doc[j + 1].text == "'s" or doc[j + 1].text == "'")):
                j += 1
            if j > i:
                spans.append(doc[i:j + 1])
            i = j + 1
        if spans:
            with doc.retokenize() as retok:
                for span in spans:
                    retok.merge(span)
        return doc


# Penn Treebank tag -> Universal POS, the table spaCy 2 shipped as the English TAG_MAP. A dict
# lookup per token does what the base model's attribute_ruler (a Matcher over ~1,000 patterns)
# does for the tags this extractor reads, at a twentieth of its cost.
PENN_TO_UPOS = {
    "-LRB-": "PUNCT", "-RRB-": "PUNCT", ",": "PUNCT", ":": "PUNCT", ".": "PUNCT", "''": "PUNCT",
    '""': "PUNCT", "``": "PUNCT", "HYPH": "PUNCT", "NFP": "PUNCT", "#": "SYM", "$": "SYM",
    "SYM": "SYM", "ADD": "X", "FW": "X", "GW": "X", "LS": "X", "NIL": "X", "XX": "X",
    "AFX": "ADJ", "JJ": "ADJ", "JJR": "ADJ", "JJS": "ADJ", "CC": "CCONJ", "CD": "NUM",
    "DT": "DET", "PDT": "DET", "PRP$": "DET", "WDT": "DET", "WP$": "DET", "EX": "PRON",
    "PRP": "PRON", "WP": "PRON", "IN": "ADP", "RP": "ADP", "MD": "AUX", "NN": "NOUN",
    "NNS": "NOUN", "NNP": "PROPN", "NNPS": "PROPN", "POS": "PART", "TO": "PART", "RB": "ADV",
    "RBR": "ADV", "RBS": "ADV", "WRB": "ADV", "UH": "INTJ", "VB": "VERB", "VBD": "VERB",
    "VBG": "VERB", "VBN": "VERB", "VBP": "VERB", "VBZ": "VERB", "SP": "SPACE", "_SP": "SPACE",
}


@Language.factory("kg_pos", assigns=["token.pos"], requires=["token.tag"])
def make_pos(nlp: Language, name: str) -> TagToPos:
    return TagToPos(nlp)


class TagToPos:
    """Set each token's universal POS from its Penn tag."""

    def __init__(self, nlp: Language):
        self.ids = {nlp.vocab.strings.add(tag): nlp.vocab.strings.add(pos)
                    for tag, pos in PENN_TO_UPOS.items()}

    def __call__(self, doc: Doc) -> Doc:
        x = self.ids.get
        for tok in doc:
            pos = x(tok.tag)
            if pos is not None:
                tok.pos = pos
        return doc
