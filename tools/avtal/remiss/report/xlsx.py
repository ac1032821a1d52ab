"""The report's Excel sheet: one row per comment, party text always stored as text."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from ...render import wording
from ...render.spreadsheet import cell_text, finish_xlsx
from .collect import KIND, OPEN_TEXT, Report, SOURCE_LABEL, STANCE_LABEL, STATUS_LABEL
from .pieces import _decision, _flag_text
from .trace import TAKEN


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
               e.received, c.revision, STATUS_LABEL[e.status] if e.status else OPEN_TEXT,
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
