"""Reads back the svarsformulär a party returns (the writer is `outgoing.form`).

What the form carries invisibly, so an answer is read back without guessing
(each channel was checked to survive a re-save by LibreOffice 7.4 and editing
with python-docx; Word keeps all of them):

- custom document properties (docProps/custom.xml): `avtal.form`, `avtal.round`,
  `avtal.party`, `avtal.party_name`, `avtal.version`, `avtal.version_checksum`, the
  row ids in order (`avtal.rows.01`, …) and fingerprints of the form's own texts
  (`avtal.texts.01`, …), each value at most 255 characters (Word's limit);
- the same round/party/version/checksum as hidden text (w:vanish) in the page header:
  `[avtal-form round=… party=… version=… sha256=…]`;
- per row, hidden text `[avtal-id:<clause id>]` at the start of the number cell, and a
  bookmark around that cell's paragraph named like the clause's bookmark in our Word
  documents (`render.ooxml.bookmark_name`);
- per column and per fixed field, hidden text in the header or label cell:
  `[avtal-col:comment]`, `[avtal-field:general]`, `[avtal-field:decided.date]`,
  `[avtal-field:question.1]`, … (the keys are in `form_contract`).

Every answer cell is a Word content control (form 2): the stance a drop-down of the
model's stances, one-line fields plain text, longer answers rich text; the clause's
number and heading are locked controls. LibreOffice 7.4 keeps the controls' text on a re-save but drops their tags,
locks and placeholder flags, so the reader never relies on them: it finds answers by
the markers above and reads a control's placeholder text as empty. Forms of layout 1
(a column per stance, marked with an X) are still read.

The reader prefers the custom properties and the hidden text, falls back to
bookmarks and to the visible labels, and reports every fallback and every
disagreement as a problem. Text the party wrote anywhere but the answer cells
(a paragraph of its own, an added row or column, an edited heading) is kept in
`extra` with where it was found: the form's own texts are known by their
fingerprints, so nothing the party wrote is silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import STANCES
from ...render import ooxml, wording
from ..form_contract import FIELD_MARK, FORM_MARK, ID_MARK, QUESTION, field_of_label, is_placeholder
from ..form_layout import (COLUMN_LABELS, STANCE_KEYS, W, RowInfo, TableInfo, custom_values, fingerprint,
                           joined_property, raw_text, read_layout, squeezed)

_W = f"{{{W}}}"

# What counts as a mark in a stance column, and the words parties use for a position (normalised).
MARKS = frozenset({"x", "✓", "✔", "☒", "☑", "✗", "✘", "ja", "*"})
STANCE_WORDS = {**{s: s for s in STANCES}, "tillstyrker": "instämmer", "instämmer helt": "instämmer",
                "avstyrker": "invänder", "synpunkter": "synpunkt", "inga synpunkter": "ingen erinran",
                "inget att erinra": "ingen erinran", "inga erinringar": "ingen erinran",
                "ingen erinring": "ingen erinran"}


# ============================================================ the answer, as read

@dataclass(frozen=True)
class FormRow:
    """One clause row as the party filled it in."""

    clause_id: str
    number: str
    title: str
    stance: str | None  # one of STANCES, or None (not marked, or unclear: see problems)
    stance_text: str  # what was written in the position column(s), e.g. "Invänder: X"
    comment: str
    proposal: str

    @property
    def filled(self) -> bool:
        return bool(self.stance or self.stance_text or self.comment or self.proposal)


@dataclass(frozen=True)
class DecidedBy:
    """Who decided the answer, as written in the form."""

    body: str = ""
    date: dt.date | None = None
    date_text: str = ""
    paragraph: str = ""


@dataclass(frozen=True)
class FormQuestion:
    """The answer to one of the questions the round's letter asks (numbered from 1, as in the missiv)."""

    number: int
    question: str  # as the form shows it
    answer: str


