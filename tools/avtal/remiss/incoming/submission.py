"""What one file becomes on its way into the record, and what the import reports.

An `Entry` is a file as the command line or the batch list names it; `recognise` turns it into
a `Submission` (who sent what: comments as `Incoming`, the form's fixed fields, the letter's
decision); `merge` folds the submissions into the records; `ImportReport` says what changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ...model.corpus import Corpus
from ...model.problems import Location, Problems, relative
from ...model.remiss import Consequences, DecidedBy, PartyBook, QuestionAnswer, RoundInfo

DRAFT_SOURCES = ("word-comment", "insertion", "deletion")
KINDS = ("form", "draft", "manual", "letter")
FORM_SOURCES = ("form", "form-general", "form-outside")


# -- what is being imported --

@dataclass(frozen=True)
class Entry:
    """One file to import, with what the command line or the batch list says about it."""

    path: Path
    party: str | None = None
    on_behalf_of: tuple[str, ...] = ()
    received: dt.date | None = None
    origin: Location | None = None  # the batch list line that named it

    @property
    def shown(self) -> str:
        return relative(self.path)

    def problem(self, problems: Problems, message: str) -> None:
        """Report a problem with this file: at its line in the batch list, or at the file itself."""
        if self.origin is not None:
            problems.add(self.origin, f"{self.shown}: {message}")
        else:
            problems.add(Location(self.shown), message)


@dataclass(frozen=True)
class Incoming:
    """A comment as read from a file, before it has an id."""

    source: str
    clause: str | None = None
    document: str | None = None
    stance: str | None = None
    text: str = ""
    proposal: str | None = None
    quote: str | None = None
    author: str | None = None
    flags: tuple[str, ...] = ()


@dataclass
class Submission:
    """One recognised file: who sent it, what it says, and where it goes."""

    entry: Entry
    kind: str  # FileKind: form | draft | letter | manual
    described: str  # as the report says it: "svarsformulär", "returned draft (huvudavtal)", "letter (PDF)" …
    data: bytes
    sha256: str
    answerer: str = ""
    party_from: str = ""  # how the answerer was found
    on_behalf_of: tuple[str, ...] = ()
    received: dt.date | None = None
    comments: list[Incoming] = field(default_factory=list)
    scope: str | None = None  # what a later file of the same scope supersedes; None for letters
    document: str | None = None  # a returned draft's document
    decided_by: DecidedBy | None = None
    questions: tuple[QuestionAnswer, ...] = ()
    consequences: Consequences | None = None
    declined: bool = False
    text: str | None = None  # a letter's text (copies are found by it)
    notes: list[str] = field(default_factory=list)


# -- the report --

@dataclass
class FileReport:
    """What became of one file."""

    file: str
    recognised: str
    answerer: str
    party_from: str
    record: str
    revision: int | None = None  # None: already imported, nothing changed
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{self.file}: {self.recognised} from {self.answerer} ({self.party_from})"
        if self.revision is None:
            lines = [f"{head}: unchanged, already imported ({self.record})"]
        else:
            lines = [f"{head} → {self.record}, revision {self.revision}: {self.added} added, {self.changed} "
                     f"changed, {self.unchanged} unchanged" + (f", {self.removed} removed" if self.removed else "")]
        lines += [f"  flagged {n}× \"{flag}\"" for flag, n in sorted(self.flags.items())]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass
class ImportReport:
    """The summary `avtal remiss import` prints: one block per file, then totals."""

    round: str
    files: list[FileReport] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        added = sum(f.added for f in self.files)
        changed = sum(f.changed for f in self.files)
        removed = sum(f.removed for f in self.files)
        same = sum(1 for f in self.files if f.revision is None)
        answerers = len({f.answerer for f in self.files})
        total = (f"{self.round}: {len(self.files)} file(s) from {answerers} answerer(s): {added} comment(s) added, "
                 f"{changed} changed, {removed} removed; {same} file(s) already imported; "
                 f"{len(self.written)} file(s) written")
        return "\n".join([*map(str, self.files), total])


# -- recognising each file --

@dataclass
class Context:
    sources: Path
    info: RoundInfo
    known: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # files imported before (known_files)
    _corpus: Corpus | None = None
    _checksum: str | None = None

    @property
    def book(self) -> PartyBook:
        return self.info.book

    def corpus(self) -> Corpus:
        """The frozen version the round sent (read once, only when a file needs its clauses)."""
        if self._corpus is None:
            from ...model.versions import load_version

            self._corpus, _ = load_version(self.sources, self.info.source.version)
        return self._corpus

    def checksum(self) -> str:
        if self._checksum is None:
            from ...model.versions import read_version, versions_dir

            self._checksum = read_version(versions_dir(self.sources) / self.info.source.version).checksum
        return self._checksum

    def document_of(self, clause: str | None) -> str | None:
        if clause is None:
            return None
        try:
            return self.corpus().clause(clause).doc
        except KeyError:
            return None
