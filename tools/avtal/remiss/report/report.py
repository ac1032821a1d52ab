"""`avtal remiss report ROUND [--against VERSION]`: the remissammanställning in Word, PDF, web and Excel.

One pandoc tree is built from the round, its answers and the working group's
positions, and written the way the agreement itself is: Word by pandoc with
templates/reference.docx and the OOXML finishing pass, PDF/UA-1 by typst
with templates/document.typ, the web page with templates/web/page.html.
The xlsx has one row per comment for sorting and filtering.

The report is complete by construction: every comment of every answer is
placed under its clause (in the draft's order) or among the general
comments, and a comment without a position is shown as open, never left out.

Only this report's own files in dist/remiss/ROUND/ are written (the folder
is shared with `avtal remiss pack`): remissammanstallning.{docx,pdf,html,xlsx}
and remissammanstallning-filer/ (charts, stylesheet, fonts, search index).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import re
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from difflib import get_close_matches
from html import escape
from pathlib import Path
from typing import Any, Callable

from ...fsutil import link_entries, replace_folder
from ...model import Clause, Corpus, Document
from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import (ANSWERS_DIR, POSITION_STATUSES, POSITIONS_FILE, STANCES, Answer, Assessment, Comment,
                            DecidedBy, Position, Positions, RoundInfo, load_assessment, load_round)
from ...model.validate import validate
from ...model.yamlfile import read_yaml
from ...model.versions import frozen_version, load_version
from ...redline.diff import CHANGED, DELETED, MOVED, NEW
from ...render import ast, ooxml, wording
from ...render import typst as typst_writer
from ...render.build import build_time
from ...render.docx import TEMPLATES, WORD
from ...render.pandoc import convert
from ...render.pdf import compile_pdf, laid_out
from ...render.spreadsheet import cell_text, finish_xlsx
from ...render.web import WEB_TEMPLATES, page, static_assets
from . import charts
from ..record.answers import FLAG_LETTER, answer_path, is_removed, load_answers
from ..record.lock import writes_round
from ..record.status import StatusReport, status_of
from .trace import (NO_CLAUSES, PARTLY_UNCHANGED, TAKEN, UNCHANGED, UNCOVERED, UNKNOWN_CLAUSE, Finding, TraceResult,
                    trace)

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
STATUS_LABEL = {"beaktad": "Beaktad", "delvis beaktad": "Delvis beaktad", "ej beaktad": "Ej beaktad",
                "noterad": "Noterad", None: "Öppen"}
OPEN_TEXT = "Öppen – ställningstagande saknas"
# How the stances are counted in a sentence: "3 invänder, 2 med synpunkt".
TALLY = {"instämmer": "instämmer", "invänder": "invänder", "synpunkt": "med synpunkt",
         "ingen erinran": "med ingen erinran", None: "utan angiven inställning"}
SOURCE_LABEL = {"form": "svarsformulär", "form-general": "svarsformulär, allmänt", "form-outside":
                "svarsformulär, utanför fälten", "word-comment": "kommentar i Word", "insertion": "tillägg i Word",
                "deletion": "strykning i Word", "letter": "brev", "manual": "manuellt registrerad"}
TOP = 10


# -- the data the report shows --

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
        counts: dict[str | None, int] = {s: 0 for s in (*POSITION_STATUSES, None)}
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


# -- loading --

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


# -- the tree --

def _t(text: str) -> list[ast.Node]:
    """Text as ONE pandoc Str (spaces inside): the same output as a Str and a Space per word, in a far smaller
    tree. Measured on the 290 x 40 round: pandoc's docx writer 14.2 s → 10.1 s (html 18.6 s → 5.3 s)."""
    text = " ".join(text.split())
    return [{"t": "Str", "c": text}] if text else []


def _p(text: str) -> ast.Node:
    return ast.para(_t(text))


def _cells(values: list[Any]) -> list[list[ast.Node]]:
    return [[ast.plain(v if isinstance(v, list) else _t(str(v)))] for v in values]


# Word's A4 text width and a cell's side padding in points (templates/reference.docx: 11 pt Arial).
TEXT_WIDTH_PT, CELL_PADDING_PT, FONT_PT = 453.5, 10.8, 11
# Advance widths (1/1000 em) of Helvetica Bold, whose metrics Arial Bold (and LibreOffice's Liberation Sans)
# share: bold, the widest the table style sets, so a header word fits too. Other characters count as 611.
_GLYPH_WIDTHS = {ch: width for chars, width in (
    ("ijl.,:;!'| ", 278), ('ft()-/[]I"', 333), ("r", 389), ("z*", 500), ("acesvxykåäâàáéèëê0123456789#$–?_J", 556),
    ("EPSVXY", 667), ("ABCDHKNRUÅÄÉ&", 722), ("GOQwÖ", 778), ("M%", 833), ("m", 889), ("W", 944), ("—@", 1000))
    for ch in chars}


def _width_pt(text: str) -> float:
    """The width of `text` in the table's font, in points, with 20 % to spare: where Arial is missing,
    LibreOffice sets DejaVu Sans (Bold), up to a sixth wider."""
    return sum(_GLYPH_WIDTHS.get(ch, 611) for ch in text) * FONT_PT / 1000 * 1.2


def _received(state: str, received: Any) -> str:
    """An answer's state and the day it came in, in one cell ('Svarat i tid, inkom 2025-05-02')."""
    return f"{state}, inkom {received}" if received else state


def _table(caption: str, header: list[str], rows: list[list[Any]]) -> ast.Node:
    """A table across the text width, columns sized from their content (Word would otherwise shrink it)."""
    node = ast.table(_t(caption), _cells(header), [_cells(r) for r in rows])
    texts = [[ast.stringify(v) if isinstance(v, list) else str(v) for v in row] for row in [header, *rows]]
    widths = column_widths(texts)
    node["c"][2] = [[{"t": "AlignDefault"}, {"t": "ColWidth", "c": w}] for w in widths]
    return node


def column_widths(rows: list[list[str]]) -> list[float]:
    """Column widths as fractions of the text width, laid out the way typst and browsers size auto columns.

    Each column gets at least its longest word (so Word never breaks a word inside a cell, as in
    'Kommunalförbu|nd'), and the room left is shared in proportion to how much more its longest
    cell would need to stand on one line.
    """
    columns = list(zip(*rows))
    least = [CELL_PADDING_PT + max((_width_pt(word) for text in col for word in text.split()), default=0)
             for col in columns]
    most = [max(low, CELL_PADDING_PT + max(_width_pt(text) for text in col)) for col, low in zip(columns, least)]
    if sum(most) <= TEXT_WIDTH_PT:
        widths = most
    elif sum(least) >= TEXT_WIDTH_PT:
        widths = least
    else:
        room = (TEXT_WIDTH_PT - sum(least)) / (sum(most) - sum(least))
        widths = [low + (high - low) * room for low, high in zip(least, most)]
    return [w / sum(widths) for w in widths]


