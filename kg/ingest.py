"""Readers: paper lists on disk -> `Paper` records.

Formats: trending-papers pages, JSON Lines (including the public arXiv metadata snapshot's
records: ``id``, ``title``, ``abstract``, ``authors``, ``update_date``, ``versions``), CSV and
Parquet (with pyarrow); each may be gzip-, bzip2- or xz-compressed (``papers.jsonl.gz``).

Every reader reports bad input as an `InputError` that names the file and line, so the CLI
can print one clear line (or, with ``--skip-bad``, a warning) instead of a traceback.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import json
import lzma
import re
import stat
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from kg.model import ARXIV_ID, Paper

FORMATS = ("page", "jsonl", "csv", "parquet")
_EXTENSIONS = {".txt": "page", ".md": "page", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
#: compressed files: extension -> (magic bytes, decompressor); read as the file inside
_COMPRESSED = {".gz": (b"\x1f\x8b", gzip.decompress), ".bz2": (b"BZh", bz2.decompress),
               ".xz": (b"\xfd7zXZ\x00", lzma.decompress)}
_PARQUET_MAGIC = b"PAR1"


class InputError(Exception):
    """Bad input, located at ``path:line``."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


def slugify(text: str, max_len: int = 80) -> str:
    """Readable, stable IRI segment: ASCII, lowercase, hyphen-separated."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "x"


def normalise_title(title: str) -> str:
    """Words (letters and digits of any script) of the title, casefolded and space-joined."""
    return " ".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", title).casefold()))


def _lines(text: str) -> list[str]:
    """Lines as an editor counts them: only CR/LF end a line (not U+2028, U+0085, form feed,
    which `str.splitlines` also splits at, though JSON strings may hold them)."""
    return re.split(r"\r\n|\r|\n", text)


def _title_id(title: str) -> str:
    """The id of a paper the input gives no id or arXiv URL for: the slug of its title, or a
    digest of it where the title has no ASCII letter or digit to make a slug of."""
    if re.search(r"[A-Za-z0-9]", unicodedata.normalize("NFKD", title)):
        return slugify(title, 60)
    return "paper-" + hashlib.sha1(normalise_title(title).encode()).hexdigest()[:10]


def _inner_suffix(path: Path) -> str:
    """The extension of the file, or of the file inside a compressed one (.jsonl.gz)."""
    suffixes = [x.lower() for x in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def detect_format(path: Path) -> str:
    """Format by extension, else by the first bytes of the file."""
    fmt = _EXTENSIONS.get(_inner_suffix(path))
    if fmt:
        return fmt
    if _read_bytes(path)[:4] == _PARQUET_MAGIC:
        return "parquet"
    head = read_text(path)[:4096].lstrip()
    if head.startswith("{"):
        return "jsonl"
    first = head.splitlines()[0] if head else ""
    if "title" in first.lower() and ("," in first or "\t" in first):
        return "csv"
    return "page"


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip, bzip2 or xz (by its magic bytes)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(path, None, f"cannot read: {e.strerror or e}") from None
    for ext, (magic, decompress) in _COMPRESSED.items():
        if data.startswith(magic):
            try:
                return decompress(data)
            except (OSError, EOFError, ValueError, lzma.LZMAError) as e:
                raise InputError(path, None, f"not a valid {ext[1:]} file: {e}") from None
    return data


def read_text(path: Path) -> str:
    """A UTF-8 text file (a BOM allowed; compressed or not), or an `InputError` that says why
    not, and where."""
    data = _read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(path, line, f"not UTF-8 text (byte 0x{data[e.start]:02x})") from None


#: Terminal escape sequences (CSI, OSC, two-character ESC ones), then any other control
#: character: text copied from a terminal must not leave "[31m" in a title or a name.
_ESCAPES = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
                      r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]{0,256}(?:\x07|\x1b\\|\x9c)|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: What may stand alone between commas of a list of authors and belongs to the name before
#: it: initials ("Smith, J.", "Curie, M.-S."), or a suffix ("King, Jr.").
_NAME_PART = re.compile(r"(?:[A-Z]\.\s*-?\s*)+|[A-Z]|(?:Jr|Sr)\.?|I{2,3}|IV")
_JSON_TYPES = {dict: "an object", list: "a list", bool: "true or false", int: "a number",
               float: "a number"}


def clean_text(text: str) -> str:
    """One line of plain text: terminal escapes removed, whitespace runs made one space."""
    return " ".join(_CONTROLS.sub(" ", _ESCAPES.sub("", text)).split())


def split_authors(text: str) -> list[str]:
    """The names in one string of authors: separated by ';' where there is one (so
    "Lovelace, Ada; Turing, Alan" is two), else by ',' and ' and ', keeping initials and
    suffixes with the name before them ("Smith, J., Doe, A." is two)."""
    if ";" in text:
        return [n for n in (clean_text(part) for part in text.split(";")) if n]
    names: list[str] = []
    for part in (clean_text(p) for p in re.split(r",|\s+and\s+", text)):
        if names and _NAME_PART.fullmatch(part):
            names[-1] += ", " + part
        elif part:
            names.append(part)
    return names


def _string(path: Path, line: int, rec: dict, name: str, numbers: bool = False) -> str:
    """A text field of a record ("" when absent or null); a list, an object, ... is an error
    rather than its Python form (a number too, unless `numbers`: ids may be numbers)."""
    value = rec.get(name)
    if value is None:
        return ""
    if isinstance(value, str) or numbers and type(value) is int:
        return clean_text(str(value))
    raise InputError(path, line, f"'{name}' must be text, not {_JSON_TYPES.get(type(value))}")


def _authors(path: Path, line: int, rec: dict) -> tuple[str, ...]:
    value = rec.get("authors")
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(split_authors(value))
    if isinstance(value, list) and all(isinstance(a, str) for a in value):
        return tuple(n for n in map(clean_text, value) if n)
    raise InputError(path, line, "'authors' must be a list of names or a string of names "
                     f"separated by ';' or ',', not {_JSON_TYPES.get(type(value))}"
                     + " holding something else" * isinstance(value, list))


def _make_paper(path: Path, line: int, rec: dict) -> Paper:
    title = _string(path, line, rec, "title")
    abstract = _string(path, line, rec, "abstract")
    if not title:
        raise InputError(path, line, "record has no title")
    if not abstract:
        raise InputError(path, line, f"paper {title[:60]!r} has no abstract")
    url = _string(path, line, rec, "url")
    pid = _string(path, line, rec, "id", numbers=True)
    if not pid:
        m = ARXIV_ID.search(url)
        pid = m.group(1) if m else _title_id(title)
    elif not url and ("versions" in rec or "update_date" in rec):  # an arXiv snapshot record
        url = f"https://arxiv.org/abs/{pid}"
    date = _string(path, line, rec, "date") or _string(path, line, rec, "update_date")
    return Paper(id=pid, title=title, abstract=abstract, url=url, date=date,
                 authors=_authors(path, line, rec), source=f"{path}:{line}")


def _is_abstract(line: str) -> bool:
    return len(line) > 300 or len(line.split()) >= 40


def _record(path: Path, line: int, rec: dict) -> Paper | InputError:
    try:
        return _make_paper(path, line, rec)
    except InputError as e:
        return e


def read_page(path: Path, text: str) -> Iterator[Paper | InputError]:
    """A trending-papers page: a short header, then a title line and an abstract line per paper.

    The header is whatever precedes the first short line that is followed by a long one.
    A line out of the title/abstract alternation is reported and reading resumes after it.
    """
    lines = [(i, s.strip()) for i, s in enumerate(_lines(text), 1) if s.strip()]
    start = next((k for k in range(len(lines) - 1)
                  if not _is_abstract(lines[k][1]) and _is_abstract(lines[k + 1][1])), None)
    if start is None:
        raise InputError(path, lines[0][0] if lines else None,
                         "no paper found (expected a title line followed by an abstract line)")
    title: tuple[int, str] | None = None
    for no, line in lines[start:]:
        if not _is_abstract(line):
            if title:
                yield InputError(path, title[0], f"title {title[1][:60]!r} is not followed "
                                 "by an abstract line")
            title = (no, line)
        elif title:
            yield _record(path, title[0], {"title": title[1], "abstract": line})
            title = None
        else:
            yield InputError(path, no, "abstract line without a title line before it")
    if title:
        yield InputError(path, title[0],
                         f"title {title[1][:60]!r} is not followed by an abstract line")


def read_jsonl(path: Path, text: str) -> Iterator[Paper | InputError]:
    for no, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            yield InputError(path, no, f"malformed JSON: {e.msg} (column {e.colno})")
            continue
        except RecursionError:
            yield InputError(path, no, "malformed JSON: nested too deeply")
            continue
        except ValueError as e:  # e.g. an integer of more digits than Python converts
            yield InputError(path, no, f"malformed JSON: {e}")
            continue
        if not isinstance(rec, dict):
            yield InputError(path, no, "expected a JSON object per line")
            continue
        yield _record(path, no, rec)


def read_csv(path: Path, text: str) -> Iterator[Paper | InputError]:
    try:  # only the delimiter is guessed: quoting is RFC 4180's ("" inside quotes is a ")
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.DictReader(io.StringIO(text), dialect=csv.excel, delimiter=delimiter)
    try:
        fields = [f.strip().lower() for f in reader.fieldnames or []]
    except csv.Error as e:
        raise InputError(path, 1, f"malformed CSV: {e}") from None
    if "title" not in fields:
        raise InputError(path, 1, f"no 'title' column (columns: {', '.join(fields) or 'none'})")
    reader.fieldnames = fields
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise InputError(path, reader.line_num, f"malformed CSV: {e}") from None
        if rec.get(None):
            yield InputError(path, reader.line_num, "more fields than the header has")
        else:
            yield _record(path, reader.line_num, rec)


def read_parquet(path: Path) -> Iterator[Paper | InputError]:
    """A Parquet file with ``title`` and ``abstract`` columns (and the optional ones of JSONL),
    read in batches of rows; a row's "line" is its number, from 1."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(path, None, "reading Parquet needs pyarrow: "
                         "pip install 'paperkg[parquet]'") from None
    try:
        f = pq.ParquetFile(io.BytesIO(_read_bytes(path)))
        names = {n.lower(): n for n in f.schema_arrow.names}
        if "title" not in names:
            raise InputError(path, 1, f"no 'title' column (columns: {', '.join(names)})")
        wanted = [names[c] for c in ("id", "title", "abstract", "url", "date", "update_date",
                                     "authors", "versions") if c in names]
        row = 0
        for batch in f.iter_batches(batch_size=4096, columns=wanted):
            for rec in batch.to_pylist():
                row += 1
                yield _record(path, row, {k.lower(): v for k, v in rec.items()})
    except InputError:
        raise
    except Exception as e:  # pyarrow's errors: a damaged or non-Parquet file
        raise InputError(path, None, f"not a readable Parquet file: {e}") from None


