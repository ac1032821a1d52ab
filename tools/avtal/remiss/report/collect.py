"""What the remissammanställning shows, computed once: every comment placed, with its answer and position."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

from ...model import Clause, Corpus, Document
from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import (ANSWERS_DIR, POSITION_STATUSES, POSITIONS_FILE, STANCES, Answer, Assessment, Comment,
                             DecidedBy, Position, Positions, RoundInfo, load_assessment, load_round)
from ...model.validate import validate
from ...model.versions import frozen_version, load_version
from ...model.yamlfile import read_yaml
from ...redline.diff import CHANGED, DELETED, MOVED, NEW
from ...render import wording
from ...render.build import build_time
from ..record.answers import answer_path, is_removed, load_answers
from ..record.status import StatusReport, status_of
from .trace import TAKEN, TraceResult, trace


STEM = "remissammanstallning"

FILES_DIR = f"{STEM}-filer"  # charts, stylesheet, fonts and search index of the web page

HOME = "../../web/index.html"  # the published edition, from dist/remiss/ROUND/

KIND = "Remissammanställning"

# The states of `avtal remiss status` (status.STATES), as the report says them.
STATE_LABEL = {"answered": "Svarat i tid", "late": "Svarat efter sista svarsdag", "joint": "Gemensamt svar",
               "no-comments": "Ingen erinran", "declined": "Avstått", "none": "Inget svar"}

# The counts of status.GroupCount, in the order shown ('no_comments' counts ingen erinran and avstått together).
GROUP_COLUMNS = (("answered", "Svarat i tid"), ("late", "Sent"), ("joint", "Gemensamt"),
                 ("no_comments", "Ingen erinran eller avstått"), ("none", "Inget svar"))

CHANGE_WORD = {NEW: "nytt", DELETED: "borttaget", MOVED: "flyttat", CHANGED: "ändrat"}

STANCE_LABEL = {"instämmer": "Instämmer", "invänder": "Invänder", "synpunkt": "Synpunkt",
                "ingen erinran": "Ingen erinran", None: "Ej angiven"}

NOT_NEEDED = "not needed"  # the status of a row that only agrees and says nothing else (Comment.needs_position)
STATUS_LABEL = {"beaktad": "Beaktad", "delvis beaktad": "Delvis beaktad", "ej beaktad": "Ej beaktad",
                "noterad": "Noterad", NOT_NEEDED: "Inget att ta ställning till", None: "Öppen"}

OPEN_TEXT = "Öppen – ställningstagande saknas"
NOT_NEEDED_TEXT = "Inget att ta ställning till (instämmer utan synpunkt)"

# How the stances are counted in a sentence: "3 invänder, 2 med synpunkt".
TALLY = {"instämmer": "instämmer", "invänder": "invänder", "synpunkt": "med synpunkt",
         "ingen erinran": "med ingen erinran", None: "utan angiven inställning"}

SOURCE_LABEL = {"form": "svarsformulär", "form-general": "svarsformulär, allmänt", "form-outside":
                "svarsformulär, utanför fälten", "word-comment": "kommentar i Word", "insertion": "tillägg i Word",
                "deletion": "strykning i Word", "letter": "brev", "manual": "manuellt registrerad"}

TOP = 10


@dataclass(frozen=True)
class Entry:
    """One comment with everything shown beside it."""

    comment: Comment
    answer: Answer
    file: str
    answerer: str  # name of the party or kommunalförbund that answered
    joint_for: tuple[str, ...]  # names of the parties a joint answer covers
    received: dt.date | None
    clause: Clause | None
    document: Document | None
    position: Position | None
    changed: bool | None = None  # with --against: did its clause change? (None: general comment or no --against)
    redline: str | None = None  # with --against: link from the report's folder to the clause in the redline
    changed_by: tuple[str, ...] = ()  # with --against, when its clause changed although its own position is not
    # beaktad/delvis beaktad: the comments of the positions whose decisions changed the clause

    @property
    def status(self) -> str | None:
        if self.position is None and not self.comment.needs_position:
            return NOT_NEEDED
        return self.position.status if self.position else None


@dataclass
class Report:
    """Everything the remissammanställning says, computed once and rendered four times."""

    info: RoundInfo
    corpus: Corpus
    when: dt.datetime
    status: StatusReport
    entries: list[Entry]
    answers: int
    trace: TraceResult | None = None  # with --against
    version_name: str = ""  # what readers call the version sent and the one compared with (never the slugs)
    against_name: str | None = None
    records: dict[str, Answer] | None = None  # every answer by answerer id (those without comments too)
    assessment: Assessment | None = None  # the group's bedomning.yaml, when written

    def decided_by(self, answerer: str | None) -> DecidedBy | None:
        """Who decided the answer of `answerer` (its own record's decided_by)."""
        answer = (self.records or {}).get(answerer or "")
        return answer.decided_by if answer is not None else None

    @property
    def against(self) -> str | None:
        return self.trace.against if self.trace else None

    @property
    def title(self) -> str:
        return f"{KIND} – {wording.round_name(self.info.source)}"

    def state_count(self, state: str) -> int:
        return sum(1 for r in self.status.recipients if r.state == state)

    def status_counts(self) -> dict[str | None, int]:
        counts: dict[str | None, int] = {s: 0 for s in (*POSITION_STATUSES, NOT_NEEDED, None)}
        for e in self.entries:
            counts[e.status] += 1
        return counts

    def stance_counts(self) -> dict[str | None, int]:
        counts: dict[str | None, int] = {s: 0 for s in (*STANCES, None)}
        for e in self.entries:
            counts[e.comment.stance] += 1
        return counts

    def most_discussed(self) -> list[tuple[Clause, list[Entry]]]:
        """The clauses with most comments (then most answerers, then the draft's order), at most TOP."""
        by_clause: dict[str, list[Entry]] = {}
        order: dict[str, int] = {}
        for e in self.entries:
            if e.clause is not None:
                by_clause.setdefault(e.clause.id, []).append(e)
                order.setdefault(e.clause.id, len(order))
        ranked = sorted(by_clause.values(), key=lambda es: (-len(es), -len({e.answer.party for e in es}),
                                                            order[es[0].clause.id]))  # type: ignore[union-attr]
        return [(es[0].clause, es) for es in ranked[:TOP]]  # type: ignore[misc]


@dataclass(frozen=True)
class ReportResult:
    """What `avtal remiss report` wrote."""

    round: str
    files: tuple[Path, ...]
    comments: int
    open: int
    answers: int
    seconds: float
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"remissammanställning {self.round}: {self.comments} comment(s) from {self.answers} answer(s), "
                 f"{self.open} without a position"]
        lines += [f"  {path}" for path in self.files]
        lines += [f"note: {note}" for note in self.notes]
        lines.append(f"wrote {len(self.files)} file(s) in {self.seconds:.2f} s")
        return "\n".join(lines)


