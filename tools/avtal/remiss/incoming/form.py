"""The svarsformulär: written per party from templates/svarsformular.docx, read back from what a party returns.

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
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from lxml import etree

from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import STANCES
from ...render import ooxml, wording
from ..form_contract import (ANY_MARK, CLAUSE_COLUMNS, COL_MARK, FIELD_MARK, FORM_KIND, FORM_MARK, ID_MARK,
                            LINE_FIELDS, PLACEHOLDER_STYLE, QUESTION, STANCE_CHOICES, STANCE_COLUMNS,
                            STANCE_PLACEHOLDER, TEXT_PLACEHOLDER, field_of_label, is_placeholder)
from ..outgoing.templates import (FORM_MARKERS, FORM_REQUIRED, Prepared, TemplateInfo, check_template,
                        party_values, read_parts, render_template, sentinel, sentinel_context, substitute_text,
                        write_zip)

W = ooxml.W
_W = f"{{{W}}}"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
MAX_PROPERTY = 255  # Word keeps at most this many characters of a custom property's text

STANCE_KEYS = {key: stance for stance, key, _ in STANCE_COLUMNS}
COLUMN_LABELS = {**dict(CLAUSE_COLUMNS), **{key: label for _, key, label in STANCE_COLUMNS}}
# Visible header texts, for a form whose hidden column markers were lost.
HEADER_WORDS = {"avsnitt": "number", "nr": "number", "rubrik": "title", "kommentar": "comment",
                "kommentarer": "comment", "förslag till lydelse": "proposal", "förslag": "proposal",
                "förslag till ny lydelse": "proposal", "ställningstagande": "stance",
                **{stance: key for stance, key, _ in STANCE_COLUMNS}}
# The columns in order, for a form whose hidden column markers and header words were both lost (by layout).
DEFAULT_COLUMNS = {len(c): c for c in (("number", "title", "instammer", "invander", "synpunkt", "ingen-erinran",
                                        "comment", "proposal"), tuple(k for k, _ in CLAUSE_COLUMNS))}
# What counts as a mark in a stance column, and the words parties use for a position (normalised).
MARKS = frozenset({"x", "✓", "✔", "☒", "☑", "✗", "✘", "ja", "*"})
STANCE_WORDS = {**{s: s for s in STANCES}, "tillstyrker": "instämmer", "instämmer helt": "instämmer",
                "avstyrker": "invänder", "synpunkter": "synpunkt", "inga synpunkter": "ingen erinran",
                "inget att erinra": "ingen erinran", "inga erinringar": "ingen erinran",
                "ingen erinring": "ingen erinran"}
assert set(STANCE_KEYS.values()) == set(STANCES)


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


# ============================================================ reading OOXML (shared by writer and reader)

def _hidden(run: etree._Element) -> bool:
    props = run.find(f"{_W}rPr")
    if props is None:
        return False
    for tag in ("vanish", "specVanish"):
        mark = props.find(f"{_W}{tag}")
        if mark is not None and mark.get(f"{_W}val", "true").lower() not in ("false", "0", "off"):
            return True
    return False


_SKIPPED = frozenset({f"{{{MC}}}Fallback", f"{_W}del", f"{_W}moveFrom"})
_CHARS = {f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}


def _raw_text(element: etree._Element) -> tuple[str, str]:
    """(all text, visible text) of an element: deleted text and mc:Fallback copies skipped, tabs and breaks kept.

    One walk that prunes skipped subtrees (rather than asking every text node for its
    ancestors): reading a 290-row form is dominated by this function.
    """
    every: list[str] = []
    shown: list[str] = []
    t_tag, p_tag = f"{_W}t", f"{_W}p"
    if next(element.iter(*_SKIPPED), None) is None:  # the usual case: lxml's own iteration, in C
        for node in element.iter(t_tag, p_tag, *_CHARS):
            tag = node.tag
            if tag == p_tag:
                if node is not element and every:
                    every.append("\n")
                    shown.append("\n")
                continue
            text = (node.text or "") if tag == t_tag else _CHARS[tag]
            every.append(text)
            run = node.getparent()
            if run is None or not _hidden(run):
                shown.append(text)
        return "".join(every), "".join(shown)

    def walk(node: etree._Element) -> None:
        for child in node:
            tag = child.tag
            if tag in _SKIPPED:
                continue
            if tag == p_tag:
                if every:
                    every.append("\n")
                    shown.append("\n")
                walk(child)
                continue
            if tag == t_tag:
                text = child.text or ""
            elif tag in _CHARS:
                text = _CHARS[tag]
            else:
                walk(child)
                continue
            every.append(text)
            run = child.getparent()
            if run is None or not _hidden(run):
                shown.append(text)

    walk(element)
    return "".join(every), "".join(shown)


@dataclass
class Piece:
    """A paragraph or a table cell: its text without our markers, and the markers in it."""

    text: str
    markers: list[str]
    bookmarks: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, element: etree._Element) -> "Piece":
        every, _ = _raw_text(element)
        markers = ANY_MARK.findall(every)
        # Our markers are removed; any other hidden text was typed by the party into hidden formatting: kept.
        text = ANY_MARK.sub("", every)
        text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip("\n ")
        marks = [b.get(f"{_W}name", "") for b in element.iter(f"{_W}bookmarkStart")]
        return cls(text, markers, marks)


def _norm(text: str) -> str:
    return " ".join(text.split())


def fingerprint(text: str) -> str:
    """Short digest of a text of the form's own (whitespace-insensitive), kept in the form's custom properties."""
    return hashlib.sha1(_norm(text).encode("utf-8")).hexdigest()[:8]


@dataclass
class CellInfo:
    grid: int
    piece: Piece
    kind: str | None = None
    element: etree._Element | None = None  # the w:tc


@dataclass
class RowInfo:
    element: etree._Element
    cells: list[CellInfo]
    header: bool


@dataclass
class TableInfo:
    element: etree._Element
    rows: list[RowInfo]
    heading: str  # the nearest heading above it, for messages
    kind: str = "unknown"  # clauses | general | fields (a label and a value per row) | unknown
    columns: dict[int, str] = field(default_factory=dict)

    def markers(self) -> list[str]:
        return [m for r in self.rows for c in r.cells for m in c.piece.markers]


def _cells(tr: etree._Element) -> list[CellInfo]:
    grid = 0
    props = tr.find(f"{_W}trPr")
    before = props.find(f"{_W}gridBefore") if props is not None else None
    if before is not None:
        grid = int(before.get(f"{_W}val", "0") or 0)
    out = []
    for tc in tr.iter(f"{_W}tc"):
        if next((a for a in tc.iterancestors(f"{_W}tr")), None) is not tr:
            continue  # a cell of a nested table
        span = tc.find(f"{_W}tcPr/{_W}gridSpan")
        out.append(CellInfo(grid, Piece.of(tc), element=tc))
        grid += int(span.get(f"{_W}val", "1")) if span is not None else 1
    return out


def _style(p: etree._Element) -> str:
    style = p.find(f"{_W}pPr/{_W}pStyle")
    return style.get(f"{_W}val", "") if style is not None else ""


def _is_heading(p: etree._Element) -> bool:
    style = _style(p).lower().replace(" ", "")
    return style.startswith("heading") or style in ("title", "rubrik1", "rubrik2", "rubrik3")


def _blocks(container: etree._Element) -> Iterator[etree._Element]:
    """Body-level paragraphs and tables in order, looking inside content controls and custom XML."""
    for child in container:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content)
        elif child.tag in (f"{_W}customXml", f"{_W}ins", f"{_W}moveTo"):
            yield from _blocks(child)


@dataclass
class Layout:
    """A form's body: paragraphs outside tables and classified tables, in reading order."""

    items: list[tuple[str, Any]]  # ("p", (Piece, heading?, last heading)) | ("t", TableInfo)


