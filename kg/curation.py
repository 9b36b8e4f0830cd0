"""The curation file: a user's own corrections, kept beside their corpus and applied to every
build (``kg build … --curation curation.toml``, or a ``curation.toml`` in an input folder).

    # curation.toml
    [alias]                 # another name of the same thing
    "GPT4" = "GPT-4"
    [merge]                 # one entity, named by the key, whatever the extractor made of them
    "large language models" = ["LLMs", "LLM"]
    [separate]              # never one entity, even when a paper's acronym or text links them
    "ImageNet" = ["Tiny ImageNet"]
    [drop]                  # not entities at all
    names = ["GPU", "research"]
    [type]                  # the type, whatever the votes say
    "Flow Matching" = "Method"
    [variant]               # variant = its family
    "Orca 2" = "Orca"

Names match as resolution matches them (case, hyphens, spacing and a plural last word
ignored), except acronym-like names ("COCO" is not "CoCo"), which match as written.
A bad line is reported as ``file:line``; a rule that matches no name of the corpus is a
warning, also with its line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kg.ingest import InputError
from kg.model import TYPES

SECTIONS = ("alias", "merge", "separate", "drop", "type", "variant")


@dataclass(frozen=True)
class Rule:
    section: str
    names: tuple[str, ...]  # the names the rule is about (the first is its subject)
    value: str  # the target name, type or family ("" for drop and separate)
    where: str  # "file:line", for messages


@dataclass
class Curation:
    """Parsed rules, and which of them matched something in a build (`kg.resolve` applies
    them and marks them used)."""

    rules: list[Rule] = field(default_factory=list)
    used: set[Rule] = field(default_factory=set)

    def of(self, section: str) -> list[Rule]:
        return [r for r in self.rules if r.section == section]

    def unused(self) -> list[Rule]:
        return [r for r in self.rules if r not in self.used]


def load(path: Path) -> Curation:
    """Read a curation file; a bad file or line is an `InputError` naming file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(path, None, f"cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise InputError(path, None, "not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        raise InputError(path, int(m[1]) if m else None,
                         f"not valid TOML: {str(e).split(' (at line')[0]}") from None
    line_of = _line_finder(text)
    rules: list[Rule] = []
    for section, table in data.items():
        if section not in SECTIONS:
            raise InputError(path, line_of(section, None),
                             f"unknown section [{section}] (sections: {', '.join(SECTIONS)})")
        if not isinstance(table, dict):
            raise InputError(path, line_of(section, None), f"[{section}] must be a table")
        for key, value in table.items():
            line = line_of(section, key)
            problem = _problem(section, key, value)
            if problem:
                raise InputError(path, line, problem)
            where = f"{path}:{line}"
            if section == "drop":
                rules.extend(Rule(section, (name,), "", where) for name in value)
            elif section in ("merge", "separate"):
                rules.append(Rule(section, (key, *value), "", where))
            else:
                rules.append(Rule(section, (key,), value, where))
    return Curation(rules)


def _problem(section: str, key: str, value) -> str:
    """What is wrong with one rule, or ""."""
    if section == "drop":
        return "" if key == "names" and _strings(value) else '[drop] takes names = ["name", ...]'
    if section in ("merge", "separate"):
        return "" if _strings(value) and value else (
            f'[{section}] takes "name" = ["other name", ...]')
    if not isinstance(value, str) or not value.strip():
        return f'[{section}] takes "name" = "{"type" if section == "type" else "name"}"'
    if section == "type" and value not in TYPES:
        return f"unknown type {value!r} (types: {', '.join(TYPES)})"
    return ""


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _line_finder(text: str) -> Callable[[str, str | None], int]:
    """(section, key) -> the line number of that key in that section (or of the section)."""
    lines = text.splitlines()

    def find(section: str, key: str | None) -> int:
        start = next((i for i, line in enumerate(lines)
                      if re.match(rf"\s*\[\s*{re.escape(section)}\s*\]", line)), 0)
        if key is not None:
            pattern = re.compile(rf"""\s*(["']?){re.escape(key)}\1\s*=""")
            start = next((i for i in range(start, len(lines)) if pattern.match(lines[i])),
                         start)
        return start + 1

    return find
