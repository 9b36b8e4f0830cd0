"""paperkg's spaCy components, registered as factories and wired up by `pipeline.cfg`.

- ``kg_word_merger`` (before the tagger): "GPT-3.5-turbo", "LLaMA-3-70B", "NEVIS'22" and
  "fine-tuning" become one token each, so names are tagged and parsed as units.
- ``kg_pos`` (after the parser): universal POS from the Penn tags, a table lookup that stands
  in for the base model's slower attribute_ruler.
- ``kg_acronyms``: "Long Form (LF)" definitions and their variants (Schwartz & Hearst).
- ``kg_lexicon``: known names and terms from the lexicon files (`lexicon/*.tsv`, user files).
- ``kg_mentions``: candidate spans (names, acronym pairs, technical noun phrases), typed by
  voting over evidence (lexicon, head noun, apposition, list context, verbs, name shape), and
  flagged when the paper introduces them. Results go to ``doc.spans["kg"]``.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from kg.extract import TYPES, Mention

LEXICON_DIR = Path(__file__).with_name("lexicon")
CLOSERS = set(".,;:!?)]}\"”’/") | {"...", "—", "–", "''"}
OPENERS = set("([{\"“‘/") | {"—", "–", "``"}

Doc.set_extension("acronyms", default=[], force=True)  # [(short Span, long Span)]
Span.set_extension("kg", default=None, force=True)  # Evidence for spans of doc.spans["kg"]


@dataclass
class Evidence:
    votes: dict[str, float]
    rules: list[str]
    introduced: bool = False
    long_form: str = ""
    acronym_pair: bool = False  # part of a "Long Form (LF)" definition: wins overlaps

    def vote(self, type_: str, weight: float, rule: str) -> None:
        self.votes[type_] = self.votes.get(type_, 0.0) + weight
        self.rules.append(rule)

    @property
    def known(self) -> bool:
        """A lexicon name (or a version of one) is an existing thing, never introduced."""
        return any(r.startswith("lexicon") for r in self.rules)

    @property
    def best(self) -> tuple[str, float]:
        type_, weight = max(self.votes.items(), key=lambda kv: (kv[1], -TYPES.index(kv[0])))
        return type_, weight


# ---------------------------------------------------------------------------- word merger

@Language.factory("kg_word_merger")
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


# ---------------------------------------------------------------------------- parts of speech

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


@Language.factory("kg_pos")
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


# ---------------------------------------------------------------------------- acronyms

def _is_short(text: str) -> bool:
    """Could be an acronym: "LLMs", "NEVIS'22", "VR-LwF", "ÆN"."""
    return (1 < len(text) <= 12 and text[0].isalnum() and any(c.isupper() for c in text)
            and all(c.isalnum() or c in "&-.'" for c in text))


def _long_form_start(short: str, words: list[str]) -> int | None:
    """Schwartz & Hearst: the index of the first word of the shortest long form, or None."""
    core = re.sub(r"['\-]?\d+$", "", short)  # NEVIS'22 -> NEVIS
    core = core[:-1] if core.endswith("s") and core[:-1].isupper() else core
    chars = [c.lower() for c in core if c.isalnum()]
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


@Language.factory("kg_acronyms")
def make_acronyms(nlp: Language, name: str) -> Acronyms:
    return Acronyms()


class Acronyms:
    """Find acronym definitions: "Long Form (LF)", "LF (Long Form)", "LF: Long Form" and
    "LF, dubbed Long Form"; a long form starts with its acronym's first letter."""

    def __call__(self, doc: Doc) -> Doc:
        doc._.acronyms = [*self._bracket_definitions(doc), *self._colon_definitions(doc),
                          *self._reverse_definitions(doc)]
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
            start = _long_form_start(short.text, words)
            if start is None:
                start = _capitals_start(short.text, words)
            if start is None:
                continue
            first = window[cut + 1 + start]
            while first.i < tok.i and (first.is_stop or first.pos_ in ("DET", "PRON")):
                first = doc[first.i + 1]
            if first.i < tok.i and first.text[0].lower() == short.text[0].lower():
                pairs.append((doc[short.i:short.i + 1], doc[first.i:tok.i]))
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
        ..." -- the long form follows the acronym."""
        pairs = []
        for tok in doc[1:-1]:
            short = doc[tok.i - 1]
            if tok.text == "," and tok.i + 2 < len(doc) and doc[tok.i + 1].lower_ in _NAMING:
                tok = doc[tok.i + 1]  # "ARTE, dubbed Aligning TeacheR with StudenT PreferencEs"
            elif tok.text != ":":
                continue
            if not _is_short(short.text) or not short.text.isupper():
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
            if not fits and end < len(doc) and doc[end].is_punct and len(words) > 1 and (
                    _long_form_start(short.text, words) == 0):
                fits = [len(words)]  # the whole phrase up to the comma
            if fits:
                pairs.append((doc[short.i:short.i + 1], doc[tok.i + 1:tok.i + 1 + fits[0]]))
        return pairs


