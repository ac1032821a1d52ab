"""Filling in a svarsformulär the way a person does in Word: test support and sample-answer maker.

`fill_form` opens one of our forms with python-docx and types into its cells: it finds
each row by the hidden clause id in its number cell (as the reader does, but only to
know where to type), writes into the answer cells by adding runs and paragraphs in
the cell's existing paragraph style (what typing does; `cell.text = …` would also
replace the paragraph's properties), and leaves every hidden marker, bookmark and
custom property as it is. Optionally it writes outside the fields, adds a row the
way Word's "Insert row below" does (an empty copy of the row without its text or
bookmarks), and saves under a new name. The result is what a party sends back.

    fill_form(pack / "boras" / "Svarsformulär Remiss 2025-01-30 – Borås Stad.docx", out,
              rows={"ansvar.sip": ("invänder", "Kommunen saknar …", "Regionen ska …"),
                    "inledning.syfte": ("instämmer", "", "")},
              general="Borås Stad ställer sig i huvudsak bakom förslaget …",
              decided_by=("Kommunstyrelsen", "2025-04-15", "§ 45"))

`stance` in a row is one of `model.remiss.STANCES` (an `X` — or `mark` — goes into that
position's column), None (no position), or a pair `(stance, text)` that writes `text`
into that position's column as is (e.g. `("instämmer", "Instämmer.")`, `("invänder", "nej")`),
to imitate parties who write words instead of marks.

A form of layout 2 (answer cells are content controls) is filled the way Word saves a
filled control: the placeholder flag (w:showingPlcHdr) removed, the text in the control's
runs (a rich-text control around the cell's paragraph gets a paragraph per line, as Enter
makes), and for the stance the chosen list item's display text in the run and its value in
w:dropDownList/@w:lastValue.
A pair `(stance, text)` types `text` into the stance control as is (someone who still
writes an "X" there).

`libreoffice_resave` converts files with headless LibreOffice (docx → docx), as a party
using LibreOffice would save them. `packed()` packs a round of the real sources once per
test process (into a temporary dist/, removed at exit) for every test that needs the
forms and letters as sent.
"""

from __future__ import annotations

import atexit
import copy
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence, Union

import docx
from docx.oxml.ns import qn
from docx.table import Table, _Cell, _Row

from avtal.model import Corpus
from avtal.model.remiss import STANCES, RoundInfo, load_round
from avtal.model.versions import load_version, read_version, versions_dir
from avtal.remiss.outgoing.pack import Names, PackReport, pack_round
from avtal.render import wording

from ..conftest import SOURCES

Stance = Union[str, tuple[str, str], None]
Row = tuple[Stance, str, str]  # (stance, comment, proposal)

COLUMN_KEYS = {"instämmer": "instammer", "invänder": "invander", "synpunkt": "synpunkt",
               "ingen erinran": "ingen-erinran"}
_ID = re.compile(r"\[avtal-id:([^\]\s]+)\]")
_COL = re.compile(r"\[avtal-col:([a-z-]+)\]")
_FIELD = re.compile(r"\[avtal-field:([a-z0-9.]+)\]")


def _xml_text(element) -> str:
    """All text of an element, hidden runs included (where our markers are)."""
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


def type_into(cell: _Cell, text: str) -> None:
    """Type `text` into a cell: the first line into its (empty) first paragraph, each further line a new paragraph."""
    lines = text.split("\n")
    first = cell.paragraphs[0]
    first.add_run(lines[0])
    for line in lines[1:]:
        paragraph = cell.add_paragraph(line)
        paragraph.style = first.style


def _control(cell: _Cell):
    """The content control in a cell (layout 2), or None (layout 1: a plain cell)."""
    return next(cell._tc.iter(qn("w:sdt")), None)


def fill_control(sdt, text: str, value: str | None = None) -> None:
    """What Word saves after someone fills a content control: placeholder flag gone, the text in its runs."""
    props, content = sdt.find(qn("w:sdtPr")), sdt.find(qn("w:sdtContent"))
    for flag in props.findall(qn("w:showingPlcHdr")):
        props.remove(flag)
    choices = props.find(qn("w:dropDownList"))
    if choices is not None and value is not None:
        choices.set(qn("w:lastValue"), value)
    first = content.find(qn("w:p"))
    props = copy.deepcopy(first.find(qn("w:pPr"))) if first is not None else None
    for child in list(content):
        content.remove(child)
    for i, line in enumerate(text.split("\n")):
        run = content.makeelement(qn("w:r"), {})
        t = run.makeelement(qn("w:t"), {})
        t.text = line
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.append(t)
        if first is None:  # an inline control: one line (a plain-text control takes no paragraphs)
            content.append(run)
            continue
        paragraph = content.makeelement(qn("w:p"), {})
        if props is not None:
            paragraph.append(copy.deepcopy(props))
        paragraph.append(run)
        content.append(paragraph)


