"""Acronym definitions: "Long Form (LF)", "LF (Long Form)", "LF: Long Form", "LF, dubbed
Long Form" -- pure helpers (Schwartz & Hearst's algorithm, a capitals match for coined
casings) and the ``kg_acronyms`` component that pairs them in ``doc._.acronyms``.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from kg.extract.lexicon import NAMING

Doc.set_extension("acronyms", default=[], force=True)  # [(short Span, long Span)]


def _is_short(text: str) -> bool:
    """Could be an acronym: "LLMs", "NEVIS'22", "VR-LwF", "ÆN"."""
    return (1 < len(text) <= 12 and text[0].isalnum() and any(c.isupper() for c in text)
            and all(c.isalnum() or c in "&-.'" for c in text))


def _letters(short: str) -> list[str]:
    """The letters a long form spells out, lower case: "NEVIS'22" -> n e v i s, "LLMs" ->
    l l m."""
    core = re.sub(r"['\-]?\d+$", "", short)  # NEVIS'22 -> NEVIS
    core = core[:-1] if core.endswith("s") and core[:-1].isupper() else core
    return [c.lower() for c in core if c.isalnum()]


def _long_form_start(short: str, words: list[str]) -> int | None:
    """Schwartz & Hearst: the index of the first word of the shortest long form, or None."""
    chars = _letters(short)
    if len(chars) < 2:
        return None
    text = " ".join(words).lower()
    s, li = len(chars) - 1, len(text) - 1
    while s >= 0:
        c = chars[s]
        while li >= 0 and (text[li] != c or (s == 0 and li > 0 and text[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return None
        s -= 1
        li -= 1
    start_char = li + 1
    return text[:start_char].count(" ")


def _initials_start(short: str, words: list[str]) -> int | None:
    """The last words whose initials spell the acronym, when they do: "cyclical curriculum
    learning (CCL)", where the shortest long form Schwartz & Hearst find, "curriculum
    learning", takes both Cs from one word."""
    chars = _letters(short)
    w = len(words) - len(chars)
    if w < 0 or len(chars) < 2:
        return None
    return w if [word[:1].lower() for word in words[w:]] == chars else None


def _scrambled_start(short: str, words: list[str]) -> int | None:
    """Coined acronyms that reorder their long form: "Learning without Forgetting via
    Replayed Vocabulary (VR-LwF)" -- the acronym's capitals are exactly the initials of the
    long form's capitalised words, in another order."""
    letters = sorted(c for c in short if c.isupper())
    if len(letters) < 3:
        return None
    for w in range(len(words) - 1, -1, -1):
        initials = sorted(word[0] for word in words[w:] if word[:1].isupper())
        if initials == letters and words[w][:1].isupper():
            return w
        if len(initials) > len(letters):
            return None
    return None


def _stands_for(doc: Doc, tok: Token) -> Token | None:
    """The last word of "stands for" / "short for" / "is short for" after an acronym and
    a comma or bracket ("X, which stands for ...", "X (short for ...)"), else None."""
    k = tok.i
    if doc[k].text in (",", "("):
        k += 1
    if k < len(doc) and doc[k].lower_ in ("which", "that", "is"):
        k += 1
    if k + 1 < len(doc) and doc[k].lower_ in ("stands", "short") and doc[k + 1].lower_ == "for":
        return doc[k + 1]
    return None


def _capitals_start(short: str, words: list[str]) -> int | None:
    """Fallback for coined casings: "Recursive IntroSpEction (RISE)" -- the acronym's capitals
    are exactly the capitals of the long form's words."""
    letters = [c for c in short if c.isupper()]
    for w in range(len(words) - 1, -1, -1):
        caps = [c for word in words[w:] for c in word if c.isupper()]
        if caps == letters and len(letters) >= 2:
            return w
        if len(caps) > len(letters):
            return None
    return None


@Language.factory("kg_acronyms", assigns=["doc._.acronyms"],
                  requires=["token.pos", "doc.sents"])
def make_acronyms(nlp: Language, name: str) -> Acronyms:
    return Acronyms()