_PARAGRAPHS = re.compile(r"\n\s*\n")
_BULLETS = ("- ", "• ", "* ")


def text_blocks(text: str) -> list[ast.Node]:
    """A party's free text as paragraphs and bullet lists; nothing in it is read as markup."""
    out: list[ast.Node] = []
    for chunk in _PARAGRAPHS.split(text.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line[:2] in _BULLETS for line in lines):
            out.append(ast.bullet_list([[ast.plain(_t(line[2:]))] for line in lines]))
        else:
            out.append(ast.para(_t(" ".join(lines))))
    return out


_names = wording.listing


def _flag_text(flag: str) -> str:
    """A flag as a sentence (the importer writes them in Swedish, lower case)."""
    if flag == FLAG_LETTER:
        return "Brev som ännu inte är uppdelat i enskilda synpunkter"
    return flag[:1].upper() + flag[1:]


@dataclass(frozen=True)
class Planned:
    """A chart the tree shows, drawn when its pixels are needed."""

    name: str
    caption: str
    alt: str
    draw: Callable[[], charts.Chart]


def _figure(chart: Planned) -> ast.Node:
    """A chart: an image with alt text; its source is resolved per format (`_lower`)."""
    image = {"t": "Image", "c": [ast.attr(classes=["chart"]), _t(chart.alt), [f"chart:{chart.name}", ""]]}
    return {"t": "Figure", "c": [ast.attr(f"rs-figur-{chart.name}"), [None, [ast.plain(_t(chart.caption))]],
                                 [ast.plain([image])]]}


