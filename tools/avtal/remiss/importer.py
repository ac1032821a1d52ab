"""`avtal remiss import`: what parties sent, as comments keyed by (party, clause id).

Every file is recognised by its content (`untrusted.sniff`), never by its name:

- a **svarsformulär** (our form, filled in): party, round and version are read
  from the form itself; a form of another round or version is refused;
- a **returned draft** (one of our distributed Word files with the party's
  Word comments and tracked changes): one comment per remark or change, on the
  clause whose bookmark holds it; the party comes from `--party`, else from
  the file name ("Remissvar Borås Stad huvudavtal.docx");
- a **letter** (any other Word file, or a PDF with a text layer): one general
  comment flagged for the group to split; a copy of another file sent with it
  (the PDF beside the Word file) adds no second comment;
- a **manual** answer (`ManualAnswer` YAML, typed in by hand).

Everything is read and checked before anything is written: one refused file
stops the whole import with every problem listed, and nothing is written.
The records are then updated in memory and committed all at once
(`answers.commit`). See `answers` for ids, the trailer and hand edits.

Revisions: the files of one answerer received the same day form one revision.
A file already recorded (same SHA-256) changes nothing and is not even read
again, so `make` can re-import a whole round in a second. A later submission of
the same kind (the form; a draft of the same document; a manual answer)
supersedes the earlier one: comments that match it (the same content; else the
same place: source, clause, quoted text and order; else the same text) keep
their ids; changed ones are updated and flagged "ändrad i revision N", missing
ones flagged "borttagen i revision N" and kept. Letters only add.

A record a person edited since the importer wrote it (its trailer no longer
matches) is never rewritten: what the party changed is found by comparing with
its previous file of that kind (re-read from inkommet/), and only the new
revision and new comments are appended to the file's text; a changed comment
comes in as a new one flagged "ändrad i revision N (jämför ID)". When that
cannot be done safely the import is refused with the reason.

Small readings: a Word comment a reviewer put on their own tracked change is
one comment with it; a file whose only words are "inga synpunkter" (a form's
general field, a short letter) is recorded with stance "ingen erinran".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Optional

import yaml
from pydantic import Field

from ..fsutil import read_limited
from ..model.corpus import Corpus
from ..model.problems import Location, Problems, SourceError, relative
from ..model.remiss import (Answer, Comment, Consequences, DecidedBy, ManualAnswer, PartyBook, QuestionAnswer,
                            ReceivedFile, Revision, RoundInfo, load_round)
from ..model.remiss import Email
from ..model.schema import Id, Line, Node
from ..model.validate import validate
from ..model.yamlfile import MAX_BYTES, load_yaml, read_yaml
from . import answers as store
from .answers import (FLAG_CHANGED, FLAG_LETTER, FLAG_OUTSIDE, FLAG_REMOVED, FLAG_RETURNED, ascii_fold, is_removed,
                      normalise)
from .lock import writes_round

DRAFT_SOURCES = ("word-comment", "insertion", "deletion")
KINDS = ("form", "draft", "manual", "letter")
FORM_SOURCES = ("form", "form-general", "form-outside")
COPY_SIMILARITY = 0.85  # word-multiset similarity above which a letter is a copy of another file sent with it
# Words in names that do not tell parties apart ("Borås Stad", "Dals-Eds kommun").
GENERIC = {"kommun", "kommuns", "stad", "stads", "kommunalforbund", "kommunalforbunds", "region", "regionen"}


# -- the batch list (the registrar's diarium) --

class BatchFile(Node):
    """One received file in a batch list."""

    file: Line = Field(description="The file, relative to the batch file's folder.")
    party: Optional[Id] = Field(None, description="Who sent it (as --party); default: the form or the file name.")
    on_behalf_of: tuple[Id, ...] = Field((), description="A joint answer: the parties it covers.")
    received: Optional[dt.date] = Field(None, description="Date received (as --received); default today.")
    sender: Optional[Email] = Field(None, description="The address it came from (as --sender): `avtal remiss "
                                    "receipt` acknowledges to it; default the answerer's registrar.")


class ImportBatch(Node):
    """`avtal remiss import ROUND --batch FILE.yaml`: many files, each with its own sender and date."""

    files: tuple[BatchFile, ...] = Field(min_length=1)


# -- what is being imported --

@dataclass(frozen=True)
class Entry:
    """One file to import, with what the command line or the batch list says about it."""

    path: Path
    party: str | None = None
    on_behalf_of: tuple[str, ...] = ()
    received: dt.date | None = None
    origin: Location | None = None  # the batch list line that named it
    sender: str | None = None  # the address it came from (receipts go there)

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
    corrected: bool = False  # already imported, its received date corrected
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{self.file}: {self.recognised} from {self.answerer} ({self.party_from})"
        if self.revision is None:
            lines = [f"{head}: {'received date corrected' if self.corrected else 'unchanged'}, already imported "
                     f"({self.record})"]
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


# -- the entry point --

@writes_round("import")
def import_files(sources: Path, round_id: str, files: list[Path], *, party: str | None = None,
                 on_behalf_of: tuple[str, ...] = (), received: dt.date | None = None,
                 batch: Path | None = None, sender: str | None = None) -> ImportReport:
    """Import remissvar into sources/remiss/ROUND/: all files, or nothing (SourceError lists every problem)."""
    info = load_round(sources, round_id)
    problems = Problems()
    entries = [Entry(Path(f), party, tuple(on_behalf_of), received, sender=sender) for f in files]
    if batch is not None:
        entries += read_batch(Path(batch), problems)
    if not entries and not problems:
        problems.add(Location(round_id), "no files to import: give FILE… or --batch FILE.yaml")
    store.recover(sources, round_id)
    context = _Context(sources, info, known_files(sources, round_id))
    submissions = _recognise_all(entries, context, problems)
    if problems.errors:
        raise SourceError(problems)
    report = ImportReport(round_id)
    writes = _apply(context, submissions, report, problems)
    if problems.errors:
        raise SourceError(problems)
    changed = {path: data for path, data in writes.items() if not store.unchanged(path, data)}
    try:
        store.commit(sources, round_id, changed)
    except OSError as exc:
        problems.add(Location(relative(Path(exc.filename or sources))), f"cannot write the import "
                     f"({exc.strerror or exc}): nothing was changed; fix the cause and import again")
        raise SourceError(problems) from None
    report.written = sorted(changed)
    return report


def read_batch(path: Path, problems: Problems) -> list[Entry]:
    """The entries of a batch list; every problem (file:line:col) goes to `problems`."""
    shown = relative(path)
    source = read_yaml(path, shown, problems) if path.exists() else None
    if not path.exists():
        problems.add(Location(shown), "batch list not found: expected a YAML file with 'files:' (file, party, "
                     "on_behalf_of, received for each)")
    batch = validate(ImportBatch, source, problems) if source is not None else None
    if batch is None:
        return []
    out = []
    for i, item in enumerate(batch.files):
        where = source.location(("files", i, "file"))
        target = path.parent / item.file
        if not os.path.lexists(target):  # a folder or FIFO is refused by name when it is read
            problems.add(where, f"no such file: {relative(target)} (paths are relative to the batch list's folder)")
            continue
        out.append(Entry(target, item.party, item.on_behalf_of, item.received, where, item.sender))
    return out


# -- recognising each file --

@dataclass
class _Context:
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
            from ..model.versions import load_version

            self._corpus, _ = load_version(self.sources, self.info.source.version)
        return self._corpus

    def checksum(self) -> str:
        if self._checksum is None:
            from ..model.versions import read_version, versions_dir

            self._checksum = read_version(versions_dir(self.sources) / self.info.source.version).checksum
        return self._checksum

    def document_of(self, clause: str | None) -> str | None:
        if clause is None:
            return None
        try:
            return self.corpus().clause(clause).doc
        except KeyError:
            return None


PARALLEL_MIN = 8  # files: below this, starting worker processes costs more than it saves
_SHARED: _Context | None = None  # the context forked workers inherit


def _recognise_all(entries: list[Entry], ctx: _Context, problems: Problems) -> list[Submission]:
    """Recognise every file; many files are read in parallel processes (reading a form is CPU-bound Python).

    Workers are forked, so they share the loaded round, version and corpus;
    results come back in the order given, so the import is the same either way.
    """
    import multiprocessing
    import os

    workers = min(os.cpu_count() or 1, 4)
    new = [e for e in entries if _digest(e.path) not in ctx.known]  # files imported before are not read again
    if len(new) < PARALLEL_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [s for s in (_recognise(e, ctx, problems) for e in entries) if s is not None]
    from concurrent.futures import ProcessPoolExecutor

    global _SHARED
    ctx.corpus(), ctx.checksum()  # loaded once, before forking
    _SHARED = ctx
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_recognise_in_worker, entries, chunksize=max(1, len(entries) // (workers * 4))))
    finally:
        _SHARED = None
    out = []
    for sub, found in results:
        problems.items.extend(found)
        if sub is not None:
            out.append(sub)
    return out


def _digest(path: Path) -> str | None:
    """The file's SHA-256, or None for a file `untrusted` will refuse (too big, a FIFO): never read unbounded."""
    from .untrusted import LIMITS

    try:
        return hashlib.sha256(read_limited(path, LIMITS.max_file_bytes)).hexdigest()
    except OSError:
        return None


