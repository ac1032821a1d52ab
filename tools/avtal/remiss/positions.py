"""The working group's ställningstaganden: one position (status, motivering, changed clauses) per comment.

Positions live apart from the answers, in sources/remiss/<round>/stallningstaganden.yaml, keyed by
comment id, so no re-import of an answer ever touches them. They are set three ways: by editing
the YAML, by `avtal remiss position` (`set_position`), or in bulk through Excel
(`export_positions` writes an .xlsx of every comment, `import_positions` reads it back).

Every write checks everything first and writes nothing on any error. The file is rewritten whole
(atomically) in canonical form: the comment block at its top is kept, comment lines further down
are not (a YAML re-dump cannot place them), and the report says when some were dropped.

A comment has at most one position; giving it a new one moves it. Comments that share status,
motivering and clauses share one Position (the same point raised by many parties).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Iterable, Optional

from ..fsutil import atomic_write_bytes, atomic_write_text, cached_json
from ..model.corpus import Corpus, load
from ..model.problems import Location, Problems, SourceError, relative
from ..model.remiss import (ANSWERS_DIR, POSITION_STATUSES, POSITIONS_FILE, Comment, Position, Positions, RoundInfo,
                            load_round)
from ..model.validate import validate
from ..model.versions import VERSION_FILE, WORKING, load_version, versions_dir
from ..model.yamlfile import YamlFile, read_yaml
from ..render.spreadsheet import cell_text, finish_xlsx
from .lock import writes_round

SCHEMA_LINE = "# yaml-language-server: $schema=../../schema/positions.schema.json\n"
NEW_FILE_HEADER = (
    "# The working group's ställningstaganden, keyed by comment id (never touched by `avtal remiss import`).\n"
    "# Written by `avtal remiss position` and `avtal remiss import-positions`, which keep this header but not\n"
    "# comment lines further down.\n"
)
Key = tuple[str, str, tuple[str, ...]]  # (status, motivering, clauses): what makes two positions one


# ---- what the remiss needs of a version, cached for frozen ones ---------------------------------

@dataclass(frozen=True)
class ClauseInfo:
    id: str
    doc: str
    label: str  # its number, e.g. '3.2'
    title: str


@dataclass(frozen=True)
class VersionIndex:
    """A version's documents and clauses (ids, numbers, headings): all positions and answers are checked against.

    Built from a Corpus, or read from the cache for a frozen version (immutable, so its index is
    keyed by its checksum): `avtal check` then does not parse the version's text at all.
    """

    name: str
    documents: tuple[str, ...]
    short_titles: dict[str, str]
    clauses: dict[str, ClauseInfo]  # in reading order
    latest: dt.date  # the latest version date of its documents (the date stamped on what we write)
    checksum: str = ""  # a frozen version's checksum (its files verified); empty for the working sources

    @classmethod
    def of(cls, corpus: Corpus, name: str) -> "VersionIndex":
        return cls(name, tuple(d.id for d in corpus.documents), {d.id: d.source.short_title for d in corpus.documents},
                   {c.id: ClauseInfo(c.id, d.id, c.label, c.title) for d in corpus.documents for c in d.clauses()},
                   max(d.source.version_date for d in corpus.documents))

    def to_json(self) -> dict:
        return {"name": self.name, "documents": list(self.documents), "short_titles": self.short_titles,
                "clauses": [[c.id, c.doc, c.label, c.title] for c in self.clauses.values()],
                "latest": self.latest.isoformat()}

    @classmethod
    def from_json(cls, data: dict) -> "VersionIndex":
        return cls(data["name"], tuple(data["documents"]), dict(data["short_titles"]),
                   {c[0]: ClauseInfo(*c) for c in data["clauses"]}, dt.date.fromisoformat(data["latest"]))

    def when(self) -> dt.datetime:
        """The timestamp of what we write for it: SOURCE_DATE_EPOCH, else `latest` (as render.build.build_time)."""
        import os

        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.strip().isdigit():
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        return dt.datetime(self.latest.year, self.latest.month, self.latest.day, tzinfo=dt.timezone.utc)


@cache
def code_digest() -> str:
    """What the cached results depend on besides the versions: the model and the diff."""
    root = Path(__file__).resolve().parents[1]
    digest_ = hashlib.sha256()
    for path in sorted([*(root / "model").glob("*.py"), root / "redline" / "diff.py", root / "redline" / "words.py",
                        Path(__file__)]):
        digest_.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest_.hexdigest()[:16]


def cached(sources: Path, kind: str, key: str, build):
    """The JSON value cached under (kind, key), or `build()` stored there; a broken cache is rebuilt silently."""
    return cached_json(sources, "remiss", f"{kind}-{key}", build)


def version_index(sources: Path, name: str) -> VersionIndex:
    """A frozen version's index (cached by checksum); raises SourceError when it is tampered with or does not load."""
    from ..model.versions import read_version

    frozen = read_version(versions_dir(sources) / name)
    key = hashlib.sha256(f"{frozen.checksum} {code_digest()}".encode()).hexdigest()[:32]
    index = VersionIndex.from_json(cached(sources, "version", key,
                                          lambda: VersionIndex.of(load_version(sources, name)[0], name).to_json()))
    return replace(index, checksum=frozen.checksum)


