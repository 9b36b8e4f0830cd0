"""Names as text: how two names compare, what a name's family is, and names written in TeX.

Pure functions on strings, shared by extraction, resolution and the curation file, and free
of spaCy.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Trailing name parts that make a variant of what precedes them: "-Instruct", "-large".
VARIANT_WORDS = {"instruct", "instruction", "chat", "base", "large", "small", "medium", "mini",
                 "tiny", "turbo", "xl", "xxl", "xs", "nano", "lite", "flash", "pro", "max",
                 "plus", "it", "hf", "code", "coder", "math", "vision", "vl", "preview", "sft",
                 "rlhf", "dpo", "distilled", "uncased", "cased", "v"}
_VERSION_PART = re.compile(r"^[vV]?\d+(\.\d+)*[a-zA-Z]?$|^\d+(\.\d+)?[xX]?\d*[BbMmKk]$")
_GLUED_VERSION = re.compile(r"^([A-Za-z][A-Za-z-]*?[A-Za-z])[-_ ]?[vV]?\d+(\.\d+)*[a-z]?$")


@lru_cache(maxsize=1 << 17)
def name_key(name: str) -> str:
    """The normal form under which two names are the same entity (memoised: resolution asks
    for the same few thousand names hundreds of thousands of times)."""
    s = unicodedata.normalize("NFKC", name).lower().replace("\u2019", "'")
    words = [w for w in re.split(r"[^0-9a-z]+", s) if w]
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    if words:
        last = words[-1]
        if len(last) > 3 and last.endswith("ies"):
            words[-1] = last[:-3] + "y"
        elif len(last) > 2 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
            words[-1] = last[:-1]
    if name.count("-") >= 2 and any(c.isdigit() for c in name):
        # "Llama-3.1-405B-Instruct" and "Llama-3.1-Instruct-405B": same checkpoint
        parts = re.split(r"-+", s)
        return "".join([re.sub(r"[^0-9a-z]", "", parts[0]),
                        *sorted(re.sub(r"[^0-9a-z]", "", p) for p in parts[1:])])
    return "".join(words)


def is_acronym_like(name: str) -> bool:
    """One short token of capitals ("COCO", "CoCo", "GPT-4"): its case tells it apart."""
    letters = [c for c in name if c.isalpha()]
    capitals = sum(c.isupper() for c in letters)
    return (" " not in name.strip() and capitals >= 2
            and (capitals == len(letters) or len(letters) <= 5))


def curation_key(name: str) -> str:
    """How a curation file's name is compared with the corpus's names: as written for an
    acronym-like name, else as resolution compares names."""
    return f"={name.strip()}" if is_acronym_like(name) else name_key(name)


def family_names(name: str) -> list[str]:
    """The families a name belongs to, nearest first: "Llama-3.1-8B-Instruct" ->
    ["Llama-3.1-8B", "Llama-3.1", "Llama"]; "ResNet-50" -> ["ResNet"]; "Qwen2.5-Math" ->
    ["Qwen2.5", "Qwen"]; "GPT-3 175B" -> ["GPT-3", "GPT"]. Only sizes, versions and variant
    words are taken off the end, so "Tiny ImageNet" and "Mask R-CNN" have none."""
    out: list[str] = []
    current = name.strip()
    while True:
        parts = re.split(r"([-_ /])", current)
        last = parts[-1]
        if len(parts) >= 3 and (_VERSION_PART.match(last) or last.lower() in VARIANT_WORDS):
            current = "".join(parts[:-2]).rstrip("-_ ")
        elif (m := _GLUED_VERSION.match(last)) and len(m[1]) >= 3 and m[1] != last:
            current = "".join(parts[:-1]) + m[1]  # "Qwen2.5" -> "Qwen", "ResNet18" -> "ResNet"
        else:
            return out
        if not any(c.isalpha() for c in current) or sum(c.isalnum() for c in current) < 2:
            return out
        out.append(current)


#: TeX commands whose argument is the text: \mathcal{B} -> B, \textbf{x} -> x.
_TEX_WRAPPERS = re.compile(r"\\(?:math[a-z]*|text[a-z]*|emph|operatorname|boldsymbol|bm|it|bf|rm)"
                           r"\s*\{([^{}]*)\}")
_TEX_SYMBOLS = {"\\%": "%", "\\&": "&", "\\_": "_", "\\#": "#", "\\$": "$", "~": " ",
                "\\times": "×", "\\leq": "≤", "\\geq": "≥", "\\le": "≤", "\\ge": "≥",
                "\\approx": "≈", "\\sim": "~", "\\cdot": "·", "\\pm": "±", "\\infty": "∞",
                "\\alpha": "α", "\\beta": "β", "\\gamma": "γ", "\\delta": "δ",
                "\\epsilon": "ε", "\\lambda": "λ", "\\mu": "μ", "\\pi": "π", "\\sigma": "σ",
                "\\tau": "τ", "\\theta": "θ", "\\phi": "φ", "\\omega": "ω"}


def plain_text(text: str) -> str:
    """TeX fragments as the text they typeset: "$\\mathcal{B}$-Coder" -> "B-Coder",
    "8\\%" -> "8%", "$\\alpha$-NAS" -> "α-NAS"; text without TeX is returned as it is."""
    if "\\" not in text and "$" not in text and "~" not in text:
        return text
    out = text
    for _ in range(3):  # nested wrappers: \mathbf{\mathcal{X}}
        out = _TEX_WRAPPERS.sub(r"\1", out)
    for command, symbol in sorted(_TEX_SYMBOLS.items(), key=lambda kv: -len(kv[0])):
        out = re.sub(re.escape(command) + r"(?![A-Za-z])", symbol, out)
    out = re.sub(r"[\^_]\{([^{}]*)\}", r"\1", out)  # x^{2} -> x2
    out = out.replace("$", "").replace("{", "").replace("}", "")
    out = re.sub(r"\\([A-Za-z]+)", r"\1", out)  # an unknown command: its name
    return " ".join(out.split())
