"""The positions in Excel: `avtal remiss export` writes every comment to an .xlsx, `import-positions` reads it back.

The workbook is a file from outside like any other: it is opened within the bounds of
`incoming.untrusted`, and every row is checked before any position is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...fsutil import atomic_write_bytes
from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import POSITION_STATUSES, _guess
from ...render.spreadsheet import cell_text, finish_xlsx
from .lock import writes_round
from .positions import (Key, RoundPositions, apply_updates, as_compared, load_round_positions, position_key,
                        write_positions)

SHEET = "Ställningstaganden"
META_SHEET = "avtal"
FORMAT = "avtal-stallningstaganden-1"
# (header, width, wrap); the position columns come last, then the hidden digest.
COLUMNS = [
    ("Kommentar", 16, False), ("Part", 24, True), ("Dokument", 18, True), ("Avsnitt", 9, False),
    ("Rubrik", 26, True), ("Partens ställningstagande", 14, True), ("Synpunkt", 60, True), ("Förslag", 40, True),
    ("Grupp", 8, False), ("Status", 16, False), ("Motivering", 60, True), ("Ändrade avsnitt", 28, True),
    ("Kontrollsumma", 18, False),
]
HEAD = {name: i + 1 for i, (name, _, _) in enumerate(COLUMNS)}
ID, GROUP, STATUS, REASON, CLAUSES, DIGEST = ("Kommentar", "Grupp", "Status", "Motivering", "Ändrade avsnitt",
                                              "Kontrollsumma")


def default_export_path(round_id: str, dist: Path = Path("dist")) -> Path:
    return dist / "remiss" / round_id / "stallningstaganden.xlsx"


def digest(key: Optional[Key]) -> str:
    """A short digest of a comment's position (or of having none), kept in the hidden column at export."""
    value = ["", "", []] if key is None else [key[0], as_compared(key[1]), list(key[2])]
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


@dataclass
class ExportReport:
    path: Path
    rows: int
    with_position: int
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"wrote {self.path}: {self.rows} comment(s), {self.with_position} with a position, "
                f"{self.rows - self.with_position} open; fill in Status, Motivering and Ändrade avsnitt, then "
                f"`avtal remiss import-positions ROUND {self.path.name}`")


@writes_round("export")  # it writes into dist/remiss/ROUND/, which pack and report swap whole
def export_positions(sources: Path, round_id: str, output: Optional[Path] = None) -> ExportReport:
    """Write the .xlsx of every comment with the position columns (pre-filled with existing positions)."""
    import time

    started = time.perf_counter()
    data = load_round_positions(sources, round_id)
    data.raise_errors()
    path = output or default_export_path(round_id)
    raw, rows, decided = _workbook_bytes(data)
    atomic_write_bytes(path, raw)
    return ExportReport(path, rows, decided, time.perf_counter() - started)


def _text(cell, value: Optional[str]) -> None:
    """A cell holding text as text: never a formula (party text may begin with '='), no control characters."""
    if value is None or value == "":
        return
    cell.value = cell_text(value)
    cell.data_type = "s"