def _recognise_in_worker(entry: Entry) -> tuple[Submission | None, list]:
    found = Problems()
    return _recognise(entry, _SHARED, found), found.items


KIND_NAMES = {"form": "svarsformulär", "draft": "returned draft", "letter": "letter", "manual": "manual answer (YAML)"}


def _recognise(entry: Entry, ctx: _Context, problems: Problems, *, again: bool = False) -> Submission | None:
    """Read one file through `untrusted`; a file already imported is not read again (unless `again`)."""
    from . import untrusted

    start = len(problems.items)
    try:
        kind, data = untrusted.read_untrusted(entry.path)
        sub = Submission(entry, "", "", data, hashlib.sha256(data).hexdigest())
        if sub.sha256 in ctx.known and not again:  # `make` re-imports every file: this keeps that instant
            owner, _, sub.kind = ctx.known[sub.sha256]
            sub.described = KIND_NAMES.get(sub.kind, sub.kind)
            sub.answerer, sub.party_from = (entry.party, "--party") if entry.party else (owner, "imported before")
            if entry.origin is not None and entry.party:
                sub.party_from = "given in the batch list"
            return sub
        if kind == "docx":
            _read_docx(sub, untrusted.open_docx(entry.path), ctx, problems)
        elif kind == "pdf":
            from .readers import read_letter

            _as_letter(sub, read_letter(entry.path), "letter (PDF)")
        else:
            _read_manual(sub, ctx, problems)
    except untrusted.UntrustedFileError as exc:
        entry.problem(problems, f"refused: {exc.reason}; expected {exc.expected}")
        return None
    except OSError as exc:
        entry.problem(problems, f"cannot read the file ({exc.strerror or exc})")
        return None
    if len(problems.items) > start:
        return None
    _no_comments(sub)
    _resolve_party(sub, ctx, problems)
    return sub if len(problems.items) == start else None


NO_COMMENTS = re.compile(r"\b(inga|inte några|inga ytterligare|inte någr?a?) (synpunkter|erinringar|invändningar)\b"
                         r"|\binget att (erinra|invända)\b|\bingen erinran\b")
NO_COMMENTS_MAX = 400  # characters: a longer text says more than "no comments"