class Builder:
    """Builds the report's one pandoc tree (format-neutral; charts and links resolved by `_lower`)."""

    def __init__(self, report: Report):
        self.r = report
        self.planned: list[Planned] = []
        self.charts: dict[str, charts.Chart] = {}
        self.toc: list[tuple[int, str, str]] = []

    def heading(self, level: int, text: str, ident: str, inlines: list[ast.Node] | None = None) -> ast.Node:
        if level <= 2:
            self.toc.append((level, ident, text))
        return ast.header(level, inlines or _t(text), ast.attr(ident, ["unnumbered"]))

    def blocks(self) -> list[ast.Node]:
        """The whole report: the summary (which plans the charts), then the comments."""
        return self.summary() + self.comments()

    def comments(self) -> list[ast.Node]:
        """Document by document, clause by clause; general comments; with --against the trace."""
        out: list[ast.Node] = []
        for doc_id in self.document_order():
            out.extend(self.document(self.r.corpus.document(doc_id)))
        out.extend(self.general())
        if self.r.against is not None:
            out.extend(self.trace())
        return out

    def document_order(self) -> list[str]:
        docs = [d.id for d in self.r.corpus.documents]
        return [d for d in self.r.info.documents if d in docs] + [d for d in docs if d not in self.r.info.documents]

    # -- summary --

    def summary(self) -> list[ast.Node]:
        """The group's assessment, the summaries per question and theme, then the figures of the round."""
        return [*self.assessment(), *self.questions(), *self.themes(), *self.figures()]

    def figures(self) -> list[ast.Node]:
        r, src = self.r, self.r.info.source
        n = r.state_count
        total = len(r.status.recipients)
        others = r.status.others
        answered = total - n("none") - n("declined")
        counts = r.status_counts()
        sent_to = f"de {total} parterna" + (f" och till {len(r.info.others)} övriga remissinstanser"
                                            if r.info.others else "")
        covered_too = sum(1 for x in r.status.recipients if x.also_via)
        out = [self.heading(1, "Sammanfattning", "rs-sammanfattning"),
               _p(f"Remissen skickades den {wording.long_date(src.sent)} till {sent_to} med sista "
                  f"svarsdag den {wording.long_date(src.deadline)}. {answered} av {total} parter har svarat: "
                  f"{n('answered')} i tid, {n('late')} efter sista svarsdag, {n('joint')} genom ett gemensamt svar "
                  f"och {n('no-comments')} utan synpunkter (ingen erinran). {n('declined')} har avstått och "
                  f"{n('none')} har inte svarat."
                  + (f" Ytterligare {covered_too} {'part' if covered_too == 1 else 'parter'} som omfattas av ett "
                     "gemensamt svar har också svarat själv och räknas efter sitt eget svar." if covered_too else "")),
               _p(f"Svaren innehåller {len(r.entries)} synpunkter. Arbetsgruppen har tagit ställning till "
                  f"{len(r.entries) - counts[None]} av dem; {counts[None]} är öppna.")]
        letters = [e for e in r.entries if FLAG_LETTER in e.comment.flags]
        if letters:
            out.append(_p(f"{len(letters)} brev är ännu inte uppdelade i enskilda synpunkter ("
                          f"{', '.join(wording.comment_label(e.comment.id) for e in letters)}); de visas som de "
                          "kom in."))
        for state, lead in (("late", "Svarade efter sista svarsdag"), ("no-comments", "Ingen erinran"),
                            ("declined", "Avstod från att svara"), ("none", "Har inte svarat")):
            names = [x.name for x in r.status.recipients if x.state == state]
            if names:
                out.append(_p(f"{lead}: {_names(names)}."))
        for j in r.status.joint_answers:
            out.append(_p(self.joint_sentence(j.party)))
        if others:
            replied = [x for x in others if x.state != "none"]
            out.append(_p(f"Av de {len(others)} remissinstanser som inte är parter har {len(replied)} svarat"
                          + (f": {_names([x.name for x in replied])}" if replied else "") + ". De räknas inte in "
                          "bland parternas svar ovan."
                          + (f" Har inte svarat: {_names([x.name for x in others if x.state == 'none'])}."
                             if len(replied) < len(others) else "")))
        out.extend(self.by_group())
        out.extend(self.by_status())
        out.extend(self.by_stance())
        out.extend(self.top())
        out.extend(self.recipient_table())
        out.extend(self.others_table())
        return out

    def joint_sentence(self, answerer: str) -> str:
        """'Gemensamt svar från X för A, B och C (3 kommuner; B har också svarat själv).' — every party it names."""
        records = self.r.records or {}
        answer = records[answerer]
        covered = [self.answerer_name(p) for p in answer.on_behalf_of]
        also = [self.answerer_name(p) for p in answer.on_behalf_of if p in records]  # answered themselves too
        note = f"; {_names(also)} har också svarat själv" if also else ""
        return (f"Gemensamt svar från {self.answerer_name(answerer)} för {_names(covered)} "
                f"({self.covered_count(answer)}{note}).")

    def covered_count(self, answer: Answer) -> str:
        """'6 kommuner' (or 'parter' when the region is among them): the parties a joint answer names."""
        kinds = {getattr(self.r.info.book.answerer(p), "kind", "kommun") for p in answer.on_behalf_of}
        n = len(answer.on_behalf_of)
        word = ("kommun" if n == 1 else "kommuner") if kinds <= {"kommun"} else ("part" if n == 1 else "parter")
        return f"{n} {word}"

    # -- the working group's own text (bedomning.yaml) --

    def assessment(self) -> list[ast.Node]:
        a = self.r.assessment
        out = [self.heading(1, "Arbetsgruppens bedömning", "rs-bedomning")]
        if a is None:
            return out + [_p("Arbetsgruppen har ännu inte skrivit sin samlade bedömning av remissvaren.")]
        out += text_blocks(a.assessment)
        out.append(self.heading(2, "Förslag till beslut", "rs-forslag-till-beslut"))
        out += text_blocks(a.recommendation)
        return out

    def questions(self) -> list[ast.Node]:
        """One section per question of the missiv: the group's summary and the comments it names."""
        asked = self.r.info.source.letter.questions
        if not asked:
            return []
        summaries = {q.question: q for q in (self.r.assessment.questions if self.r.assessment else ())}
        out = [self.heading(1, "Sammanfattning per remissfråga", "rs-fragor"),
               _p(f"Missivet ställde {len(asked)} frågor till remissinstanserna. Under varje fråga följer "
                  "arbetsgruppens sammanfattning av svaren och de synpunkter som sammanfattningen bygger på.")]
        by_id = {e.comment.id: e for e in self.r.entries}
        for number, question in enumerate(asked, 1):
            out.append(self.heading(2, f"Fråga {number}: {question}", f"rs-fraga-{number}"))
            q = summaries.get(number)
            if q is None:
                out.append(_p("Arbetsgruppen har ännu inte sammanfattat svaren på frågan."))
                continue
            entries = [by_id[c] for c in q.comments if c in by_id]
            if entries:
                out.append(_p(self.tally(entries) + "."))
            out += text_blocks(q.summary)
            if entries:
                out.append(self.comment_links(entries))
        return out

    def themes(self) -> list[ast.Node]:
        """One section per theme of bedomning.yaml, with the counts of the comments on its clauses."""
        a = self.r.assessment
        if a is None or not a.themes:
            return []
        out = [self.heading(1, "Sammanfattning per tema", "rs-teman")]
        rows = []
        for i, theme in enumerate(a.themes, 1):
            entries = self.theme_entries(theme)
            out.append(self.heading(2, theme.title, f"rs-tema-{i}"))
            out.append(_p((self.tally(entries) if entries else "Inga synpunkter") + "."))
            out += text_blocks(theme.summary)
            if theme.clauses:
                links: list[ast.Node] = [*_t("Avsnitt:"), {"t": "Space"}]
                for j, cid in enumerate(theme.clauses):
                    clause = self.r.corpus.clause(cid)
                    if j:
                        links += [*_t(";"), {"t": "Space"}]
                    links.append(ast.link(_t(self.clause_label(clause)), f"#{cid}"))
                out.append(ast.para(links))
            statuses = [e.status for e in entries]
            rows.append([theme.title, len(entries), len({e.answer.party for e in entries}),
                         sum(1 for e in entries if e.comment.stance == "invänder"),
                         sum(1 for st in statuses if st in TAKEN), sum(1 for st in statuses if st is None)])
        out.append(_table("Synpunkter per tema. Beaktade: beaktade eller delvis beaktade.",
                          ["Tema", "Synpunkter", "Svarande", "Invänder", "Beaktade", "Öppna"], rows))
        return out

    def theme_entries(self, theme) -> list[Entry]:
        """The comments on the theme's clauses (or on clauses below them), and the comments it names."""
        within: set[str] = set()
        for cid in theme.clauses:
            within |= {c.id for c in self.r.corpus.clause(cid).walk()}
        named = set(theme.comments)
        return [e for e in self.r.entries if (e.clause is not None and e.clause.id in within)
                or e.comment.id in named]

    def tally(self, entries: list[Entry]) -> str:
        """'12 synpunkter från 10 remissinstanser: 3 instämmer, 8 invänder, 1 synpunkt'."""
        stances = Counter(e.comment.stance for e in entries)
        parts = [f"{stances[s]} {TALLY[s]}" for s in (*STANCES, None) if stances[s]]
        who = len({e.answer.party for e in entries})
        return (f"{len(entries)} {'synpunkt' if len(entries) == 1 else 'synpunkter'} från {who} "
                f"{'remissinstans' if who == 1 else 'remissinstanser'}: {', '.join(parts)}")

    def comment_links(self, entries: list[Entry]) -> ast.Node:
        """'Synpunkter: boras-3 (Borås Stad), …', each linked to the comment."""
        out: list[ast.Node] = [*_t("Synpunkter:"), {"t": "Space"}]
        for i, e in enumerate(entries):
            if i:
                out += [*_t(","), {"t": "Space"}]
            out.append(ast.link(_t(e.comment.id), f"#synpunkt-{e.comment.id}"))
            out += [{"t": "Space"}, *_t(f"({e.answerer})")]
        return ast.para(out)

    def answerer_name(self, ident: str) -> str:
        who = self.r.info.book.answerer(ident)
        return who.name if who else ident

    def by_group(self) -> list[ast.Node]:
        """Per kommunalförbund (and the region), the counts of `avtal remiss status`."""
        groups = self.r.status.groups
        series = [(label, [getattr(g, key) for g in groups]) for key, label in GROUP_COLUMNS]
        alt = "Liggande stapeldiagram över svaren per kommunalförbund. " + " ".join(
            f"{g.name}: {g.parties} remissinstanser, varav " + ", ".join(
                f"{label.lower()} {getattr(g, key)}" for key, label in GROUP_COLUMNS) + "." for g in groups)
        chart = self.chart(charts.stacked_bars, "svar", "Svar per kommunalförbund", alt, [g.name for g in groups],
                           series)
        rows = [[g.name, g.parties, *[getattr(g, key) for key, _ in GROUP_COLUMNS]] for g in groups]
        rows.append(["Totalt", sum(g.parties for g in groups),
                     *[sum(getattr(g, key) for g in groups) for key, _ in GROUP_COLUMNS]])
        return [self.heading(2, "Svar per kommunalförbund", "rs-svar"), _figure(chart),
                _table("Svar per kommunalförbund (samma uppgifter som diagrammet). Sent: svarat efter sista "
                       "svarsdag. Gemensamt: omfattas av ett gemensamt svar.",
                       ["Förbund", "Instanser", *[label for _, label in GROUP_COLUMNS]], rows)]

    def by_status(self) -> list[ast.Node]:
        counts = self.r.status_counts()
        labels = [STATUS_LABEL[s] for s in counts]
        alt = ("Stapeldiagram över arbetsgruppens ställningstaganden till synpunkterna: "
               + ", ".join(f"{label.lower()} {n}" for label, n in zip(labels, counts.values())) + ".")
        chart = self.chart(charts.bars, "stallningstaganden", "Arbetsgruppens ställningstaganden", alt, labels,
                           list(counts.values()))
        rows = [[label, n] for label, n in zip(labels, counts.values())] + [["Totalt", len(self.r.entries)]]
        return [self.heading(2, "Arbetsgruppens ställningstaganden", "rs-stallningstaganden"),
                _p("Öppen betyder att arbetsgruppen ännu inte har tagit ställning till synpunkten."), _figure(chart),
                _table("Ställningstaganden (samma uppgifter som diagrammet)", ["Ställningstagande", "Synpunkter"],
                       rows)]

    def by_stance(self) -> list[ast.Node]:
        counts = self.r.stance_counts()
        labels = [STANCE_LABEL[s] for s in counts]
        alt = ("Stapeldiagram över parternas inställning i synpunkterna: "
               + ", ".join(f"{label.lower()} {n}" for label, n in zip(labels, counts.values())) + ".")
        chart = self.chart(charts.bars, "installning", "Parternas inställning", alt, labels, list(counts.values()))
        rows = [[label, n] for label, n in zip(labels, counts.values())] + [["Totalt", len(self.r.entries)]]
        return [self.heading(2, "Parternas inställning", "rs-installning"), _figure(chart),
                _table("Parternas inställning (samma uppgifter som diagrammet)", ["Inställning", "Synpunkter"], rows)]

    def top(self) -> list[ast.Node]:
        top = self.r.most_discussed()
        out = [self.heading(2, "Mest kommenterade avsnitt", "rs-mest-kommenterade")]
        if not top:
            return out + [_p("Inga synpunkter på enskilda avsnitt.")]
        labels = [self.clause_label(c) for c, _ in top]
        alt = (f"Liggande stapeldiagram över de {len(top)} avsnitt som fått flest synpunkter: "
               + "; ".join(f"{label}: {len(es)}" for label, (_, es) in zip(labels, top)) + ".")
        chart = self.chart(charts.bars, "mest-kommenterade", "Mest kommenterade avsnitt", alt,
                           [_short(label, 48) for label in labels], [len(es) for _, es in top], horizontal=True)
        rows = []
        for clause, es in top:
            link = [ast.link(_t(clause.label), f"#{clause.id}")]
            rows.append([link, clause.title, self.r.corpus.document(clause.doc).source.short_title, len(es),
                         len({e.answer.party for e in es}),
                         sum(1 for e in es if e.comment.stance == "invänder")])
        return out + [_figure(chart), _table("Mest kommenterade avsnitt (samma uppgifter som diagrammet)",
                                             ["Avsnitt", "Rubrik", "Dokument", "Synpunkter", "Svarande", "Invänder"],
                                             rows)]

    def recipient_table(self) -> list[ast.Node]:
        names = self.r.status.group_names
        rows = []
        for x in self.r.status.recipients:
            # The kommunalförbund's short name: five columns of whole words must fit the A4 text width.
            state = STATE_LABEL[x.state] + (f" ({names.get(x.joint_via, self.answerer_name(x.joint_via))})"
                                            if x.joint_via else "")
            if x.late and x.state != "late":
                state += ", efter sista svarsdag"
            decided = self.r.decided_by(x.joint_via or (x.party if x.state != "none" else None))
            rows.append([x.name, names.get(x.kommunalforbund or "", "–"), _received(state, x.received),
                         _decision(decided) if x.state != "none" else "–"])
        return [self.heading(2, "Parterna och deras svar", "rs-remissinstanser"),
                _table("Parterna och deras svar. Beslut: det organ som beslutade svaret (vid gemensamt svar "
                       "kommunalförbundets organ).", ["Part", "Kommunalförbund", "Svar", "Beslut"], rows)]

    def others_table(self) -> list[ast.Node]:
        """The remissinstanser that are not parties, apart from the parties' table."""
        others = self.r.status.others
        if not others:
            return []
        rows = []
        for x in others:
            who = self.r.info.book.answerer(x.party)
            kind = OTHER_KIND.get(getattr(who, "kind", None), "Kommunalförbund")
            state = STATE_LABEL[x.state] + (", utan att ha fått remissen" if x.party in self.r.status.unasked else "")
            rows.append([x.name, kind, _received(state, x.received),
                         _decision(self.r.decided_by(x.party)) if x.state != "none" else "–"])
        return [self.heading(2, "Övriga remissinstanser och deras svar", "rs-ovriga-remissinstanser"),
                _p("Remissinstanser som inte är parter i avtalet. Deras svar redovisas under avsnitten som övriga "
                   "svar men räknas inte in bland parternas svar."),
                _table("Övriga remissinstanser och deras svar", ["Remissinstans", "Slag", "Svar", "Beslut"],
                       rows)]

    def chart(self, draw: Callable[..., charts.Chart], name: str, caption: str, alt: str, *args, **kw) -> Planned:
        """A chart to draw later (`draw_charts`): the tree needs only its name, caption and alt text."""
        planned = Planned(name, caption, alt, lambda: draw(name, caption, alt, *args, **kw))
        self.planned.append(planned)
        return planned

    def draw_charts(self) -> None:
        """Draw every planned chart (matplotlib: about a second, so the web page's pandoc run goes first)."""
        for planned in self.planned:
            self.charts[planned.name] = planned.draw()

    def clause_label(self, clause: Clause) -> str:
        return f"{clause.label} {clause.title} ({self.r.corpus.document(clause.doc).source.short_title})"

    # -- comments --

    def document(self, doc: Document) -> list[ast.Node]:
        entries = [e for e in self.r.entries if e.document is not None and e.document.id == doc.id]
        out = [self.heading(1, doc.title, f"rs-dokument-{doc.id}")]
        if not entries:
            return out + [_p("Inga synpunkter på detta dokument.")]
        clauses = {e.clause.id for e in entries if e.clause}
        out.append(_p(f"{len(entries)} synpunkter, på {len(clauses)} avsnitt"
                      + (" och på dokumentet som helhet." if any(e.clause is None for e in entries) else ".")))
        whole = [e for e in entries if e.clause is None]
        if whole:
            out.append(self.heading(2, "Dokumentet som helhet", f"rs-helhet-{doc.id}"))
            for e in whole:
                out.append(self.comment(e))
        current: str | None = None
        first: dict[int, str] = {}  # position → the first comment under this clause that shows its motivering
        for e in entries:
            if e.clause is None:
                continue
            if e.clause.id != current:
                current, first = e.clause.id, {}
                number = ast.span(_t(e.clause.label), ast.attr(classes=["number"]))
                out.append(self.heading(2, f"{e.clause.label} {e.clause.title}", e.clause.id,
                                        [number, {"t": "Space"}, *_t(e.clause.title)]))
            key = id(e.position)
            out.append(self.comment(e, same_as=first.get(key) if e.position is not None else None))
            first.setdefault(key, e.comment.id)
        return out

    def general(self) -> list[ast.Node]:
        entries = [e for e in self.r.entries if e.document is None]
        out = [self.heading(1, "Allmänna synpunkter", "rs-allmanna")]
        if not entries:
            return out + [_p("Inga allmänna synpunkter.")]
        by_party: dict[str, list[Entry]] = {}
        for e in entries:
            by_party.setdefault(e.answer.party, []).append(e)
        for party, es in by_party.items():
            out.append(self.heading(2, es[0].answerer, f"rs-allmant-{party}"))
            decided = self.r.decided_by(party)
            if decided is not None:
                out.append(_p(f"Beslutat av {_decision(decided)}."))
            out.extend(self.comment(e, party=False) for e in es)
        return out

    def comment(self, e: Entry, *, party: bool = True, same_as: str | None = None) -> ast.Node:
        """One comment: a level-3 heading (who, stance, id), the text, proposal, flags and the group's position.

        `same_as`: an earlier comment under the same avsnitt with the same position; the motivering is
        written once per issue, so this one refers to it instead of repeating it.
        """
        c = e.comment
        lead = f"{e.answerer} – " if party else ""
        if party and e.joint_for:
            lead = f"{e.answerer} (gemensamt svar för {self.covered_count(e.answer)}) – "
        blocks = [self.heading(3, f"{lead}{STANCE_LABEL[c.stance]} ({wording.comment_label(c.id)})",
                               f"synpunkt-{c.id}")]
        if c.quote:
            blocks.append(ast.para([ast.emph(_t(f"Avser texten: ”{' '.join(c.quote.split())}”"))]))
        blocks.extend(text_blocks(c.text) if c.text.strip() else [_p("(Ingen text.)")])
        if c.proposal:
            blocks.append(ast.para([ast.strong(_t("Förslag till formulering:"))]))
            blocks.append(ast.div(text_blocks(c.proposal), ast.attr(classes=["proposal"])))
        for flag in c.flags:
            blocks.append(ast.para([ast.emph(_t(f"Obs: {_flag_text(flag)}."))]))
        if e.position is None:
            blocks.append(ast.para([ast.strong(_t("Arbetsgruppens ställningstagande:")), {"t": "Space"},
                                    ast.span(_t(OPEN_TEXT), ast.attr(classes=["open"]))]))
        elif same_as is not None:
            blocks.append(ast.para([ast.strong(_t("Arbetsgruppens ställningstagande:")), {"t": "Space"},
                                    *_t(f"{STATUS_LABEL[e.position.status]}, se motiveringen till"), {"t": "Space"},
                                    ast.link(_t(same_as), f"#synpunkt-{same_as}"), *_t(".")]))
        else:
            reason = " ".join(e.position.reason.split())
            blocks.append(ast.para([ast.strong(_t("Arbetsgruppens ställningstagande:")), {"t": "Space"},
                                    *_t(f"{STATUS_LABEL[e.position.status]}. {reason}")]))
        if e.changed is not None:
            taken = e.status in TAKEN
            if e.changed and not taken:
                # The clause changed, but not because of this comment: say whose positions changed it.
                why = (f"efter andra synpunkter ({', '.join(e.changed_by)}), inte efter denna" if e.changed_by
                       else "av andra skäl än denna synpunkt")
                text = f"Avsnittet har ändrats i {self.r.against_name} {why}"
                blocks.append(ast.para([ast.link(_t(text), e.redline)] if e.redline else _t(text)))
            elif e.changed and e.redline:
                blocks.append(ast.para([ast.link(_t(f"Ändrad i {self.r.against_name}"), e.redline)]))
            else:
                blocks.append(_p(f"Ändrad i {self.r.against_name}" if e.changed
                                 else f"Oförändrad i {self.r.against_name}"))
        return ast.div(blocks, ast.attr(classes=["comment"]))

    # -- traceability --

    def trace(self) -> list[ast.Node]:
        r, t = self.r, self.r.trace
        assert t is not None
        on_clauses = [e for e in r.entries if e.changed is not None]
        changed = [e for e in on_clauses if e.changed]
        out = [self.heading(1, f"Spårbarhet mot {r.against_name}", "rs-sparbarhet"),
               _p(f"{len(changed)} av {len(on_clauses)} synpunkter på enskilda avsnitt gäller avsnitt som har "
                  "ändrats "
                  f"mellan {r.version_name} och {r.against_name}. {len(t.changed)} avsnitt har ändrats; ändringarna "
                  "visas i ändringsförteckningen och de markerade dokumenten.")]
        if not t.findings:
            return out + [_p("Inga avvikelser: varje beaktad eller delvis beaktad synpunkt gäller ett ändrat "
                             "avsnitt, "
                             "och varje ändrat avsnitt nämns i ett ställningstagande.")]
        out.append(_p(f"{len(t.findings)} iakttagelser att gå igenom (inte nödvändigtvis fel: alla ändringar "
                      "behöver inte komma från remissen):"))
        out.append(ast.bullet_list([[ast.plain(_t(self.finding(f)))] for f in t.findings]))
        return out

    def finding(self, f: Finding) -> str:
        """A trace finding in Swedish, from its kind and ids (the English message is for `avtal check`)."""
        t = self.r.trace
        assert t is not None
        who = ", ".join(wording.comment_label(c) for c in f.comments)
        status = next((e.status for e in self.r.entries if e.comment.id in f.comments and e.status), None)
        position = f"Ställningstagandet ”{status}” ({who})" if status else f"Ställningstagandet ({who})"
        if f.kind == NO_CLAUSES:
            return f"{position} anger inga avsnitt som beslutet har ändrat."
        if f.kind in (UNCHANGED, PARTLY_UNCHANGED) and f.clause:
            where = self.clause_name(f.clause)
            if f.kind == UNCHANGED:
                return f"{position} anger {where}, men inget av de angivna avsnitten har ändrats i {self.r.against_name}."
            return f"{position} anger bland annat {where}, som inte har ändrats i {self.r.against_name}."
        if f.kind == UNCOVERED and f.clause:
            c = next((c for c in t.changed if c.id == f.clause), None)
            if c is not None:
                what = " och ".join(CHANGE_WORD[k] for k in (NEW, DELETED, MOVED, CHANGED) if k in c.kinds)
                doc = self.r.corpus.document(c.document).source.short_title \
                    if c.document in {d.id for d in self.r.corpus.documents} else c.document
                return (f"Avsnitt {c.number_to or c.number_from} {c.title} ({doc}) är {what} i {self.r.against_name}, men "
                        "inget ställningstagande anger det.")
        if f.kind == UNKNOWN_CLAUSE and f.clause:
            return f"{position} anger avsnittet '{f.clause}', som inte finns i någon av versionerna."
        return f.message

    def clause_name(self, clause_id: str) -> str:
        try:
            clause = self.r.corpus.clause(clause_id)
        except KeyError:
            return f"avsnittet '{clause_id}'"
        return f"avsnitt {clause.label} {clause.title} ({self.r.corpus.document(clause.doc).source.short_title})"