# ---- a round's comments and positions, loaded and checked ---------------------------------------

@dataclass(frozen=True)
class CommentInfo:
    """One comment of the round, with what a reader needs beside it (from the round's version)."""

    comment: Comment
    party: str  # the party or kommunalförbund that answered
    party_name: str
    on_behalf_of: tuple[str, ...]
    file: str  # the answer file, as shown
    document: Optional[str]  # the comment's document (its own, or its clause's)
    number: Optional[str]  # the clause's number in the round's version, e.g. '3.2'
    heading: Optional[str]
    removed: bool  # withdrawn in a later revision of the answer (kept, flagged)
    order: tuple  # the draft's reading order: document, clause, then as received

    @property
    def id(self) -> str:
        return self.comment.id


@dataclass
class RoundPositions:
    """A round's comments and positions with every problem found; nothing raised but for a missing round."""

    info: RoundInfo
    version: Optional[VersionIndex]  # the version the round sent
    against: Optional[VersionIndex]  # Positions.against, when set and loadable
    working: Optional[Corpus]  # the working sources, when they load
    comments: dict[str, CommentInfo]  # by id, in the draft's reading order
    positions: Positions
    source: Optional[YamlFile]  # the positions file as read; None while it does not exist
    path: Path
    clause_ids: frozenset[str]  # known clause ids: the round's version, the working sources, `against`
    problems: Problems
    readable: bool = True  # False when the positions file did not validate (then `positions` is empty)

    @property
    def shown(self) -> str:
        return relative(self.path)

    def location(self, *path) -> Location:
        """Where a key of the positions file is (its first line while the file does not exist)."""
        return self.source.location(tuple(path)) if self.source else Location(self.shown)

    def owner(self) -> dict[str, int]:
        """Comment id → index of the (first) position covering it."""
        found: dict[str, int] = {}
        for i, p in enumerate(self.positions.positions):
            for cid in p.comments:
                found.setdefault(cid, i)
        return found

    def raise_errors(self) -> None:
        if self.problems.errors:
            raise SourceError(Problems([p for p in self.problems.items if p.severity == "error"]))


def positions_path(info: RoundInfo) -> Path:
    return info.folder / POSITIONS_FILE


def load_round_positions(sources: Path, round_id: str, *, working: Optional[Corpus] = None,
                         problems: Optional[Problems] = None, info: Optional[RoundInfo] = None) -> RoundPositions:
    """Read the round's answers and positions and check them against each other and the versions.

    `working` is the loaded working sources when the caller has them (else they are loaded here).
    Problems go into `problems` (also on the result); only a round that does not load raises.
    """
    own = problems if problems is not None else Problems()
    if info is None:
        info = load_round(sources, round_id, problems=own)
    version = _frozen(sources, info.source.version, own)
    if working is None:
        working, _ = load(sources)  # its problems are `avtal check`'s to report
    comments = _read_answers(sources, info, version, own)
    path = positions_path(info)
    source = read_yaml(path, relative(path), own) if path.exists() else None
    data = validate(Positions, source, own) if source is not None else None
    if source is not None and data is None:
        data = Positions(round=round_id)
        broken = True
    else:
        broken = False
    positions = data or Positions(round=round_id)
    against = None
    if positions.against:
        against = _against(sources, info, positions.against, working, version, source, own)
    known: set[str] = set()
    for index in (version, against):
        if index is not None:
            known.update(index.clauses)
    if working is not None:
        known.update(c.id for d in working.documents for c in d.clauses())
    result = RoundPositions(info, version, against, working, comments, positions, source, path, frozenset(known),
                            own, not broken)
    if not broken:
        _check_positions(result)
    return result


def _frozen(sources: Path, name: str, problems: Problems) -> Optional[VersionIndex]:
    """A frozen version's index; a version that is not frozen is reported by `load_round` already."""
    if not (versions_dir(sources) / name / VERSION_FILE).exists():
        return None
    try:
        return version_index(sources, name)
    except SourceError as exc:
        problems.extend(exc.problems)
        return None


def _against(sources: Path, info: RoundInfo, name: str, working: Optional[Corpus], version: Optional[VersionIndex],
             source: Optional[YamlFile], problems: Problems) -> Optional[VersionIndex]:
    if name == WORKING:
        return VersionIndex.of(working, WORKING) if working is not None else None
    if name == info.source.version:
        return version
    if not (versions_dir(sources) / name / VERSION_FILE).exists():
        frozen = sorted(p.name for p in versions_dir(sources).iterdir() if (p / VERSION_FILE).exists()) \
            if versions_dir(sources).exists() else []
        loc = source.location(("against",)) if source else Location(relative(positions_path(info)))
        problems.add(loc, f"'against: {name}' is not a frozen version{_guess(name, frozen)}: expected the version "
                     f"the group's decisions went into ({', '.join(frozen) or 'none frozen'}) or '{WORKING}'")
        return None
    return _frozen(sources, name, problems)