def read_layout(document: etree._Element) -> Layout:
    body = document.find(f"{_W}body")
    items: list[tuple[str, Any]] = []
    heading = "the beginning of the form"
    for block in _blocks(body if body is not None else document):
        if block.tag == f"{_W}p":
            piece = Piece.of(block)
            items.append(("p", (piece, _is_heading(block), heading)))
            if _is_heading(block) and piece.text:
                heading = piece.text
        else:
            rows = [RowInfo(tr, _cells(tr), tr.find(f"{_W}trPr/{_W}tblHeader") is not None)
                    for tr in block if tr.tag == f"{_W}tr"]
            table = TableInfo(block, rows, heading)
            _classify(table)
            items.append(("t", table))
    return Layout(items)


def _classify(table: TableInfo) -> None:
    marks = " ".join(table.markers())
    first = [_norm(c.piece.text).lower().rstrip(":") for c in table.rows[0].cells] if table.rows else []
    if "[avtal-field:general]" in marks:
        table.kind = "general"
    elif "[avtal-field:" in marks:
        table.kind = "fields"
    elif "[avtal-col:" in marks or "[avtal-id:" in marks:
        table.kind = "clauses"
    elif "avsnitt" in first and ("kommentar" in first or "ställningstagande" in first or "instämmer" in first):
        table.kind = "clauses"
    elif first and first[0].startswith(("skriv er sammanfattning", "sammanfattning")):
        table.kind = "general"
    elif table.rows and _labelled(table):
        table.kind = "fields"
    if table.kind != "clauses" or not table.rows:
        return
    header = table.rows[0]
    header.header = True
    for cell in header.cells:
        keys = [m for mark in cell.piece.markers for m in COL_MARK.findall(mark)]
        word = _norm(cell.piece.text).lower().rstrip(":")
        kind = keys[0] if keys else HEADER_WORDS.get(word)
        if kind:
            table.columns[cell.grid] = kind
    if not table.columns and len(header.cells) in DEFAULT_COLUMNS:
        table.columns = {c.grid: kind for c, kind in zip(header.cells, DEFAULT_COLUMNS[len(header.cells)])}
    for row in table.rows:
        for cell in row.cells:
            cell.kind = table.columns.get(cell.grid)
        if row is not header and any(COL_MARK.search(m) for c in row.cells for m in c.piece.markers):
            row.header = True  # a repeated header row