OTHER_KIND = {"samverkansorgan": "Samverkansorgan", "brukarorganisation": "Brukarorganisation",
              "anhörigorganisation": "Anhörigorganisation"}


def _decision(decided: DecidedBy | None) -> str:
    """'Kommunstyrelsen, 22 april 2025, § 45' (what is known of it), or that it is not stated."""
    if decided is None:
        return "Uppgift saknas"
    return ", ".join(x for x in (decided.body, wording.long_date(decided.date) if decided.date else None,
                                 decided.paragraph) if x)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


# -- lowering the one tree per format --

def _lower(blocks: list[ast.Node], fmt: str, builder: Builder) -> list[ast.Node]:
    """The one tree made ready for a format.

    Charts (top-level figures): PNG data for Word, an SVG file beside the page for the web, a typst figure
    with the SVG inline and its alt text (PDF/UA-1 requires it) for the PDF. A comment's wrapper (a Div,
    for the web page's stylesheet) is dropped for Word and PDF, where it shows nothing: in typst each would
    be one more block to lay out.
    """
    out: list[ast.Node] = []
    for block in blocks:
        if block["t"] == "Figure":
            out.append(_chart_for(block, fmt, builder))
        elif block["t"] == "Div" and fmt != "html" and "comment" in block["c"][0][1]:
            out.extend(block["c"][1])
        else:
            out.append(block)
    return out