def _workbook_bytes(data: RoundPositions) -> tuple[bytes, int, int]:
    """The workbook's bytes, its number of comment rows and how many of them have a position."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.writer.excel import ExcelWriter

    from ...render.wording import GROUP as AUTHOR, round_name

    when = data.version.when() if data.version else dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    positions = data.positions.positions
    owner = data.owner()
    labels = {i: f"S{i + 1}" for i, p in enumerate(positions) if len(p.comments) > 1}
    titles = data.version.short_titles if data.version else {}

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE7F0")
    for col, (name, width, wrap) in enumerate(COLUMNS, start=1):
        cell = ws.cell(1, col)
        _text(cell, name)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    shown = [info for info in data.comments.values() if not info.removed or info.id in owner]
    for row, info in enumerate(shown, start=2):
        c = info.comment
        i = owner.get(c.id)
        p = positions[i] if i is not None else None
        values = {
            "Kommentar": c.id, "Part": info.party_name, "Dokument": titles.get(info.document or "", info.document),
            "Avsnitt": info.number or ("allmän" if not info.document else "hela dokumentet"), "Rubrik": info.heading,
            "Partens ställningstagande": c.stance, "Synpunkt": as_compared(c.text), "Förslag": as_compared(c.proposal) or None,
            "Grupp": labels.get(i) if i is not None else None, "Status": p.status if p else None,
            "Motivering": as_compared(p.reason) if p else None, "Ändrade avsnitt": ", ".join(p.clauses) if p else None,
            "Kontrollsumma": digest(position_key(p) if p else None),
        }
        for col, (name, _, wrap) in enumerate(COLUMNS, start=1):
            cell = ws.cell(row, col)
            _text(cell, values[name])
            cell.alignment = wrapped if wrap else top
    last = max(2, len(shown) + 1)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"  # the digest too, so sorting keeps it
    ws.column_dimensions[get_column_letter(HEAD[DIGEST])].hidden = True
    choice = DataValidation(type="list", formula1='"' + ",".join(POSITION_STATUSES) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Okänd status",
                            error="Välj beaktad, delvis beaktad, ej beaktad eller noterad.",
                            showInputMessage=True, promptTitle="Status", prompt="Arbetsgruppens ställningstagande")
    choice.add(f"{get_column_letter(HEAD[STATUS])}2:{get_column_letter(HEAD[STATUS])}{last}")
    ws.add_data_validation(choice)
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for r, (k, v) in enumerate((("format", FORMAT), ("round", data.info.id),
                                ("positions", relative(data.path))), start=1):
        _text(meta.cell(r, 1), k)
        _text(meta.cell(r, 2), v)
    props = wb.properties
    stamp = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    props.created = props.modified = stamp
    props.creator = props.lastModifiedBy = AUTHOR
    props.title = f"Ställningstaganden {round_name(data.info.source)}"
    props.subject = data.info.source.title
    props.language = "sv-SE"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # not save_workbook: it stamps `modified` with now()
    return finish_xlsx(buffer.getvalue(), when), len(shown), sum(1 for info in shown if info.id in owner)


# -- import --

@dataclass
class ImportPositionsReport:
    """What `import_positions` did; str() is the summary the command prints."""

    file: str
    positions_file: str
    rows: int
    changed: tuple[str, ...]  # comments whose position the sheet changed
    removed: tuple[str, ...]  # comments whose position the sheet cleared
    kept_newer: tuple[str, ...]  # rows left unedited whose position changed in the file since export
    missing: int  # comments of the round not in the sheet (left as they are)
    positions: int  # positions in the file afterwards
    dropped_comment_lines: int = 0

    def __str__(self) -> str:
        if not self.changed and not self.removed:
            head = f"read {self.rows} row(s) from {self.file}: nothing changed; {self.positions_file} unchanged"
        else:
            head = (f"read {self.rows} row(s) from {self.file}: {len(self.changed)} position(s) set, "
                    f"{len(self.removed)} cleared → {self.positions_file} ({self.positions} position(s))")
        lines = [head]
        if self.kept_newer:
            lines.append(f"  kept the file's newer position for {len(self.kept_newer)} unedited row(s): "
                         + ", ".join(self.kept_newer))
        if self.missing:
            lines.append(f"  {self.missing} comment(s) of the round are not in the sheet and were left as they are")
        if self.dropped_comment_lines:
            lines.append(f"  note: {self.dropped_comment_lines} comment line(s) below the file's header were not kept")
        return "\n".join(lines)


@dataclass
class _Row:
    number: int
    comment: str
    group: str
    status: str
    reason: str
    clauses: tuple[str, ...]
    digest: str
    ok: bool  # no problem found in the row itself
    cols: dict[str, int]  # header → 1-based column

    @property
    def key(self) -> Optional[Key]:
        return (self.status, self.reason, self.clauses) if self.status else None


@writes_round("import-positions")
def import_positions(sources: Path, round_id: str, file: Path) -> ImportPositionsReport:
    """Read positions back from a filled .xlsx; refuses unknown ids and conflicting edits, writing nothing."""
    data = load_round_positions(sources, round_id)
    data.raise_errors()
    shown = relative(file)
    problems = Problems()
    book = _open_workbook(file, shown, problems)
    if book is None:
        raise SourceError(problems)
    rows = _read_rows(book, shown, data, problems)
    current = {cid: position_key(data.positions.positions[i]) for cid, i in data.owner().items()}
    updates: dict[str, Optional[Key]] = {}
    kept_newer: list[str] = []
    for row in rows:
        if not row.ok:
            continue
        now = current.get(row.comment)
        if not re.fullmatch(r"[0-9a-f]{16}", row.digest):  # a row added by hand: nothing to compare with
            if now is not None and row.key != now:
                problems.add(Location(shown, row.number, row.cols[DIGEST]),
                             f"row {row.number} ({row.comment}) has no export digest (a row added by hand?) and "
                             f"{data.shown} already has a position for it ({_say(now)}), unlike the row "
                             f"({_say(row.key)}): edit the comment's exported row instead", where=row.comment)
            elif row.key != now:
                updates[row.comment] = row.key
            continue
        edited = digest(row.key) != row.digest
        changed_in_file = digest(now) != row.digest
        if not edited:
            if changed_in_file:
                kept_newer.append(row.comment)
            continue
        if changed_in_file and row.key != now:
            problems.add(Location(shown, row.number, row.cols[STATUS]),
                         f"row {row.number} ({row.comment}): conflicting edits: the position changed in "
                         f"{data.shown} since this sheet was exported (now {_say(now)}) and the row was edited too "
                         f"({_say(row.key)}); export again and redo the row, or make it agree with the file",
                         where=row.comment)
            continue
        if row.key != now:
            updates[row.comment] = row.key
    if problems:
        raise SourceError(problems)
    old = list(data.positions.positions)
    applied = apply_updates(old, updates)
    report = ImportPositionsReport(shown, data.shown, len(rows), tuple(c for c, k in updates.items() if k),
                                   tuple(c for c, k in updates.items() if k is None), tuple(kept_newer),
                                   len(set(data.comments) - {r.comment for r in rows}),
                                   len(applied.positions))
    if updates:
        report.dropped_comment_lines = write_positions(data, applied.positions)
    return report


def _say(key: Optional[Key]) -> str:
    if key is None:
        return "no position"
    reason = key[1] if len(key[1]) <= 60 else key[1][:57] + "…"
    return f"'{key[0]}', motivering “{reason}”" + (f", clauses {', '.join(key[2])}" if key[2] else "")


def _open_workbook(file: Path, shown: str, problems: Problems):
    """Open a workbook that a person sent back, after checking it as the untrusted zip it is.

    Before openpyxl reads a byte, `untrusted` checks the archive the way it checks a party's
    Word file (size, member names, lying size headers, packing ratio, total unpacked size:
    zip bombs) and we refuse any DTD or entity declaration in any XML part. That matters
    because openpyxl parses sheets with the standard library's expat: it would use
    defusedxml, but that is not installed; expat ≥ 2.4 (2.5 here) limits entity expansion, and
    with no DTD at all (Excel and LibreOffice never write one) there is nothing to expand or fetch.
    """
    from openpyxl import load_workbook

    from ..incoming.bounds import LIMITS, UntrustedFileError, read_bounded
    from ..incoming.safe_zip import DOCTYPE_MARKERS, SafeZip

    def refuse(what: str) -> None:
        problems.add(Location(shown), f"cannot read {shown}: {what}; expected the .xlsx written by "
                     "`avtal remiss export`, filled in and saved by Excel or LibreOffice")

    try:
        raw = read_bounded(file, LIMITS)
        if not raw.startswith(b"PK\x03\x04"):
            refuse("it is not an .xlsx (zip) file")
            return None
        archive = SafeZip.open(file, raw, LIMITS)
        for name in archive.names:
            part = archive.read(name)
            if part and name.lower().endswith((".xml", ".rels", ".vml")) and any(m in part for m in DOCTYPE_MARKERS):
                refuse(f"part {name} declares a DTD or entities, which spreadsheets never do")
                return None
    except UntrustedFileError as exc:
        refuse(exc.reason)
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops; we read values only
            return load_workbook(io.BytesIO(raw), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook; each is the user's file
        refuse(f"the workbook does not open ({exc.__class__.__name__}: {exc})")
        return None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return as_compared(str(value))


def _real_rows(ws) -> list[tuple[int, tuple]]:
    """(row number, values) of the rows that hold a cell, from the cells the file really has.

    Not `iter_rows`: it walks the sheet's whole extent, so one stray cell at M1048576
    would make it build a million empty rows (minutes and gigabytes); this costs what
    the file holds, which `untrusted` has bounded.
    """
    rows: dict[int, dict[int, object]] = {}
    for (row, column), cell in ws._cells.items():  # openpyxl's own store of the cells read from the file
        if cell.value is not None and column <= MAX_COLUMNS:
            rows.setdefault(row, {})[column] = cell.value
    return [(row, tuple(cells.get(c) for c in range(1, max(cells) + 1))) for row, cells in sorted(rows.items())]


MAX_COLUMNS = 256  # the sheet has 13; cells further right than this are no position of ours (ignored)


def _read_rows(book, shown: str, data: RoundPositions, problems: Problems) -> list[_Row]:
    """The sheet's rows, every problem collected (unknown ids, statuses and clauses, disagreeing groups)."""
    if SHEET not in book.sheetnames:
        problems.add(Location(shown), f"no sheet '{SHEET}' in {shown}: expected the workbook written by "
                     f"`avtal remiss export` (sheets: {', '.join(book.sheetnames)})")
        return []
    if META_SHEET in book.sheetnames:
        meta = {_cell(r[0]): _cell(r[1] if len(r) > 1 else None) for _, r in _real_rows(book[META_SHEET])}
        if meta.get("round") and meta["round"] != data.info.id:
            problems.add(Location(shown), f"{shown} was exported for round '{meta['round']}', not '{data.info.id}': "
                         f"import it with `avtal remiss import-positions {meta['round']} …`")
            return []
    ws = book[SHEET]
    sheet_rows = _real_rows(ws)
    header = [_cell(v) for v in (sheet_rows[0][1] if sheet_rows and sheet_rows[0][0] == 1 else ())]
    cols: dict[str, int] = {}
    for i, name in enumerate(header):
        cols.setdefault(name, i)
    missing = [name for name in (ID, GROUP, STATUS, REASON, CLAUSES, DIGEST) if name not in cols]
    if missing:
        problems.add(Location(shown, 1, 1), f"sheet '{SHEET}' lacks the column(s) {', '.join(missing)} in its first "
                     "row: keep the exported header row (the hidden column Kontrollsumma too); export again if lost")
        return []
    statuses = {s.casefold(): s for s in POSITION_STATUSES}
    rows: list[_Row] = []
    first_row: dict[str, int] = {}
    for number, values in sheet_rows:
        if number < 2:
            continue
        get = lambda name: _cell(values[cols[name]]) if cols[name] < len(values) else ""  # noqa: E731
        cid = get(ID)
        status_text, reason, clause_text = get(STATUS), get(REASON), get(CLAUSES)
        if not cid:
            if status_text or reason or clause_text:
                problems.add(Location(shown, number, cols[ID] + 1), f"row {number} has a position but no comment id "
                             f"in column {ID}: expected the id of the comment it answers")
            continue
        if cid not in data.comments:
            problems.add(Location(shown, number, cols[ID] + 1), f"row {number}: unknown comment '{cid}'"
                         f"{_guess(cid, data.comments)}: expected a comment id of round '{data.info.id}'", where=cid)
            continue
        if cid in first_row:
            problems.add(Location(shown, number, cols[ID] + 1), f"row {number}: comment '{cid}' is also in row "
                         f"{first_row[cid]}: each comment may have one row", where=cid)
            continue
        first_row[cid] = number
        before = len(problems)
        status = statuses.get(status_text.casefold(), "")
        if status_text and not status:
            problems.add(Location(shown, number, cols[STATUS] + 1), f"row {number} ({cid}): unknown status "
                         f"'{status_text}': expected one of {', '.join(POSITION_STATUSES)} (or empty for no position)",
                         where=cid)
        clauses = tuple(dict.fromkeys(x for x in re.split(r"[,;\s]+", clause_text) if x))
        for clause in clauses:
            if clause not in data.clause_ids:
                problems.add(Location(shown, number, cols[CLAUSES] + 1), f"row {number} ({cid}): unknown clause "
                             f"'{clause}'{_guess(clause, data.clause_ids)}: expected clause ids of the round's "
                             f"version '{data.info.source.version}' or of the working sources, separated by commas",
                             where=cid)
        if status and not reason:
            problems.add(Location(shown, number, cols[REASON] + 1), f"row {number} ({cid}): status '{status}' but no "
                         "motivering: every position needs the group's reason", where=cid)
        if not status_text and (reason or clauses):
            problems.add(Location(shown, number, cols[STATUS] + 1), f"row {number} ({cid}): a motivering or clauses "
                         f"but no status: choose one of {', '.join(POSITION_STATUSES)}, or clear the row", where=cid)
        rows.append(_Row(number, cid, get(GROUP), status, reason if status else "", clauses if status else (),
                         get(DIGEST), len(problems) == before, {k: v + 1 for k, v in cols.items()}))
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        if row.group:
            groups.setdefault(row.group, []).append(row)
    for label, members in groups.items():
        variants: dict[Optional[Key], list[int]] = {}
        for row in members:
            variants.setdefault(row.key, []).append(row.number)
        if len(variants) > 1:
            told = "; ".join(f"row{'s' * (len(n) > 1)} {', '.join(map(str, n))}: {_say(k)}"
                             for k, n in variants.items())
            problems.add(Location(shown, members[0].number, cols[GROUP] + 1),
                         f"group {label} (one position at export) has rows that disagree — {told}; give every row "
                         f"of the group the same status, motivering and clauses, or clear the Grupp cell of a row "
                         "that should get a position of its own", where=label)
    return rows
