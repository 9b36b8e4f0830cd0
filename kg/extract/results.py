"""Results: the numbers an abstract reports as outcomes, and whose they are.

``kg_results`` finds, in each sentence, the numbers stated as outcomes -- percentages
("84.2%", "3.2\\%"), signed numbers ("+3.06"), decimals ("a kappa of 0.53"), multiples
("1.41x", "4times") and points ("4 pts") -- but not sizes, counts or versions ("7B", "3.5K
videos", "GPT-3.5", "from 1% to ..."). Each is a score (a level reached) or a gain (a
difference: "+10.5%", "improves ... by 3.2%", "a 28.1% gain", "1.41x speedup"), tied to the
system it belongs to (the clause's subject when that is a name, else the paper's own
contribution), the dataset or benchmark it is on, the metric, and for a comparison the system
it is compared to. ``doc._.results`` holds them as `FoundResult` records; `paper.py` ties them
to the paper's final mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from kg.extract.parse import clause_subject, clause_verb, lists, name_in
from kg.extract.relations import COMPARE_CUES, SYSTEMS

Doc.set_extension("results", default=[], force=True)

DATA = ("Dataset", "Benchmark")
#: A number as an outcome is written: "84.2%", "3.2\\%", "+3.06", "0.53", "1.41x", "4times".
VALUE = re.compile(r"^(?P<sign>[+\-−±])?(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)"
                   r"(?P<unit>\\?%|x|×|times|pp)?$")
#: Units that follow a number as a word: "4 pts", "2.1 points", "0.9 dB".
UNIT_WORDS = {"pts": "points", "points": "points", "point": "points", "pp": "points",
              "%": "%", "db": "dB", "percent": "%", "bleu": "BLEU"}
#: Words after a number that make it a size or a count, not an outcome: "3.6 million",
#: "3.5K videos", "560 tasks".
NOT_OUTCOME_AFTER = {"million", "billion", "thousand", "k", "m", "b", "parameters", "params",
                     "samples", "examples", "videos", "images", "tasks", "hours", "days",
                     "languages", "layers", "tokens", "documents", "pairs", "questions",
                     "steps", "epochs", "gpus", "times", "years", "instances", "classes",
                     "categories", "datasets", "benchmarks", "models", "subjects", "users",
                     "participants", "annotations", "sentences", "words", "words."}
#: Words before a bare number that make it a setting or a count, not an outcome: "top 5",
#: "over 30 datasets", "about 100 papers".
NOT_OUTCOME_BEFORE = {"top", "size", "dimension", "version", "v", "over", "about", "around",
                      "roughly", "nearly", "than"}
#: Verbs of change: "increases from 1% to 88%" reports 88% (a score), not its start.
CHANGE_WORDS = {"increase", "increases", "increased", "improves", "improved", "rises", "rose",
                "grows", "grew", "raises", "raised", "drops", "dropped", "decreases",
                "decreased", "reduces", "reduced", "goes", "jumps", "boosts", "boosted"}
#: Words that make a nearby number a difference rather than a level.
GAIN_WORDS = {"gain", "gains", "improvement", "improvements", "improve", "improves",
              "improved", "improving", "increase", "increases", "increased", "reduction",
              "reduce", "reduces", "reducing", "reduced", "boost", "boosts", "enhancement",
              "enhancements", "speedup", "speed-up", "faster", "gap", "margin", "lower",
              "higher", "better", "outperforms", "outperform", "surpasses", "surpass",
              "exceeds", "drop", "drops", "decrease", "decreases", "fewer", "less", "more",
              "within", "additional", "relative", "absolute", "raises", "lifts", "advantage"}
#: How far (tokens) a dataset, metric or gain word may stand from its number.
WINDOW = 8


@dataclass(frozen=True)
class FoundResult:
    """A number reported as an outcome, with the token offsets of what it is tied to; system
    None = the paper's own contribution."""

    value: tuple[int, int]  # token offsets of the number (and its unit word)
    text: str  # as written: "84.2%", "+3.06", "4 pts"
    number: float  # sign kept for a gain
    unit: str  # "%", "points", "x", "dB", "BLEU" or ""
    kind: str  # "score" or "gain"
    system: tuple[int, int] | None
    dataset: tuple[int, int] | None
    metric: tuple[int, int] | None
    compared_to: tuple[int, int] | None
    sentence: tuple[int, int]
    rule: str