def choose(sdt, stance: str) -> None:
    """Pick `stance` in a drop-down control, as Word does: the item's display text shown, its value kept."""
    items = sdt.find(qn("w:sdtPr")).find(qn("w:dropDownList")).findall(qn("w:listItem"))
    item = next(i for i in items if i.get(qn("w:value")) == stance)
    fill_control(sdt, item.get(qn("w:displayText")), item.get(qn("w:value")))


def write_into(cell: _Cell, text: str) -> None:
    """Fill a field: its content control if it has one, else type into the cell."""
    sdt = _control(cell)
    if sdt is not None:
        fill_control(sdt, text)
    else:
        type_into(cell, text)


def _columns(table: Table) -> dict[str, int]:
    """Column key → index, from the hidden markers in the header row."""
    out: dict[str, int] = {}
    for i, cell in enumerate(table.rows[0].cells):
        found = _COL.search(_xml_text(cell._tc))
        if found:
            out[found[1]] = i
    return out


def _clause_rows(document) -> dict[str, tuple[Table, _Row, dict[str, int]]]:
    out = {}
    for table in document.tables:
        columns = _columns(table)
        if "comment" not in columns:
            continue
        for row in table.rows[1:]:
            found = _ID.search(_xml_text(row.cells[columns.get("number", 0)]._tc))
            if found:
                out[found[1]] = (table, row, columns)
    return out


def _field_cells(document) -> dict[str, _Cell]:
    """'general' → the cell for general comments; 'decided.body', 'covers', 'question.1' etc. → value cells."""
    out: dict[str, _Cell] = {}
    for table in document.tables:
        for i, row in enumerate(table.rows):
            found = _FIELD.search(_xml_text(row.cells[0]._tc))
            if not found:
                continue
            if found[1] == "general":
                out["general"] = table.rows[i + 1].cells[0]
            else:
                out[found[1]] = row.cells[1]
    return out


def _insert_row_below(row: _Row) -> _Row:
    """What Word's 'Insert row below' makes: the row's structure and formatting, no text, no bookmarks."""
    new = copy.deepcopy(row._tr)
    for tc in new.iter(qn("w:tc")):
        first = next(tc.iter(qn("w:p")))  # a cell's paragraph may sit inside a content control
        for child in list(first):
            if child.tag != qn("w:pPr"):
                first.remove(child)
        for child in list(tc):
            if child.tag != qn("w:tcPr"):
                tc.remove(child)
        tc.append(first)
    row._tr.addnext(new)
    return _Row(new, row._parent)


def fill_form(path: Path, out: Path, rows: Mapping[str, Row] | None = None, general: str | None = None,
              decided_by: tuple[str, str, str] | None = None, *, mark: str = "X", outside: Sequence[str] = (),
              added_rows: Mapping[str, str] | None = None, fields: Mapping[str, str] | None = None) -> Path:
    """Fill in the form at `path` and save it as `out` (see the module docstring); returns `out`.

    rows        clause id → (stance, comment, proposal); unknown clause ids raise KeyError
    general     text for "Sammanfattning och övergripande synpunkter" (newlines make paragraphs)
    decided_by  (body, date, paragraph) as the party writes them, e.g. ("Kommunstyrelsen", "2025-04-15", "§ 45")
    mark        what is written in the chosen position's column (default "X")
    outside     paragraphs written after the last table, outside every field
    added_rows  clause id → comment text of a new row inserted below that clause's row
    fields      field key → text, for the other fields: 'question.1', 'covers', 'consequences.economic', …
    """
    document = docx.Document(str(path))
    found = _clause_rows(document)
    for clause_id, (stance, comment, proposal) in (rows or {}).items():
        if clause_id not in found:
            raise KeyError(f"no row for clause id '{clause_id}' in {path}")
        _, row, columns = found[clause_id]
        if stance is not None:
            column, text = (stance, mark) if isinstance(stance, str) else stance
            if column not in STANCES:
                raise ValueError(f"stance column must be one of {STANCES}, not {column!r}")
            if "stance" in columns:  # layout 2: one drop-down
                control = _control(row.cells[columns["stance"]])
                choose(control, column) if isinstance(stance, str) else fill_control(control, text)
            else:
                type_into(row.cells[columns[COLUMN_KEYS[column]]], text)
        if comment:
            write_into(row.cells[columns["comment"]], comment)
        if proposal:
            write_into(row.cells[columns["proposal"]], proposal)
    cells = _field_cells(document)
    values = dict(fields or {})
    if general:
        values["general"] = general
    if decided_by:
        values.update((k, v) for k, v in zip(("decided.body", "decided.date", "decided.paragraph"), decided_by) if v)
    for key, value in values.items():
        write_into(cells[key], value)
    for clause_id, text in (added_rows or {}).items():
        _, row, columns = found[clause_id]
        write_into(_insert_row_below(row).cells[columns["comment"]], text)
    for text in outside:
        document.add_paragraph(text, style="Body Text")
    out.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(out))
    return out


