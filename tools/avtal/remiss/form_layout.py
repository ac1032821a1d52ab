"""A svarsformulär's OOXML as both its writer and its reader see it.

The layout (tables, rows, cells, the form's own texts and their fingerprints) and the custom
document properties that carry long values in pieces of at most 255 characters (Word's limit).
The writer fingerprints the texts it wrote; the reader knows them again by those fingerprints.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterator

from lxml import etree

from ..model.remiss import STANCES
from ..render import ooxml
from .form_contract import ANY_MARK, CLAUSE_COLUMNS, COL_MARK, QUESTION, STANCE_COLUMNS, field_of_label

W = ooxml.W
_W = f"{{{W}}}"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
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
assert set(STANCE_KEYS.values()) == set(STANCES)


# ============================================================ reading OOXML (shared by writer and reader)

def is_hidden(run: etree._Element) -> bool:
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


def raw_text(element: etree._Element) -> tuple[str, str]:
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
            if run is None or not is_hidden(run):
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
            if run is None or not is_hidden(run):
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
        every, _ = raw_text(element)
        markers = ANY_MARK.findall(every)
        # Our markers are removed; any other hidden text was typed by the party into hidden formatting: kept.
        text = ANY_MARK.sub("", every)
        text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip("\n ")
        marks = [b.get(f"{_W}name", "") for b in element.iter(f"{_W}bookmarkStart")]
        return cls(text, markers, marks)


def squeezed(text: str) -> str:
    return " ".join(text.split())


def fingerprint(text: str) -> str:
    """Short digest of a text of the form's own (whitespace-insensitive), kept in the form's custom properties."""
    return hashlib.sha1(squeezed(text).encode("utf-8")).hexdigest()[:8]


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
    first = [squeezed(c.piece.text).lower().rstrip(":") for c in table.rows[0].cells] if table.rows else []
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
        word = squeezed(cell.piece.text).lower().rstrip(":")
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


def custom_values(xml: etree._Element | None) -> dict[str, str]:
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


def numbered_properties(prefix: str, values: list[str]) -> dict[str, str]:
    return {f"{prefix}.{i:02d}": value for i, value in enumerate(values, 1)}


def joined_property(custom: dict[str, str], prefix: str) -> list[str] | None:
    keys = sorted(k for k in custom if k.startswith(prefix + "."))
    if not keys:
        return None
    return " ".join(custom[k] for k in keys).split()