def _labelled(table: TableInfo) -> bool:
    """A table of fields whose hidden markers were lost: its first column holds the fields' labels."""
    keys = [field_of_label(r.cells[0].piece.text) if r.cells else None for r in table.rows]
    return any(k and not k.startswith(QUESTION) for k in keys) or all(keys)


FILL_KINDS = frozenset({"comment", "proposal", "stance", *STANCE_KEYS})


def static_texts(layout: Layout) -> list[str]:
    """The form's own texts: every paragraph and cell that is not an answer field."""
    out: list[str] = []
    for kind, item in layout.items:
        if kind == "p":
            if item[0].text:
                out.append(item[0].text)
            continue
        table: TableInfo = item
        for i, row in enumerate(table.rows):
            for j, cell in enumerate(row.cells):
                if not cell.piece.text:
                    continue
                if table.kind == "clauses" and (row.header or cell.kind not in FILL_KINDS):
                    out.append(cell.piece.text)
                elif table.kind == "general" and i == 0:
                    out.append(cell.piece.text)
                elif table.kind == "fields" and j == 0:
                    out.append(cell.piece.text)
                elif table.kind == "unknown":
                    out.append(cell.piece.text)
    return out


# ============================================================ writing (once per round, then per party)

def _custom_values(xml: etree._Element | None) -> dict[str, str]:
    if xml is None:
        return {}
    out = {}
    for prop in xml.iter(f"{{{CUSTOM}}}property"):
        value = next((v.text or "" for v in prop), "")
        out[prop.get("name", "")] = value
    return out


def chunks(items: list[str], size: int = MAX_PROPERTY) -> list[str]:
    """Space-separated items split into strings of at most `size` characters."""
    out, current = [], ""
    for item in items:
        if current and len(current) + 1 + len(item) > size:
            out.append(current)
            current = item
        else:
            current = f"{current} {item}" if current else item
    if current:
        out.append(current)
    return out


