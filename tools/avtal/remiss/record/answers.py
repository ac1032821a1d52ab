"""Answer records: sources/remiss/ROUND/svar/<id>.yaml, their comment ids, revisions and atomic saving.

One file per answerer (a party, or a kommunalförbund answering jointly) holds
every comment it sent, each with a stable id `<answerer>-<n>` that is never
reused, so positions and the report can key on it for good. A record ends with
a trailer line the importer writes:

    # avtal remiss import: next id 15, sha256 <digest of everything above>

The digest tells a record the importer wrote (it may rewrite it) from one a
person edited since (it only adds to it; see `importer`). The next id survives
a person deleting the highest comment, so its id is not given out again.

Writes of one import go through `commit`: every new file is staged first, a
journal names them, then they are renamed into place; a failure rolls back at
once, and a killed import is rolled back by `recover` the next time a remiss
command reads the round. Readers see the old record or the new one, never a mix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ...fsutil import FILE_MODE
from ...model.problems import Problems, SourceError, relative
from ...model.remiss import ANSWERS_DIR, INCOMING_DIR, REMISS_DIR, Answer, Comment, RoundInfo, load_parties
from ...model.validate import validate
from ...model.yamlfile import YamlFile, read_yaml
from .lock import unless_written

SCHEMA_LINE = "# yaml-language-server: $schema=../../../schema/answer.schema.json\n"
TRAILER = re.compile(r"^# avtal remiss import: next id (\d+), sha256 ([0-9a-f]{64}|edited)\n?\Z", re.M)
JOURNAL = ".import-journal.json"
STAGED = ".avtal-import-"  # prefix of staged and backup files; anything left with it is cleaned by `recover`

# Flags the importer sets (Swedish: the working group reads them in the svar files and the report).
FLAG_LETTER = "brev: dela upp i synpunkter"
FLAG_OUTSIDE = "skriven utanför formulärets fält"
FLAG_CHANGED = "ändrad i revision {n}"
FLAG_REMOVED = "borttagen i revision {n}"
FLAG_RETURNED = "åter i revision {n}"
FLAG_SPLIT = "uppdelad i {ids}"


def answers_dir(sources: Path, round_id: str) -> Path:
    return sources / REMISS_DIR / round_id / ANSWERS_DIR


def answer_path(sources: Path, round_id: str, answerer: str) -> Path:
    return answers_dir(sources, round_id) / f"{answerer}.yaml"


def incoming_dir(sources: Path, round_id: str) -> Path:
    return sources / REMISS_DIR / round_id / INCOMING_DIR


# -- comment ids --

def comment_number(answerer: str, comment_id: str) -> int | None:
    """n of '<answerer>-<n>', or None for an id of another form (e.g. one a person chose)."""
    prefix = f"{answerer}-"
    tail = comment_id[len(prefix):] if comment_id.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


def next_number(answer: Answer | None, recorded: int = 1) -> int:
    """The first n not yet given: above the recorded counter and above every id in the record."""
    used = [comment_number(answer.party, c.id) for c in answer.comments] if answer else []
    return max([recorded, *[(n or 0) + 1 for n in used]])


def is_removed(comment: Comment) -> bool:
    """True when a comment no longer counts: a later revision dropped it, or the group split it into others.

    Either way it stays in the record, flagged, so nothing is lost.
    """
    return any(f.startswith(("borttagen i revision", "uppdelad i ")) for f in comment.flags)


def live_comments(answer: Answer) -> tuple[Comment, ...]:
    """The comments that count: those not flagged as removed or split."""
    return tuple(c for c in answer.comments if not is_removed(c))


def split_comment(answer: Answer, comment_id: str, parts: list[dict], next_id: int) -> tuple[Answer, list[str], int]:
    """The group's split of one comment (a letter) into several: (answer, the new ids, next id).

    The parts are added after it as comments of the same source, with fresh
    ids; the split comment stays, flagged "uppdelad i <ids>" (so it no longer
    counts). This is what a person does by hand in the svar file; the record
    then counts as edited by hand.
    """
    index = next(i for i, c in enumerate(answer.comments) if c.id == comment_id)
    whole = answer.comments[index]
    n = next_number(answer, next_id)
    new = [Comment(id=f"{answer.party}-{n + k}", source=whole.source, revision=whole.revision, **part)
           for k, part in enumerate(parts)]
    ids = [c.id for c in new]
    flags = tuple(f for f in whole.flags if f != FLAG_LETTER) + (FLAG_SPLIT.format(ids=", ".join(ids)),)
    comments = (*answer.comments[:index], whole.model_copy(update={"flags": flags}), *new,
                *answer.comments[index + 1:])
    return answer.model_copy(update={"comments": comments}), ids, n + len(new)


# -- the text of a record --

def dump_answer(answer: Answer, next_id: int, *, edited: bool = False) -> str:
    """The record as its file: `$schema` line, canonical YAML (schema key order, `|` blocks), trailer."""
    from ...model.dump import _plain

    body = SCHEMA_LINE + house_yaml(_plain(answer))
    digest = "edited" if edited else hashlib.sha256(body.encode("utf-8")).hexdigest()
    return body + f"# avtal remiss import: next id {next_id}, sha256 {digest}\n"


# The house YAML style (model.dump) written directly for the shapes a record has: the same
# text as PyYAML's emitter gives, ~10x faster (PyYAML's emitter is pure Python, and a round of
# 290 parties has ~12,000 comments). Any value it is not sure about is rendered by PyYAML itself,
# and tests compare the two on every sample record.
_RESERVED = {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On",
             "ON", "off", "Off", "OFF", "null", "Null", "NULL", "y", "Y", "n", "N", "~"}
_UNSAFE_CHARS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_UNSAFE_PLAIN = re.compile(r": |:$|\s#|\s$")
_NOT_FIRST = set("-?:,[]{}#&*!|>'\"%@`+.~<=\\ ")  # YAML indicators, and what starts a number or null


def house_yaml(data) -> str:
    """`model.dump._yaml(data)` for plain data (dicts, lists, str, int, bool, dates), written directly."""
    out: list[str] = []
    try:
        _emit_mapping(data, 0, out, first_prefix="")
    except _Unsure:
        from ...model.dump import _yaml

        return _yaml(data)
    return "".join(out)


class _Unsure(Exception):
    """A shape the direct writer does not handle: PyYAML writes the whole document."""


def _emit_mapping(data: dict, indent: int, out: list[str], first_prefix: str) -> None:
    if not isinstance(data, dict) or not data:
        raise _Unsure
    pad = " " * indent
    for n, (key, value) in enumerate(data.items()):
        if not isinstance(key, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", key):
            raise _Unsure
        lead = first_prefix if n == 0 else pad
        if isinstance(value, dict):
            out.append(f"{lead}{key}:\n")
            _emit_mapping(value, indent + 2, out, " " * (indent + 2))
        elif isinstance(value, list):
            if not value or type(value) is not list:
                raise _Unsure
            out.append(f"{lead}{key}:\n")
            for item in value:
                item_pad = " " * (indent + 2)
                if isinstance(item, dict):
                    _emit_mapping(item, indent + 4, out, f"{item_pad}- ")
                elif isinstance(item, (list, tuple)):
                    raise _Unsure
                else:
                    out.append(f"{item_pad}- {_scalar(item, indent + 4)}")
        else:
            out.append(f"{lead}{key}: {_scalar(value, indent + 2)}")


def _scalar(value, indent: int) -> str:
    """One scalar after `key: ` or `- `, with its line end; block text indented by `indent`."""
    if isinstance(value, bool):
        return ("true" if value else "false") + "\n"
    if isinstance(value, int):
        return f"{value}\n"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat() + "\n"
    if not isinstance(value, str):
        raise _Unsure
    if not value or _UNSAFE_CHARS.search(value):
        return _by_pyyaml(value, indent)
    if "\n" not in value:
        first = value[0]
        if (first.isalpha() or not (first.isdigit() or first in _NOT_FIRST)) and value not in _RESERVED \
                and not _UNSAFE_PLAIN.search(value):
            return value + "\n"
        if re.fullmatch(r"\d[0-9a-f]{63}", value):  # a SHA-256 starting with a digit: quoted like codes
            return f'"{value}"\n'
        if (": " in value or " #" in value) and value[0] != " " and value[-1] != " ":  # never plain: quoted
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"\n'
        return _by_pyyaml(value, indent)
    if value[0] in " \n" or " \n" in value or value.endswith((" ", "\n\n")):
        return _by_pyyaml(value, indent)
    body = value[:-1] if value.endswith("\n") else value
    pad = " " * indent
    lines = "".join(f"{pad}{line}\n" if line else "\n" for line in body.split("\n"))
    return ("|\n" if value.endswith("\n") else "|-\n") + lines


def _by_pyyaml(value: str, indent: int) -> str:
    """A scalar the fast path is unsure of, as PyYAML's emitter writes it (its style does not depend on where)."""
    from ...model.dump import _yaml

    first, _, rest = _yaml({"k": value}).partition("\n")
    shift = " " * (indent - 2)
    return first[3:] + "\n" + "".join(shift + line if line.strip() else line for line in rest.splitlines(True))