# ---------------------------------------------------------------------------- lexicon

def load_lexicon(paths: list[Path]) -> dict[str, str]:
    """term -> type, from TSV files with columns term, type (later files win)."""
    terms: dict[str, str] = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for no, row in enumerate(csv.reader(f, delimiter="\t"), 1):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) < 2 or row[1].strip() not in TYPES:
                    raise ValueError(f"{path}:{no}: expected 'term<TAB>type', type one of "
                                     f"{', '.join(TYPES)}")
                terms[row[0].strip()] = row[1].strip()
    return terms


def _plural(term: str) -> str:
    if term.endswith("s"):
        return term
    return term[:-1] + "ies" if term.endswith("y") and term[-2:-1] not in "aeiou" else term + "s"


@Language.factory("kg_lexicon", default_config={"extra": []})
def make_lexicon(nlp: Language, name: str, extra: list[str]) -> Lexicon:
    files = sorted(LEXICON_DIR.glob("*.tsv")) + [Path(p) for p in extra]
    return Lexicon(nlp, load_lexicon(files))


class Lexicon:
    """Mark known names and terms in ``doc.spans["kg_lexicon"]``.

    Names with capitals match case-sensitively ("COCO" is not "CoCo"); lowercase terms match
    any case ("Fine-tuning" at a sentence start).
    """

    def __init__(self, nlp: Language, terms: dict[str, str]):
        self.terms = {t.lower(): type_ for t, type_ in terms.items()}
        merger = WordMerger()
        self.matchers = {attr: PhraseMatcher(nlp.vocab, attr=attr) for attr in ("ORTH", "LOWER")}
        by_key = defaultdict(list)
        for term, type_ in terms.items():
            attr = "LOWER" if term.islower() else "ORTH"
            forms = [term, _plural(term)] if attr == "LOWER" else [term]  # "success rates"
            by_key[(attr, type_)].extend(merger(nlp.make_doc(form)) for form in forms)
        for (attr, type_), docs in by_key.items():
            self.matchers[attr].add(type_, docs)

    def __call__(self, doc: Doc) -> Doc:
        doc.spans["kg_lexicon"] = [span for matcher in self.matchers.values()
                                   for span in matcher(doc, as_spans=True)]
        return doc

    def family(self, word: str) -> str | None:
        """The type of a variant's family: "LLaMA-3-70B" -> llama, "CIFAR-100" -> cifar,
        "MMLU-STEM" -> mmlu, "T5-XXL" -> t5."""
        m = re.match(r"([A-Za-z]+(?:-[A-Za-z]+)*?)[-_ ]?v?\d", word)
        for fam in (m.group(1) if m else "", word.split("-")[0] if "-" in word else ""):
            fam = fam.lower()
            while fam:
                if fam in self.terms:
                    return self.terms[fam]
                fam = fam.rsplit("-", 1)[0] if "-" in fam else ""
        return None


# ---------------------------------------------------------------------------- mentions

def _rows(name: str) -> list[list[str]]:
    """The tab-separated rows of a table in lexicon/, without comments and blank lines."""
    with open(LEXICON_DIR / name, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f
                if line.strip() and not line.startswith("#")]


# head word -> (type, whether the word alone is a term)
_HEADS = {row[0]: (row[1], row[2] == "alone") for row in _rows("heads.txt")}
SPECIFICITY = {row[0]: float(row[1]) for row in _rows("specificity.txt")}
ORGANISATIONS = {row[0].strip() for row in _rows("organizations.txt")}
FIELDS = {row[0].strip().lower() for row in _rows("fields.txt")}

TYPE_NOUNS = {  # head nouns that say what the name before or after them is
    "dataset": "Dataset", "datasets": "Dataset", "corpus": "Dataset", "corpora": "Dataset",
    "benchmark": "Benchmark", "benchmarks": "Benchmark", "suite": "Benchmark",
    "leaderboard": "Benchmark", "testbed": "Benchmark",
    "model": "Model", "models": "Model", "llm": "Model", "llms": "Model", "checkpoint": "Model",
    "network": "Model", "networks": "Model", "checkpoints": "Model",
    "method": "Method", "methods": "Method", "algorithm": "Method", "algorithms": "Method",
    "framework": "Method", "approach": "Method", "technique": "Method", "architecture": "Method",
    "module": "Method", "strategy": "Method", "pipeline": "Method", "loss": "Method",
    "paradigm": "Method", "mechanism": "Method", "scheme": "Method", "system": "Method",
    "task": "Task", "tasks": "Task", "problem": "Task", "challenge": "Benchmark",
    "metric": "Metric", "metrics": "Metric", "measure": "Metric", "score": "Metric",
}
_INTRO_VERBS = {"propose", "introduce", "present", "develop", "release", "design", "build",
                "construct", "create", "contribute", "curate", "collect", "establish", "devise",
                "describe"}