def _no_comments(sub: Submission) -> None:
    """An answer whose only words are "inga synpunkter" is an answer with no comments (stance "ingen erinran").

    A form's general field and a short letter have no stance of their own; when
    everything a file says is such a sentence (or rows marked "ingen erinran"),
    the sentence gets the stance, so status counts the party as having no comments.
    """
    general = [i for i, c in enumerate(sub.comments) if c.clause is None and c.stance is None]
    others = [c for i, c in enumerate(sub.comments) if i not in general]
    if not general or any(c.stance != "ingen erinran" for c in others):
        return
    if all(len(sub.comments[i].text) <= NO_COMMENTS_MAX and NO_COMMENTS.search(sub.comments[i].text.casefold())
           for i in general):
        for i in general:
            sub.comments[i] = replace(sub.comments[i], stance="ingen erinran")
        sub.notes.append("it says it has no comments: recorded with stance \"ingen erinran\"")


def _read_docx(sub: Submission, pkg, ctx: _Context, problems: Problems) -> None:
    from .form import is_form, read_form_package
    from .readers import identify_draft, read_draft, read_letter

    if is_form(pkg):
        try:
            form = read_form_package(pkg, sub.entry.shown)
        except SourceError as exc:
            for problem in exc.problems:
                sub.entry.problem(problems, problem.message)
            return
        if _sender_agrees(sub, pkg, form.party, ctx, problems):
            _read_form(sub, form, ctx, problems)
        return
    draft = identify_draft(pkg, ctx.corpus())
    if draft is None:
        _as_letter(sub, read_letter(sub.entry.path), "letter (Word)")
        return
    version = ctx.info.source.version
    if draft.version is not None and draft.version != version:
        sub.entry.problem(problems, f"a returned draft of version '{draft.version}', but round "
                     f"'{ctx.info.id}' sent version '{version}': expected the documents of this round (import it into "
                     "the round that sent that version)")
        return
    sub.kind, sub.described, sub.document = "draft", f"returned draft ({draft.document})", draft.document
    sub.scope = f"draft:{draft.document}"
    for raw in _with_remarks_on_changes(read_draft(pkg, ctx.corpus(), draft)):
        sub.comments.append(Incoming(raw.source, raw.clause, raw.document if raw.clause is None else None, None,
                                     raw.text, raw.proposal, raw.quote, raw.author, tuple(raw.flags)))


def _with_remarks_on_changes(raws: list) -> list:
    """A Word comment its reviewer put on their own tracked change explains that change: one comment, not two.

    The reader anchors both at the same place ('<clause>:p<n>:c<n>:comment' and '…:change'); the
    remark's text follows the change's description.
    """
    changes = {(r.anchor.rsplit(":", 1)[0], r.author): i for i, r in enumerate(raws)
               if r.source in ("insertion", "deletion") and r.anchor.endswith(":change")}
    out, merged = list(raws), set()
    for i, r in enumerate(raws):
        key = (r.anchor.rsplit(":", 1)[0], r.author)
        if r.source == "word-comment" and r.anchor.endswith(":comment") and key in changes:
            j = changes.pop(key)
            out[j] = replace(out[j], text=f"{out[j].text}\n\n{r.text}")
            merged.add(i)
    return [r for i, r in enumerate(out) if i not in merged]


def _sender_agrees(sub: Submission, pkg, party: str, ctx: _Context, problems: Problems) -> bool:
    """False (with the reason) when a form's hidden party id disagrees with the party its visible text names.

    The template prints the party's name in the form; a form whose ids were edited
    to another party still shows the real sender's. Only --party settles it then.
    """
    from .form import visible_text

    claimed = ctx.book.answerer(party)
    if sub.entry.party is not None or claimed is None:
        return True  # --party decides (the difference is noted); an unknown id is reported as such

    def named(who) -> bool:
        return re.search(rf"(?<!\w){re.escape(' '.join(who.name.split()))}(?!\w)", text, re.I) is not None

    text = visible_text(pkg)
    if named(claimed):
        return True
    shown = [a for a in (*ctx.book.parties, *ctx.book.groups) if a.id != party and named(a)]
    if shown:
        sub.entry.problem(problems, f"refused: the form's hidden ids say it is {claimed.name}'s ({party}), but its "
                          f"visible text names {', '.join(a.name for a in shown)}: the ids were edited, or the form "
                          f"was copied from another party; ask the sender, then import with --party ID")
        return False
    return True


def _read_form(sub: Submission, form, ctx: _Context, problems: Problems) -> None:
    sub.kind, sub.described, sub.scope = "form", "svarsformulär", "form"
    info = ctx.info
    if form.round != info.id:
        sub.entry.problem(problems, f"a svarsformulär of round '{form.round}', not of '{info.id}': import it into "
                          f"its own round (`avtal remiss import {form.round} …`), or ask the party to use this "
                          "round's form")
        return
    if form.version != info.source.version or (form.version_checksum and form.version_checksum != ctx.checksum()):
        sub.entry.problem(problems, f"a svarsformulär for version '{form.version}' (checksum "
                          f"{(form.version_checksum or '?')[:12]}…), but round '{info.id}' sent version "
                          f"'{info.source.version}' (checksum {ctx.checksum()[:12]}…): expected this round's form; "
                          "ask the party to answer on it")
        return
    sub.notes.extend(form.problems)
    sub.answerer, sub.party_from = form.party, "named in the form"
    decided = form.decided_by
    if decided.body:
        sub.decided_by = DecidedBy(body=decided.body, date=decided.date, paragraph=decided.paragraph or None)
    elif decided.date or decided.paragraph:
        sub.notes.append("the form gives a decision date or § but not who decided: not recorded")
    _read_form_fields(sub, form, ctx)
    known = {c.id for d in ctx.corpus().documents for c in d.clauses()}
    for row in form.filled():
        flags: tuple[str, ...] = ()
        if row.stance is None and row.stance_text.strip():
            flags += (f"ställningstagande oklart: ”{row.stance_text.strip()}”",)
        clause = row.clause_id
        if clause not in known:
            flags += (f"okänt avsnitt i formuläret: {clause}",)
            clause = None
        sub.comments.append(Incoming("form", clause, None, row.stance, row.comment, row.proposal or None,
                                     flags=flags))
    if form.general.strip():
        sub.comments.append(Incoming("form-general", text=form.general.strip()))
    for extra in form.extra:
        if extra.text.strip():
            sub.comments.append(Incoming("form-outside", text=extra.text.strip(), flags=(FLAG_OUTSIDE,)))
            sub.notes.append(f"text outside the form's fields, {extra.where}: kept as a general comment, flagged")


