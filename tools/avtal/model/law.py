"""Statute snapshots and the pinpoint check: does "16 kap. 3 §" exist, and is it in force then?

`sources/lagar/<id>.yaml` records, for a statute of statutes.yaml, every
chapter and every version of every section with the dates it is in force and
its text. It is generated from consolidated texts by tools/lagar_snapshot.py
and committed, so checking and the web edition never need the texts
themselves. `check_pinpoints` verifies each citation against the date the
citing document applies from (and a frozen version's own date).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from ..fsutil import cached_pickle
from .problems import Location, Problems, Severity, relative
from .schema import Statute
from .text import Cite

LAGAR_DIR = "lagar"

def number(text: str | int) -> str:
    """'8a', '8 a' and 8 as written by people → the one form the snapshot uses: '8 a', '8'."""
    return re.sub(r"(\d)\s*([a-z])$", r"\1 \2", str(text).strip())


def _order(value: str) -> tuple[int, str]:
    digits, _, letter = value.partition(" ")
    return int(digits), letter


@dataclass(frozen=True)
class Provision:
    """One version of one section: in force from `start` (inclusive) to `end` (exclusive)."""

    chapter: str | None
    section: str
    start: dt.date
    end: dt.date | None
    repealed: bool
    text: str

    def in_force(self, day: dt.date) -> bool:
        if self.repealed and self.end is None:
            return False  # repealed on a date the consolidated text does not give
        return self.start <= day and (self.end is None or day < self.end)

    @property
    def pinpoint(self) -> str:
        return f"{self.chapter} kap. {self.section} §" if self.chapter else f"{self.section} §"

    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


@dataclass(frozen=True)
class Snapshot:
    """What the project knows of one statute: its structure and section texts, with provenance."""

    law: str
    sfs: str
    title: str
    consolidated: dt.date
    in_force: dt.date
    chapters: tuple[tuple[str, str], ...]  # (number, title)
    provisions: tuple[Provision, ...]
    file: str

    def versions(self, chapter: str | None, section: str) -> list[Provision]:
        return [p for p in self.provisions if p.chapter == chapter and p.section == section]

    def provision(self, chapter: str | None, section: str, day: dt.date) -> Provision | None:
        """The version of a section in force on `day`, if any."""
        return next((p for p in self.versions(chapter, section) if p.in_force(day)), None)

    def chapter_numbers(self) -> list[str]:
        return sorted({c for c, _ in self.chapters}, key=_order)

    def sections(self, chapter: str | None) -> list[str]:
        return sorted({p.section for p in self.provisions if p.chapter == chapter}, key=_order)


def snapshot_folder(sources: Path) -> Path:
    """sources/lagar/; a frozen version without its own uses that of the sources it belongs to."""
    own = sources / LAGAR_DIR
    if not own.exists() and sources.parent.name == "versions":
        return sources.parent.parent / LAGAR_DIR
    return own


_CACHE: dict[tuple[str, int, int], Snapshot] = {}  # a check reads the same snapshots for every frozen version
_CODE = Path(__file__).read_bytes()  # the on-disk cache keeps Snapshots: a change to this module is a miss


def _fields(text: str) -> dict:
    """A snapshot's YAML reduced to plain values."""
    import yaml  # only here: a kept snapshot (or a kept Corpus) is unpickled without the YAML loader

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ValueError(f"not YAML: {exc}") from None
    sections = [[s["chapter"], s["section"], s["from"], s.get("until"), bool(s.get("repealed")), str(s["text"])]
                for s in data["sections"]]
    if not all(isinstance(s[2], dt.date) for s in sections):
        raise TypeError("a section without a 'from' date")
    return {"law": str(data["law"]), "sfs": str(data["sfs"]), "title": str(data["title"]),
            "consolidated": data["source"]["consolidated"].isoformat(), "in_force": data["in_force"].isoformat(),
            "chapters": [[c["chapter"], str(c["title"])] for c in data["chapters"]],
            "sections": [[chapter, section, start.isoformat(), end and end.isoformat(), repealed, text]
                         for chapter, section, start, end, repealed, text in sections]}


def _snapshot(fields: dict, shown: str) -> Snapshot:
    day = dt.date.fromisoformat
    provisions = tuple(Provision(None if chapter is None else number(chapter), number(section), day(start),
                                 end and day(end), repealed, text)
                       for chapter, section, start, end, repealed, text in fields["sections"])
    return Snapshot(fields["law"], fields["sfs"], fields["title"], day(fields["consolidated"]), day(fields["in_force"]),
                    tuple((number(c), title) for c, title in fields["chapters"]), provisions, shown)