def _read_answers(sources: Path, info: RoundInfo, version: Optional[VersionIndex],
                  problems: Problems) -> dict[str, CommentInfo]:
    """Every comment of the round (answers.load_answers checks the files), with its clause in the round's version."""
    from .answers import answer_path, is_removed, load_answers

    book = info.book
    docs = list(version.documents) if version else []
    order = {cid: i for i, cid in enumerate(version.clauses)} if version else {}
    found: dict[str, CommentInfo] = {}
    for n, answer in enumerate(load_answers(sources, info, problems)):
        path = answer_path(sources, info.id, answer.party)
        shown = relative(path)
        who = book.answerer(answer.party)
        source: list[Optional[YamlFile]] = []

        def at(*key) -> Location:  # the file is parsed again only to place a problem
            if not source:
                source.append(read_yaml(path, shown, Problems()))
            return source[0].location(key) if source[0] else Location(shown)

        for i, c in enumerate(answer.comments):
            if c.id in found:
                continue  # a duplicate id: load_answers reported it
            clause = version.clauses.get(c.clause) if c.clause and version is not None else None
            if c.clause and version is not None and clause is None:
                problems.add(at("comments", i, "clause"), f"unknown clause '{c.clause}'{_guess(c.clause, order)}: "
                             f"expected a clause id of version '{info.source.version}', the version the round sent",
                             where=c.id)
            if c.document and version is not None and c.document not in docs:
                problems.add(at("comments", i, "document"), f"unknown document '{c.document}'"
                             f"{_guess(c.document, docs)}: expected one of {', '.join(docs)}", where=c.id)
            document = clause.doc if clause else c.document
            doc_rank = docs.index(document) if document in docs else len(docs)
            found[c.id] = CommentInfo(
                c, answer.party, who.name if who else answer.party, answer.on_behalf_of, shown, document,
                clause.label if clause else None, clause.title if clause else None, is_removed(c),
                (doc_rank, order.get(c.clause, -1) if clause else -1, n, i))
    return dict(sorted(found.items(), key=lambda item: item[1].order))


def _check_positions(data: RoundPositions) -> None:
    """Positions name existing comments (each at most once) and existing clauses, with a motivering."""
    problems = data.problems
    positions = data.positions
    if positions.round != data.info.id:
        problems.add(data.location("round"), f"positions name round '{positions.round}' but belong to round "
                     f"'{data.info.id}': expected 'round: {data.info.id}'")
    first: dict[str, tuple[int, int]] = {}  # locations are computed only for problems: each one scans the file
    answers = relative(data.info.folder / ANSWERS_DIR)
    for i, p in enumerate(positions.positions):
        for j, cid in enumerate(p.comments):
            if cid not in data.comments:
                problems.add(data.location("positions", i, "comments", j), f"unknown comment '{cid}'"
                             f"{_guess(cid, data.comments)}: expected a comment id from the answers in {answers}/",
                             where=cid)
            if cid in first:
                line = data.location("positions", *first[cid][:1], "comments", *first[cid][1:]).line
                problems.add(data.location("positions", i, "comments", j), f"comment '{cid}' is covered by two "
                             f"positions (first at line {line}): a comment has one position; remove it from one of "
                             "them", where=cid)
            else:
                first[cid] = (i, j)
        for j, clause in enumerate(p.clauses):
            if clause not in data.clause_ids:
                problems.add(data.location("positions", i, "clauses", j), f"unknown clause '{clause}'"
                             f"{_guess(clause, data.clause_ids)}: expected a clause id of the round's version "
                             f"'{data.info.source.version}' or of the working sources", where=clause)
        if not p.reason.strip():
            problems.add(data.location("positions", i, "reason"), "empty motivering: every position needs the "
                         "group's reason, as printed in the remissammanställning")


def check_positions(sources: Path, info: RoundInfo, working: Corpus, problems: Problems) -> RoundPositions:
    """`avtal check` for one round's answers and positions (problems added to `problems`)."""
    return load_round_positions(sources, info.id, working=working, problems=problems, info=info)


# ---- writing stallningstaganden.yaml ------------------------------------------------------------

def _key(p: Position) -> Key:
    return (p.status, _norm(p.reason), tuple(p.clauses))