def _read_form_fields(sub: Submission, form, ctx: _Context) -> None:
    """The answers to the letter's questions, the parties a joint answer covers, and the consequences."""
    asked = ctx.info.source.letter.questions
    answered = []
    for q in form.questions:
        if q.number > len(asked):
            sub.notes.append(f"the form answers a question {q.number} ('{q.question}') the round's letter does not "
                             f"ask (it asks {len(asked)}): kept as a general comment")
            sub.comments.append(Incoming("form-general", text=f"{q.question}\n{q.answer}".strip()))
        else:
            answered.append(QuestionAnswer(number=q.number, question=asked[q.number - 1], answer=q.answer))
    sub.questions = tuple(answered)
    if form.economic or form.children:
        sub.consequences = Consequences(economic=form.economic or None, children=form.children or None)
    parties = {p.id for p in ctx.book.parties}
    covered: list[str] = []
    for part in re.split(r"[,;\n]|\s+och\s+|\s+samt\s+", form.covers):
        if not part.strip(" .-"):
            continue
        named = parties_in_text(part, ctx.book)
        others = [p for p in named if p != form.party]
        if named and not others:
            continue  # the answering party itself
        if len(others) == 1 and others[0] in parties:
            covered.append(others[0])
        else:
            sub.notes.append(f"the form says the answer also covers '{part.strip()}': not one party of "
                             f"{ctx.book.file}; not recorded (give --on-behalf-of)")
    sub.on_behalf_of = tuple(dict.fromkeys(covered))


def _as_letter(sub: Submission, text: str, described: str) -> None:
    from .readers import letter_decided_by

    sub.kind, sub.described, sub.text = "letter", described, text
    sub.decided_by = letter_decided_by(text)
    if text.strip():
        sub.comments.append(Incoming("letter", text=text.strip(), flags=(FLAG_LETTER,)))
    else:
        sub.notes.append("the letter has no text: kept, no comment added")


def _read_manual(sub: Submission, ctx: _Context, problems: Problems) -> None:
    sub.kind, sub.described, sub.scope = "manual", "manual answer (YAML)", "manual"
    shown = sub.entry.shown
    try:
        text = sub.data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(Location(shown), f"not UTF-8 text (byte {exc.start}); expected a UTF-8 YAML file")
        return
    source = load_yaml(text, shown, problems)
    manual = validate(ManualAnswer, source, problems) if source is not None else None
    if manual is None:
        return
    if manual.round != ctx.info.id:
        problems.add(source.location(("round",)), f"answer for round '{manual.round}': this import is for round "
                     f"'{ctx.info.id}'; import it into its own round, or correct 'round'")
    corpus = ctx.corpus()
    documents = {d.id for d in corpus.documents}
    for i, c in enumerate(manual.comments):
        if c.clause is not None:
            try:
                doc = corpus.clause(c.clause).doc
            except KeyError:
                doc = None
                problems.add(source.location(("comments", i, "clause")), f"unknown clause '{c.clause}'"
                             f"{_guess(c.clause, [x.id for d in corpus.documents for x in d.clauses()])}: expected a "
                             f"clause id of version '{ctx.info.source.version}'", where=c.clause)
            if doc and c.document and c.document != doc:
                problems.add(source.location(("comments", i, "document")), f"clause '{c.clause}' is in document "
                             f"'{doc}', not '{c.document}': leave 'document' out for a clause", where=c.clause)
        if c.document is not None and c.document not in documents:
            problems.add(source.location(("comments", i, "document")), f"unknown document '{c.document}'"
                         f"{_guess(c.document, documents)}: expected one of {', '.join(sorted(documents))}")
        if not (c.text.strip() or c.stance or (c.proposal or "").strip()):
            problems.add(source.location(("comments", i)), "empty comment: expected text, a stance or a proposal")
    if manual.party:
        sub.answerer, sub.party_from = manual.party, "named in the file"
        if ctx.book.answerer(manual.party) is None:
            problems.add(source.location(("party",)), f"unknown party or kommunalförbund '{manual.party}'"
                         f"{_guess(manual.party, _answerer_ids(ctx.book))}: expected an id from {ctx.book.file}")
    sub.on_behalf_of = manual.on_behalf_of
    sub.received = manual.received
    sub.declined = manual.declined
    sub.decided_by = manual.decided_by
    sub.consequences = manual.consequences
    asked = ctx.info.source.letter.questions
    for i, q in enumerate(manual.questions):
        if q.number > len(asked):
            problems.add(source.location(("questions", i, "number")), f"question {q.number}: the round's letter asks "
                         f"{len(asked)} question(s): expected a number from 1 to {len(asked)}")
        elif " ".join(q.question.split()) != " ".join(asked[q.number - 1].split()):
            problems.add(source.location(("questions", i, "question")), f"question {q.number} is '{q.question}' "
                         f"here but the round's letter asks '{asked[q.number - 1]}': copy it from {ctx.info.file}")
    sub.questions = manual.questions
    for c in manual.comments:
        sub.comments.append(Incoming("manual", c.clause, c.document if c.clause is None else None, c.stance, c.text,
                                     c.proposal, c.quote, c.author))


def _answerer_ids(book: PartyBook) -> list[str]:
    return [p.id for p in book.parties] + [g.id for g in book.groups]


def _guess(word: str, candidates) -> str:
    from ..model.remiss import _guess as guess

    return guess(word, candidates)