@dataclass(frozen=True)
class Record:
    """A stored answer record as the importer sees it."""

    answer: Answer
    path: Path
    text: str
    next_id: int  # first number not yet given out
    pristine: bool  # exactly as the importer last wrote it (no hand edits since)
    source: YamlFile = field(repr=False, compare=False)  # where each value is (for messages)


def split_trailer(text: str) -> tuple[str, int | None, bool]:
    """(text before the trailer, the recorded next id, whether the trailer's digest matches that text).

    Without a trailer, or with anything after it, the record counts as edited by hand.
    """
    found = None
    for found in TRAILER.finditer(text):
        pass
    if found is None:
        return text, None, False
    body = text[:found.start()]
    intact = found.end() == len(text) and found.group(2) == hashlib.sha256(body.encode("utf-8")).hexdigest()
    return body, int(found.group(1)), intact


def read_record(path: Path, problems: Problems) -> Record | None:
    """Read and validate one svar file; problems carry file:line:col."""
    source = read_yaml(path, relative(path), problems)
    answer = validate(Answer, source, problems) if source is not None else None
    if answer is None:
        return None
    _, recorded, pristine = split_trailer(source.text)
    return Record(answer, path, source.text, next_number(answer, recorded or 1), pristine, source)


# -- loading every answer of a round --