def _norm(text: Optional[str]) -> str:
    """Text as compared: line ends unified, no trailing spaces, no surrounding blank lines."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _position(comments: Iterable[str], key: Key) -> Position:
    return Position(comments=tuple(comments), status=key[0], reason=key[1], clauses=key[2])  # type: ignore[arg-type]


@dataclass
class _Applied:
    positions: list[Position]
    moved: dict[str, Key]  # comment → the (different) position it had before


def apply_updates(positions: Iterable[Position], updates: dict[str, Optional[Key]]) -> _Applied:
    """Give each comment in `updates` its new position (None: no position), keeping everything else.

    A position all of whose comments get the same new key is updated in place; a comment whose
    key does not change stays where it is; other updated comments leave their position and join
    one with the same key, or form a new one at the end. Updated positions that end up with the
    key of an earlier one merge into it.
    """
    positions = list(positions)
    before = {cid: _key(p) for p in positions for cid in p.comments}
    moved = {cid: before[cid] for cid, key in updates.items() if cid in before and before[cid] != key}
    out: list[Position] = []
    touched: set[int] = set()
    handled: set[str] = set()
    for p in positions:
        own = _key(p)
        changed = [c for c in p.comments if c in updates and updates[c] != own]
        keys = {updates[c] for c in changed}
        if changed and len(changed) == len(p.comments) and len(keys) == 1 and None not in keys:
            key = keys.pop()
            touched.add(len(out))
            out.append(_position(p.comments, key))  # type: ignore[arg-type]
            handled.update(changed)
            continue
        keep = [c for c in p.comments if c not in changed]
        handled.update(c for c in keep if c in updates)
        if keep:
            out.append(p.model_copy(update={"comments": tuple(keep)}) if len(keep) < len(p.comments) else p)
    by_key: dict[Key, int] = {}
    for j, p in enumerate(out):
        by_key.setdefault(_key(p), j)
    joining: dict[int, list[str]] = {}
    for cid, key in updates.items():
        if cid in handled or key is None:
            continue
        j = by_key.get(key)
        if j is None:
            j = by_key[key] = len(out)
            out.append(_position([cid], key))
        else:
            joining.setdefault(j, []).append(cid)
        touched.add(j)
    for j, more in joining.items():
        out[j] = out[j].model_copy(update={"comments": (*out[j].comments, *more)})
    merged: list[Position] = []
    first: dict[Key, int] = {}
    for i, p in enumerate(out):
        j = first.get(_key(p))
        if j is not None and i in touched:
            merged[j] = merged[j].model_copy(update={"comments": (*merged[j].comments, *p.comments)})
            continue
        first.setdefault(_key(p), len(merged))
        merged.append(p)
    return _Applied(merged, moved)


def _header(source: Optional[YamlFile]) -> tuple[str, int]:
    """The comment block at the top of the file (kept), and how many comment lines below it are lost."""
    if source is None:
        return SCHEMA_LINE + NEW_FILE_HEADER, 0
    lines = source.text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
        n += 1
    header = "".join(lines[:n]).rstrip("\n") + "\n" if n else ""
    if "$schema=" not in header:
        header = SCHEMA_LINE + header
    in_text: set[int] = set()
    for node in source.values.values():
        if getattr(node, "style", None) in ("|", ">"):
            in_text.update(range(node.start_mark.line, node.end_mark.line + 1))
    dropped = sum(1 for i, line in enumerate(lines[n:], start=n)
                  if i not in in_text and re.match(r"\s*#", line))
    return header, dropped


def dump_positions(positions: Positions, header: str = SCHEMA_LINE) -> str:
    """The canonical text of stallningstaganden.yaml: fixed key order, short id lists on one line."""
    from ..model.dump import _FlowList, _yaml  # the house YAML style (literal blocks, quoting, no aliases)

    def ids(values: tuple[str, ...]):
        return _FlowList(values) if len(", ".join(values)) <= 80 else list(values)

    data: dict = {"round": positions.round}
    if positions.against:
        data["against"] = positions.against
    items = []
    for p in positions.positions:
        item = {"comments": ids(p.comments), "status": p.status, "reason": _norm(p.reason)}
        if p.clauses:
            item["clauses"] = ids(p.clauses)
        items.append(item)
    data["positions"] = items
    return header + _yaml(data)


def _write(data: RoundPositions, positions: list[Position]) -> int:
    """Write the file; returns how many comment lines below the header were dropped."""
    header, dropped = _header(data.source)
    tidy = tuple(p.model_copy(update={"reason": _norm(p.reason)}) for p in positions)
    model = data.positions.model_copy(update={"positions": tidy})
    atomic_write_text(data.path, dump_positions(model, header))
    return dropped


# ---- avtal remiss position ---------------------------------------------------------------------

@dataclass
class PositionReport:
    """What `set_position` did; str() is the summary the command prints."""

    file: str
    comments: tuple[str, ...]
    status: str
    clauses: tuple[str, ...]
    covering: tuple[str, ...]  # all comments of the position they now share
    moved: dict[str, str] = field(default_factory=dict)  # comment → the position it had before, in words
    unchanged: bool = False
    dropped_comment_lines: int = 0

    def __str__(self) -> str:
        ids = ", ".join(self.comments)
        if self.unchanged:
            return f"{ids}: already '{self.status}' with this motivering; {self.file} unchanged"
        lines = [f"{ids}: '{self.status}'" + (f", clauses {', '.join(self.clauses)}" if self.clauses else "")
                 + f" → {self.file}"]
        others = [c for c in self.covering if c not in self.comments]
        if others:
            lines.append(f"  shares its position with {', '.join(others)} (same status, motivering and clauses)")
        for cid, old in self.moved.items():
            lines.append(f"  moved {cid} from its earlier position ({old})")
        if self.dropped_comment_lines:
            lines.append(f"  note: {self.dropped_comment_lines} comment line(s) below the file's header were not kept "
                         "(the file is rewritten in canonical form)")
        return "\n".join(lines)


@writes_round("position")
def set_position(sources: Path, round_id: str, comments: list[str], *, status: str, reason: str,
                 clauses: Iterable[str] = ()) -> PositionReport:
    """Record one position for the given comments (moving any of them from the position it had)."""
    data = load_round_positions(sources, round_id)
    data.raise_errors()
    where = Location("command line")
    problems = Problems()
    comments = list(dict.fromkeys(comments))
    clauses = tuple(dict.fromkeys(clauses))
    answers = relative(data.info.folder / ANSWERS_DIR)
    for cid in comments:
        if cid not in data.comments:
            problems.add(where, f"unknown comment '{cid}'{_guess(cid, data.comments)}: expected a comment id from the "
                         f"answers in {answers}/", where=cid)
    for clause in clauses:
        if clause not in data.clause_ids:
            problems.add(where, f"unknown clause '{clause}'{_guess(clause, data.clause_ids)}: expected a clause id of "
                         f"the round's version '{data.info.source.version}' or of the working sources", where=clause)
    if status not in POSITION_STATUSES:
        problems.add(where, f"unknown status '{status}': expected one of {', '.join(POSITION_STATUSES)}")
    if not _norm(reason):
        problems.add(where, "empty --motivering: every position needs the group's reason")
    if problems:
        raise SourceError(problems)
    key: Key = (status, _norm(reason), clauses)
    old = list(data.positions.positions)
    applied = apply_updates(old, {cid: key for cid in comments})
    covering = next(p.comments for p in applied.positions if comments[0] in p.comments)
    owner = data.owner()
    moved = {}
    for cid, k in applied.moved.items():
        shared = [c for c in old[owner[cid]].comments if c not in comments]
        moved[cid] = f"'{k[0]}'" + (f", shared with {', '.join(shared)}" if shared else "")
    report = PositionReport(data.shown, tuple(comments), status, clauses, covering, moved)
    if applied.positions == old and data.source is not None:
        report.unchanged = True
        return report
    report.dropped_comment_lines = _write(data, applied.positions)
    return report


# ---- Excel: export and import ------------------------------------------------------------------

SHEET = "Ställningstaganden"
META_SHEET = "avtal"
FORMAT = "avtal-stallningstaganden-1"
# (header, width, wrap); the position columns come last, then the hidden digest.
COLUMNS = [
    ("Kommentar", 16, False), ("Part", 24, True), ("Dokument", 18, True), ("Avsnitt", 9, False),
    ("Rubrik", 26, True), ("Partens ställningstagande", 14, True), ("Synpunkt", 60, True), ("Förslag", 40, True),
    ("Grupp", 8, False), ("Status", 16, False), ("Motivering", 60, True), ("Ändrade avsnitt", 28, True),
    ("Kontrollsumma", 18, False),
]
HEAD = {name: i + 1 for i, (name, _, _) in enumerate(COLUMNS)}
ID, GROUP, STATUS, REASON, CLAUSES, DIGEST = ("Kommentar", "Grupp", "Status", "Motivering", "Ändrade avsnitt",
                                              "Kontrollsumma")


def default_export_path(round_id: str, dist: Path = Path("dist")) -> Path:
    return dist / "remiss" / round_id / "stallningstaganden.xlsx"


def digest(key: Optional[Key]) -> str:
    """A short digest of a comment's position (or of having none), kept in the hidden column at export."""
    value = ["", "", []] if key is None else [key[0], _norm(key[1]), list(key[2])]
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