@Language.factory("kg_results", assigns=["doc._.results"],
                  requires=["doc.spans", "token.dep", "token.pos", "doc.sents"])
def make_results(nlp: Language, name: str) -> Results:
    return Results()


class Results:
    """Find the numbers each sentence reports as outcomes, with their system, data and
    metric."""

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.spans.get("kg", []))
        found = []
        for sent in doc.sents:
            inside = [s for s in spans if sent.start <= s.start and s.end <= sent.end]
            at = {i: s for s in inside for i in range(s.start, s.end)}
            here: list[FoundResult] = []
            for tok in sent:
                r = _result(doc, sent, tok, inside, at) if tok.i not in at else None
                if r is not None and here and doc[tok.i - 1].lower_ in ("and", ",", "or"):
                    r = replace(r, kind=here[-1].kind)  # "by 100% on A and 42% on B"
                if r is not None:
                    here.append(r)
            found.extend(here)
        doc._.results = found
        return doc


def parse_value(text: str) -> tuple[float, str, str] | None:
    """(number, unit, sign) of a value as written, or None: "+10.5%" -> (10.5, "%", "+"),
    "3.2\\%" -> (3.2, "%", ""), "1.41x" -> (1.41, "x", "")."""
    m = VALUE.match(text)
    if m is None:
        return None
    number = float(m["num"].replace(",", ""))
    unit = {"\\%": "%", "×": "x", "times": "x"}.get(m["unit"] or "", m["unit"] or "")
    sign = {"−": "-"}.get(m["sign"] or "", m["sign"] or "")
    return (-number if sign == "-" else number), unit, sign


def _result(doc: Doc, sent: Span, tok: Token, spans: list[Span], at: dict
            ) -> FoundResult | None:
    parsed = parse_value(tok.text)
    if parsed is None:
        return None
    number, unit, sign = parsed
    nxt = doc[tok.i + 1] if tok.i + 1 < sent.end else None
    if not unit and nxt is not None and nxt.lower_ in UNIT_WORDS:
        unit = UNIT_WORDS[nxt.lower_]
    end = tok.i + 1 + (nxt is not None and not parse_value(tok.text)[1] and unit != "")
    before = {t.lower_ for t in doc[max(sent.start, tok.i - 2):tok.i]}
    prev = doc[tok.i - 1].lower_ if tok.i > sent.start else ""
    if nxt is not None and nxt.lower_ in NOT_OUTCOME_AFTER and unit not in ("%", "x"):
        return None
    if before & NOT_OUTCOME_BEFORE and not (sign or unit):
        return None
    if prev == "from" and {t.lower_ for t in doc[sent.start:tok.i]} & CHANGE_WORDS:
        return None  # "increases from 1% ... to 88%": the start, not a result
    if not (unit or sign or "." in tok.text):
        return None  # a bare integer is a count ("12 tasks", "2015")
    if "." in tok.text and not (unit or sign) and (number >= 1000 or not _measured(sent, tok)):
        return None  # a decimal is an outcome only where something is measured: "a score of"
    near = doc[max(sent.start, tok.i - WINDOW):min(sent.end, end + 3)]
    words = {t.lower_ for t in near if t.i not in at}
    ranged = "by" in {t.lower_ for t in doc[max(sent.start, tok.i - 4):tok.i]}  # "by 3% to 6%"
    changed = prev == "to" and {t.lower_ for t in doc[sent.start:tok.i]} & CHANGE_WORDS
    level = (prev in ("of", "at") or changed) and not ranged  # "a kappa of 0.53", "... to 88%"
    gain = bool(sign) or unit == "x" or ranged or not level and bool(words & GAIN_WORDS)
    if nxt is not None and nxt.lower_ in ("larger", "smaller", "bigger", "more") and unit == "x":
        return None  # "models 5-10x larger": a size
    return FoundResult(
        value=(tok.i, end), text=doc[tok.i:end].text, number=number, unit=unit,
        kind="gain" if gain else "score", system=_system(doc, tok, at),
        dataset=_nearest(doc, sent, tok, spans, DATA), metric=_nearest(doc, sent, tok, spans,
                                                                        ("Metric",)),
        compared_to=_compared(doc, sent, tok, spans, at), sentence=(sent.start, sent.end),
        rule="signed" if sign else unit or "decimal")