def _numbered(prefix: str, values: list[str]) -> dict[str, str]:
    return {f"{prefix}.{i:02d}": value for i, value in enumerate(values, 1)}


def _joined(custom: dict[str, str], prefix: str) -> list[str] | None:
    keys = sorted(k for k in custom if k.startswith(prefix + "."))
    if not keys:
        return None
    return " ".join(custom[k] for k in keys).split()


def _mark_rows(document: bytes) -> bytes:
    """Make every marker hidden, and put a bookmark named after the clause around each row's number cell."""
    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    next_id = 800000
    for run in list(root.iter(f"{_W}r")):
        text = "".join(t.text or "" for t in run.iter(f"{_W}t"))
        if "[avtal-" not in text:
            continue
        props = run.find(f"{_W}rPr")
        if props is None:
            props = etree.Element(f"{_W}rPr")
            run.insert(0, props)
        if props.find(f"{_W}vanish") is None:
            etree.SubElement(props, f"{_W}vanish")
        found = ID_MARK.search(text)
        paragraph = next(run.iterancestors(f"{_W}p"), None)
        if found and paragraph is not None:
            start = etree.Element(f"{_W}bookmarkStart")
            start.set(f"{_W}id", str(next_id))
            start.set(f"{_W}name", ooxml.bookmark_name(found[1]))
            end = etree.Element(f"{_W}bookmarkEnd")
            end.set(f"{_W}id", str(next_id))
            next_id += 1
            props_at = 1 if len(paragraph) and paragraph[0].tag == f"{_W}pPr" else 0
            paragraph.insert(props_at, start)
            paragraph.append(end)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _control(ident: int, look: str, content: list[etree._Element]) -> etree._Element:
    """A content control: `look` is 'stance' (drop-down), 'line' (plain text), 'text' (rich text, a block of
    paragraphs) or 'locked' (the form's own text, `content` moved into it).

    Longer answers are rich-text controls: in a plain-text control lines are w:br breaks, and
    LibreOffice 7.4 moves those out of the control on a re-save, running the lines together."""
    sdt = etree.Element(f"{_W}sdt")
    props = etree.SubElement(sdt, f"{_W}sdtPr")
    if look == "stance":
        etree.SubElement(props, f"{_W}alias").set(f"{_W}val", COLUMN_LABELS["stance"])
    etree.SubElement(props, f"{_W}id").set(f"{_W}val", str(ident))
    # Locked: the clause's own text cannot be edited; an answer's control cannot be deleted.
    etree.SubElement(props, f"{_W}lock").set(f"{_W}val", "sdtContentLocked" if look == "locked" else "sdtLocked")
    body = etree.SubElement(sdt, f"{_W}sdtContent")
    if look == "locked":
        body.extend(content)
        return sdt
    etree.SubElement(props, f"{_W}showingPlcHdr")
    if look == "stance":
        choices = etree.SubElement(props, f"{_W}dropDownList")
        for shown, value in STANCE_CHOICES:
            item = etree.SubElement(choices, f"{_W}listItem")
            item.set(f"{_W}displayText", shown)
            item.set(f"{_W}value", value)
    elif look == "line":
        etree.SubElement(props, f"{_W}text")
    run = etree.SubElement(body, f"{_W}r")
    etree.SubElement(etree.SubElement(run, f"{_W}rPr"), f"{_W}rStyle").set(f"{_W}val", PLACEHOLDER_STYLE)
    etree.SubElement(run, f"{_W}t").text = STANCE_PLACEHOLDER if look == "stance" else TEXT_PLACEHOLDER
    return sdt


def _answer_control(cell: etree._Element, look: str, ident: int) -> None:
    """Put an empty answer control into an (empty) cell: inline, or (rich text) around its paragraph."""
    paragraph = cell.find(f"{_W}p")
    if paragraph is None:
        paragraph = etree.SubElement(cell, f"{_W}p")
    control = _control(ident, look, [])
    if look != "text":
        paragraph.append(control)
        return
    body = control.find(f"{_W}sdtContent")
    placeholder = body[0]
    paragraph.addprevious(control)
    body.append(paragraph)
    paragraph.append(placeholder)