def collect(sources: Path, round_id: str, *, against: str | None = None) -> Report:
    """Load the round, its version, answers and positions; place every comment. Raises SourceError.

    Answers come from `answers.load_answers` (which also rolls back a killed import and checks ids), the
    recipients' states from `status.status_of`, and with `against` the trace from `trace.trace` (which
    checks the positions as `avtal check` does). Without it the positions file is read here, with the two
    checks the report depends on (known comments, one position each): `positions.load_round_positions`
    would parse every answer a second time, a third of the time of a large round.
    """
    info = load_round(sources, round_id)
    loaded = load_answers(sources, info)
    corpus, _ = load_version(sources, info.source.version)
    traced = trace(sources, round_id, against) if against is not None else None
    known = {c.id for a in loaded for c in a.comments}
    positions = _positions(info, known)
    own_problems = Problems()
    assessment = load_assessment(info, known, {c.id for d in corpus.documents for c in d.clauses()}, own_problems)
    if own_problems.errors:
        raise SourceError(own_problems)
    followed = {t.comment: t for t in traced.comments} if traced else {}
    rank = {x.id: i for i, x in enumerate((*info.book.parties, *info.book.others()))}
    answers = sorted(loaded, key=lambda a: (rank.get(a.party, len(rank)), a.party))
    problems = Problems()
    entries: list[Entry] = []
    for answer in answers:
        file = relative(answer_path(sources, round_id, answer.party))
        who = info.book.answerer(answer.party)
        joint_for = tuple(getattr(info.book.answerer(p), "name", p) for p in answer.on_behalf_of)
        received = {r.number: r.received for r in answer.revisions}
        for i, comment in enumerate(answer.comments):
            if is_removed(comment):
                continue  # withdrawn in a later revision: kept in the record, not in the report
            clause = document = None
            if comment.clause is not None:
                try:
                    clause = corpus.clause(comment.clause)
                except KeyError:
                    known = [c.id for d in corpus.documents for c in d.clauses()]
                    problems.add(_where(sources, round_id, answer, ("comments", i, "clause")),
                                 f"unknown clause '{comment.clause}'{_guess(comment.clause, known)} in comment "
                                 f"'{comment.id}': expected a clause id of version '{info.source.version}', the "
                                 "version the round sent", where=comment.id)
                    continue
                document = corpus.document(clause.doc)
            elif comment.document is not None:
                if comment.document not in {d.id for d in corpus.documents}:
                    docs = [d.id for d in corpus.documents]
                    problems.add(_where(sources, round_id, answer, ("comments", i, "document")),
                                 f"unknown document '{comment.document}'{_guess(comment.document, docs)} in comment "
                                 f"'{comment.id}': expected one of {', '.join(docs)}", where=comment.id)
                    continue
                document = corpus.document(comment.document)
            t = followed.get(comment.id)
            position = positions.get(comment.id)
            changed_by: tuple[str, ...] = ()
            if t is not None and t.changed and (position is None or position.status not in TAKEN):
                near = {t.clause, *t.changed_within}
                changed_by = tuple(dict.fromkeys(cid for p in dict.fromkeys(positions.values())
                                                 if p.status in TAKEN and near & set(p.clauses)
                                                 for cid in p.comments))
            entries.append(Entry(
                comment=comment, answer=answer, file=file, answerer=who.name if who else answer.party,
                joint_for=joint_for, received=received.get(comment.revision), clause=clause, document=document,
                position=position,
                changed=None if t is None or t.state == "general" else t.changed,
                redline=traced.href(t.redline) if traced is not None and t is not None else None,
                changed_by=changed_by))
    if problems.errors:
        raise SourceError(problems)
    entries = _in_draft_order(corpus, info, entries)
    return Report(info, corpus, _report_time(corpus, answers), status_of(info, loaded), entries, len(answers),
                  traced, wording.version_name(frozen_version(sources, info.source.version) or corpus),
                  None if against is None else wording.version_name(
                      frozen_version(sources, against) or load_version(sources, against)[0]),
                  {a.party: a for a in answers}, assessment)