def libreoffice_resave(paths: Sequence[Path], outdir: Path, soffice: str = "soffice") -> list[Path]:
    """Open and save each file with headless LibreOffice as Word (.docx): what a LibreOffice user sends back."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        result = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                                 "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir),
                                 *map(str, paths)], capture_output=True, text=True, timeout=240)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if result.returncode != 0:
        raise RuntimeError(f"soffice failed ({result.returncode}): {result.stderr}")
    out = [outdir / Path(p).name for p in paths]
    missing = [p for p in out if not p.exists()]
    if missing:
        raise RuntimeError(f"soffice wrote no {', '.join(map(str, missing))}: {result.stdout} {result.stderr}")
    return out


@dataclass(frozen=True)
class Packed:
    """A round packed into a temporary dist/, with the model it was packed from (for expected values)."""

    dist: Path
    report: PackReport
    info: RoundInfo
    corpus: Corpus  # the frozen version sent
    checksum: str  # that version's checksum, from its version.yaml
    sources: Path = SOURCES

    @property
    def folder(self) -> Path:
        return self.dist / "remiss" / self.info.id

    @property
    def names(self) -> Names:
        """The package's file names (how the pack named them: by the names readers see)."""
        source = self.info.source
        compared = read_version(versions_dir(self.sources) / source.compared_with) if source.compared_with else None
        return Names(wording.round_name(source),
                     wording.version_name(read_version(versions_dir(self.sources) / source.version)),
                     wording.version_name(compared) if compared else None)

    def party(self, party_id: str):
        """A recipient: a party or another remissinstans."""
        return self.info.book.answerer(party_id)

    def form(self, party_id: str) -> Path:
        return self.folder / party_id / self.names.form(self.party(party_id))

    def missiv(self, party_id: str, ext: str) -> Path:
        return self.folder / party_id / self.names.missiv(self.party(party_id), ext)


_PACKED: dict[tuple[str, str], Packed] = {}


def packed(round_id: str = "remiss-2025", sources: Path = SOURCES) -> Packed:
    """The round packed once per test process (the real sources by default)."""
    key = (str(sources), round_id)
    if key not in _PACKED:
        dist = Path(tempfile.mkdtemp(prefix="avtal-pack-"))
        atexit.register(shutil.rmtree, dist, True)
        report = pack_round(sources, round_id, dist)
        info = load_round(sources, round_id)
        corpus, _ = load_version(sources, info.source.version)
        checksum = read_version(versions_dir(sources) / info.source.version).checksum
        _PACKED[key] = Packed(dist, report, info, corpus, checksum, sources)
    return _PACKED[key]


def copy_sources(folder: Path, recipients: Sequence[str] | None = ("vgr", "boras"), round_id: str = "remiss-2025",
                 ) -> Path:
    """A copy of the real sources (answers left out) whose round goes to `recipients` only (a quick pack)."""
    copy = folder / "sources"
    shutil.copytree(SOURCES, copy, ignore=shutil.ignore_patterns("svar", "inkommet", "*.xlsx"))
    if recipients:
        edit(copy / "remiss" / f"{round_id}.yaml", "contacts:\n", f"recipients: [{', '.join(recipients)}]\ncontacts:\n")
        path = copy / "remiss" / f"{round_id}.yaml"  # and none of the other remissinstanser
        path.write_text(re.sub(r"other_recipients: \[[^\]]*\]", "other_recipients: []",
                               path.read_text(encoding="utf-8")), encoding="utf-8")
    return copy


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a text file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fixture edit: {old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit_docx(path: Path, old: str, new: str, part: str = "word/document.xml") -> None:
    """Replace text in one part of a Word file (e.g. a template's field)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    xml = parts[part].decode("utf-8")
    assert old in xml, f"{old!r} not in {path}:{part}"
    parts[part] = xml.replace(old, new).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