class Acronyms:
    """Find acronym definitions: "Long Form (LF)", "LF (Long Form)", "LF: Long Form" and
    "LF, dubbed Long Form"; a long form starts with its acronym's first letter."""

    def __call__(self, doc: Doc) -> Doc:
        doc._.acronyms = [*self._bracket_definitions(doc), *self._colon_definitions(doc),
                          *self._reverse_definitions(doc), *self._or_definitions(doc)]
        return doc

    @staticmethod
    def _bracket_definitions(doc: Doc) -> list[tuple[Span, Span]]:
        """"Contrastive Language-Image Pre-training (CLIP)", "... Transformer 3 (aka. GPT-3)"."""
        pairs = []
        for tok in doc[1:-1]:
            if tok.text != "(":
                continue
            k = tok.i + 1
            while k < len(doc) and doc[k].lower_ in ("aka", "aka.", "a.k.a.", "."):
                k += 1
            if k + 1 >= len(doc) or doc[k + 1].text != ")" or not _is_short(doc[k].text):
                continue
            short = doc[k]
            n = sum(c.isalnum() for c in short.text)
            window = list(doc[max(tok.sent.start, tok.i - min(n + 5, 2 * n)):tok.i])
            # the long form never crosses punctuation
            cut = max((j for j, t in enumerate(window) if t.is_punct), default=-1)
            words = [t.text for t in window[cut + 1:]]
            start = _initials_start(short.text, words)
            if start is None:
                start = _long_form_start(short.text, words)
            if start is None:
                start = _capitals_start(short.text, words)
            scrambled = start is None and _scrambled_start(short.text, words)
            if start is None and scrambled is None:
                continue
            first = window[cut + 1 + (start if start is not None else scrambled)]
            while first.i < tok.i and (first.is_stop or first.pos_ in ("DET", "PRON")):
                first = doc[first.i + 1]
            if first.i < tok.i and (scrambled is not None
                                    or first.text[0].lower() == short.text[0].lower()):
                pairs.append((doc[short.i:short.i + 1], doc[first.i:tok.i]))
        return pairs

    @staticmethod
    def _or_definitions(doc: Doc) -> list[tuple[Span, Span]]:
        """"Low-Rank Adaptation, or LoRA, ...": the long form, then ", or" and the acronym."""
        pairs = []
        for tok in doc[1:-2]:
            short = doc[tok.i + 2]
            after = doc[short.i + 1] if short.i + 1 < len(doc) else None
            if not (tok.text == "," and doc[tok.i + 1].lower_ == "or" and _is_short(short.text)
                    and (after is None or after.is_punct)):
                continue
            window = list(doc[max(tok.sent.start, tok.i - len(short.text) - 3):tok.i])
            cut = max((j for j, t in enumerate(window) if t.is_punct and t.text != "-"),
                      default=-1)
            words = [t.text for t in window[cut + 1:]]
            start = _long_form_start(short.text, words)
            if start is None:
                start = _capitals_start(short.text, words)
            if start is not None and window[cut + 1 + start].text[:1].lower() == (
                    short.text[:1].lower()):
                pairs.append((doc[short.i:short.i + 1], doc[window[cut + 1 + start].i:tok.i]))
        return pairs

    @staticmethod
    def _reverse_definitions(doc: Doc) -> list[tuple[Span, Span]]:
        """"SciRIFF (Scientific Resource for Instruction-Following and Finetuning)"."""
        pairs = []
        for tok in doc[1:-2]:
            short = doc[tok.i - 1]
            if tok.text != "(" or sum(c.isupper() for c in short.text) < 2 or not (
                    _is_short(short.text)):
                continue
            end = next((t.i for t in doc[tok.i + 1:tok.i + 12] if t.text == ")"), None)
            words = [t.text for t in doc[tok.i + 1:end]] if end else []
            if len(words) > 1 and words[0][:1].lower() == short.text[:1].lower() and (
                    _long_form_start(short.text, words) == 0):
                pairs.append((doc[short.i:short.i + 1], doc[tok.i + 1:end]))
        return pairs

    @staticmethod
    def _colon_definitions(doc: Doc) -> list[tuple[Span, Span]]:
        """"RISE: Recursive IntroSpEction, an approach ...", "ARTE, dubbed Aligning TeacheR
        ...", "BERT, which stands for Bidirectional Encoder Representations from Transformers"
        -- the long form follows the acronym."""
        pairs = []
        for tok in doc[1:-1]:
            short = doc[tok.i - 1]
            stands = _stands_for(doc, tok)
            if stands is not None:
                tok = stands  # "X, which stands for Long Form", "X (short for Long Form)"
            elif tok.text == "," and tok.i + 2 < len(doc) and doc[tok.i + 1].lower_ in NAMING:
                tok = doc[tok.i + 1]  # "ARTE, dubbed Aligning TeacheR with StudenT PreferencEs"
            elif tok.text != ":":
                continue
            if not _is_short(short.text) or not (short.text.isupper() or stands is not None):
                continue
            end = tok.i + 1
            while end < len(doc) and end - tok.i <= len(short.text) + 3 and not doc[end].is_punct:
                end += 1
            words = [t.text for t in doc[tok.i + 1:end]]
            letters = [c for c in short.text if c.isupper()]
            fits = [n for n in range(2, len(words) + 1)
                    if _long_form_start(short.text, words[:n]) == 0 and (
                        [c for w in words[:n] for c in w if c.isupper()] == letters
                        or words[n - 1][:1].upper() == letters[-1])]
            if not fits and end < len(doc) and doc[end].is_punct and doc[end].text != "(" and (
                    len(words) > 1 and _long_form_start(short.text, words) == 0):
                fits = [len(words)]  # the whole phrase up to the comma (not up to its own
                # acronym: "modern CL: Continual Pre-Training (CPT)")
            if fits:
                pairs.append((doc[short.i:short.i + 1], doc[tok.i + 1:tok.i + 1 + fits[0]]))
        return pairs