def load_answers(sources: Path, round: str | RoundInfo, problems: Problems | None = None) -> tuple[Answer, ...]:
    """Every answer of a round, sorted by answerer id, checked against the parties and each other.

    Raises SourceError with every problem when `problems` is not given; with
    it, problems are added there and the answers that validated are returned
    (how `avtal check` collects everything in one run). Rolls back an import
    that was killed half-way (see `recover`) before reading.
    """
    own = Problems()
    round_id = round if isinstance(round, str) else round.id
    info = round if isinstance(round, RoundInfo) else None
    folder = answers_dir(sources, round_id)
    recover(sources, round_id)
    book = info.book if info else load_parties(sources, own)
    answers: list[Answer] = []
    first_id: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        record = read_record(path, own)
        if record is None:
            continue
        answer, shown, where = record.answer, relative(path), record.source.location
        if answer.round != round_id:
            own.add(where(("round",)), f"answer is for round '{answer.round}': expected '{round_id}' (the folder "
                    "it is in)", where=answer.party)
        if answer.party != path.stem:
            own.add(where(("party",)), f"answer of '{answer.party}' is stored as {path.name}: expected "
                    f"{answer.party}.yaml (one file per answerer, named by its id)", where=answer.party)
        if book is not None:
            if book.answerer(answer.party) is None:
                own.add(where(("party",)), f"unknown party or kommunalförbund '{answer.party}': expected an id from "
                        f"{book.file}", where=answer.party)
            members = {p.id for p in book.parties}
            for i, pid in enumerate(answer.on_behalf_of):
                if pid not in members:
                    own.add(where(("on_behalf_of", i)), f"unknown party '{pid}' in on_behalf_of: expected a party id "
                            f"from {book.file}", where=answer.party)
        numbers = [r.number for r in answer.revisions]
        if numbers != list(range(1, len(numbers) + 1)):
            own.add(where(("revisions",)), f"revisions are numbered {numbers}: expected 1, 2, 3 … in order",
                    where=answer.party)
        for i, comment in enumerate(answer.comments):
            if comment.id in first_id:
                own.add(where(("comments", i, "id")), f"duplicate comment id '{comment.id}' (also in "
                        f"{first_id[comment.id]}): comment ids are unique in a round; give this one a new id",
                        where=comment.id)
            else:
                first_id[comment.id] = shown
            if comment.revision > len(numbers):
                own.add(where(("comments", i, "revision")), f"comment '{comment.id}' names revision "
                        f"{comment.revision}, but the answer has {len(numbers)}", where=comment.id)
        answers.append(answer)
    if problems is not None:
        problems.extend(own)
    elif own.errors:
        raise SourceError(own)
    return tuple(answers)