@dataclass(frozen=True)
class Extra:
    """Text written outside the answer fields, and where it was found."""

    where: str
    text: str


@dataclass(frozen=True)
class FormAnswer:
    """A filled svarsformulär: who, for which round and version, and every answer in it."""

    round: str
    party: str
    party_name: str
    version: str
    version_checksum: str
    rows: tuple[FormRow, ...]
    general: str
    decided_by: DecidedBy
    extra: tuple[Extra, ...]
    problems: tuple[str, ...]
    questions: tuple[FormQuestion, ...] = ()  # the answered ones
    covers: str = ""  # "Svaret gäller även för": the other parties behind this answer, as written
    economic: str = ""  # the economic consequences for the party
    children: str = ""  # the consequences for children (barnkonsekvenser)

    def filled(self) -> tuple[FormRow, ...]:
        """The rows where the party wrote anything."""
        return tuple(r for r in self.rows if r.filled)


# ============================================================ reading a returned form

def _normalise(text: str) -> str:
    text = text.replace("\u00a0", " ").casefold()
    return " ".join(text.strip(" \t\n.,;:!?()[]\"'”“’‘–—-").split())


def is_form(package) -> bool:
    """True for one of our svarsformulär (by its properties, or its hidden markers if those were lost)."""
    custom = custom_values(package.xml("docProps/custom.xml"))
    if custom.get("avtal.form") or custom.get("avtal.rows.01"):
        return True
    document = package.read("word/document.xml") or b""
    if b"[avtal-field:general]" in document or b"[avtal-id:" in document:
        return True
    return any(b"[avtal-form " in (package.read(n) or b"") for n in package.names
               if re.fullmatch(r"word/header\d*\.xml", n))


def _parse_marker(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split() if "=" in part)


_MONTHS = {m: i for i, m in enumerate(wording.MONTHS, 1)}


def parse_date(text: str) -> dt.date | None:
    """'2025-04-15', '15 april 2025', '15/4 2025', '15.4.2025' (Swedish usage); None if not one of these."""
    t = _normalise(text)
    for pattern, order in ((r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"), (r"(\d{1,2}) ([a-zåäö]+) (\d{4})", "dMy"),
                           (r"(\d{1,2})[/.](\d{1,2})[ /.](\d{4})", "dmy")):
        m = re.fullmatch(pattern, t)
        if not m:
            continue
        try:
            if order == "ymd":
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            if order == "dmy":
                return dt.date(int(m[3]), int(m[2]), int(m[1]))
            month = _MONTHS.get(m[2])
            return dt.date(int(m[3]), month, int(m[1])) if month else None
        except ValueError:
            return None
    return None


def _paragraph_sign(text: str) -> str:
    """'45', '45 §', '§45' → '§ 45'; anything else as written."""
    t = " ".join(text.split())
    m = re.fullmatch(r"(?:§\s*)?(\d+[a-z]?)(?:\s*§)?", t)
    return f"§ {m[1]}" if m else t


class _Reader:
    def __init__(self, where: str):
        self.where = where
        self.problems: list[str] = []
        self.extra: list[Extra] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)


def read_form(path: Path) -> FormAnswer:
    """Read a filled svarsformulär (opened only through `untrusted.open_docx`); raises SourceError if not a form."""
    from .untrusted import open_docx

    package = open_docx(path)
    return read_form_package(package, relative(Path(path)))