def _where(sources: Path, round_id: str, answer: Answer, key: tuple) -> Location:
    """Where a key of an answer file is (the file is parsed again only to place a problem)."""
    path = answer_path(sources, round_id, answer.party)
    source = read_yaml(path, relative(path), Problems())
    return source.location(key) if source is not None else Location(relative(path))


def _guess(word: str, candidates: list[str]) -> str:
    close = get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _positions(info: RoundInfo, known: set[str]) -> dict[str, Position]:
    """Comment id → the group's position on it, from stallningstaganden.yaml (missing file: none yet)."""
    path = info.folder / POSITIONS_FILE
    if not path.exists():
        return {}
    problems = Problems()
    shown = relative(path)
    source = read_yaml(path, shown, problems)
    data = validate(Positions, source, problems) if source is not None else None
    out: dict[str, Position] = {}
    if data is not None and source is not None:
        for i, position in enumerate(data.positions):
            for j, cid in enumerate(position.comments):
                if cid in known and cid not in out:
                    out[cid] = position
                    continue
                here = source.location(("positions", i, "comments", j))  # only for a problem: it counts lines
                if cid not in known:
                    problems.add(here, f"unknown comment '{cid}': expected a comment id from the answers in "
                                 f"{relative(info.folder / ANSWERS_DIR)}/", where=cid)
                else:
                    problems.add(here, f"comment '{cid}' is covered by two positions: a comment has one position; "
                                 "remove it from one of them", where=cid)
    if problems.errors:
        raise SourceError(problems)
    return out


def _in_draft_order(corpus: Corpus, info: RoundInfo, entries: list[Entry]) -> list[Entry]:
    """Document by document (the round's order), the document's own comments first, then clause by clause;
    general comments last. Within a place, answerers in parter.yaml's order (kept from the input)."""
    docs = [d.id for d in corpus.documents]
    docs = [d for d in info.documents if d in docs] + [d for d in docs if d not in info.documents]
    clause_pos = {c.id: (docs.index(d.id), j + 1) for d in corpus.documents for j, c in enumerate(d.clauses())}

    def key(indexed: tuple[int, Entry]) -> tuple:
        i, e = indexed
        if e.clause is not None:
            return (0, *clause_pos[e.clause.id], i)
        if e.document is not None:
            return (0, docs.index(e.document.id), 0, i)
        return (1, 0, 0, i)

    return [e for _, e in sorted(enumerate(entries), key=key)]


def _report_time(corpus: Corpus, answers: list[Answer]) -> dt.datetime:
    """SOURCE_DATE_EPOCH if set (build_time), else the later of the version's date and the last answer received."""
    when = build_time(corpus)
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit():
        return when
    days = [r.received for a in answers for r in a.revisions]
    if days and max(days) > when.date():
        last = max(days)
        return dt.datetime(last.year, last.month, last.day, tzinfo=dt.timezone.utc)
    return when
