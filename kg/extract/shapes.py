"""Name shapes: what a word's spelling says about it, with no context.

Pure helpers over a token's text: is it name-like (GPT-4, CIFAR-100, MoCoV1&V2), a count or
unit (3.5K, 20Hz), a model size (7B), a version (v2), and how coined names end (-Bench, -GPT).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token

#: How coined names end: "JailbreakBench", "AGIEval", "MechGPT", "ResNet18".
NAME_SUFFIXES = (
    ("Benchmark", re.compile(r"([a-z0-9]|^)(Bench|Eval|Arena|Gym|Suite|Leaderboard)$|-Bench$")),
    ("Dataset", re.compile(r"\w\wQA$|[a-z0-9](Set|Corpus|Data|Bank)$")),
    ("Model", re.compile(r"[a-z0-9](GPT|BERT|Net|LM|LLM|Former|former)(-?\d[\w.-]*)?$")),
)
COUNT = re.compile(  # "3.5K", "5-10x", "3D", "13-billion", "20Hz": counts and units
    r"^\d+(\.\d+)?(-\d+(\.\d+)?)?([KkMmxX×D%]|times|fold|-(billion|million|thousand)"
    r"|[kMG]?Hz|[KMGT]B|ms|fps|px|dB)$")
MODIFIER_SUFFIX = re.compile(r"-(based|trained|guided|driven|aware|specific|like|style|level)$")
JUNK = re.compile(r"[|=<>]")  # "Y|X", "k=5": notation, not names
#: Shapes that look like names but are quantities or modifiers: "256x256" (a size), "3-digit",
#: "8-bit", "5-shot" (a number and a unit), "pre-LLM", "non-GPT", "no-CL" (a prefix on an
#: acronym).
NOT_A_NAME = re.compile(r"^\d+[x×]\d+(px)?$|^\d+(\.\d+)?-[a-z]+$"
                        r"|^(pre|post|non|anti|no)-[b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z]{2,5}s?$")
#: Words that name a variant of the name before them: "GPT-4o mini", "GPT-3.5 Turbo".
VARIANTS = {"mini", "turbo", "instruct", "chat", "base", "large", "small", "xl", "xxl", "nano",
            "lite", "flash", "pro", "max", "plus"}
VERSION = re.compile(r"^[vV]?\d+(\.\d+)*[A-Za-z]?$|^[vV]\d")
SIZE = re.compile(r"^\d+(\.\d+)?[BbMm]$|^\d+x\d+[Bb]$|(-|^)\d+(\.\d+)?[BbMm]$")
_NAMELIKE = re.compile(r"[A-Za-z].*[0-9]|[0-9].*[A-Za-z]|[a-z].*[A-Z]|^[A-Z][A-Z0-9&'\-.]+s?$"
                       r"|[A-Z].*[A-Z]|\\|\$")


def is_namelike(tok: Token) -> bool:
    """GPT-4, LLaMA, CIFAR-100, MoCoV1&V2, NEVIS'22 -- but not Title-Case "Multi-Modal" or
    a modifier such as "SAMI-trained"."""
    text = tok.text
    if (len(text) < 2 or not any(c.isalpha() for c in text) or MODIFIER_SUFFIX.search(text)
            or COUNT.match(text) or NOT_A_NAME.match(text)
            or text.count("(") != text.count(")")  # "O(1/"
            or text.count("$") % 2 or re.fullmatch(r"\\[A-Za-z]+", text)):  # "$O", "\log"
        return False
    return any(_NAMELIKE.search(part) for part in text.split("-") if len(part) > 1) or bool(
        re.search(r"[A-Za-z]-?\d|\d-?[A-Za-z]", text))


def is_capitalised(tok: Token) -> bool:
    return tok.text[:1].isupper() and tok.text.replace("-", "").isalpha() or is_namelike(tok)


def term_head(tok: Token) -> str:
    """A token's head word, singular: "self-distillation" -> "distillation"."""
    word = tok.text.lower().rsplit("-", 1)[-1]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