def _resolve_party(sub: Submission, ctx: _Context, problems: Problems) -> None:
    """Who sent the file: --party, else the form or YAML itself, else the file name; and on whose behalf."""
    entry, book = sub.entry, ctx.book
    known = _answerer_ids(book)
    if entry.party is not None:
        if book.answerer(entry.party) is None:
            entry.problem(problems, f"unknown party '{entry.party}'{_guess(entry.party, known)}: "
                         f"expected a party or kommunalförbund id from {book.file}")
            return
        if sub.answerer and sub.answerer != entry.party:
            sub.notes.append(f"the file names {sub.answerer}; filed as {entry.party}'s answer (--party)")
        sub.answerer, sub.party_from = entry.party, "--party" if entry.origin is None else "given in the batch list"
    elif not sub.answerer:
        found = parties_in_name(entry.path.name, book)
        if len(found) == 1:
            sub.answerer, sub.party_from = found[0], "from the file name"
        else:
            which = f"it names {', '.join(found)}" if found else "neither its content nor its name names a party"
            entry.problem(problems, f"cannot tell which party sent {entry.shown} ({sub.described}): {which}; "
                         "give --party ID")
            return
    if book.answerer(sub.answerer) is None:
        entry.problem(problems, f"unknown party '{sub.answerer}'{_guess(sub.answerer, known)}: "
                     f"expected a party or kommunalförbund id from {book.file}; give --party ID")
        return
    sub.on_behalf_of = entry.on_behalf_of or sub.on_behalf_of
    members = [p.id for p in book.parties]
    for pid in sub.on_behalf_of:
        if pid not in members:
            entry.problem(problems, f"unknown party '{pid}' in --on-behalf-of"
                         f"{_guess(pid, members)}: expected party ids from {book.file}")
        elif pid == sub.answerer:
            entry.problem(problems, f"{pid} answers on behalf of itself: list only the other "
                         "parties the joint answer covers")
    sub.received = entry.received or sub.received or dt.date.today()


def parties_in_name(name: str, book: PartyBook) -> list[str]:
    """The parties or kommunalförbund a file name names ("Remissvar Borås Stad.docx" → ['boras'])."""
    return parties_in_text(Path(name).stem, book)


def parties_in_text(text: str, book: PartyBook) -> list[str]:
    """The parties or kommunalförbund a text names ("Marks kommun" → ['mark'])."""
    words = re.sub(r"[^a-z0-9]+", " ", ascii_fold(text)).split()
    return [who.id for who in (*book.parties, *book.groups)
            if any(_contains(words, variant) for variant in _variants(who))]


def _variants(who) -> list[list[str]]:
    names = [who.name, who.id.replace("-", " "), getattr(who, "short_name", "") or ""]
    out = []
    for name in names:
        for part in re.split(r"[()]", name):
            words = [w for w in re.sub(r"[^a-z0-9]+", " ", ascii_fold(part)).split() if w not in GENERIC]
            if words and words not in out:
                out.append(words)
    return out


def _contains(words: list[str], variant: list[str]) -> bool:
    """`variant` appears as whole words; its last word may carry a genitive s ("Dals-Eds", "Marks")."""
    n = len(variant)
    for i in range(len(words) - n + 1):
        if words[i:i + n - 1] == variant[:-1] and words[i + n - 1] in (variant[-1], variant[-1] + "s"):
            return True
        if variant[-1].endswith("s") and words[i:i + n - 1] == variant[:-1] and words[i + n - 1] == variant[-1][:-1]:
            return True
    return False


# -- updating the records --

@dataclass
class _State:
    """One answerer's record while the import updates it."""

    answerer: str
    path: Path
    answer: Answer | None
    text: str | None  # the file's text, when it was edited by hand (appended to, never rewritten)
    pristine: bool
    next_id: int
    touched: bool = False


def known_files(sources: Path, round_id: str) -> dict[str, tuple[str, int, str]]:
    """SHA-256 of every file already imported → (answerer, revision, kind), from the records' text (no parsing).

    A revision's files are written as `number`, then `path`, `sha256`, `kind`
    lines; a record a person reshaped may hide some, which only costs re-reading them.
    """
    out: dict[str, tuple[str, int, str]] = {}
    folder = store.answers_dir(sources, round_id)
    for path in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        revision, sha = 0, None
        try:
            text = read_limited(path, MAX_BYTES).decode("utf-8", "replace")
        except OSError:
            continue  # a FIFO or a huge file: reading the answers reports it
        for line in text.splitlines():
            number = re.fullmatch(r"\s*-?\s*number: (\d+)\s*", line)
            if number:
                revision = int(number.group(1))
            found = re.fullmatch(r"\s*-?\s*sha256: \"?([0-9a-f]{64})\"?\s*", line)
            if found:
                sha = found.group(1)
            kind = re.fullmatch(r"\s*kind: (form|draft|letter|manual)\s*", line)
            if kind and sha:
                out.setdefault(sha, (path.stem, revision, kind.group(1)))
                sha = None
    return out


def _apply(ctx: _Context, subs: list[Submission], report: ImportReport, problems: Problems) -> dict[Path, bytes]:
    sources, round_id = ctx.sources, ctx.info.id
    known = ctx.known
    states: dict[str, _State] = {}
    reports: dict[int, FileReport] = {}
    groups: dict[tuple[str, dt.date, int], list[Submission]] = {}
    seen: dict[str, Submission] = {}
    corrections: list[tuple[Submission, int]] = []
    for i, sub in enumerate(subs):
        record_name = f"svar/{sub.answerer}.yaml"
        fr = FileReport(sub.entry.shown, sub.described, sub.answerer, sub.party_from, record_name,
                        notes=list(sub.notes))
        reports[id(sub)] = fr
        if sub.sha256 in known:
            owner, revision, _ = known[sub.sha256]
            if owner != sub.answerer:
                sub.entry.problem(problems, f"this file was already imported as {owner}'s answer "
                             f"(svar/{owner}.yaml, revision {revision}): a file is one party's answer; to file it "
                             f"under {sub.answerer}, remove it from svar/{owner}.yaml and inkommet/{owner}/ first")
            fr.record = f"svar/{owner}.yaml revision {revision}"
            if owner == sub.answerer and sub.entry.received is not None:  # a date given again may correct it
                corrections.append((sub, revision))
            continue
        if sub.sha256 in seen:
            fr.record = f"same file as {seen[sub.sha256].entry.shown}"
            continue
        seen[sub.sha256] = sub
        # Files of one answerer and day form one revision, unless two of them are the same kind.
        n = 0
        while any(s.scope is not None and s.scope == sub.scope for s in groups.get((sub.answerer, sub.received, n),
                                                                                     [])):
            n += 1
        groups.setdefault((sub.answerer, sub.received, n), []).append(sub)
    report.files = [reports[id(s)] for s in subs]
    if problems.errors:
        return {}
    writes: dict[Path, bytes] = {}
    for (answerer, received, _), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        state = states.get(answerer) or _load_state(sources, round_id, answerer, problems)
        if state is None:
            continue
        states[answerer] = state
        _add_revision(ctx, state, group, received, reports, writes, problems)
    _correct_dates(ctx, states, corrections, reports, problems)
    for state in states.values():
        if not state.touched:
            continue
        if state.pristine:
            text = store.dump_answer(state.answer, state.next_id)
        else:
            text = state.text
        writes[state.path] = text.encode("utf-8")
    return writes