_CLIMB = {"dobj", "appos", "conj", "attr", "oprd", "nsubjpass", "npadvmod", "compound", "amod",
          "nmod", "dep", "pobj", "prep", "relcl", "acl"}
_OF = {"of", "including", "as", "like"}
_AUTHORS = {"we", "paper", "work", "study", "i"}
_EARLIER = {"recently", "previously", "existing", "prior", "previous", "earlier"}
_NAMING = {"dubbed", "named", "called", "termed", "coined", "dub", "coin"}


def _intro_stem(word: str) -> str:
    """"proposes", "proposed", "proposing" -> "propose" (the lemmatizer is not loaded)."""
    for suffix in ("ing", "es", "ed", "s", "d"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and (stem in _INTRO_VERBS or stem + "e" in _INTRO_VERBS):
            return stem if stem in _INTRO_VERBS else stem + "e"
    return word


_CLAUSE_LINKS = ("conj", "pcomp", "xcomp", "advcl", "prep")


def _is_intro_verb(verb: Token) -> bool:
    """"we propose", "this paper introduces", "X is proposed" (no "by" agent)."""
    if _intro_stem(verb.lower_) not in _INTRO_VERBS:
        return False
    if any(c.dep_ == "agent" or c.lower_ in ("have", "has", "had") for c in verb.children):
        return False  # "X was proposed by ...", "LLMs have been developed": earlier work
    subject = verb  # "we exploit ... by building X", "we propose ... and introduce X"
    for _ in range(4):
        if any(c.dep_ == "nsubj" and c.lower_ in _AUTHORS or c.dep_ == "nsubjpass"
               for c in subject.children):
            return True
        if subject.dep_ not in _CLAUSE_LINKS or subject.head is subject:
            return False
        subject = subject.head
    return False


_DATA_CONTEXT = {"trained", "train", "evaluated", "evaluate", "tested", "experiments",
                 "results", "pretrained", "pre-trained", "fine-tuned", "finetuned"}
_INNER = {"of", "for", "without", "via", "with", "in", "on", "from", "to", "by"}
_NAME_SUFFIXES = (  # how coined names end: "JailbreakBench", "AGIEval", "MechGPT", "ResNet18"
    ("Benchmark", re.compile(r"([a-z0-9]|^)(Bench|Eval|Arena|Gym|Suite|Leaderboard)$|-Bench$")),
    ("Dataset", re.compile(r"\w\wQA$|[a-z0-9](Set|Corpus|Data|Bank)$")),
    ("Model", re.compile(r"[a-z0-9](GPT|BERT|Net|LM|LLM|Former|former)(-?\d[\w.-]*)?$")),
)
_COUNT = re.compile(  # "3.5K", "5-10x", "3D", "13-billion", "20Hz": counts and units
    r"^\d+(\.\d+)?(-\d+(\.\d+)?)?([KkMmxX×D%]|times|fold|-(billion|million|thousand)"
    r"|[kMG]?Hz|[KMGT]B|ms|fps|px|dB)$")
_MODIFIER_SUFFIX = re.compile(r"-(based|trained|guided|driven|aware|specific|like|style|level)$")
_DOCUMENT_WORDS = {"technical", "report", "survey", "review", "study", "overview", "tutorial",
                   "primer", "paper"}
_JUNK = re.compile(r"[|=<>]")  # "Y|X", "k=5": notation, not names
_VARIANTS = {"mini", "turbo", "instruct", "chat", "base", "large", "small", "xl", "xxl", "nano",
             "lite", "flash", "pro", "max", "plus"}  # "GPT-4o mini", "GPT-3.5 Turbo"
_VERSION = re.compile(r"^[vV]?\d+(\.\d+)*[A-Za-z]?$|^[vV]\d")
_SIZE = re.compile(r"^\d+(\.\d+)?[BbMm]$|^\d+x\d+[Bb]$|(-|^)\d+(\.\d+)?[BbMm]$")
_NAMELIKE = re.compile(r"[A-Za-z].*[0-9]|[0-9].*[A-Za-z]|[a-z].*[A-Z]|^[A-Z][A-Z0-9&'\-.]+s?$"
                       r"|[A-Z].*[A-Z]|\\|\$")


def is_namelike(tok: Token) -> bool:
    """GPT-4, LLaMA, CIFAR-100, MoCoV1&V2, NEVIS'22 -- but not Title-Case "Multi-Modal" or
    a modifier such as "SAMI-trained"."""
    text = tok.text
    if (len(text) < 2 or not any(c.isalpha() for c in text) or _MODIFIER_SUFFIX.search(text)
            or _COUNT.match(text) or text.count("(") != text.count(")")  # "O(1/"
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


@Language.factory("kg_mentions", default_config={"max_term_words": 5, "min_specificity": 0.3})
def make_mentions(nlp: Language, name: str, max_term_words: int,
                  min_specificity: float) -> Mentions:
    lexicon = nlp.get_pipe("kg_lexicon") if "kg_lexicon" in nlp.pipe_names else None
    return Mentions(lexicon, max_term_words, min_specificity)


class Mentions:
    """Candidate entity spans with typed evidence, into ``doc.spans["kg"]``."""

    def __init__(self, lexicon: Lexicon | None, max_term_words: int, min_specificity: float):
        self.lexicon = lexicon
        self.max_words = max_term_words
        self.min_specificity = min_specificity
        self.heads = _HEADS
        self.specificity = SPECIFICITY

    # -- candidates ------------------------------------------------------------------
    def _names(self, doc: Doc, is_title: bool) -> list[Span]:
        """Runs of name-like and capitalised tokens ("Tiny ImageNet", "Llama-3 8B")."""
        out, i = [], 0
        while i < len(doc):
            tok = doc[i]
            if not is_namelike(tok) and not (
                    not is_title and tok.pos_ == "PROPN" and tok.text[:1].isupper()
                    and not tok.is_sent_start and tok.is_alpha and not tok.is_stop):
                i += 1
                continue
            if tok.text in ORGANISATIONS:
                i += 1
                continue
            lo, hi = i, i + 1
            while hi < len(doc) and not doc[hi - 1].text.endswith("."):
                if (is_namelike(doc[hi]) and any(is_namelike(t) for t in doc[lo:hi])
                        and not _VERSION.match(doc[hi].text) and is_namelike(doc[lo])):
                    break  # "OpenAI GPT-4", "SSP ViTs": two names side by side
                if is_namelike(doc[hi]) or _SIZE.match(doc[hi].text) or doc[hi].lower_ in (
                        _VARIANTS) and is_namelike(doc[hi - 1]) or (
                        re.fullmatch(r"\d{1,2}(\.\d)?", doc[hi].text) and doc[hi - 1].is_alpha
                        and doc[hi - 1].text[:1].isupper()) or (
                        not is_title and is_capitalised(doc[hi]) and not doc[hi].is_stop):
                    hi += 1
                elif (not is_title and doc[hi].lower_ in _INNER and hi + 1 < len(doc)
                      and doc[hi + 1].text[:1].isupper() and not is_namelike(doc[lo])):
                    hi += 2  # a title-case phrase: "Learning without Forgetting"
                else:
                    break
            while hi - lo > 1 and doc[hi - 1].lower_ in TYPE_NOUNS and any(
                    is_namelike(t) for t in doc[lo:hi - 1]):
                hi -= 1  # "Alice Benchmarks" -> "Alice": the type noun is evidence, not name
            while (not is_title and lo > 0 and doc[lo - 1].text not in ORGANISATIONS
                   and not _MODIFIER_SUFFIX.search(doc[lo - 1].text)) and not (
                    is_namelike(doc[lo - 1]) and any(is_namelike(t) for t in doc[lo:hi])):
                if (is_capitalised(doc[lo - 1]) and not doc[lo - 1].is_sent_start
                        and not doc[lo - 1].is_stop):
                    lo -= 1
                elif (lo > 1 and doc[lo - 1].lower_ in _INNER and doc[lo - 2].is_title
                      and not is_namelike(doc[lo])
                      and not doc[lo - 2].is_sent_start and not doc[lo - 2].is_stop):
                    lo -= 2  # "Learning without Forgetting via Replayed Vocabulary"
                else:
                    break
            if hi - lo == 1 and _SIZE.match(doc[lo].text):
                i = hi
                continue  # a bare size ("8B") is not a name
            out.append(doc[lo:hi])
            i = hi
        return out

    def _terms(self, doc: Doc) -> list[Span]:
        """Technical noun phrases: the longest suffix of a noun run whose head is a term head
        ("offline reinforcement learning") and whose modifiers are content words."""
        out, i = [], 0
        while i < len(doc):
            tok = doc[i]
            if not (tok.pos_ in ("NOUN", "PROPN", "VERB") and term_head(tok) in self.heads):
                i += 1
                continue
            lo = i
            while (lo > 0 and i - lo + 1 < self.max_words and self._modifier(doc[lo - 1])):
                lo -= 1
            alone = self.heads[term_head(tok)][1]
            lone_capital = (lo == i and tok.is_alpha and tok.text[:1].isupper()
                            and not tok.is_sent_start and not is_namelike(tok))
            if (lo < i or alone or "-" in tok.text) and not lone_capital:
                out.append(doc[lo:i + 1])
            i += 1
        return out

    def _task_phrases(self, doc: Doc) -> list[Span]:
        """"the continuous bandit problem", "the cable routing task": a noun phrase named
        as a task or problem."""
        out = []
        for tok in doc:
            if tok.lower_ in ("task", "tasks", "problem", "problems") and tok.i > 0:
                lo = tok.i
                while lo > 0 and tok.i - lo < 4 and self._modifier(doc[lo - 1]) or (
                        lo > 0 and doc[lo - 1].pos_ == "NOUN" and doc[lo - 1].dep_ == "compound"
                        and not doc[lo - 1].is_stop and tok.i - lo < 4):
                    lo -= 1
                if lo < tok.i and doc[tok.i - 1].pos_ in ("NOUN", "PROPN"):
                    out.append(doc[lo:tok.i])
        return out

    def _modifier(self, tok: Token) -> bool:
        """Does this word make a term ("contrastive", "zero-shot") rather than a description
        ("novel", "gigantic")? Learnt specificity first, then the word's shape."""
        text = tok.text.lower()
        if not (tok.pos_ in ("NOUN", "ADJ", "PROPN")
                or tok.pos_ == "VERB" and tok.dep_ in ("amod", "compound")):
            return False
        if (tok.is_stop or tok.like_num or tok.is_punct or text in TYPE_NOUNS
                or not any(c.isalpha() for c in text) or "$" in text or "\\" in text
                or tok.dep_ in ("nsubj", "dobj", "pobj", "ROOT")):
            return False
        share = self.specificity.get(text)
        if share is not None:  # a noun modifier classifies more often than an adjective does
            return share >= self.min_specificity / (2 if tok.pos_ == "NOUN" else 1)
        if "-" in text:  # "zero-shot", "model-based"; not "higher-quality", "over-confident"
            first = self.specificity.get(text.split("-", 1)[0], 1.0)
            return first >= 0.1
        if tok.pos_ in ("NOUN", "PROPN"):
            return True
        return tok.tag_ != "VBG" and text.endswith(("ive", "al", "ar", "ary", "ed"))

    # -- typing ------------------------------------------------------------------------
    def _type_evidence(self, doc: Doc, span: Span, ev: Evidence) -> None:
        last = span[-1]
        head = term_head(last)
        if head in TYPE_NOUNS and len(span) > 1:
            ev.vote(TYPE_NOUNS[head], 2.0, f"inner-head:{head}")
        if head in self.heads:
            type_ = self.heads[head][0]
            if head == "learning" and span[0].text.lower() in ("zero-shot", "few-shot", "one-shot"):
                type_ = "Task"
            ev.vote(type_, 1.5, f"head:{head}")
        nxt = doc[span.end] if span.end < len(doc) else None
        if head in self.heads:
            pass  # "captioning models" are models for a task: the task stays a task
        elif nxt is not None and nxt.text.lower() in TYPE_NOUNS:
            ev.vote(TYPE_NOUNS[nxt.text.lower()], 2.0, f"next:{nxt.text.lower()}")
        elif nxt is not None and nxt.text.lower() == "and":  # "X and Y datasets"
            k = span.end + 1
            while k < len(doc) and k < span.end + 5 and doc[k].text.lower() not in TYPE_NOUNS:
                k += 1
            if k < len(doc) and doc[k].text.lower() in TYPE_NOUNS and doc[k - 1].pos_ != "VERB":
                ev.vote(TYPE_NOUNS[doc[k].text.lower()], 1.5, f"coord:{doc[k].text.lower()}")
        # apposition / definition: "X, a benchmark for ..." / "X (a dataset of ...)"
        k = span.end + (1 if nxt is not None and nxt.text == ")" else 0)
        if k < len(doc) - 1 and doc[k].text in (",", "(", ":", "is") and (
                doc[k + 1].lower_ in ("a", "an", "the", "our") or doc[k].text != ","):
            for tok in doc[k + 1: min(len(doc), k + 8)]:
                if tok.text.lower() in TYPE_NOUNS and (doc[k + 1].lower_ != "our"
                                                       or tok.dep_ == "appos"):
                    ev.vote(TYPE_NOUNS[tok.text.lower()], 3.0, f"appos:{tok.text.lower()}")
                    if any(t.text.lower() in ("novel", "new", "our") for t in doc[span.end:tok.i]):
                        ev.introduced = True
                    break
                if tok.text in (",", ";", ".", ")") or tok.pos_ == "VERB":
                    break
        # "datasets such as X" / "benchmark X" / "the X" preceded by a type noun
        for tok in reversed(doc[max(0, span.start - 4):span.start]):
            low = tok.text.lower()
            if low in TYPE_NOUNS and tok.i == span.start - 1 and tok.text[0].islower():
                ev.vote(TYPE_NOUNS[low], 1.5, f"prev:{low}")
                break
            if low in TYPE_NOUNS and tok.i < span.start - 1 and doc[tok.i + 1].text.lower() in (
                    "such", "including", "like", "e.g.", "namely"):
                ev.vote(TYPE_NOUNS[low], 2.0, f"list:{low}")
                break
        prev = doc[span.start - 1] if span.start > 0 else None
        if prev is not None and prev.text.lower() in ("on", "across") and span.start > 1:
            before = {t.text.lower() for t in doc[max(0, span.start - 4):span.start - 1]}
            if before & _DATA_CONTEXT:
                ev.vote("Dataset", 1.0, "context:trained-on")
        if any(_SIZE.search(t.text) for t in span) or re.search(r"-\d+(\.\d+)?[BbMm]\b", span.text):
            ev.vote("Model", 2.0, "shape:size")

    def _name_vote(self, span: Span, ev: Evidence) -> None:
        fam = self.lexicon.family(span.text) if self.lexicon is not None else None
        if fam:
            ev.vote(fam, 2.5, "lexicon:family")
        if any(is_namelike(t) or t.pos_ == "PROPN" for t in span):
            ev.vote("Method", 0.3, "shape:name")
            for type_, suffix in _NAME_SUFFIXES if not (fam or ev.known) else ():
                if suffix.search(span[-1].text):
                    ev.vote(type_, 0.8, f"suffix:{type_.lower()}")
                    break

    def _introduced(self, doc: Doc, span: Span) -> bool:
        """"dubbed X", "our X", or X inside the object of "we propose / introduce / present"
        (its apposition, conjunct, compound, "of"-phrase or relative clause), or of a passive
        "X is proposed"."""
        k = span.start - 1
        while k > 0 and doc[k].is_quote:
            k -= 1  # which we dub "prompt-based learning"
        prev = doc[k] if k >= 0 else None
        if prev is not None and (prev.lower_ in _NAMING or prev.lower_ == "our"
                                 and is_namelike(span[0])):
            return True
        head = span.root.head
        if (span.root.dep_ == "nsubj" and head.lower_ in ("is", "are") and is_namelike(span[0])
                and any(c.dep_ == "attr" and c.lower_ in TYPE_NOUNS for c in head.children)):
            return True  # "PSI-KT is a hierarchical generative approach that ..."
        tok, in_clause = span.root, False
        for _ in range(10):
            if tok.pos_ in ("VERB", "AUX") and tok is not span.root:
                if _is_intro_verb(tok):
                    return True
                if tok.dep_ not in ("relcl", "acl") or any(
                        c.lower_ in ("where", "when") for c in tok.children):
                    return False  # "a task where multi-step inference is ..." sets a scene
                in_clause = True  # "X, which consists of Y": where the clause attaches is moot
            elif (tok.dep_ == "prep" and tok.lower_ not in _OF and not in_clause
                  or tok.dep_ not in _CLIMB or in_clause and span.text.islower()):
                return False  # a clause names an introduced thing's parts, not its contents
            if tok.head is tok:
                return False
            tok = tok.head
        return False

    @staticmethod
    def _first_new_name(doc: Doc, spans: list[Span], cands: dict) -> None:
        """"We argue ... and propose HyperCRL, a method ...": when the parse misses the link,
        the first new (non-lexicon) name after an authors' "propose"-verb is introduced."""
        for sent in doc.sents:
            verb = next((t for t in sent if _intro_stem(t.lower_) in _INTRO_VERBS
                         and t.pos_ == "VERB" and any(w.lower_ == "we"
                                                      for w in doc[sent.start:t.i])), None)
            if verb is None:
                continue
            for span in spans:
                ev = cands[(span.start, span.end)]
                if span.start > verb.i and span.end <= sent.end and span.start - verb.i <= 6:
                    if any(is_namelike(t) for t in span) and not ev.known:
                        ev.introduced = True
                    if any(is_namelike(t) for t in span):
                        break

    # -- main ------------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        cands, long_forms = self._candidates(doc, bool(doc.user_data.get("is_title")))
        spans = self._resolve_overlaps(doc, cands)
        self._weigh(doc, spans, cands)
        self._first_new_name(doc, spans, cands)
        _share_list_types(doc, spans, cands)
        _share_definitions(doc, spans, cands, long_forms)
        found = []
        for s in spans:
            ev = s._.kg
            if ev is not None and ev.votes:
                labelled = Span(doc, s.start, s.end, label=ev.best[0])
                labelled._.kg = ev
                found.append(labelled)
        doc.spans["kg"] = found
        return doc

    def _candidates(self, doc: Doc, is_title: bool) -> tuple[dict, dict]:
        """Every candidate span (key: token offsets) with its evidence so far, and the
        acronym -> long form offsets of the doc's definitions."""
        cands: dict[tuple[int, int], Evidence] = {}
        blocked: set[int] = set()  # tokens of a field's name
        fields: set[str] = set()  # acronyms of fields ("DL")

        def add(span: Span, trim: bool = True) -> Evidence | None:
            while trim and span and not is_namelike(span[0]) and (
                    span[0].is_stop or span[0].pos_ in ("DET", "PRON", "NUM") or span[0].is_punct):
                span = span[1:]
            while span and (span[-1].is_punct or span[-1].is_stop):
                span = span[:-1]
            if (not span or not any(c.isalpha() for c in span.text) or len(span.text) < 2
                    or len(span) == 1 and span[0].lower_ in TYPE_NOUNS
                    or any(t.like_url or t.like_email or "://" in t.text for t in span)
                    or span.text.lower() in FIELDS or span.text in fields
                    or _JUNK.search(span.text)
                    or span.text.count("(") != span.text.count(")")
                    or any(i in blocked for i in range(span.start, span.end))):
                return None
            return cands.setdefault((span.start, span.end), Evidence({}, []))

        long_forms = {}
        for short, long in doc._.acronyms:
            if long.text.lower() in FIELDS:  # "Deep Learning (DL)": a field, not a node
                blocked.update(range(long.start, long.end))
                fields.add(short.text)
                continue
            ev_s, ev_l = add(short, trim=False), add(long)
            if ev_s is not None and ev_l is not None:
                ev_s.long_form = long.text
                ev_s.acronym_pair = ev_l.acronym_pair = True
                long_forms[(short.start, short.end)] = (long.start, long.end)
        for span in self._names(doc, is_title):
            add(span)
        colon = next((t.i for t in doc[:7] if t.text in (":", ",")), 0) if is_title else 0
        if colon and doc[0].text[:1].isupper():  # "Alice Benchmarks: Connecting ..."
            end = colon - (colon > 1 and doc[colon - 1].lower_ in TYPE_NOUNS)
            while end > 1 and doc[end - 1].lower_ in _DOCUMENT_WORDS:
                end -= 1  # "Qwen2.5-Math Technical Report: ..."
            ev = add(doc[0:end])
            if ev is not None:
                ev.vote("Method", 0.3, "title-prefix")
        for span in self._terms(doc):
            add(span)
        for span in self._task_phrases(doc):
            ev = add(span)
            if ev is not None:
                ev.vote("Task", 1.0, "task-noun")
        for span in doc.spans.get("kg_lexicon", []) if self.lexicon is not None else ():
            ev = add(span, trim=False)
            if ev is not None:
                ev.vote(span.label_, 3.0, "lexicon")
        return cands, long_forms

    def _weigh(self, doc: Doc, spans: list[Span], cands: dict) -> None:
        """Type votes and "introduced" for each kept span; a lone capitalised word with no
        evidence ("Momentum", "Evaluation") is dropped."""
        counts = Counter(t.text for t in doc)
        for span in spans:
            ev = cands[(span.start, span.end)]
            self._type_evidence(doc, span, ev)
            self._name_vote(span, ev)
            new = ev.introduced or self._introduced(doc, span)
            ev.introduced = new and not ev.known and not (
                len(span) == 1 and span.text.islower()  # "reasoning": a generic word
                or any(t.lower_ in _EARLIER for t in doc[max(0, span.start - 3):span.start]))
            if ev.votes and not (ev.rules == ["shape:name"] and len(span) == 1
                                 and not is_namelike(span[0]) and not ev.introduced
                                 and counts[span.text] < 2):
                span._.kg = ev

    @staticmethod
    def _resolve_overlaps(doc: Doc, cands: dict[tuple[int, int], Evidence]) -> list[Span]:
        """Keep acronym definitions, then the longest of overlapping candidates."""
        taken: set[int] = set()
        keep = []
        order = sorted(cands, key=lambda k: (not cands[k].acronym_pair, k[0] - k[1], k[0]))
        for (start, end) in order:
            if any(i in taken for i in range(start, end)):
                continue
            taken.update(range(start, end))
            keep.append(doc[start:end])
        return sorted(keep, key=lambda s: s.start)


def _share_list_types(doc: Doc, spans: list[Span], cands: dict) -> None:
    """"on CIFAR-100, PersonX and VehicleX": names listed together are of one kind, so a
    name with no evidence of its own takes the type its typed neighbours agree on."""
    groups: list[list[Span]] = []
    for span in spans:
        prev = groups[-1][-1] if groups else None
        glue = doc[prev.end:span.start] if prev is not None else None
        if (prev is not None and len(glue) <= 2 and all(t.text in (",", "and", "or", "&")
                                                        for t in glue)
                and prev.sent.start == span.sent.start):
            groups[-1].append(span)
        else:
            groups.append([span])
    for group in groups:
        if len(group) < 2:
            continue
        typed = Counter(cands[(s.start, s.end)].best[0] for s in group
                        if not _weak(cands[(s.start, s.end)]))
        if not typed:
            continue
        type_, n = typed.most_common(1)[0]
        for span in group:
            ev = cands[(span.start, span.end)]
            if _weak(ev) and any(is_namelike(t) for t in span):
                ev.vote(type_, 1.0, "list-of")


def _share_definitions(doc: Doc, spans: list[Span], cands: dict, long_forms: dict) -> None:
    """An acronym and its long form share their evidence; "X (Y)" with no acronym match
    ("... Replayed Vocabulary (VR-LwF)") still shares "introduced"; a later use of a defined
    acronym ("ICL" after "in-context learning (ICL)") introduces nothing."""
    for span in spans:
        k = span.end
        if (k + 2 < len(doc) and doc[k].text == "(" and doc[k + 2].text == ")"
                and (k + 1, k + 2) in cands and (k + 1, k + 2) not in long_forms):
            inner, ev = cands[(k + 1, k + 2)], cands[(span.start, span.end)]
            inner.introduced = ev.introduced = (inner.introduced or ev.introduced) and not (
                inner.known or ev.known)
    defined = {doc[a:b].text: (a, b) for a, b in reversed(list(long_forms))}
    for span in spans:
        first = defined.get(span.text)
        if first is not None and first != (span.start, span.end):
            cands[(span.start, span.end)].introduced = False
    for s_key, l_key in long_forms.items():
        es, el = cands.get(s_key), cands.get(l_key)
        if es is not None and el is not None:
            for t, w in list(el.votes.items()):
                es.vote(t, w, "acronym-of")
            for t, w in list(es.votes.items()):
                el.vote(t, w * 0.5, "long-form-of")
            es.introduced = el.introduced = (es.introduced or el.introduced) and not (
                es.known or el.known)


def _weak(ev: Evidence) -> bool:
    """Only a name's shape says what it is."""
    return all(r.startswith(("shape:", "title-prefix")) for r in ev.rules)


# ---------------------------------------------------------------------------- records

def doc_mentions(paper_id: str, title: Doc, abstract: Doc) -> list[Mention]:
    """The mentions of one paper, after the paper-level rules: a title's "Name: subtitle"
    name is introduced, juxtaposed names and slogans are dropped, a once-used modified name
    shrinks to the paper's plain name, and a bare head stands for the paper's longer name."""
    abstract_text = abstract.text.lower()
    colon = next((t.i for t in title[:7] if t.text in (":", ",")), -1)  # "Name: what it does"
    spans = [(fld, s) for fld, doc in (("title", title), ("abstract", abstract))
             for s in doc.spans.get("kg", [])]
    names = {s.text.lower() for _, s in spans}
    seen = Counter(s.text.lower() for _, s in spans)
    coined = {s.text.lower() for _, s in spans if s._.kg.introduced}
    kept: list[tuple[str, Span, Evidence]] = []
    for fld, span in spans:
        ev: Evidence = span._.kg
        if seen[span.text.lower()] == 1 and not (ev.acronym_pair or ev.known):
            shorter = _standalone_part(span, seen)
            if not ev.introduced or shorter.text.lower() in coined:
                span = shorter
        if ("title-prefix" in ev.rules and span.text not in abstract.text
                and not any(is_namelike(t) for t in span)):
            continue  # "Don't Stop Learning: ..." is a slogan, not a name
        if not _juxtaposed(span, names):
            kept.append((fld, span, ev))
    final = Counter(span.text.lower() for _, span, _ in kept)
    longer = _elliptical_heads(final, {s.text.lower() for _, s, ev in kept if ev.introduced})
    out = []
    for fld, span, ev in kept:
        type_ = ev.best[0]
        intro = ev.introduced or fld == "title" and span.end <= colon and (
            span.text.lower() in abstract_text or "title-prefix" in ev.rules)  # "Orca: ..."
        text = span.text.rstrip(".")  # "pass@N." kept its full stop as one token
        if len(text) < 2:
            continue
        bare = len(span) == 1 and type_ != "Metric"
        out.append(Mention(paper_id=paper_id, text=text, field=fld, start=span.start_char,
                           end=span.start_char + len(text), sentence=span.sent.text,
                           type=type_, evidence=",".join(dict.fromkeys(ev.rules)) or "shape",
                           votes=tuple(sorted(ev.votes.items())), introduced=intro,
                           long_form=ev.long_form,
                           refers_to=longer.get(text.lower(), "") if bare else ""))
    return out


def _juxtaposed(span: Span, names: set[str]) -> bool:
    """"SSP ViTs", "CLIP continual learning": two of the paper's names side by side."""
    return any(span[:k].text.lower() in names and span[k:].text.lower() in names
               for k in range(1, len(span)))


def _standalone_part(span: Span, seen: Counter) -> Span:
    """"over-confident contrastive learning" once, "contrastive learning" elsewhere in the
    paper: the modifier describes this use, and the entity is the shorter name; likewise
    "pass@N accuracy" once beside "pass@N" (a name and a bare head word)."""
    for k in range(1, len(span)):
        if seen[span[k:].text.lower()]:
            return span[k:]
    if len(span) > 1 and seen[span[:-1].text.lower()] and is_namelike(span[0]) and (
            term_head(span[-1]) in _HEADS or span[-1].lower_ in TYPE_NOUNS):
        return span[:-1]
    return span


def _elliptical_heads(seen: Counter, coined: set[str]) -> dict[str, str]:
    """A bare head word that ends exactly one longer name of the paper stands for it:
    "robot manipulation ... manipulation" (the head of "knowledge distillation" likewise);
    not for the paper's own coinage ("question-answering" is not its new dataset)."""
    ends: dict[str, set[str]] = defaultdict(set)
    for name in seen.keys() - coined:
        words = name.split()
        if len(words) > 1:
            ends[words[-1]].add(name)
    return {head: next(iter(names)) for head, names in ends.items()
            if len(names) == 1 and head in seen}