def read_form_package(package, shown: str) -> FormAnswer:
    """`read_form` on an already opened package (the importer opens each file once)."""
    reader = _Reader(shown)
    custom = custom_values(package.xml("docProps/custom.xml"))
    header_marks: dict[str, str] = {}
    for name in sorted(n for n in package.names if re.fullmatch(r"word/header\d*\.xml", n)):
        root = package.xml(name)
        if root is not None:
            for found in FORM_MARK.findall(raw_text(root)[0]):
                header_marks = header_marks or _parse_marker(found)
    ident: dict[str, str] = {}
    for key, prop, mark in (("round", "avtal.round", "round"), ("party", "avtal.party", "party"),
                            ("version", "avtal.version", "version"), ("checksum", "avtal.version_checksum", "sha256")):
        a, b = custom.get(prop, ""), header_marks.get(mark, "")
        if a and b and a != b:
            reader.problem(f"the form's properties say {key} '{a}' but its hidden page-header marker says '{b}': "
                           f"read as '{a}'")
        ident[key] = a or b
    document = package.xml("word/document.xml")
    if document is not None:
        _drop_placeholders(document)
    if not ident["round"] or not ident["party"] or document is None:
        problems = Problems()
        problems.add(Location(shown), "not a svarsformulär of ours: no round or party found (neither the custom "
                     "properties avtal.round/avtal.party nor the hidden page-header marker); import it as a letter, "
                     "or give --party")
        raise SourceError(problems)
    if not custom:
        reader.problem("the form's custom document properties were lost; round and party were read from the hidden "
                       "page-header marker")
    row_ids = joined_property(custom, "avtal.rows")
    known_texts = set(joined_property(custom, "avtal.texts") or [])
    if not known_texts:
        reader.problem("the fingerprints of the form's own texts were lost: text written outside the answer fields "
                       "cannot be told apart from the form's own and is not reported")
    by_bookmark = {ooxml.bookmark_name(i): i for i in (row_ids or [])}
    layout = read_layout(document)

    def own(text: str) -> bool:
        return not text or not known_texts or fingerprint(text) in known_texts

    rows: dict[str, FormRow] = {}
    general: list[str] = []
    fields: dict[str, str] = {}
    labels: dict[str, str] = {}
    for kind, item in layout.items:
        if kind == "p":
            piece, _, heading = item
            if not own(piece.text):
                reader.extra.append(Extra(f"a paragraph after '{heading}'", piece.text))
            continue
        table: TableInfo = item
        if table.kind == "clauses":
            _read_clause_table(table, reader, rows, row_ids, by_bookmark, own)
        elif table.kind == "general":
            for row in table.rows:
                label = any(FIELD_MARK.search(m) for c in row.cells for m in c.piece.markers) or row is table.rows[0]
                for cell in row.cells:
                    if label and not own(cell.piece.text):
                        reader.extra.append(Extra("the label of 'Sammanfattning och övergripande synpunkter'",
                                                  cell.piece.text))
                    elif not label and cell.piece.text and not is_placeholder(cell.piece.text):
                        general.append(cell.piece.text)
        elif table.kind == "fields":
            _read_fields(table, reader, fields, labels, own)
        else:
            for row in table.rows:
                texts = [c.piece.text for c in row.cells if c.piece.text and not own(c.piece.text)]
                if texts:
                    reader.extra.append(Extra(f"a table of the party's own after '{table.heading}'", " | ".join(texts)))
    date_text = fields.get("decided.date", "")
    date = parse_date(date_text) if date_text else None
    if date_text and date is None:
        reader.problem(f"decision date '{date_text}' not understood: expected a date such as 2025-04-15 or "
                       "15 april 2025")
    if row_ids is not None:
        unknown = [i for i in rows if i not in row_ids]
        for clause in unknown:
            reader.problem(f"row with clause id '{clause}' is not one of this form's rows (copied from another form?)")
    return FormAnswer(
        round=ident["round"], party=ident["party"], party_name=custom.get("avtal.party_name", ""),
        version=ident["version"], version_checksum=ident["checksum"], rows=tuple(rows.values()),
        general="\n".join(general), decided_by=DecidedBy(fields.get("decided.body", ""), date, date_text,
                                                          _paragraph_sign(fields.get("decided.paragraph", ""))),
        extra=tuple(reader.extra), problems=tuple(reader.problems), questions=_questions(fields, labels),
        covers=fields.get("covers", ""), economic=fields.get("consequences.economic", ""),
        children=fields.get("consequences.children", ""))