def _chart_for(figure: ast.Node, fmt: str, builder: Builder) -> ast.Node:
    (ident, classes, kv), (short, caption), body = figure["c"]
    image = body[0]["c"][0]
    name = image["c"][2][0].split(":", 1)[1]
    if fmt == "html":
        image = {"t": "Image", "c": [image["c"][0], image["c"][1], [f"{FILES_DIR}/{name}.svg", ""]]}
        return {"t": "Figure", "c": [[ident, classes, kv], [short, caption], [ast.plain([image])]]}
    chart = builder.charts[name]
    if fmt == "typst":
        svg = chart.svg.decode("utf-8")
        return ast.raw_block("typst", f"#figure(image(bytes({typst_writer.string(svg)}), format: \"svg\", "
                             f"alt: {typst_writer.string(chart.alt)}, width: 100%), "
                             f"caption: [{typst_writer.blocks(caption).strip()}])<{ident}>")
    src = "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
    (img_id, img_classes, _), alt = image["c"][0], image["c"][1]
    image = {"t": "Image", "c": [[img_id, img_classes, [["width", f"{charts.WIDTH_CM}cm"]]], alt, [src, ""]]}
    return {"t": "Figure", "c": [[ident, classes, kv], [short, caption], [ast.plain([image])]]}


# -- writers --

