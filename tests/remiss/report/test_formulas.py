"""Party text in every xlsx the tool writes stays text: no comment can become a live formula.

A party's comments that start like formulas (=, +, -, @, and a tab before '=')
go through the real `avtal remiss report` and `avtal remiss export`; both
workbooks are read back with openpyxl and as XML: no cell has a formula (<f>),
each such comment is a string cell, and its text is kept exactly (as the
report and the export show it: stripped, whitespace collapsed).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from avtal.remiss.record.workbook import export_positions
from avtal.remiss.report.report import write_report

from .test_report import ROUND, make_sources

HOSTILE = [
    '=HYPERLINK("http://example.org/x","Klicka här")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "=1+1\r",
]


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("formulas")
    sources = make_sources(root)
    answer = {"round": ROUND, "party": "lerum", "revisions": [{"number": 1, "received": "2025-05-03"}],
              "comments": [{"id": f"lerum-{n}", "stance": "synpunkt", "text": text, "source": "form"}
                           for n, text in enumerate(HOSTILE, start=1)]}
    answer["comments"][0]["proposal"] = "=SUM(A1)"
    (sources / "remiss" / ROUND / "svar" / "lerum.yaml").write_text(
        yaml.safe_dump(answer, allow_unicode=True, sort_keys=False), encoding="utf-8")
    write_report(sources, ROUND, root / "dist")
    exported = export_positions(sources, ROUND, root / "stallningstaganden.xlsx").path
    return root / "dist" / "remiss" / ROUND / "remissammanstallning.xlsx", exported


def shown(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("which", ["report", "positions"])
def test_no_cell_of_the_workbook_is_a_formula_and_party_text_is_a_string(workbooks, which):
    path = workbooks[0] if which == "report" else workbooks[1]
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}
    for text in [*HOSTILE, "=SUM(A1)"]:
        cell = cells.get(shown(text))
        assert cell is not None, (text, which)
        assert cell.data_type == "s", (text, cell.data_type)