# -- atomic commit of one import --

def journal_path(sources: Path, round_id: str) -> Path:
    """The journal of an import in progress: sources/remiss/.ROUND.import-journal.json."""
    return sources / REMISS_DIR / f".{round_id}{JOURNAL}"


def unchanged(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def commit(sources: Path, round_id: str, files: dict[Path, bytes]) -> None:
    """Write `files` (all under sources/remiss/ROUND/) all or nothing.

    Each file is staged as a temporary file in sources/remiss/ (fsynced) and a
    hard link kept to each file it replaces; then the journal is written (from
    here a killed import is undone by `recover`), the round's folders made and
    the files renamed into place; deleting the journal is the commit point.
    Any failure before it restores every file as it was.
    """
    if not files:
        return
    staging = sources / REMISS_DIR
    journal = journal_path(sources, round_id)
    recover(sources, round_id)
    plan: dict = {"ops": [], "created": []}
    try:
        staged = [(staging / f"{STAGED}{round_id}-{n}.new", data) for n, (_, data) in enumerate(sorted(files.items()))]
        with ThreadPoolExecutor(8) as pool:  # fsync waits on the disk, not the CPU: many at once
            list(pool.map(_stage, staged))
        for n, (path, _) in enumerate(sorted(files.items())):
            backup = None
            if path.exists():
                backup = staging / f"{STAGED}{round_id}-{n}.old"
                os.link(path, backup)
            plan["ops"].append({"target": str(path), "tmp": str(staged[n][0]),
                                "backup": str(backup) if backup else None})
        plan["created"] = sorted({str(d) for path in files for d in _missing_parents(path)}, key=len)
        _write_journal(journal, plan)
        for d in plan["created"]:
            Path(d).mkdir(exist_ok=True)
        for op in plan["ops"]:
            os.replace(op["tmp"], op["target"])
        journal.unlink()
    except BaseException:
        _roll_back(sources, round_id, plan)
        raise
    _clean_staged(sources, round_id)


def _stage(item: tuple[Path, bytes]) -> None:
    tmp, data = item
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, FILE_MODE)


def _missing_parents(path: Path) -> list[Path]:
    out, parent = [], path.parent
    while not parent.exists():
        out.append(parent)
        parent = parent.parent
    return out


def _write_journal(journal: Path, data: dict) -> None:
    tmp = journal.with_name(f"{STAGED}{journal.name}.new")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, journal)


def recover(sources: Path, round_id: str) -> bool:
    """Undo an import of this round that was killed before its commit point; True when one was undone.

    Cheap when there is nothing to do (a stat and a glob), so every reader calls it. Never
    while another process holds the round's lock: a live writer's journal is its own.
    """
    journal = journal_path(sources, round_id)
    if not journal.exists() and not _staged(sources, round_id):
        return False
    with unless_written(sources, round_id) as ours:
        if not ours:
            return False
        if journal.exists():
            try:
                data = json.loads(journal.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}  # torn while being written: no rename had started
            _roll_back(sources, round_id, data)
            return True
        _clean_staged(sources, round_id)
    return False


def _staged(sources: Path, round_id: str) -> list[Path]:
    folder = sources / REMISS_DIR
    return [*folder.glob(f"{STAGED}{round_id}-*"), *folder.glob(f"{STAGED}.{round_id}{JOURNAL}*")]


def _roll_back(sources: Path, round_id: str, plan: dict) -> None:
    for op in reversed(plan.get("ops", [])):
        target, tmp, backup = Path(op["target"]), Path(op["tmp"]), op.get("backup")
        if backup:
            if Path(backup).exists():
                os.replace(backup, target)
        elif not tmp.exists():
            target.unlink(missing_ok=True)  # renamed into place; it did not exist before
    for d in sorted(plan.get("created", []), key=len, reverse=True):
        try:
            Path(d).rmdir()
        except OSError:
            pass
    _clean_staged(sources, round_id)
    journal_path(sources, round_id).unlink(missing_ok=True)


def _clean_staged(sources: Path, round_id: str) -> None:
    for stray in _staged(sources, round_id):
        stray.unlink(missing_ok=True)


# -- small text helpers shared by importer and status --

def normalise(text: str | None) -> str:
    """Text compared for sameness: NFC, whitespace collapsed, case kept."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def ascii_fold(text: str) -> str:
    """'Borås Stad' → 'boras stad': for matching names in file names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