def _drop_placeholders(document: etree._Element) -> None:
    """Empty every content control that still shows its placeholder (Word's w:showingPlcHdr): not an answer."""
    for flag in document.iter(f"{_W}showingPlcHdr"):
        if flag.get(f"{_W}val", "true").lower() in ("false", "0", "off"):
            continue
        control = flag.getparent().getparent()
        content = control.find(f"{_W}sdtContent") if control is not None else None
        for text in content.iter(f"{_W}t") if content is not None else ():
            text.text = ""


def _questions(fields: dict[str, str], labels: dict[str, str]) -> tuple[FormQuestion, ...]:
    """The answered questions in their order, each with the question as the form shows it."""
    numbers = sorted(int(k.removeprefix(QUESTION)) for k in fields if k.startswith(QUESTION))
    return tuple(FormQuestion(n, re.sub(r"^\d{1,2}\.\s*", "", labels.get(f"{QUESTION}{n}", "")),
                              fields[f"{QUESTION}{n}"]) for n in numbers)


def visible_text(package) -> str:
    """What a person sees of a form: the document and its page headers without hidden text, spaces collapsed.

    The party the form names in its visible text is checked against its hidden ids
    (see the importer): editing the ids alone must not file an answer as another party's.
    """
    names = ["word/document.xml", *sorted(n for n in package.names if re.fullmatch(r"word/header\d*\.xml", n))]
    roots = [root for root in map(package.xml, names) if root is not None]
    return squeezed(" ".join(raw_text(root)[1] for root in roots))


def _row_id(row: RowInfo, by_bookmark: dict[str, str], reader: _Reader, table: TableInfo) -> str | None:
    ids = list(dict.fromkeys(i for c in row.cells for m in c.piece.markers for i in ID_MARK.findall(m)))
    if len(ids) > 1:
        reader.problem(f"a row in the table after '{table.heading}' carries several clause ids ({', '.join(ids)}): "
                       f"read as '{ids[0]}'")
    if ids:
        return ids[0]
    for cell in row.cells:
        for name in cell.piece.bookmarks:
            if name in by_bookmark:
                return by_bookmark[name]
    return None


def _read_clause_table(table: TableInfo, reader: _Reader, rows: dict[str, FormRow], row_ids: list[str] | None,
                       by_bookmark: dict[str, str], own) -> None:
    last = "the table's header"
    for row in table.rows:
        if row.header:
            for cell in row.cells:
                if not own(cell.piece.text):
                    reader.extra.append(Extra(f"the header of the table after '{table.heading}'", cell.piece.text))
            continue
        clause = _row_id(row, by_bookmark, reader, table)
        number = next((c.piece.text for c in row.cells if c.kind == "number"), "")
        title = next((c.piece.text for c in row.cells if c.kind == "title"), "")
        if clause is None:
            texts = [c.piece.text for c in row.cells if c.piece.text and not (c.kind in ("number", "title")
                                                                                and own(c.piece.text))]
            looks_ours = bool(number) and own(number) and bool(title) and own(title)
            if looks_ours:
                reader.problem(f"row {number} '{title}' after '{table.heading}' has lost its hidden clause id; "
                               "its text is kept as text outside the fields")
            if texts:
                where = f"row {number} ('{title}')" if looks_ours else f"a row added after {last}"
                reader.extra.append(Extra(f"{where} in the table after '{table.heading}'", " | ".join(texts)))
            continue
        label = f"row {number or '?'} ({clause})"
        last = f"row {number}" if number else f"the row of {clause}"
        for cell in row.cells:
            if cell.kind in ("number", "title") and not own(cell.piece.text):
                reader.extra.append(Extra(f"{label}, column {COLUMN_LABELS[cell.kind]}", cell.piece.text))
            elif cell.kind is None and cell.piece.text and not own(cell.piece.text):
                reader.extra.append(Extra(f"{label}, a column added by the party", cell.piece.text))
        stance, stance_text = _stance(row, label, reader)
        comment = _answer(row, "comment")
        proposal = _answer(row, "proposal")
        found = FormRow(clause, number, title, stance, stance_text, comment, proposal)
        if clause in rows:
            first = rows[clause]
            reader.problem(f"{label} appears twice (a copied row?): the texts are combined")
            if first.stance and stance and first.stance != stance:
                reader.problem(f"{label}: the two rows give different positions ({first.stance}, {stance}): "
                               f"read as '{first.stance}'")
            found = FormRow(clause, first.number, first.title, first.stance or stance,
                            "; ".join(t for t in (first.stance_text, stance_text) if t),
                            "\n".join(t for t in (first.comment, comment) if t),
                            "\n".join(t for t in (first.proposal, proposal) if t))
        rows[clause] = found