_READERS: dict[str, Callable[[Path, str], Iterator[Paper]]] = {
    "page": read_page, "jsonl": read_jsonl, "csv": read_csv}


def _files(path: Path) -> list[Path]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(path, None, "no such file or directory") from None
    except OSError as e:  # a symbolic link loop, a path through a file, ...
        raise InputError(path, None, f"cannot read: {e.strerror or e}") from None
    if stat.S_ISDIR(mode):
        files = sorted(p for p in path.rglob("*") if p.is_file() and _inner_suffix(p) in _EXTENSIONS
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not files:
            raise InputError(path, None, "directory holds no paper list (.txt, .jsonl, .csv, "
                             ".parquet, possibly .gz/.bz2/.xz)")
        return files
    if not stat.S_ISREG(mode):  # reading a FIFO or a device would wait for a writer forever
        raise InputError(path, None, "not a regular file (a FIFO, socket or device): give a "
                                     "file or a directory")
    return [path]


def read_papers(paths: list[Path], fmt: str | None = None, skip_bad: bool = False,
                warn: Callable[[str], None] = lambda msg: None) -> list[Paper]:
    """Read every paper of `paths` (files or directories), de-duplicated by id and title.

    With `skip_bad`, a bad record or file becomes a warning and the rest is kept; otherwise
    the first `InputError` is raised.
    """
    items: list[Paper | InputError] = []
    for path in paths:
        try:
            files = _files(Path(path))
        except InputError as e:
            items.append(e)
            continue
        for file in files:
            try:
                file_fmt = fmt or detect_format(file)
                if file_fmt == "parquet":
                    items.extend(list(read_parquet(file)))
                    continue
                text = read_text(file)
                if not text.strip():
                    raise InputError(file, None, "empty file: no papers in it")
                items.extend(list(_READERS[file_fmt](file, text)))
            except InputError as e:
                items.append(e)

    # An id made from a title is cut at 60 characters: where another title gives the same
    # (IRI slug of an) id, each such paper gets a digest of its title, whatever the order.
    titles_of: dict[str, set[str]] = defaultdict(set)
    for item in items:
        if isinstance(item, Paper):
            titles_of[slugify(item.id)].add(normalise_title(item.title))

    papers: list[Paper] = []
    by_id: dict[str, Paper] = {}
    by_title: dict[str, Paper] = {}
    for paper in items:
        if isinstance(paper, InputError):
            if not skip_bad:
                raise paper
            warn(f"skipped: {paper}")
            continue
        title = normalise_title(paper.title)
        if len(titles_of[slugify(paper.id)]) > 1 and paper.id == _title_id(paper.title):
            paper = replace(paper, id=f"{paper.id}-{hashlib.sha1(title.encode()).hexdigest()[:6]}")
        dup = by_id.get(paper.id) or by_title.get(title)
        if dup:
            warn(f"{paper.source}: duplicate of the paper at {dup.source} "
                 f"({paper.title[:60]!r}); kept the first")
            continue
        by_id[paper.id] = by_title[title] = paper
        papers.append(paper)
    if not papers:
        raise InputError(paths[0] if paths else "input", None, "no papers in the input")
    return papers