Keep = Callable[[str, Callable[[], Snapshot]], Snapshot]  # (content key, make) -> the snapshot


def _made(name: str, make: Callable[[], Snapshot]) -> Snapshot:
    return make()


def read_snapshot(path: Path, problems: Problems, root: Path | None = None, keep: Keep = _made) -> Snapshot | None:
    """Read one generated snapshot; a damaged one is a problem naming the file, never a traceback.

    Parsing the YAML of a large statute is most of a check's load time, so the snapshot is kept (pickled:
    ~3x faster to read back than its fields as JSON) under .build-cache/lagar/, keyed by the file's content
    hash and this module's code (an edited file is parsed anew). `keep(name, make)` may hand back the one
    made under that content key before (`corpus.Memo`: the last load's, already unpickled with it).
    """
    shown = relative(path, root)
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key in _CACHE:
            return _CACHE[key]
        raw = path.read_bytes()
        name = f"{path.stem}-{hashlib.sha256(_CODE + raw).hexdigest()[:32]}"

        def make() -> Snapshot:
            kept = cached_pickle(path.parent.parent, LAGAR_DIR, name,
                                 lambda: _snapshot(_fields(raw.decode("utf-8")), ""))
            if not isinstance(kept, Snapshot):  # not ours: the file decides
                kept = _snapshot(_fields(raw.decode("utf-8")), "")
            return replace(kept, file=shown)

        snapshot = _CACHE[key] = keep(f"{name}\0{shown}", make)
        return snapshot
    except (OSError, KeyError, TypeError, AttributeError, ValueError) as exc:
        problems.add(Location(shown), f"unreadable statute snapshot ({exc.__class__.__name__}: {exc}): expected the "
                     "output of tools/lagar_snapshot.py; regenerate it (README, 'Statutes')")
        return None


def read_snapshots(folder: Path, laws: set[str], problems: Problems, root: Path | None = None,
                   keep: Keep = _made) -> dict[str, Snapshot]:
    """The snapshots of the given statute ids that exist in `folder`."""
    found: dict[str, Snapshot] = {}
    for law in sorted(laws):
        path = folder / f"{law}.yaml"
        if path.exists():
            snapshot = read_snapshot(path, problems, root, keep)
            if snapshot is not None:
                found[law] = snapshot
    return found


# ---- the check ---------------------------------------------------------------

@dataclass(frozen=True)
class Citation:
    """A cited pinpoint, where it is written, and the dates on which it must be in force."""

    cite: Cite
    locate: Callable[[], Location]  # where it is written: looked up only for a problem (`location`)
    where: str
    dates: tuple[tuple[dt.date, str], ...]  # (date, why that date), e.g. (2027-01-01, "the document applies from")

    @property
    def location(self) -> Location:
        return self.locate()


def _long(day: dt.date) -> str:
    return day.isoformat()


def _nearest(wanted: str, options: list[str]) -> str | None:
    """The existing number closest to the one written (a slip of a digit or a letter)."""
    if not options:
        return None
    try:
        target = _order(wanted)
    except ValueError:
        return options[0]
    return min(options, key=lambda o: (abs(_order(o)[0] - target[0]), _order(o)[1] != target[1]))


def _ranges(numbers: list[str]) -> str:
    """'1–18, 13 a, 16 a' for a list of chapter or section numbers."""
    plain = [int(n) for n in numbers if n.isdigit()]
    lettered = [n for n in numbers if not n.isdigit()]
    parts: list[str] = []
    start = prev = None
    for n in plain + [None]:  # type: ignore[list-item]
        if n is not None and prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(f"{start}–{prev}" if prev != start else str(start))
        start = prev = n
    return ", ".join(parts + lettered)