def _correct_dates(ctx: _Context, states: dict[str, _State], corrections: list[tuple[Submission, int]],
                   reports: dict[int, FileReport], problems: Problems) -> None:
    """A file imported before, given again with another received date: the date is corrected (see corrections)."""
    from .corrections import correct_received, corrector

    for sub, number in corrections:
        state = states.get(sub.answerer) or _load_state(ctx.sources, ctx.info.id, sub.answerer, problems)
        if state is None or state.answer is None:
            continue
        states[sub.answerer] = state
        old = state.answer.revisions[number - 1].received
        fixed = correct_received(state.answer, number, sub.entry.received, by=corrector(ctx.sources))
        if fixed is None:
            continue
        if not state.pristine:
            sub.entry.problem(problems, f"received {old} is recorded for revision {number} of "
                              f"{relative(state.path)}, which was edited by hand: correct the date there (and say "
                              "why in a comment); the importer never rewrites an edited record")
            continue
        state.answer, state.touched = fixed, True
        reports[id(sub)].corrected = True
        reports[id(sub)].notes.append(f"received date of revision {number} corrected: {old} → {sub.entry.received} "
                                      "(recorded under corrections)")


def _load_state(sources: Path, round_id: str, answerer: str, problems: Problems) -> _State | None:
    path = store.answer_path(sources, round_id, answerer)
    if not path.exists():
        return _State(answerer, path, None, None, True, 1)
    record = store.read_record(path, problems)
    if record is None:
        problems.add(Location(relative(path)), f"the answer record of {answerer} does not validate (see above): "
                     "fix it before importing more files for this party")
        return None
    return _State(answerer, path, record.answer, None if record.pristine else record.text, record.pristine,
                  record.next_id)


def _scope(comment: Comment | Incoming, ctx: _Context) -> str | None:
    if comment.source in FORM_SOURCES:
        return "form"
    if comment.source in DRAFT_SOURCES:
        return f"draft:{comment.document or ctx.document_of(comment.clause)}"
    if comment.source == "manual":
        return "manual"
    return None


def _base(c: Comment | Incoming) -> tuple:
    return (c.source, c.clause, c.document, normalise(c.quote))


def _content(c: Comment | Incoming) -> tuple:
    return (c.source, c.clause, c.document, c.stance, normalise(c.text), normalise(c.proposal), normalise(c.quote))


def _match(olds: list[Comment], news: list[Incoming]) -> tuple[list[tuple[Comment, Incoming]], list[Comment],
                                                                  list[Incoming]]:
    """Pair a later submission's comments with the earlier ones of the same scope.

    First those that read exactly the same (wherever they are, also one flagged
    as removed: it came back); then by place among the rest (source, clause,
    quoted text and order: a row of the form, a remark on the same words);
    then by the same text under another clause. Returns (pairs, earlier ones
    not found again, new ones), each in the order given.
    """
    pairs: list[tuple[Comment, Incoming]] = []
    left = dict.fromkeys(range(len(olds)))  # indexes of earlier comments not yet paired, in order
    by_content: dict[tuple, list[int]] = {}
    for i, old in enumerate(olds):
        by_content.setdefault(_content(old), []).append(i)
    rest: list[Incoming] = []
    for new in news:
        same = by_content.get(_content(new))
        if same:
            i = same.pop(0)
            del left[i]
            pairs.append((olds[i], new))
        else:
            rest.append(new)

    def keyed(items):
        count: dict[tuple, int] = {}
        for index, item in items:
            base = _base(item)
            yield base + (count.get(base, 0),), index, item
            count[base] = count.get(base, 0) + 1

    places = {key: i for key, i, _ in keyed((i, olds[i]) for i in left if not is_removed(olds[i]))}
    unplaced = []
    for key, _, new in keyed(enumerate(rest)):
        i = places.pop(key, None)
        if i is None:
            unplaced.append(new)
        else:
            del left[i]
            pairs.append((olds[i], new))
    by_text: dict[tuple, list[int]] = {}
    for i in left:
        if not is_removed(olds[i]) and normalise(olds[i].text):
            by_text.setdefault((olds[i].source, normalise(olds[i].text)), []).append(i)
    fresh = []
    for new in unplaced:
        same = by_text.get((new.source, normalise(new.text)))
        if same:
            i = same.pop(0)
            del left[i]
            pairs.append((olds[i], new))
        else:
            fresh.append(new)
    return pairs, [olds[i] for i in left], fresh