def _info(report: Report) -> list[tuple[str, str]]:
    src = report.info.source
    info = [("Diarienummer", src.diarienummer), ("Version", report.version_name),
            ("Skickad", wording.long_date(src.sent)), ("Sista svarsdag", wording.long_date(src.deadline))]
    if report.against_name:
        info.append(("Jämförd med", report.against_name))
    return info


def _docx(report: Report, blocks: list[ast.Node], toc: list[tuple[int, str, str]],
          pages: Callable[[], dict[str, int]] = dict) -> bytes:
    """The Word file; `pages` gives the headings' pages in the PDF (asked for only once pandoc is done)."""
    src = report.info.source
    front = [ast.raw_block("openxml", ooxml.title_page(KIND, report.title, None, _info(report))),
             ast.raw_block("openxml", ooxml.table_of_contents("Innehåll", toc)),
             ast.raw_block("openxml", ooxml.page_break())]
    tree = ast.document(front + blocks, {"lang": ast.meta_string("sv-SE")})
    raw = convert(tree, WORD, f"--reference-doc={TEMPLATES / 'reference.docx'}",
                  env={"SOURCE_DATE_EPOCH": str(int(report.when.timestamp()))})
    return ooxml.finish_docx(raw, header=f"{KIND} · {src.diarienummer}", when=report.when, pages=pages(), properties={
        "title": report.title, "subject": KIND, "creator": wording.GROUP, "lastModifiedBy": wording.GROUP,
        "language": "sv-SE", "identifier": src.diarienummer, "keywords": f"{src.diarienummer}; {wording.round_name(src)}; {KIND}",
        "version": report.version_name, "category": KIND})


def _pdf(report: Report, blocks: list[ast.Node]) -> bytes:
    return compile_pdf(_typst(report, blocks), report.when)


def _typst(report: Report, blocks: list[ast.Node]) -> bytes:
    """The typst source of the PDF: the documents' page design with the report's title page fields."""
    src = report.info.source
    meta = {"title": report.title, "short-title": KIND, "kind": KIND, "status-upper": wording.round_name(src).upper(),
            "version-iso": "", "diarienummer": src.diarienummer, "author": wording.GROUP,
            "keywords": [src.diarienummer, wording.round_name(src), KIND], "draft": False,
            "info": [list(pair) for pair in _info(report)]}
    template = (TEMPLATES / "document.typ").read_text(encoding="utf-8")
    return typst_writer.document(meta, template, blocks).encode("utf-8")


# -- the web page's body: the tree written as HTML here (the markup pandoc's html5 writer gives these nodes) --
# pandoc took 2.9 s (5 s with the other writers running) for the 290 x 40 round, most of it reading the
# JSON tree; this writer takes ~0.3 s. Only the node kinds the report builds are known: others raise.

