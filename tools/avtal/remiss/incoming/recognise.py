"""Recognising each file: what it is, who sent it, and the comments it holds.

Forms, returned drafts, letters and manual YAML answers are read by their own readers
(`form`, `readers`); a file whose only words are "inga synpunkter" is recorded with stance
"ingen erinran". Many files are read in forked worker processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import replace
from pathlib import Path

from ...fsutil import read_limited
from ...model.problems import Location, Problems, SourceError
from ...model.remiss import Consequences, DecidedBy, ManualAnswer, PartyBook, QuestionAnswer
from ...model.validate import validate
from ...model.yamlfile import load_yaml
from ..record.answers import FLAG_LETTER, FLAG_OUTSIDE, ascii_fold
from .submission import Context, Entry, Incoming, Submission

# Words in names that do not tell parties apart ("Borås Stad", "Dals-Eds kommun").
GENERIC = {"kommun", "kommuns", "stad", "stads", "kommunalforbund", "kommunalforbunds", "region", "regionen"}

PARALLEL_MIN = 8  # files: below this, starting worker processes costs more than it saves
_SHARED: Context | None = None  # the context forked workers inherit


def recognise_all(entries: list[Entry], ctx: Context, problems: Problems) -> list[Submission]:
    """Recognise every file; many files are read in parallel processes (reading a form is CPU-bound Python).

    Workers are forked, so they share the loaded round, version and corpus;
    results come back in the order given, so the import is the same either way.
    """
    import multiprocessing
    import os

    workers = min(os.cpu_count() or 1, 4)
    new = [e for e in entries if _digest(e.path) not in ctx.known]  # files imported before are not read again
    if len(new) < PARALLEL_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [s for s in (recognise_file(e, ctx, problems) for e in entries) if s is not None]
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
    return recognise_file(entry, _SHARED, found), found.items


KIND_NAMES = {"form": "svarsformulär", "draft": "returned draft", "letter": "letter", "manual": "manual answer (YAML)"}


def recognise_file(entry: Entry, ctx: Context, problems: Problems, *, again: bool = False) -> Submission | None:
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
            from .letters import read_letter

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


def _read_docx(sub: Submission, pkg, ctx: Context, problems: Problems) -> None:
    from .form import is_form, read_form_package
    from .letters import read_letter
    from .readers import identify_draft, read_draft

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


def _sender_agrees(sub: Submission, pkg, party: str, ctx: Context, problems: Problems) -> bool:
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


def _read_form(sub: Submission, form, ctx: Context, problems: Problems) -> None:
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


def _read_form_fields(sub: Submission, form, ctx: Context) -> None:
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
    from .letters import letter_decided_by

    sub.kind, sub.described, sub.text = "letter", described, text
    sub.decided_by = letter_decided_by(text)
    if text.strip():
        sub.comments.append(Incoming("letter", text=text.strip(), flags=(FLAG_LETTER,)))
    else:
        sub.notes.append("the letter has no text: kept, no comment added")


def _read_manual(sub: Submission, ctx: Context, problems: Problems) -> None:
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
    from ...model.remiss import _guess as guess

    return guess(word, candidates)


def _resolve_party(sub: Submission, ctx: Context, problems: Problems) -> None:
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
