"""Word comments kept as remiss comments of the working group: `avtal apply FILE --comments-to ROUND`.

A member's Word comment is a question for the group ("Ska vi nämna barn här?"), not text for the
sources. Asked to, `avtal apply` records each one in the round as a comment of the working group
(answerer `arbetsgruppen`, sources/remiss/ROUND/svar/arbetsgruppen.yaml) on its clause, so it gets a
position and a place in the record like a party's. The Word file is kept under inkommet/ as a
party's is, one revision per file. Applying the same file again records nothing twice: a comment is
the same when its clause, text and quoted words are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from pydantic import ValidationError

from ..model.corpus import Corpus
from ..model.problems import Problems, SourceError, relative
from ..model.remiss import INCOMING_DIR, WORKING_GROUP, Answer, Comment, ReceivedFile, Revision, load_round
from ..model.versions import load_version
from ..remiss.incoming.readers import RawComment
from ..remiss.record.answers import (answer_path, ascii_fold, commit, dump_answer, incoming_dir, next_number,
                                     read_record)
from ..remiss.record.lock import round_writer


def record_comments(sources: Path, round_id: str, file: Path, data: bytes, raws: list[RawComment], document: str,
                    *, write: bool, today: dt.date | None = None) -> list[str]:
    """Record the Word comments `raws` (read from `file`, bytes `data`) in the round; lines saying what was done."""
    with round_writer(sources, round_id, "avtal apply --comments-to"):
        return _record(sources, round_id, file, data, raws, document, write, today or dt.date.today())


def _record(sources: Path, round_id: str, file: Path, data: bytes, raws: list[RawComment], document: str,
            write: bool, today: dt.date) -> list[str]:
    info = load_round(sources, round_id)
    if document not in info.documents:
        raise SourceError.at(info.file, f"document '{document}' is not one this round sent "
                             f"({', '.join(info.documents)}): the Word comments cannot be recorded in {round_id}")
    sent, _ = load_version(sources, info.source.version)
    path = answer_path(sources, round_id, WORKING_GROUP)
    shown = relative(path)
    old: Answer | None = None
    next_id = 1
    if path.exists():
        problems = Problems()
        record = read_record(path, problems)
        if record is None:
            raise SourceError(problems)
        if not record.pristine:
            raise SourceError.at(shown, "edited by hand since avtal wrote it: the Word comments are not recorded, "
                                 "so that nothing in it is rewritten; add them by hand (they are listed above), or "
                                 "restore the file from git and apply again")
        old, next_id = record.answer, record.next_id
    known = {_key(c) for c in (old.comments if old else ())}
    digest = hashlib.sha256(data).hexdigest()
    kept = next((f for r in (old.revisions if old else ()) for f in r.files if f.sha256 == digest), None)
    number = len(old.revisions) + 1 if old else 1
    new: list[Comment] = []
    n = next_number(old, next_id)
    for raw in raws:
        comment = _comment(raw, sent, document, f"{WORKING_GROUP}-{n + len(new)}", number, shown)
        if _key(comment) not in known:
            known.add(_key(comment))
            new.append(comment)
    if not new:
        return [f"the {len(raws)} Word comment(s) are already recorded in {shown}"] if raws else []
    ids = ", ".join(c.id for c in new)
    if not write:
        return [f"would record {len(new)} Word comment(s) as comments of the working group in {shown} ({ids})"]
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_fold(file.stem)).strip("-")[:80] or "fil"
    name = kept.path if kept else f"{INCOMING_DIR}/{WORKING_GROUP}/{number}-{stem}.docx"
    revision = Revision(number=number, received=today, files=() if kept else (
        ReceivedFile(path=name, sha256=digest, kind="draft", original_name=file.name),))
    answer = Answer(round=round_id, party=WORKING_GROUP, revisions=(*(old.revisions if old else ()), revision),
                    comments=(*(old.comments if old else ()), *new))
    files = {path: dump_answer(answer, n + len(new)).encode("utf-8")}
    if not kept:
        files[incoming_dir(sources, round_id) / WORKING_GROUP / Path(name).name] = data
    commit(sources, round_id, files)
    return [f"recorded {len(new)} Word comment(s) as comments of the working group in {shown} ({ids})"]


def _comment(raw: RawComment, sent: Corpus, document: str, ident: str, revision: int, shown: str) -> Comment:
    """A Word comment as the group's comment: on its clause when the round's version has it, else on the document."""
    clause = raw.clause
    flags: tuple[str, ...] = ()
    if clause is not None and clause not in {c.id for c in sent.document(document).clauses()}:
        flags = (f"på avsnitt {clause}, som inte finns i remissens version",)
        clause = None
    try:
        return Comment(id=ident, clause=clause, document=None if clause else document, text=raw.text.strip(),
                       quote=raw.quote or None, author=raw.author or None, source="word-comment",
                       revision=revision, flags=flags)
    except ValidationError as exc:
        raise SourceError.at(shown, f"a Word comment by {raw.author or 'unknown'} cannot be recorded "
                             f"({exc.errors()[0]['msg']}): record it by hand") from None


def _key(comment: Comment) -> tuple:
    return comment.clause, comment.document, " ".join(comment.text.split()), " ".join((comment.quote or "").split())