def _measured(sent: Span, tok: Token) -> bool:
    """A decimal near a word of measurement: "a score of 0.53", "reaches 61.30 BLEU"."""
    around = {t.lower_ for t in sent[max(0, tok.i - sent.start - 4):tok.i - sent.start + 3]}
    return bool(around & {"score", "value", "of", "achieves", "achieve", "reaches", "reach",
                          "obtains", "attains", "accuracy", "f1", "auc", "bleu", "rouge",
                          "kappa", "fid", "error", "rate", "is", "to", "at"})


def _system(doc: Doc, tok: Token, at: dict) -> tuple[int, int] | None:
    """The clause's subject when it is a model or method named as itself ("ChatGPT emerges as
    the superior model ..."); None (the paper's own) for "our method", "we", or a system
    named by what trained it ("a SAMI-trained mistral-7b")."""
    subject = clause_subject(clause_verb(tok))
    span = name_in(subject, at, SYSTEMS) if subject is not None else None
    if span is None or any(t.text.endswith(("-trained", "-tuned", "-finetuned", "-based"))
                           for t in subject.subtree):
        return None
    return (span.start, span.end)


def _nearest(doc: Doc, sent: Span, tok: Token, spans: list[Span], types
             ) -> tuple[int, int] | None:
    """The name of these types that the number is about: right after it ("42% on
    AGIEval", "a 65% win rate"), else the nearest before it ("GSM8K (+10.5%)", "the Top-1
    accuracy by 3.2% to 6.1%"), else the sentence's only one; none when the number holds for
    a list of them ("3% on A, B and C")."""
    typed = [s for s in spans if s.label_ in types]
    if tok.i > 1 and doc[tok.i - 1].text == "(":  # "GSM8K (+10.5%)": the name before it
        named = next((s for s in typed if s.end == tok.i - 1), None)
        if named is not None:
            return (named.start, named.end)
    after = [s for s in typed if 0 < s.start - tok.i <= 3]
    if after and len(lists(doc, typed).get(after[0].start, ())) > 1:
        return None  # a list of them
    before = [s for s in typed if s.end <= tok.i and tok.i - s.end < WINDOW]
    if after:
        best = after[0]
    elif before:
        best = before[-1]
    elif len(typed) == 1:
        best = typed[0]
    else:
        return None
    return (best.start, best.end)


def _compared(doc: Doc, sent: Span, tok: Token, spans: list[Span], at: dict
              ) -> tuple[int, int] | None:
    """The system a number is relative to: "surpasses X by 100%", "over X", "than X",
    "compared to X" -- the nearest system after such a word, in the number's sentence."""
    for s in sorted((s for s in spans if s.label_ in SYSTEMS),
                    key=lambda s: abs(s.start - tok.i)):
        before = {t.lower_ for t in doc[max(sent.start, s.start - 4):s.start] if t.i not in at}
        if before & (COMPARE_CUES - {"competitive", "comparable", "improves", "better"}):
            return (s.start, s.end)
    return None