def _add_revision(ctx: _Context, state: _State, group: list[Submission], received: dt.date,
                  reports: dict[int, FileReport], writes: dict[Path, bytes], problems: Problems) -> None:
    answer = state.answer
    number = len(answer.revisions) + 1 if answer else 1
    comments = list(answer.comments) if answer else []
    added: list[Comment] = []
    files = []
    folder = store.incoming_dir(ctx.sources, ctx.info.id) / state.answerer
    used_names: set[str] = set()

    def new_comment(inc: Incoming, fr: FileReport, extra: tuple[str, ...] = ()) -> Comment:
        cid = f"{state.answerer}-{state.next_id}"
        state.next_id += 1
        comment = Comment(id=cid, clause=inc.clause, document=inc.document, stance=inc.stance, text=inc.text,
                          proposal=inc.proposal, quote=inc.quote, author=inc.author, source=inc.source,
                          revision=number, flags=_unique(inc.flags + extra))
        added.append(comment)
        _tally(fr, comment.flags)
        return comment

    # Structured files first, and a letter after the file it may be a copy of (Word before PDF).
    group = sorted(group, key=lambda s: (KINDS.index(s.kind), s.described == "letter (PDF)"))
    for sub in group:
        fr = reports[id(sub)]
        fr.revision = number
        name = _file_name(number, sub.entry.path.name, used_names, folder, sub.data)
        writes[folder / name] = sub.data
        files.append(ReceivedFile(path=f"{store.INCOMING_DIR}/{state.answerer}/{name}", sha256=sub.sha256,
                                  kind=sub.kind, original_name=sub.entry.path.name))
        if sub.kind == "letter":
            _add_letter(sub, group, comments, added, new_comment, fr)
            continue
        olds = [c for c in comments if _scope(c, ctx) == sub.scope]
        if state.pristine:
            _merge(sub, olds, comments, number, new_comment, fr)
        else:
            _merge_into_edited(ctx, state, sub, olds, number, new_comment, fr)
    revision = Revision(number=number, received=received, files=tuple(files),
                        sender=next((s.entry.sender for s in group if s.entry.sender), None))
    decided = next((s.decided_by for s in reversed(group) if s.decided_by is not None), None)
    behalf = next((s.on_behalf_of for s in reversed(group) if s.on_behalf_of), ())
    questions = next((s.questions for s in reversed(group) if s.questions), ())
    consequences = next((s.consequences for s in reversed(group) if s.consequences is not None), None)
    declined = any(s.declined for s in group)
    if answer is None:
        new = Answer(round=ctx.info.id, party=state.answerer, on_behalf_of=behalf, declined=declined,
                     decided_by=decided, questions=questions, consequences=consequences, revisions=(revision,),
                     comments=tuple(added))
    elif state.pristine:
        new = answer.model_copy(update={
            "on_behalf_of": behalf or answer.on_behalf_of, "declined": declined or answer.declined,
            "decided_by": decided or answer.decided_by, "questions": questions or answer.questions,
            "consequences": consequences or answer.consequences, "revisions": answer.revisions + (revision,),
            "comments": tuple(comments) + tuple(added)})
    else:
        new = answer.model_copy(update={"revisions": answer.revisions + (revision,),
                                        "comments": answer.comments + tuple(added)})
        for what, value, old in (("on_behalf_of", behalf, answer.on_behalf_of), ("decided_by", decided,
                                                                                   answer.decided_by),
                                 ("questions", questions, answer.questions),
                                 ("consequences", consequences, answer.consequences)):
            if value and value != old:
                reports[id(group[0])].notes.append(f"revision {number} gives another {what}; the record was "
                                                   "edited by hand, so it is left as it is")
        text = _append_to_edited(state, new, revision, tuple(added))
        if text is None:
            problems.add(Location(relative(state.path)), f"{relative(state.path)} was edited by hand since it was "
                         f"imported, and revision {number} ({', '.join(s.entry.shown for s in group)}) cannot be "
                         "added to it without rewriting it: add the revision by hand, or restore the file as the "
                         "importer wrote it (git) and import again")
            return
        state.text = text
    state.answer = new
    state.touched = True


def _merge(sub: Submission, olds: list[Comment], comments: list[Comment], number: int, new_comment,
           fr: FileReport) -> None:
    """A later submission into a record the importer owns: update, flag, add; never delete."""
    pairs, gone, fresh = _match(olds, sub.comments)
    at = {id(c): i for i, c in enumerate(comments)}
    for old, inc in pairs:
        if _content(old) == _content(inc) and not is_removed(old):
            fr.unchanged += 1
            continue
        fr.changed += 1
        kept = tuple(f for f in old.flags if not f.startswith("borttagen i revision"))
        if _content(old) == _content(inc):  # it came back after a revision without it
            update = {"flags": _unique(kept + (FLAG_RETURNED.format(n=number),)), "revision": number}
        else:
            update = dict(clause=inc.clause, document=inc.document, stance=inc.stance, text=inc.text,
                          proposal=inc.proposal, quote=inc.quote, author=inc.author, revision=number,
                          flags=_unique(kept + inc.flags + (FLAG_CHANGED.format(n=number),)))
        comments[at[id(old)]] = old.model_copy(update=update)
        _tally(fr, update["flags"])
    for inc in fresh:
        new_comment(inc, fr)
        fr.added += 1
    for old in gone:
        if not is_removed(old):
            comments[at[id(old)]] = old.model_copy(
                update={"flags": _unique(old.flags + (FLAG_REMOVED.format(n=number),))})
            fr.removed += 1
            _tally(fr, (FLAG_REMOVED.format(n=number),))


def _merge_into_edited(ctx: _Context, state: _State, sub: Submission, olds: list[Comment], number: int, new_comment,
                       fr: FileReport) -> None:
    """A later submission into a record a person edited: only what the party changed is added, as new comments.

    What the party changed is found by comparing with its previous file of the
    same kind (re-read from inkommet/), not with the record, whose text a
    person may have corrected; the comments already in the record stay as they are.
    """
    previous = _previous_submission(ctx, state, sub.scope)
    pairs, gone, fresh = _match(olds if previous is None else previous, sub.comments)
    for old, inc in pairs:
        if _content(old) == _content(inc):
            fr.unchanged += 1
            continue
        fr.changed += 1
        target = old if previous is None else _in_record(old, olds)
        see = f" (jämför {target.id})" if target is not None else ""
        new_comment(inc, fr, (FLAG_CHANGED.format(n=number) + see,))
        fr.notes.append(f"{target.id if target is not None else 'a comment'} differs in revision {number}; the "
                        "record was edited by hand, so it is left as it is and the new text added as a new comment")
    for inc in fresh:
        new_comment(inc, fr)
        fr.added += 1
    for old in gone:
        target = old if previous is None else _in_record(old, olds)
        if target is not None and not is_removed(target):
            fr.notes.append(f"{target.id} is not in revision {number}; the record was edited by hand, so it is "
                            "left as it is")