def _attrs(a: ast.Attr, extra: str = "") -> str:
    ident, classes, kv = a
    out = f' class="{escape(" ".join(classes))}"' if classes else ""
    out += f' id="{escape(ident)}"' if ident else ""
    return out + extra + "".join(f' {escape(k)}="{escape(v)}"' for k, v in kv)


def html_inlines(nodes: list[ast.Node]) -> str:
    out = []
    for node in nodes:
        kind, c = node["t"], node.get("c")
        if kind == "Str":
            out.append(escape(c, quote=False))
        elif kind in ("Space", "SoftBreak"):
            out.append(" ")
        elif kind in ("Strong", "Emph"):
            tag = "strong" if kind == "Strong" else "em"
            out.append(f"<{tag}>{html_inlines(c)}</{tag}>")
        elif kind == "Span":
            out.append(f"<span{_attrs(c[0])}>{html_inlines(c[1])}</span>")
        elif kind == "Link":
            out.append(f'<a href="{escape(c[2][0])}"{_attrs(c[0])}>{html_inlines(c[1])}</a>')
        elif kind == "Image":
            out.append(f'<img src="{escape(c[2][0])}"{_attrs(c[0])} alt="{escape(ast.stringify(c[1]))}" />')
        else:
            raise ValueError(f"report html writer: unsupported inline {kind}")
    return "".join(out)


def html_blocks(nodes: list[ast.Node], shift: int = 1) -> str:
    """Blocks as HTML; headings one level down (the page's h1 is the title), as `fragment` does."""
    out = []
    for node in nodes:
        kind, c = node["t"], node.get("c")
        if kind == "Para":
            out.append(f"<p>{html_inlines(c)}</p>")
        elif kind == "Plain":
            out.append(html_inlines(c))
        elif kind == "Header":
            level = c[0] + shift
            out.append(f"<h{level}{_attrs(c[1])}>{html_inlines(c[2])}</h{level}>")
        elif kind == "Div":
            out.append(f"<div{_attrs(c[0])}>\n{html_blocks(c[1], shift)}\n</div>")
        elif kind == "BulletList":
            out.append("<ul>\n" + "\n".join(f"<li>{html_blocks(item, shift)}</li>" for item in c) + "\n</ul>")
        elif kind == "Figure":
            caption = html_blocks(c[1][1], shift)
            out.append(f"<figure{_attrs(c[0])}>\n{html_blocks(c[2], shift)}\n<figcaption>{caption}</figcaption>\n"
                       "</figure>")
        elif kind == "Table":
            out.append(_html_table(c, shift))
        else:
            raise ValueError(f"report html writer: unsupported block {kind}")
    return "\n".join(out)


def _html_table(c: list[Any], shift: int) -> str:
    _, caption, colspecs, head, bodies, _ = c

    def row(cells: list[Any], tag: str) -> str:
        return "<tr>\n" + "\n".join(f"<{tag}>{html_blocks(cell[4], shift)}</{tag}>" for cell in cells) + "\n</tr>"

    widths = [spec[1].get("c") for spec in colspecs]
    cols = "".join(f'<col style="width: {round(w * 100)}%" />\n' for w in widths if w) if all(widths) else ""
    parts = ["<table>"]
    if caption[1]:
        parts.append(f"<caption>{html_blocks(caption[1], shift)}</caption>")
    if cols:
        parts.append(f"<colgroup>\n{cols}</colgroup>")
    parts.append("<thead>\n" + "\n".join(row(r[1], "th") for r in head[1]) + "\n</thead>")
    parts.append("<tbody>\n" + "\n".join(row(r[1], "td") for body in bodies for r in body[3]) + "\n</tbody>")
    return "\n".join(parts) + "\n</table>"


def _html(report: Report, blocks: list[ast.Node], toc: list[tuple[int, str, str]]) -> bytes:
    info = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in _info(report))
    downloads = (f'<p class="downloads">Ladda ner: <a href="{STEM}.docx">Word</a> · <a href="{STEM}.pdf">PDF</a> · '
                 f'<a href="{STEM}.xlsx">Excel (en rad per synpunkt)</a></p>')
    main = (f'<p class="kind">{KIND}</p><h1>{escape(report.title)}</h1><dl class="meta">{info}</dl>{downloads}\n'
            + html_blocks(blocks) + "\n")
    items = "".join(f'<li><a href="#{escape(ident)}">{escape(text)}</a></li>' for level, ident, text in toc
                    if level == 1)
    html = page(report.corpus, title=report.title, main=main, toc=f"<ol>{items}</ol>", body_class="report",
                home=HOME)
    # The page's files live in FILES_DIR (the round's folder is shared with `avtal remiss pack`), and its
    # search box searches the comments (the index is the report's own).
    for old, new in [(f'{kind}="assets/{name}"', f'{kind}="{FILES_DIR}/{name}"') for kind, name in
                     (("href", "style.css"), ("src", "search-index.js"), ("src", "search.js"))] \
            + [(">Sök i avtalstexten</label>", ">Sök bland synpunkterna</label>")]:
        assert html.count(old) == 1, f"templates/web/page.html no longer has {old}"
        html = html.replace(old, new)
    return html.encode("utf-8")


def _search_index(report: Report) -> bytes:
    """The page's search runs over the comments: one entry per clause (and per general section) with their text."""
    entries: dict[str, dict[str, str]] = {}
    for e in report.entries:
        if e.clause is not None:
            key, number, title = e.clause.id, e.clause.label, e.clause.title
            doc = e.document.source.short_title  # type: ignore[union-attr]
        elif e.document is not None:
            key, number, title = f"rs-helhet-{e.document.id}", "", "Dokumentet som helhet"
            doc = e.document.source.short_title
        else:
            key, number, title, doc = f"rs-allmant-{e.answer.party}", "", e.answerer, "Allmänna synpunkter"
        entry = entries.setdefault(key, {"d": STEM, "s": doc, "i": key, "n": number, "t": title, "x": ""})
        entry["x"] = (entry["x"] + " " + f"{e.answerer}: {' '.join(e.comment.text.split())} "
                      f"{' '.join((e.comment.proposal or '').split())}").strip()
    return ("window.AVTAL_INDEX = " + json.dumps(list(entries.values()), ensure_ascii=False, separators=(",", ":"))
            + ";\n").encode("utf-8")