def problem_with(statute: Statute, snapshot: Snapshot, cite: Cite, day: dt.date, why: str) -> str | None:
    """What is wrong with a pinpoint on a date, or None when it exists and is in force."""
    name = f"{statute.name} ({statute.sfs})"
    if day < snapshot.in_force:
        return f"{name} is in force only from {_long(snapshot.in_force)}; {why} {_long(day)}"
    if cite.chapter is None and cite.section is None:
        return None
    chapter = None if cite.chapter is None else number(cite.chapter)
    if chapter is not None and chapter not in snapshot.chapter_numbers():
        guess = _nearest(chapter, snapshot.chapter_numbers())
        return (f"{name} has no {chapter} kap.: its chapters are {_ranges(snapshot.chapter_numbers())} "
                f"(snapshot {snapshot.file}){f'; did you mean {guess} kap.?' if guess else ''}")
    if cite.section is None:
        if any(p.in_force(day) for p in snapshot.provisions if p.chapter == chapter):
            return None
        return f"{chapter} kap. {name} has no section in force on {_long(day)}; {why} {_long(day)}"
    section = number(cite.section)
    pinpoint = f"{chapter} kap. {section} §" if chapter else f"{section} §"
    versions = snapshot.versions(chapter, section)
    if not versions:
        existing = snapshot.sections(chapter)
        guess = _nearest(section, existing)
        where = f"{chapter} kap." if chapter else name
        hint = f"; did you mean {f'{chapter} kap. ' if chapter else ''}{guess} §?" if guess else ""
        return f"{pinpoint} does not exist in {name}: {where} has §§ {_ranges(existing)}{hint}"
    if any(v.in_force(day) for v in versions):
        return None
    gone = [v for v in versions if v.repealed]
    if gone and all(v.repealed or (v.end is not None and v.end <= day) for v in versions):
        when = f" from {_long(gone[-1].end)}" if gone[-1].end else ""
        return (f"{pinpoint} {name} is repealed{when} ('{gone[-1].text[:60]}'): not in force on {_long(day)}; "
                f"{why} {_long(day)}")
    later = [v for v in versions if v.start > day]
    if later:
        return f"{pinpoint} {name} is in force only from {_long(later[0].start)}; {why} {_long(day)}"
    ended = max((v.end for v in versions if v.end is not None), default=None)
    return f"{pinpoint} {name} ceased to apply on {_long(ended) if ended else 'an earlier date'}; {why} {_long(day)}"


def check_pinpoints(citations: list[Citation], statutes: dict[str, Statute], snapshots: dict[str, Snapshot],
                    problems: Problems, *, severity: Severity = "error", group: bool = False) -> None:
    """Append a problem for each citation not in force on its dates; `group` reports one per message."""
    seen: dict[str, list[Citation]] = {}
    for citation in citations:
        statute, snapshot = statutes.get(citation.cite.law), snapshots.get(citation.cite.law)
        if statute is None or snapshot is None:
            continue  # unknown statutes are reported by the corpus; missing snapshots by missing_snapshots()
        cite = citation.cite
        if (cite.chapter is not None and not statute.chapters) or (statute.chapters and cite.chapter is None
                                                                   and cite.section is not None):
            continue  # a chapter where there are none, or a section without its chapter: the corpus says so
        for day, why in citation.dates:
            message = problem_with(statute, snapshot, citation.cite, day, why)
            if message is not None:
                seen.setdefault(message, []).append(citation)
                if not group:
                    problems.add(citation.location, message, where=citation.where, severity=severity)
                break
    if group:
        for message, cited in seen.items():
            more = f" (and {len(cited) - 1} more citation(s) of the same kind)" if len(cited) > 1 else ""
            problems.add(cited[0].location, message + more, where=cited[0].where, severity=severity)


def missing_snapshots(citations: list[Citation], statutes: dict[str, Statute], snapshots: dict[str, Snapshot],
                      locate, problems: Problems, folder: str = f"sources/{LAGAR_DIR}") -> None:
    """One warning per cited statute without a snapshot (a note when statutes.yaml says why there is none)."""
    cited: dict[str, list[Citation]] = {}
    for citation in citations:
        if citation.cite.law in statutes and citation.cite.law not in snapshots:
            cited.setdefault(citation.cite.law, []).append(citation)
    for law, uses in sorted(cited.items()):
        statute = statutes[law]
        pinpoints = sum(1 for u in uses if u.cite.chapter is not None or u.cite.section is not None)
        if statute.unchecked:
            problems.add(locate(law), f"{statute.name} ({law}) has no snapshot in {folder}/: {len(uses)} citation(s) "
                         f"({pinpoints} with chapter or section) not checked ({statute.unchecked})", where=law,
                         severity="note")
        else:
            problems.add(locate(law), f"{statute.name} ({law}) has no snapshot in {folder}/: its {len(uses)} "
                         f"citation(s) ({pinpoints} with chapter or section; first at {uses[0].location}) are not "
                         "checked; add its consolidated text and run tools/lagar_snapshot.py, or say why not in "
                         "'unchecked'",
                         where=law, severity="warning")
