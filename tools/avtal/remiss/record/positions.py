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

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from ...fsutil import atomic_write_text
from ...model.corpus import Corpus, load
from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import (ANSWERS_DIR, POSITION_STATUSES, POSITIONS_FILE, Comment, Position, Positions, RoundInfo,
                             _guess, load_round)
from ...model.validate import validate
from ...model.versions import VERSION_FILE, WORKING, versions_dir
from ...model.yamlfile import YamlFile, read_yaml
from .lock import writes_round
from .version_index import VersionIndex, version_index

SCHEMA_LINE = "# yaml-language-server: $schema=../../schema/positions.schema.json\n"
NEW_FILE_HEADER = (
    "# The working group's ställningstaganden, keyed by comment id (never touched by `avtal remiss import`).\n"
    "# Written by `avtal remiss position` and `avtal remiss import-positions`, which keep this header but not\n"
    "# comment lines further down.\n"
)
Key = tuple[str, str, tuple[str, ...]]  # (status, motivering, clauses): what makes two positions one


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

def position_key(p: Position) -> Key:
    return (p.status, as_compared(p.reason), tuple(p.clauses))


def as_compared(text: Optional[str]) -> str:
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
    before = {cid: position_key(p) for p in positions for cid in p.comments}
    moved = {cid: before[cid] for cid, key in updates.items() if cid in before and before[cid] != key}
    out: list[Position] = []
    touched: set[int] = set()
    handled: set[str] = set()
    for p in positions:
        own = position_key(p)
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
        by_key.setdefault(position_key(p), j)
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
        j = first.get(position_key(p))
        if j is not None and i in touched:
            merged[j] = merged[j].model_copy(update={"comments": (*merged[j].comments, *p.comments)})
            continue
        first.setdefault(position_key(p), len(merged))
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
    from ...model.dump import _FlowList, _yaml  # the house YAML style (literal blocks, quoting, no aliases)

    def ids(values: tuple[str, ...]):
        return _FlowList(values) if len(", ".join(values)) <= 80 else list(values)

    data: dict = {"round": positions.round}
    if positions.against:
        data["against"] = positions.against
    items = []
    for p in positions.positions:
        item = {"comments": ids(p.comments), "status": p.status, "reason": as_compared(p.reason)}
        if p.clauses:
            item["clauses"] = ids(p.clauses)
        items.append(item)
    data["positions"] = items
    return header + _yaml(data)


def write_positions(data: RoundPositions, positions: list[Position]) -> int:
    """Write the file; returns how many comment lines below the header were dropped."""
    header, dropped = _header(data.source)
    tidy = tuple(p.model_copy(update={"reason": as_compared(p.reason)}) for p in positions)
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
    if not as_compared(reason):
        problems.add(where, "empty --motivering: every position needs the group's reason")
    if problems:
        raise SourceError(problems)
    key: Key = (status, as_compared(reason), clauses)
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
    report.dropped_comment_lines = write_positions(data, applied.positions)
    return report
