"""Folding the submissions into the records: revisions, matching comments, letters, hand-edited files.

The files of one answerer received the same day form one revision. A later submission of the
same kind supersedes the earlier one: matched comments keep their ids, changed ones are flagged
"ändrad i revision N", missing ones "borttagen i revision N". A record a person edited is only
appended to (see `importer`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from ...fsutil import read_limited
from ...model.problems import Location, Problems, relative
from ...model.remiss import Answer, Comment, ReceivedFile, Revision
from ...model.validate import validate
from ...model.yamlfile import MAX_BYTES, load_yaml
from ..record import answers as store
from ..record.answers import FLAG_CHANGED, FLAG_REMOVED, FLAG_RETURNED, ascii_fold, is_removed, normalise
from .recognise import recognise_file
from .submission import (DRAFT_SOURCES, FORM_SOURCES, KINDS, Context, Entry, FileReport, ImportReport, Incoming,
                         Submission)

COPY_SIMILARITY = 0.85  # word-multiset similarity above which a letter is a copy of another file sent with it


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


def apply_submissions(ctx: Context, subs: list[Submission], report: ImportReport, problems: Problems) -> dict[Path, bytes]:
    sources, round_id = ctx.sources, ctx.info.id
    known = ctx.known
    states: dict[str, _State] = {}
    reports: dict[int, FileReport] = {}
    groups: dict[tuple[str, dt.date, int], list[Submission]] = {}
    seen: dict[str, Submission] = {}
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
    for state in states.values():
        if not state.touched:
            continue
        if state.pristine:
            text = store.dump_answer(state.answer, state.next_id)
        else:
            text = state.text
        writes[state.path] = text.encode("utf-8")
    return writes


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


def _scope(comment: Comment | Incoming, ctx: Context) -> str | None:
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


def _add_revision(ctx: Context, state: _State, group: list[Submission], received: dt.date,
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
    revision = Revision(number=number, received=received, files=tuple(files))
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


def _merge_into_edited(ctx: Context, state: _State, sub: Submission, olds: list[Comment], number: int, new_comment,
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


def _previous_submission(ctx: Context, state: _State, scope: str | None) -> list[Incoming] | None:
    """The comments of the answerer's latest earlier file of this scope, re-read from inkommet/; None if unreadable."""
    kind = (scope or "").split(":")[0]
    for revision in reversed(state.answer.revisions if state.answer else ()):
        for kept in revision.files:
            if kept.kind != kind:
                continue
            path = ctx.info.folder / kept.path
            if not path.is_file():
                return None
            sub = recognise_file(Entry(path, state.answerer), ctx, Problems(), again=True)
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
        from .letters import read_letter

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
    from ...model.dump import _plain, _yaml

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