def _previous_submission(ctx: _Context, state: _State, scope: str | None) -> list[Incoming] | None:
    """The comments of the answerer's latest earlier file of this scope, re-read from inkommet/; None if unreadable."""
    kind = (scope or "").split(":")[0]
    for revision in reversed(state.answer.revisions if state.answer else ()):
        for kept in revision.files:
            if kept.kind != kind:
                continue
            path = ctx.info.folder / kept.path
            if not path.is_file():
                return None
            sub = _recognise(Entry(path, state.answerer), ctx, Problems(), again=True)
            if sub is None:
                return None
            if sub.scope == scope:
                return sub.comments
    return []


def _in_record(inc: Incoming, olds: list[Comment]) -> Comment | None:
    """The record's comment for an earlier submission's comment: the same content, else the same place."""
    return (next((c for c in olds if _content(c) == _content(inc)), None)
            or next((c for c in olds if _base(c) == _base(inc)), None))


def _add_letter(sub: Submission, group: list[Submission], comments: list[Comment], added: list[Comment],
                new_comment, fr: FileReport) -> None:
    """A letter adds one comment, unless the same text came already (a PDF beside its Word file)."""
    if not sub.comments:
        return
    text = normalise(sub.comments[0].text)
    for c in [*comments, *added]:
        if c.source == "letter" and normalise(c.text) == text:
            fr.unchanged += 1
            fr.notes.append(f"same text as {c.id}: kept, no new comment")
            return
    for other in group:
        if other is sub:
            break
        if other.kind != "manual" and _similar(sub.text or "", _text_of(other)):
            fr.notes.append(f"a copy of {other.entry.path.name}: kept, no new comment")
            return
    new_comment(sub.comments[0], fr)
    fr.added += 1


def _text_of(sub: Submission) -> str:
    """The plain text of a Word file sent beside a letter (to recognise the letter as its PDF copy)."""
    if sub.text is None:
        from .readers import read_letter

        sub.text = read_letter(sub.entry.path)
    return sub.text


def _similar(a: str, b: str) -> bool:
    wa, wb = a.casefold().split(), b.casefold().split()
    if not wa or not wb:
        return False
    return SequenceMatcher(None, wa, wb, autojunk=False).quick_ratio() >= COPY_SIMILARITY


def _tally(fr: FileReport, flags) -> None:
    for flag in flags:
        fr.flags[flag] = fr.flags.get(flag, 0) + 1


def _unique(flags) -> tuple[str, ...]:
    return tuple(dict.fromkeys(flags))


def _file_name(number: int, original: str, used: set[str], folder: Path, data: bytes) -> str:
    """inkommet/<answerer>/<revision>-<name as ASCII words>.<ext>: unique, and never over another file kept there."""
    path = Path(original)
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_fold(path.stem)).strip("-")[:80] or "fil"
    ext = re.sub(r"[^a-z0-9.]+", "", path.suffix.lower())
    name, n = f"{number}-{stem}{ext}", 2
    while name in used or ((folder / name).exists() and not store.unchanged(folder / name, data)):
        name, n = f"{number}-{stem}-{n}{ext}", n + 1
    used.add(name)
    return name


# -- appending to a record edited by hand --

def _append_to_edited(state: _State, expected: Answer, revision: Revision, added: tuple[Comment, ...]) -> str | None:
    """The hand-edited record's text with `revision` and `added` appended; None when that cannot be done safely.

    The person's text stays byte for byte; the result must read back as exactly
    `expected`, or it is not used.
    """
    from ..model.dump import _plain, _yaml

    body, _, _ = store.split_trailer(state.text or "")
    if not body.endswith("\n"):
        body += "\n"
    check = Problems()
    doc = load_yaml(body, str(state.path), check)
    if doc is None or not isinstance(doc.data, dict):
        return None
    lines = body.splitlines(keepends=True)
    roots = sorted((node.start_mark.line, path[0]) for path, node in doc.keys.items() if len(path) == 1)

    def end_of(key: str) -> int:
        """The line index where the value of root key `key` ends (before comments/blank lines above the next key)."""
        after = [line for line, k in roots if line > dict((k, l) for l, k in roots)[key]]
        end = min(after) if after else len(lines)
        while end > 0 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1
        return end

    def items(key: str, values, column: int) -> str:
        text = _yaml({key: [_plain(v) for v in values]}).split("\n", 1)[1]
        shift = column - 2
        out = []
        for line in text.splitlines(keepends=True):
            if shift >= 0:
                out.append(" " * shift + line if line.strip() else line)
            else:
                out.append(line[-shift:] if line[:-shift].strip() == "" else line)
        return "".join(out)

    inserts: list[tuple[int, str]] = []
    seq = doc.values.get(("revisions",))
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
        return None
    inserts.append((end_of("revisions"), items("revisions", [revision], seq.start_mark.column)))
    if added:
        seq = doc.values.get(("comments",))
        if seq is None:
            inserts.append((end_of(roots[-1][1]) if roots else len(lines),
                            "comments:\n" + items("comments", added, 2)))
        elif isinstance(seq, yaml.SequenceNode) and not seq.flow_style and seq.value:
            inserts.append((end_of("comments"), items("comments", added, seq.start_mark.column)))
        else:
            return None
    for at, text in sorted(inserts, reverse=True):
        lines.insert(at, text)
    new_body = "".join(lines)
    result = new_body + f"# avtal remiss import: next id {state.next_id}, sha256 edited\n"
    check = Problems()
    again = load_yaml(result, str(state.path), check)
    if again is None or validate(Answer, again, check) != expected:
        return None
    return result