@dataclass
class ExportReport:
    path: Path
    rows: int
    with_position: int
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"wrote {self.path}: {self.rows} comment(s), {self.with_position} with a position, "
                f"{self.rows - self.with_position} open; fill in Status, Motivering and Ändrade avsnitt, then "
                f"`avtal remiss import-positions ROUND {self.path.name}`")


@writes_round("export")  # it writes into dist/remiss/ROUND/, which pack and report swap whole
def export_positions(sources: Path, round_id: str, output: Optional[Path] = None) -> ExportReport:
    """Write the .xlsx of every comment with the position columns (pre-filled with existing positions)."""
    import time

    started = time.perf_counter()
    data = load_round_positions(sources, round_id)
    data.raise_errors()
    path = output or default_export_path(round_id)
    raw, rows, decided = _workbook_bytes(data)
    atomic_write_bytes(path, raw)
    return ExportReport(path, rows, decided, time.perf_counter() - started)


def _text(cell, value: Optional[str]) -> None:
    """A cell holding text as text: never a formula (party text may begin with '='), no control characters."""
    if value is None or value == "":
        return
    cell.value = cell_text(value)
    cell.data_type = "s"


def _workbook_bytes(data: RoundPositions) -> tuple[bytes, int, int]:
    """The workbook's bytes, its number of comment rows and how many of them have a position."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.writer.excel import ExcelWriter

    from ..render.wording import GROUP as AUTHOR, round_name

    when = data.version.when() if data.version else dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    positions = data.positions.positions
    owner = data.owner()
    labels = {i: f"S{i + 1}" for i, p in enumerate(positions) if len(p.comments) > 1}
    titles = data.version.short_titles if data.version else {}

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE7F0")
    for col, (name, width, wrap) in enumerate(COLUMNS, start=1):
        cell = ws.cell(1, col)
        _text(cell, name)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    shown = [info for info in data.comments.values() if not info.removed or info.id in owner]
    for row, info in enumerate(shown, start=2):
        c = info.comment
        i = owner.get(c.id)
        p = positions[i] if i is not None else None
        values = {
            "Kommentar": c.id, "Part": info.party_name, "Dokument": titles.get(info.document or "", info.document),
            "Avsnitt": info.number or ("allmän" if not info.document else "hela dokumentet"), "Rubrik": info.heading,
            "Partens ställningstagande": c.stance, "Synpunkt": _norm(c.text), "Förslag": _norm(c.proposal) or None,
            "Grupp": labels.get(i) if i is not None else None, "Status": p.status if p else None,
            "Motivering": _norm(p.reason) if p else None, "Ändrade avsnitt": ", ".join(p.clauses) if p else None,
            "Kontrollsumma": digest(_key(p) if p else None),
        }
        for col, (name, _, wrap) in enumerate(COLUMNS, start=1):
            cell = ws.cell(row, col)
            _text(cell, values[name])
            cell.alignment = wrapped if wrap else top
    last = max(2, len(shown) + 1)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"  # the digest too, so sorting keeps it
    ws.column_dimensions[get_column_letter(HEAD[DIGEST])].hidden = True
    choice = DataValidation(type="list", formula1='"' + ",".join(POSITION_STATUSES) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Okänd status",
                            error="Välj beaktad, delvis beaktad, ej beaktad eller noterad.",
                            showInputMessage=True, promptTitle="Status", prompt="Arbetsgruppens ställningstagande")
    choice.add(f"{get_column_letter(HEAD[STATUS])}2:{get_column_letter(HEAD[STATUS])}{last}")
    ws.add_data_validation(choice)
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for r, (k, v) in enumerate((("format", FORMAT), ("round", data.info.id),
                                ("positions", relative(data.path))), start=1):
        _text(meta.cell(r, 1), k)
        _text(meta.cell(r, 2), v)
    props = wb.properties
    stamp = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    props.created = props.modified = stamp
    props.creator = props.lastModifiedBy = AUTHOR
    props.title = f"Ställningstaganden {round_name(data.info.source)}"
    props.subject = data.info.source.title
    props.language = "sv-SE"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # not save_workbook: it stamps `modified` with now()
    return finish_xlsx(buffer.getvalue(), when), len(shown), sum(1 for info in shown if info.id in owner)


# -- import --

@dataclass
class ImportPositionsReport:
    """What `import_positions` did; str() is the summary the command prints."""

    file: str
    positions_file: str
    rows: int
    changed: tuple[str, ...]  # comments whose position the sheet changed
    removed: tuple[str, ...]  # comments whose position the sheet cleared
    kept_newer: tuple[str, ...]  # rows left unedited whose position changed in the file since export
    missing: int  # comments of the round not in the sheet (left as they are)
    positions: int  # positions in the file afterwards
    dropped_comment_lines: int = 0

    def __str__(self) -> str:
        if not self.changed and not self.removed:
            head = f"read {self.rows} row(s) from {self.file}: nothing changed; {self.positions_file} unchanged"
        else:
            head = (f"read {self.rows} row(s) from {self.file}: {len(self.changed)} position(s) set, "
                    f"{len(self.removed)} cleared → {self.positions_file} ({self.positions} position(s))")
        lines = [head]
        if self.kept_newer:
            lines.append(f"  kept the file's newer position for {len(self.kept_newer)} unedited row(s): "
                         + ", ".join(self.kept_newer))
        if self.missing:
            lines.append(f"  {self.missing} comment(s) of the round are not in the sheet and were left as they are")
        if self.dropped_comment_lines:
            lines.append(f"  note: {self.dropped_comment_lines} comment line(s) below the file's header were not kept")
        return "\n".join(lines)


@dataclass
class _Row:
    number: int
    comment: str
    group: str
    status: str
    reason: str
    clauses: tuple[str, ...]
    digest: str
    ok: bool  # no problem found in the row itself
    cols: dict[str, int]  # header → 1-based column

    @property
    def key(self) -> Optional[Key]:
        return (self.status, self.reason, self.clauses) if self.status else None


@writes_round("import-positions")
def import_positions(sources: Path, round_id: str, file: Path) -> ImportPositionsReport:
    """Read positions back from a filled .xlsx; refuses unknown ids and conflicting edits, writing nothing."""
    data = load_round_positions(sources, round_id)
    data.raise_errors()
    shown = relative(file)
    problems = Problems()
    book = _open_workbook(file, shown, problems)
    if book is None:
        raise SourceError(problems)
    rows = _read_rows(book, shown, data, problems)
    current = {cid: _key(data.positions.positions[i]) for cid, i in data.owner().items()}
    updates: dict[str, Optional[Key]] = {}
    kept_newer: list[str] = []
    for row in rows:
        if not row.ok:
            continue
        now = current.get(row.comment)
        if not re.fullmatch(r"[0-9a-f]{16}", row.digest):  # a row added by hand: nothing to compare with
            if now is not None and row.key != now:
                problems.add(Location(shown, row.number, row.cols[DIGEST]),
                             f"row {row.number} ({row.comment}) has no export digest (a row added by hand?) and "
                             f"{data.shown} already has a position for it ({_say(now)}), unlike the row "
                             f"({_say(row.key)}): edit the comment's exported row instead", where=row.comment)
            elif row.key != now:
                updates[row.comment] = row.key
            continue
        edited = digest(row.key) != row.digest
        changed_in_file = digest(now) != row.digest
        if not edited:
            if changed_in_file:
                kept_newer.append(row.comment)
            continue
        if changed_in_file and row.key != now:
            problems.add(Location(shown, row.number, row.cols[STATUS]),
                         f"row {row.number} ({row.comment}): conflicting edits: the position changed in "
                         f"{data.shown} since this sheet was exported (now {_say(now)}) and the row was edited too "
                         f"({_say(row.key)}); export again and redo the row, or make it agree with the file",
                         where=row.comment)
            continue
        if row.key != now:
            updates[row.comment] = row.key
    if problems:
        raise SourceError(problems)
    old = list(data.positions.positions)
    applied = apply_updates(old, updates)
    report = ImportPositionsReport(shown, data.shown, len(rows), tuple(c for c, k in updates.items() if k),
                                   tuple(c for c, k in updates.items() if k is None), tuple(kept_newer),
                                   len(set(data.comments) - {r.comment for r in rows}),
                                   len(applied.positions))
    if updates:
        report.dropped_comment_lines = _write(data, applied.positions)
    return report


def _say(key: Optional[Key]) -> str:
    if key is None:
        return "no position"
    reason = key[1] if len(key[1]) <= 60 else key[1][:57] + "…"
    return f"'{key[0]}', motivering “{reason}”" + (f", clauses {', '.join(key[2])}" if key[2] else "")


def _open_workbook(file: Path, shown: str, problems: Problems):
    """Open a workbook that a person sent back, after checking it as the untrusted zip it is.

    Before openpyxl reads a byte, `untrusted` checks the archive the way it checks a party's
    Word file (size, member names, lying size headers, packing ratio, total unpacked size:
    zip bombs) and we refuse any DTD or entity declaration in any XML part. That matters
    because openpyxl parses sheets with the standard library's expat: it would use
    defusedxml, but that is not installed; expat ≥ 2.4 (2.5 here) limits entity expansion, and
    with no DTD at all (Excel and LibreOffice never write one) there is nothing to expand or fetch.
    """
    from openpyxl import load_workbook

    from .untrusted import _DOCTYPE_MARKERS, LIMITS, UntrustedFileError, _read_bounded, _Zip

    def refuse(what: str) -> None:
        problems.add(Location(shown), f"cannot read {shown}: {what}; expected the .xlsx written by "
                     "`avtal remiss export`, filled in and saved by Excel or LibreOffice")

    try:
        raw = _read_bounded(file, LIMITS)
        if not raw.startswith(b"PK\x03\x04"):
            refuse("it is not an .xlsx (zip) file")
            return None
        archive = _Zip.open(file, raw, LIMITS)
        for name in archive.names:
            part = archive.read(name)
            if part and name.lower().endswith((".xml", ".rels", ".vml")) and any(m in part for m in _DOCTYPE_MARKERS):
                refuse(f"part {name} declares a DTD or entities, which spreadsheets never do")
                return None
    except UntrustedFileError as exc:
        refuse(exc.reason)
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops; we read values only
            return load_workbook(io.BytesIO(raw), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook; each is the user's file
        refuse(f"the workbook does not open ({exc.__class__.__name__}: {exc})")
        return None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _norm(str(value))


def _real_rows(ws) -> list[tuple[int, tuple]]:
    """(row number, values) of the rows that hold a cell, from the cells the file really has.

    Not `iter_rows`: it walks the sheet's whole extent, so one stray cell at M1048576
    would make it build a million empty rows (minutes and gigabytes); this costs what
    the file holds, which `untrusted` has bounded.
    """
    rows: dict[int, dict[int, object]] = {}
    for (row, column), cell in ws._cells.items():  # openpyxl's own store of the cells read from the file
        if cell.value is not None and column <= MAX_COLUMNS:
            rows.setdefault(row, {})[column] = cell.value
    return [(row, tuple(cells.get(c) for c in range(1, max(cells) + 1))) for row, cells in sorted(rows.items())]


MAX_COLUMNS = 256  # the sheet has 13; cells further right than this are no position of ours (ignored)


def _read_rows(book, shown: str, data: RoundPositions, problems: Problems) -> list[_Row]:
    """The sheet's rows, every problem collected (unknown ids, statuses and clauses, disagreeing groups)."""
    if SHEET not in book.sheetnames:
        problems.add(Location(shown), f"no sheet '{SHEET}' in {shown}: expected the workbook written by "
                     f"`avtal remiss export` (sheets: {', '.join(book.sheetnames)})")
        return []
    if META_SHEET in book.sheetnames:
        meta = {_cell(r[0]): _cell(r[1] if len(r) > 1 else None) for _, r in _real_rows(book[META_SHEET])}
        if meta.get("round") and meta["round"] != data.info.id:
            problems.add(Location(shown), f"{shown} was exported for round '{meta['round']}', not '{data.info.id}': "
                         f"import it with `avtal remiss import-positions {meta['round']} …`")
            return []
    ws = book[SHEET]
    sheet_rows = _real_rows(ws)
    header = [_cell(v) for v in (sheet_rows[0][1] if sheet_rows and sheet_rows[0][0] == 1 else ())]
    cols: dict[str, int] = {}
    for i, name in enumerate(header):
        cols.setdefault(name, i)
    missing = [name for name in (ID, GROUP, STATUS, REASON, CLAUSES, DIGEST) if name not in cols]
    if missing:
        problems.add(Location(shown, 1, 1), f"sheet '{SHEET}' lacks the column(s) {', '.join(missing)} in its first "
                     "row: keep the exported header row (the hidden column Kontrollsumma too); export again if lost")
        return []
    statuses = {s.casefold(): s for s in POSITION_STATUSES}
    rows: list[_Row] = []
    first_row: dict[str, int] = {}
    for number, values in sheet_rows:
        if number < 2:
            continue
        get = lambda name: _cell(values[cols[name]]) if cols[name] < len(values) else ""  # noqa: E731
        cid = get(ID)
        status_text, reason, clause_text = get(STATUS), get(REASON), get(CLAUSES)
        if not cid:
            if status_text or reason or clause_text:
                problems.add(Location(shown, number, cols[ID] + 1), f"row {number} has a position but no comment id "
                             f"in column {ID}: expected the id of the comment it answers")
            continue
        if cid not in data.comments:
            problems.add(Location(shown, number, cols[ID] + 1), f"row {number}: unknown comment '{cid}'"
                         f"{_guess(cid, data.comments)}: expected a comment id of round '{data.info.id}'", where=cid)
            continue
        if cid in first_row:
            problems.add(Location(shown, number, cols[ID] + 1), f"row {number}: comment '{cid}' is also in row "
                         f"{first_row[cid]}: each comment may have one row", where=cid)
            continue
        first_row[cid] = number
        before = len(problems)
        status = statuses.get(status_text.casefold(), "")
        if status_text and not status:
            problems.add(Location(shown, number, cols[STATUS] + 1), f"row {number} ({cid}): unknown status "
                         f"'{status_text}': expected one of {', '.join(POSITION_STATUSES)} (or empty for no position)",
                         where=cid)
        clauses = tuple(dict.fromkeys(x for x in re.split(r"[,;\s]+", clause_text) if x))
        for clause in clauses:
            if clause not in data.clause_ids:
                problems.add(Location(shown, number, cols[CLAUSES] + 1), f"row {number} ({cid}): unknown clause "
                             f"'{clause}'{_guess(clause, data.clause_ids)}: expected clause ids of the round's "
                             f"version '{data.info.source.version}' or of the working sources, separated by commas",
                             where=cid)
        if status and not reason:
            problems.add(Location(shown, number, cols[REASON] + 1), f"row {number} ({cid}): status '{status}' but no "
                         "motivering: every position needs the group's reason", where=cid)
        if not status_text and (reason or clauses):
            problems.add(Location(shown, number, cols[STATUS] + 1), f"row {number} ({cid}): a motivering or clauses "
                         f"but no status: choose one of {', '.join(POSITION_STATUSES)}, or clear the row", where=cid)
        rows.append(_Row(number, cid, get(GROUP), status, reason if status else "", clauses if status else (),
                         get(DIGEST), len(problems) == before, {k: v + 1 for k, v in cols.items()}))
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        if row.group:
            groups.setdefault(row.group, []).append(row)
    for label, members in groups.items():
        variants: dict[Optional[Key], list[int]] = {}
        for row in members:
            variants.setdefault(row.key, []).append(row.number)
        if len(variants) > 1:
            told = "; ".join(f"row{'s' * (len(n) > 1)} {', '.join(map(str, n))}: {_say(k)}"
                             for k, n in variants.items())
            problems.add(Location(shown, members[0].number, cols[GROUP] + 1),
                         f"group {label} (one position at export) has rows that disagree — {told}; give every row "
                         f"of the group the same status, motivering and clauses, or clear the Grupp cell of a row "
                         "that should get a position of its own", where=label)
    return rows


def _guess(word: str, candidates) -> str:
    close = get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