def _web_files(report: Report, builder: Builder) -> dict[str, bytes]:
    """What the web page needs beside it: charts, stylesheet (+ the report's rules), script, fonts, index."""
    files: dict[str, bytes] = {}
    for name, data in static_assets().items():
        files[name.removeprefix("assets/")] = data
    files["style.css"] += b"\n" + (WEB_TEMPLATES / "remissammanstallning.css").read_bytes()
    files["search-index.js"] = _search_index(report)
    for chart in builder.charts.values():
        files[f"{chart.name}.svg"] = chart.svg
    return files


XLSX_COLUMNS = (("Synpunkts-id", 12), ("Svarande", 28), ("Gemensamt svar för", 28), ("Dokument", 16), ("Avsnitt", 9),
                ("Rubrik", 28), ("Avsnitts-id", 24), ("Inställning", 14), ("Synpunkt (text)", 60),
                ("Förslag till formulering", 50), ("Avser texten", 30), ("Källa", 16), ("Obs", 24), ("Inkom", 11),
                ("Revision", 9), ("Ställningstagande", 16), ("Motivering", 50), ("Ändrade avsnitt", 24),
                ("Beslutat av", 30))


def xlsx_rows(report: Report) -> tuple[list[str], list[list[Any]]]:
    """The Excel sheet: header and one row per comment, in the report's order."""
    header = [name for name, _ in XLSX_COLUMNS]
    if report.against:
        header.append(f"Ändrad i {report.against_name}")
    rows = []
    for e in report.entries:
        c = e.comment
        row = [c.id, e.answerer, ", ".join(e.joint_for), e.document.source.short_title if e.document else "Allmänt",
               e.clause.label if e.clause else "", e.clause.title if e.clause else "", c.clause or "",
               STANCE_LABEL[c.stance], c.text.strip(), (c.proposal or "").strip(), (c.quote or "").strip(),
               SOURCE_LABEL.get(c.source, c.source), "; ".join(_flag_text(f) for f in c.flags),
               e.received, c.revision, STATUS_LABEL[e.status] if e.position else OPEN_TEXT,
               " ".join(e.position.reason.split()) if e.position else "",
               ", ".join(e.position.clauses) if e.position else "",
               _decision(report.decided_by(e.answer.party))]
        if report.against:
            row.append("" if e.changed is None else "Oförändrad" if not e.changed else "Ändrad"
                       if e.status in TAKEN else "Ändrad efter andra synpunkter")
        rows.append(row)
    return header, rows


def _xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    header, rows = xlsx_rows(report)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Synpunkter")
    widths = [w for _, w in XLSX_COLUMNS] + ([16] if report.against else [])
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    last = f"{get_column_letter(len(header))}{len(rows) + 1}"
    sheet.auto_filter.ref = f"A1:{last}"
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)
    for row in rows:  # plain values: a styled cell object per value takes most of the time for a large round
        sheet.append([_as_text(sheet, value) for value in row])
    src = report.info.source
    stamp = report.when.replace(tzinfo=None)
    props = book.properties
    props.title, props.subject, props.creator = report.title, KIND, wording.GROUP
    props.lastModifiedBy, props.language, props.identifier = wording.GROUP, "sv-SE", src.diarienummer
    props.keywords, props.created, props.modified = f"{src.diarienummer}; {wording.round_name(src)}; {KIND}", stamp, \
        stamp
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()  # not book.save(): that stamps `modified` with the current time
    return finish_xlsx(buffer.getvalue(), report.when)


def _as_text(sheet, value: Any) -> Any:
    """Party text stays text: openpyxl would store a string starting with '=' as a live formula."""
    from openpyxl.cell import WriteOnlyCell

    if not isinstance(value, str):
        return value
    value = cell_text(value)
    if not value.startswith("="):
        return value  # stored as a string cell whatever it starts with (+, -, @, tab, CR)
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _write_report_files(folder: Path, files: dict[str, bytes]) -> None:
    """Swap the report's files into dist/remiss/ROUND/ as one set (a kill leaves the old set or the new one).

    The folder is rebuilt beside itself from hard links to everything that is not
    the report's (the pack's files, the positions workbook) plus the new report,
    then replaced whole; the round's lock keeps other writers out meanwhile.
    """
    with replace_folder(folder) as staging:
        if folder.exists():
            link_entries(folder, staging, [e.name for e in sorted(folder.iterdir())
                                           if not e.name.startswith((STEM, "."))])
        for name, data in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)  # open() applies the umask, as for any file the user creates


def render(report: Report) -> dict[str, bytes]:
    """Every output file of the report, by path relative to dist/remiss/ROUND/ (nothing written yet).

    Ordered for two cores, the PDF first (typst is the longest single step and runs outside the GIL): the
    summary, its charts (SVG) and the comments, then typst starts; pandoc writes the web page and, once the
    PNGs are rendered, the Word file, while the xlsx is written here.
    """
    builder = Builder(report)
    blocks = builder.summary()
    builder.draw_charts()  # SVG: what the PDF needs
    blocks += builder.comments()
    toc = builder.toc
    source = _typst(report, _lower(blocks, "typst", builder))  # here, before other threads want the GIL
    with ThreadPoolExecutor(max_workers=3) as pool:
        pdf = pool.submit(laid_out, source, report.when)  # the PDF and its headings' pages
        html = pool.submit(_html, report, _lower(blocks, "html", builder), toc)
        list(pool.map(lambda chart: chart.png, builder.charts.values()))  # typst, outside the GIL
        docx_blocks = _lower(blocks, "docx", builder)
        word = pool.submit(_docx, report, docx_blocks, toc, lambda: pdf.result()[1])
        out = {f"{STEM}.xlsx": _xlsx(report)}
        out.update({f"{STEM}.html": html.result(), f"{STEM}.pdf": pdf.result()[0], f"{STEM}.docx": word.result()})
    for name, data in _web_files(report, builder).items():
        out[f"{FILES_DIR}/{name}"] = data
    return out


@writes_round("report")
def write_report(sources: Path, round_id: str, dist: Path, *, against: str | None = None) -> ReportResult:
    """Write dist/remiss/ROUND/remissammanstallning.{docx,pdf,html,xlsx} and its files folder."""
    started = time.perf_counter()
    report = collect(sources, round_id, against=against)
    files = render(report)
    folder = dist / "remiss" / round_id
    _write_report_files(folder, files)
    written = [folder / FILES_DIR] + [folder / f"{STEM}.{ext}" for ext in ("xlsx", "docx", "pdf", "html")]
    notes = []
    if report.trace is not None and not (dist / report.trace.folder).is_dir():
        notes.append(f"the redline the report links to is not built: run `{report.trace.redline_command}`")
    counts = report.status_counts()
    return ReportResult(round_id, tuple(written), len(report.entries), counts[None], report.answers,
                        time.perf_counter() - started, tuple(notes))
