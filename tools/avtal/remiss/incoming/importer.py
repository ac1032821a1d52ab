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
import os
from pathlib import Path
from typing import Optional

from pydantic import Field

from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import Email, Record, load_round
from ...model.schema import Id, Line
from ...model.validate import validate
from ...model.yamlfile import read_yaml
from ..record import answers as store
from ..record.lock import writes_round
from .merge import apply_submissions, known_files
from .recognise import recognise_all
from .submission import Context, Entry, ImportReport


# -- the batch list (the registrar's diarium) --

class BatchFile(Record):
    """One received file in a batch list."""

    file: Line = Field(description="The file, relative to the batch file's folder.")
    party: Optional[Id] = Field(None, description="Who sent it (as --party); default: the form or the file name.")
    on_behalf_of: tuple[Id, ...] = Field((), description="A joint answer: the parties it covers.")
    received: Optional[dt.date] = Field(None, description="Date received (as --received); default today.")
    sender: Optional[Email] = Field(None, description="The address it came from (as --sender): `avtal remiss "
                                    "receipt` acknowledges to it; default the answerer's registrar.")


class ImportBatch(Record):
    """`avtal remiss import ROUND --batch FILE.yaml`: many files, each with its own sender and date."""

    files: tuple[BatchFile, ...] = Field(min_length=1)


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
    context = Context(sources, info, known_files(sources, round_id))
    submissions = recognise_all(entries, context, problems)
    if problems.errors:
        raise SourceError(problems)
    report = ImportReport(round_id)
    writes = apply_submissions(context, submissions, report, problems)
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