def _answer(row: RowInfo, kind: str) -> str:
    return "\n".join(c.piece.text for c in row.cells if c.kind == kind and c.piece.text
                     and not is_placeholder(c.piece.text))


def _stance(row: RowInfo, label: str, reader: _Reader) -> tuple[str | None, str]:
    marked: list[str] = []
    raw: list[str] = []
    for cell in row.cells:
        text = cell.piece.text
        if not text or cell.kind not in ({"stance"} | set(STANCE_KEYS)) or is_placeholder(text):
            continue
        word = _normalise(text)
        if cell.kind == "stance":
            raw.append(text)
            if word in STANCE_WORDS:
                marked.append(STANCE_WORDS[word])
            elif word in MARKS:
                reader.problem(f"{label}: '{text}' in column {COLUMN_LABELS['stance']} does not say which position: "
                               f"expected one of {', '.join(STANCES)} (choose it in the list)")
            elif word:
                reader.problem(f"{label}: unknown position '{text}': expected one of {', '.join(STANCES)}")
            continue
        column = STANCE_KEYS[cell.kind]
        raw.append(f"{COLUMN_LABELS[cell.kind]}: {text}")
        if word in MARKS or STANCE_WORDS.get(word) == column:
            marked.append(column)
        elif word in STANCE_WORDS:
            reader.problem(f"{label}: '{text}' written in column {COLUMN_LABELS[cell.kind]}: read as "
                           f"'{STANCE_WORDS[word]}'")
            marked.append(STANCE_WORDS[word])
        elif word:
            reader.problem(f"{label}: unknown mark '{text}' in column {COLUMN_LABELS[cell.kind]}: expected an X")
    marked = list(dict.fromkeys(marked))
    if len(marked) > 1:
        reader.problem(f"{label}: several positions marked ({', '.join(marked)}): none is taken")
        return None, "; ".join(raw)
    return (marked[0] if marked else None), "; ".join(raw)


def _read_fields(table: TableInfo, reader: _Reader, fields: dict[str, str], labels: dict[str, str], own) -> None:
    """A table of fields, one per row: the label (with its hidden key) first, the answer after it."""
    for row in table.rows:
        if not row.cells:
            continue
        label = row.cells[0]
        keys = [k for m in label.piece.markers for k in FIELD_MARK.findall(m)]
        key = keys[0] if keys else field_of_label(label.piece.text)
        if not own(label.piece.text):
            reader.extra.append(Extra(f"the label '{label.piece.text}' in '{table.heading}'", label.piece.text))
        value = " ".join(c.piece.text for c in row.cells[1:] if c.piece.text and not is_placeholder(c.piece.text))
        if key is None:
            if value:
                reader.extra.append(Extra(f"a row added to '{table.heading}'", value))
            continue
        labels.setdefault(key, label.piece.text)
        if value:
            fields[key] = f"{fields[key]} {value}" if key in fields else value