def _lock_text(cell: etree._Element, ident: int) -> None:
    """Wrap the visible runs of a cell's first paragraph (not our hidden marker: a control's runs lose
    their formatting in LibreOffice) in a locked control."""
    paragraph = cell.find(f"{_W}p")
    runs = [r for r in paragraph.findall(f"{_W}r") if not _hidden(r)] if paragraph is not None else []
    if not runs:
        return
    anchor = etree.Element(f"{_W}proofErr")  # where the control goes, before its runs move into it
    runs[0].addprevious(anchor)
    anchor.addnext(_control(ident, "locked", runs))
    paragraph.remove(anchor)


def _add_controls(document: bytes) -> bytes:
    """Every answer cell becomes a content control and every clause's number and heading a locked one."""
    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    ident = 700000
    for kind, table in read_layout(root).items:
        if kind != "t":
            continue
        for i, row in enumerate(table.rows):
            for j, cell in enumerate(row.cells):
                if table.kind == "clauses" and not row.header and cell.kind in ("number", "title"):
                    look = "locked"
                elif table.kind == "clauses" and not row.header and cell.kind in ("stance", "comment", "proposal"):
                    look = "stance" if cell.kind == "stance" else "text"
                elif table.kind == "general" and i > 0:
                    look = "text"
                elif table.kind == "fields" and j > 0:
                    keys = [k for m in row.cells[0].piece.markers for k in FIELD_MARK.findall(m)]
                    look = "line" if keys and keys[0] in LINE_FIELDS else "text"
                else:
                    continue
                ident += 1
                if look == "locked":
                    _lock_text(cell.element, ident)
                elif not cell.piece.text:
                    _answer_control(cell.element, look, ident)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _mark_header(header: bytes, marker: str) -> bytes:
    """Put the hidden form marker first in the page header's first paragraph."""
    root = etree.fromstring(header, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    paragraph = root.find(f".//{_W}p")
    if paragraph is None:
        return header
    run = etree.Element(f"{_W}r")
    etree.SubElement(etree.SubElement(run, f"{_W}rPr"), f"{_W}vanish")
    text = etree.SubElement(run, f"{_W}t")
    text.text = marker
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    props_at = 1 if len(paragraph) and paragraph[0].tag == f"{_W}pPr" else 0
    paragraph.insert(props_at, run)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _ensure_custom_part(parts: dict[str, bytes]) -> dict[str, bytes]:
    """A package without docProps/custom.xml (a template re-saved without properties) gets an empty one."""
    if "docProps/custom.xml" in parts:
        return parts
    out = dict(parts)
    out["docProps/custom.xml"] = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="'
                                  + CUSTOM.encode() + b'" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
                                  b'2006/docPropsVTypes"/>')
    types = out["[Content_Types].xml"].decode("utf-8")
    out["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{CUSTOM_TYPE}"/></Types>').encode()
    rels = out["_rels/.rels"].decode("utf-8")
    out["_rels/.rels"] = rels.replace("</Relationships>", f'<Relationship Id="rIdAvtalCustom" Type="{CUSTOM_REL}" '
                                      'Target="docProps/custom.xml"/></Relationships>').encode()
    return out


@dataclass(frozen=True)
class FormIdentity:
    """What every form of a round says about itself."""

    round: str
    version: str
    checksum: str
    rows: tuple[str, ...]  # clause ids in order


def form_marker(identity: FormIdentity, party: str) -> str:
    return (f"[avtal-form round={identity.round} party={party} version={identity.version} "
            f"sha256={identity.checksum}]")


class FormWriter:
    """Writes each party's svarsformulär: rendered once with sentinels, finished once, substituted per party."""

    TEXTS_SLOTS = "texts"

    def __init__(self, template: Path, info: TemplateInfo, identity: FormIdentity, when: dt.datetime,
                 round_name: str | None = None):
        self.template, self.info, self.identity, self.when = template, info, identity, when
        self.round_name = round_name or identity.round  # what readers call the round (wording.round_name)
        self.texts_chunks = 0
        self._prepared: Prepared | None = None
        self._static: list[str] = []

    def _finish(self, data: bytes, party: str, party_name: str) -> tuple[Prepared, list[str], int]:
        """Hide the markers, bookmark the rows, mark the page header, then set the properties."""
        identity = self.identity
        parts = _ensure_custom_part(read_parts(data))
        parts["word/document.xml"] = _add_controls(_mark_rows(parts["word/document.xml"]))
        for name in parts:
            if re.fullmatch(r"word/header\d*\.xml", name):
                parts[name] = _mark_header(parts[name], form_marker(identity, party))
        root = etree.fromstring(parts["word/document.xml"],
                                parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
        static = static_texts(read_layout(root))
        slots = len(chunks(["0" * 8] * len(static)))  # enough for every fingerprint; fixed for the round
        custom = {"avtal.form": FORM_KIND, "avtal.round": identity.round, "avtal.party": party,
                  "avtal.party_name": party_name, "avtal.version": identity.version,
                  "avtal.version_checksum": identity.checksum,
                  **_numbered("avtal.rows", chunks(list(identity.rows))),
                  **_numbered("avtal.texts", [sentinel(f"{self.TEXTS_SLOTS}{i}") for i in range(slots)])}
        data = ooxml.finish_docx(write_zip(parts, self.when, stored=lambda _n: True), header="", when=self.when,
                                 custom=custom, properties={
                                     "title": f"Svarsformulär {self.round_name} – {party_name}",
                                     "subject": "Svarsformulär", "creator": wording.GROUP,
                                     "lastModifiedBy": wording.GROUP, "language": "sv-SE",
                                     "identifier": self.round_name,
                                     "keywords": f"{self.round_name}; {party_name}; svarsformulär"})
        return Prepared(read_parts(data), self.when), static, slots

    def prepare(self, sample_context: dict[str, Any]) -> None:
        """Render the template once with sentinels (when its per-party fields allow it)."""
        if not self.info.substitutable:
            return
        ctx = sentinel_context(sample_context)
        data = render_template(self.template, ctx)
        self._prepared, self._static, self.texts_chunks = self._finish(data, ctx["party"]["id"], ctx["party"]["name"])

    def _texts_values(self, static: list[str], values: dict[str, str], slots: int) -> dict[str, str]:
        prints = sorted({fingerprint(substitute_text(t, values)) for t in static})
        parts = chunks(prints)
        parts += [""] * (slots - len(parts))
        return {f"{self.TEXTS_SLOTS}{i}": v for i, v in enumerate(parts)}

    def for_party(self, context: dict[str, Any]) -> bytes:
        values = party_values(context)
        if self._prepared is not None:
            values.update(self._texts_values(self._static, values, self.texts_chunks))
            return self._prepared.for_party(values)
        # The slow path: the template uses a per-party field in a condition or filter.
        data = render_template(self.template, context)
        prepared, static, slots = self._finish(data, context["party"]["id"], context["party"]["name"])
        return prepared.for_party(self._texts_values(static, {}, slots))


def check_form_template(path: Path, problems: Problems) -> TemplateInfo | None:
    return check_template(path, FORM_REQUIRED, problems, FORM_MARKERS)


# ============================================================ reading a returned form

def _normalise(text: str) -> str:
    text = text.replace("\u00a0", " ").casefold()
    return " ".join(text.strip(" \t\n.,;:!?()[]\"'”“’‘–—-").split())


def is_form(package) -> bool:
    """True for one of our svarsformulär (by its properties, or its hidden markers if those were lost)."""
    custom = _custom_values(package.xml("docProps/custom.xml"))
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
    custom = _custom_values(package.xml("docProps/custom.xml"))
    header_marks: dict[str, str] = {}
    for name in sorted(n for n in package.names if re.fullmatch(r"word/header\d*\.xml", n)):
        root = package.xml(name)
        if root is not None:
            for found in FORM_MARK.findall(_raw_text(root)[0]):
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
    row_ids = _joined(custom, "avtal.rows")
    known_texts = set(_joined(custom, "avtal.texts") or [])
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
    return _norm(" ".join(_raw_text(root)[1] for root in roots))


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
