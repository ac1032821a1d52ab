"""The working group's positions: `avtal remiss position`, the Excel round trip, and what `avtal check` says.

Every test works on a small sources tree of its own: the minimal fixture documents
(tests/conftest.py), the real parter.yaml and round file, the version `remiss-2025` frozen
from the fixture and `forslag` frozen after the edits in `EDITS`, and the hand-written
answers in `ANSWERS`. Expected values are read from those inputs (the answer YAML, the
fixture's numbering, parter.yaml), never from the code under test.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from avtal.cli import main
from avtal.model.problems import SourceError
from avtal.model.freeze import freeze
from avtal.remiss.record.positions import set_position
from avtal.remiss.record.workbook import export_positions, import_positions

from ...conftest import SOURCES, make_tree

ROUND = "remiss-2025"
AGAINST = "forslag"
HUV = "documents/huvudavtal.yaml"
POSITIONS = f"remiss/{ROUND}/stallningstaganden.yaml"
STATUSES = ["beaktad", "delvis beaktad", "ej beaktad", "noterad"]

# FROM remiss-2025 to forslag: two clauses reworded, one clause added under ansvar.region.
# In the fixture's numbering: 2.1.1 ansvar.region.lakare, 2.1.2 ansvar.region.tandvard,
# 2.2 ansvar.kommun, 1.1 inledning.syfte; munhalsa is not edited.
EDITS = [
    (HUV, "Regionen ansvarar för läkarinsatser.", "Regionen ansvarar för läkarinsatser dygnet runt."),
    (HUV, "Kommunen ansvarar för {term:vard-i-hemmet}.", "Kommunen ansvarar för {term:vard-i-hemmet} och rehabilitering."),
    (HUV, """            text: |
              Regionen ansvarar för hjälpmedel.
""", """            text: |
              Regionen ansvarar för hjälpmedel.
          - id: ansvar.region.rehab
            title: Rehabilitering
            text: |
              Regionen ansvarar för specialiserad rehabilitering.
"""),
]

ANSWERS = {
    "boras": """\
round: remiss-2025
party: boras
decided_by: {body: Kommunstyrelsen, date: 2025-04-20, paragraph: "§ 45"}
revisions:
  - {number: 1, received: 2025-04-28}
comments:
  - id: boras-1
    clause: ansvar.region.lakare
    stance: invänder
    text: Läkarinsatser behövs även nattetid.
    proposal: Regionen ansvarar för läkarinsatser dygnet runt.
    source: form
  - id: boras-2
    clause: ansvar.region.tandvard
    stance: synpunkt
    text: "=HYPERLINK(\\"http://example.org\\", \\"klicka\\")"
    source: form
""",
    "goteborg": """\
round: remiss-2025
party: goteborg
revisions:
  - {number: 1, received: 2025-05-02}
comments:
  - id: goteborg-1
    clause: ansvar.region.lakare
    stance: invänder
    text: Tillgången till läkare nattetid saknas.
    source: form
  - id: goteborg-2
    text: Avtalet är i stort bra.
    source: form-general
  - id: goteborg-3
    clause: ansvar.kommun
    stance: synpunkt
    text: Rehabilitering bör nämnas.
    source: form
""",
    "fyrbodal": """\
round: remiss-2025
party: fyrbodal
on_behalf_of: [lysekil, uddevalla]
revisions:
  - {number: 1, received: 2025-05-05}
comments:
  - id: fyrbodal-1
    clause: inledning.syfte
    stance: instämmer
    text: Syftet är tydligt.
    source: form
  - id: fyrbodal-2
    clause: mun.ansvar.region
    stance: synpunkt
    text: Munhälsan behöver följas upp.
    source: form
""",
}
COMMENTS = ["boras-1", "boras-2", "goteborg-1", "goteborg-2", "goteborg-3", "fyrbodal-1", "fyrbodal-2"]


def parties() -> dict[str, str]:
    """Party and kommunalförbund names from the real parter.yaml."""
    data = yaml.safe_load((SOURCES / "parter.yaml").read_text(encoding="utf-8"))
    return {p["id"]: p["name"] for p in (*data["parties"], *data["kommunalforbund"])}


def make_round(root: Path) -> Path:
    """The small tree described in the module docstring under root/sources; returns the sources folder."""
    sources = make_tree(root / "sources")
    shutil.copy(SOURCES / "parter.yaml", sources / "parter.yaml")
    (sources / "remiss").mkdir()
    shutil.copy(SOURCES / "remiss" / f"{ROUND}.yaml", sources / "remiss" / f"{ROUND}.yaml")
    freeze(sources, ROUND, date=dt.date(2025, 1, 30), status="remissversion")
    for name, old, new in EDITS:
        path = sources / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new), encoding="utf-8")
    freeze(sources, AGAINST, date=dt.date(2025, 8, 20), status="förslag")
    for party, text in ANSWERS.items():
        path = sources / "remiss" / ROUND / "svar" / f"{party}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sources


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_round(tmp_path_factory.mktemp("round")).parent


@pytest.fixture
def root(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the tree, with the working directory at its root (as a drafter runs the tool)."""
    target = tmp_path / "work"
    shutil.copytree(template, target)
    monkeypatch.chdir(target)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return target


def positions_file(root: Path) -> Path:
    return root / "sources" / POSITIONS


def stored(root: Path) -> list[dict]:
    """The positions as plain YAML data (read with PyYAML, not our loader)."""
    return yaml.safe_load(positions_file(root).read_text(encoding="utf-8"))["positions"]


def avtal(*args: str) -> int:
    return main(list(args))


def where(text: str, needle: str, nth: int = 1) -> str:
    """'line:column' (1-based) of the nth occurrence of `needle` in `text`."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    return f"{text.count(chr(10), 0, index) + 1}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


# ---- avtal remiss position -------------------------------------------------------------------

def test_the_position_command_records_one_position_covering_several_comments(root, capsys):
    assert avtal("remiss", "position", ROUND, "boras-1", "goteborg-1", "--status", "beaktad", "--motivering",
                 "Läkarinsatser ska finnas dygnet runt.", "--clauses", "ansvar.region.lakare") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"boras-1, goteborg-1: 'beaktad', clauses ansvar.region.lakare → sources/{POSITIONS}")
    text = positions_file(root).read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schema/positions.schema.json\n")
    assert yaml.safe_load(text) == {"round": ROUND, "positions": [{
        "comments": ["boras-1", "goteborg-1"], "status": "beaktad", "reason": "Läkarinsatser ska finnas dygnet runt.",
        "clauses": ["ansvar.region.lakare"]}]}
    assert avtal("check") == 0


def test_a_new_position_for_a_covered_comment_moves_it_and_says_so(root, capsys):
    avtal("remiss", "position", ROUND, "boras-1", "goteborg-1", "--status", "beaktad", "--motivering", "Ja.",
          "--clauses", "ansvar.region.lakare")
    capsys.readouterr()
    assert avtal("remiss", "position", ROUND, "goteborg-1", "--status", "ej beaktad", "--motivering", "Nej.") == 0
    out = capsys.readouterr().out
    assert "moved goteborg-1 from its earlier position ('beaktad', shared with boras-1)" in out
    assert stored(root) == [
        {"comments": ["boras-1"], "status": "beaktad", "reason": "Ja.", "clauses": ["ansvar.region.lakare"]},
        {"comments": ["goteborg-1"], "status": "ej beaktad", "reason": "Nej."},
    ]


def test_a_comment_given_the_same_status_and_motivering_as_a_position_joins_it(root):
    set_position(root / "sources", ROUND, ["boras-1"], status="noterad", reason="Noteras.")
    set_position(root / "sources", ROUND, ["goteborg-2"], status="noterad", reason="Noteras.")
    assert stored(root) == [{"comments": ["boras-1", "goteborg-2"], "status": "noterad", "reason": "Noteras."}]


def test_setting_the_same_position_again_leaves_the_file_as_it_is(root, capsys):
    args = ("remiss", "position", ROUND, "boras-2", "--status", "noterad", "--motivering", "Noteras.")
    avtal(*args)
    before = positions_file(root).read_bytes()
    capsys.readouterr()
    assert avtal(*args) == 0
    assert "unchanged" in capsys.readouterr().out
    assert positions_file(root).read_bytes() == before


def test_unknown_comments_and_clauses_are_refused_with_a_guess_and_nothing_is_written(root, capsys):
    assert avtal("remiss", "position", ROUND, "boras-10", "goteborg-1", "--status", "beaktad", "--motivering", "Ja.",
                 "--clauses", "ansvar.region.lakar") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "2 error(s), 0 warning(s)"
    assert any("unknown comment 'boras-10' (did you mean 'boras-1'?)" in line for line in err)
    assert any("unknown clause 'ansvar.region.lakar' (did you mean 'ansvar.region.lakare'?)" in line for line in err)
    assert not positions_file(root).exists()


def test_a_clause_that_exists_only_in_the_working_sources_may_be_named(root):
    path = root / "sources" / HUV
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  - id: ansvar\n", "  - id: ny-del\n    title: Ny del\n    text: |\n      Ny text.\n  - id: ansvar\n", 1),
        encoding="utf-8")
    set_position(root / "sources", ROUND, ["goteborg-2"], status="beaktad", reason="Ny del.", clauses=["ny-del"])
    assert stored(root)[0]["clauses"] == ["ny-del"]


def test_the_header_comment_is_kept_and_comments_further_down_are_reported_as_dropped(root, capsys):
    positions_file(root).write_text(
        "# yaml-language-server: $schema=../../schema/positions.schema.json\n"
        "# Arbetsgruppens möte 2025-06-12.\n"
        "round: remiss-2025\n"
        "positions:\n"
        "  # boras-2 diskuteras igen i augusti\n"
        "  - comments: [boras-2]\n"
        "    status: noterad\n"
        "    reason: |\n"
        "      Noteras.\n"
        "      # en rad i motiveringen, ingen kommentar\n", encoding="utf-8")
    assert avtal("remiss", "position", ROUND, "goteborg-2", "--status", "noterad", "--motivering", "Tack.") == 0
    assert "note: 1 comment line(s) below the file's header were not kept" in capsys.readouterr().out
    text = positions_file(root).read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schema/positions.schema.json\n"
                           "# Arbetsgruppens möte 2025-06-12.\nround: remiss-2025\n")
    assert "diskuteras igen" not in text
    assert stored(root) == [
        {"comments": ["boras-2"], "status": "noterad", "reason": "Noteras.\n# en rad i motiveringen, ingen kommentar"},
        {"comments": ["goteborg-2"], "status": "noterad", "reason": "Tack."},
    ]


# ---- avtal check: answers and positions --------------------------------------------------------

def test_check_lists_every_problem_of_the_positions_file_with_its_line(root, capsys):
    text = (
        "round: remiss-2025\n"
        "positions:\n"
        "  - comments: [boras-1, boras-99]\n"
        "    status: beaktad\n"
        "    reason: Ja.\n"
        "    clauses: [ansvar.region.lakare, ansvar.regoin]\n"
        "  - comments: [boras-1]\n"
        "    status: noterad\n"
        "    reason: Noteras.\n")
    positions_file(root).write_text(text, encoding="utf-8")
    assert avtal("check") == 1
    err = capsys.readouterr().err.splitlines()
    shown = f"sources/{POSITIONS}"
    assert err[-1] == "3 error(s), 0 warning(s)"
    assert err[0].startswith(f"{shown}:{where(text, 'boras-99')}: error [boras-99]: unknown comment 'boras-99'")
    assert err[1].startswith(f"{shown}:{where(text, 'ansvar.regoin')}: error [ansvar.regoin]: unknown clause "
                             "'ansvar.regoin' (did you mean 'ansvar.region'?)")
    assert err[2].startswith(f"{shown}:{where(text, 'boras-1', 2)}: error [boras-1]: comment 'boras-1' is covered by "
                             f"two positions (first at line {where(text, 'boras-1').split(':')[0]})")


def test_check_finds_a_comment_on_a_clause_the_round_did_not_send(root, capsys):
    path = root / "sources" / "remiss" / ROUND / "svar" / "goteborg.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("clause: ansvar.kommun", "clause: ansvar.komun"),
                    encoding="utf-8")
    assert avtal("check") == 1
    err = capsys.readouterr().err
    at = where(ANSWERS["goteborg"], "ansvar.kommun")
    assert (f"sources/remiss/{ROUND}/svar/goteborg.yaml:{at}: error [goteborg-3]: unknown clause 'ansvar.komun' "
            "(did you mean 'ansvar.kommun'?): expected a clause id of version 'remiss-2025'") in err


# ---- Excel: export ------------------------------------------------------------------------------

HEADER = ["Kommentar", "Part", "Dokument", "Avsnitt", "Rubrik", "Partens ställningstagande", "Synpunkt", "Förslag",
          "Grupp", "Status", "Motivering", "Ändrade avsnitt", "Kontrollsumma"]


def col(name: str) -> int:
    return HEADER.index(name) + 1


def rows_by_id(ws) -> dict[str, int]:
    return {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value}


@pytest.fixture
def exported(root: Path) -> Path:
    """Two positions recorded, then the sheet exported to its default place."""
    set_position(root / "sources", ROUND, ["boras-1", "goteborg-1"], status="beaktad", reason="Dygnet runt.",
                 clauses=["ansvar.region.lakare"])
    set_position(root / "sources", ROUND, ["goteborg-2"], status="noterad", reason="Tack för synpunkten.")
    report = export_positions(root / "sources", ROUND)
    assert report.path == Path("dist/remiss/remiss-2025/stallningstaganden.xlsx")
    return root / report.path


def test_the_export_lists_every_comment_with_party_clause_and_the_position_so_far(exported):
    ws = openpyxl.load_workbook(exported)["Ställningstaganden"]
    assert [c.value for c in ws[1]] == HEADER
    rows = rows_by_id(ws)
    assert sorted(rows) == sorted(COMMENTS)
    names = parties()
    lakare = ws[rows["boras-1"]]
    assert [c.value for c in lakare[:8]] == ["boras-1", names["boras"], "Huvudavtal", "2.1.1", "Läkarinsatser",
                                            "invänder", "Läkarinsatser behövs även nattetid.",
                                            "Regionen ansvarar för läkarinsatser dygnet runt."]
    assert ws.cell(rows["fyrbodal-2"], 2).value == names["fyrbodal"]
    assert ws.cell(rows["fyrbodal-2"], 3).value == "Munhälsa"
    assert ws.cell(rows["goteborg-2"], col("Avsnitt")).value == "allmän"
    for cid in ("boras-1", "goteborg-1"):
        r = rows[cid]
        assert [ws.cell(r, col(n)).value for n in ("Status", "Motivering", "Ändrade avsnitt")] == [
            "beaktad", "Dygnet runt.", "ansvar.region.lakare"]
    assert ws.cell(rows["boras-1"], col("Grupp")).value == ws.cell(rows["goteborg-1"], col("Grupp")).value
    assert ws.cell(rows["goteborg-2"], col("Grupp")).value is None  # a position of one comment needs no group
    assert ws.cell(rows["boras-2"], col("Status")).value is None
    # the draft's order: huvudavtal 1.1, 2.1.1 (two), 2.1.2, 2.2, then munhalsa, then the general comment
    assert [ws.cell(r, 1).value for r in range(2, 9)] == [
        "fyrbodal-1", "boras-1", "goteborg-1", "boras-2", "goteborg-3", "fyrbodal-2", "goteborg-2"]


def test_the_export_has_a_status_drop_down_a_frozen_header_filters_and_a_hidden_digest(exported):
    wb = openpyxl.load_workbook(exported)
    ws = wb["Ställningstaganden"]
    last = len(COMMENTS) + 1
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:M{last}"
    validations = ws.data_validations.dataValidation
    assert len(validations) == 1
    assert validations[0].type == "list" and validations[0].formula1 == '"' + ",".join(STATUSES) + '"'
    assert str(validations[0].sqref) == f"J2:J{last}"
    assert ws.column_dimensions["M"].hidden
    assert ws.column_dimensions["G"].width == 60
    assert wb["avtal"].sheet_state == "hidden"
    assert wb["avtal"]["B2"].value == ROUND


def test_the_export_is_byte_identical_and_dated_by_the_round_s_version(root, exported):
    first = exported.read_bytes()
    again = export_positions(root / "sources", ROUND, root / "again.xlsx")
    assert again.path.read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2025, 1, 30, 0, 0, 0)}
    props = openpyxl.load_workbook(exported).properties
    assert props.created == props.modified == dt.datetime(2025, 1, 30)


def test_a_party_s_text_starting_with_an_equals_sign_is_exported_as_text_not_a_formula(exported):
    ws = openpyxl.load_workbook(exported)["Ställningstaganden"]
    cell = ws.cell(rows_by_id(ws)["boras-2"], col("Synpunkt"))
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK(")
    with zipfile.ZipFile(exported) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


# ---- Excel: import ------------------------------------------------------------------------------

def fill(path: Path, target: Path, edits: dict[tuple[str, str], str | None]) -> Path:
    """Edit cells like a person: (comment id, column header) → new value; saved with openpyxl."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Ställningstaganden"]
    rows = rows_by_id(ws)
    for (cid, name), value in edits.items():
        ws.cell(rows[cid], col(name)).value = value
    wb.save(target)
    return target


def test_a_filled_sheet_comes_back_as_positions_sharing_identical_rows(root, exported, capsys):
    filled = fill(exported, root / "ifylld.xlsx", {
        ("boras-2", "Status"): "ej beaktad", ("boras-2", "Motivering"): "Tandvården regleras i munhälsoavtalet.",
        ("fyrbodal-1", "Status"): "Noterad", ("fyrbodal-1", "Motivering"): "Arbetsgruppen noterar.",
        ("fyrbodal-2", "Status"): "noterad", ("fyrbodal-2", "Motivering"): "Arbetsgruppen noterar.",
        ("goteborg-3", "Status"): "beaktad", ("goteborg-3", "Motivering"): "Rehabilitering läggs till.",
        ("goteborg-3", "Ändrade avsnitt"): "ansvar.kommun, ansvar.region.rehab",
    })
    assert avtal("remiss", "import-positions", ROUND, str(filled)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"read {len(COMMENTS)} row(s) from ifylld.xlsx: 4 position(s) set, 0 cleared")
    assert stored(root) == [
        {"comments": ["boras-1", "goteborg-1"], "status": "beaktad", "reason": "Dygnet runt.",
         "clauses": ["ansvar.region.lakare"]},
        {"comments": ["goteborg-2"], "status": "noterad", "reason": "Tack för synpunkten."},
        {"comments": ["fyrbodal-1", "fyrbodal-2"], "status": "noterad", "reason": "Arbetsgruppen noterar."},
        {"comments": ["boras-2"], "status": "ej beaktad", "reason": "Tandvården regleras i munhälsoavtalet."},
        {"comments": ["goteborg-3"], "status": "beaktad", "reason": "Rehabilitering läggs till.",
         "clauses": ["ansvar.kommun", "ansvar.region.rehab"]},
    ]
    assert avtal("check") == 0


def test_a_group_edited_in_every_row_is_updated_in_place_and_a_cleared_row_loses_its_position(root, exported):
    filled = fill(exported, root / "ifylld.xlsx", {
        ("boras-1", "Status"): "delvis beaktad", ("goteborg-1", "Status"): "delvis beaktad",
        ("goteborg-2", "Status"): None, ("goteborg-2", "Motivering"): None,
    })
    report = import_positions(root / "sources", ROUND, filled)
    assert report.removed == ("goteborg-2",)
    assert stored(root) == [{"comments": ["boras-1", "goteborg-1"], "status": "delvis beaktad",
                             "reason": "Dygnet runt.", "clauses": ["ansvar.region.lakare"]}]


def test_an_unedited_row_keeps_the_newer_position_the_file_got_after_export(root, exported, capsys):
    set_position(root / "sources", ROUND, ["goteborg-2"], status="ej beaktad", reason="Ändrat efter exporten.")
    before = positions_file(root).read_bytes()
    assert avtal("remiss", "import-positions", ROUND, str(exported)) == 0
    out = capsys.readouterr().out
    assert "nothing changed" in out and "kept the file's newer position for 1 unedited row(s): goteborg-2" in out
    assert positions_file(root).read_bytes() == before


def test_bad_rows_and_conflicting_edits_are_all_listed_by_row_and_nothing_is_written(root, exported, capsys):
    set_position(root / "sources", ROUND, ["goteborg-2"], status="ej beaktad", reason="Ändrat efter exporten.")
    before = positions_file(root).read_bytes()
    filled = fill(exported, root / "ifylld.xlsx", {
        ("goteborg-2", "Motivering"): "Ändrat i arket också.",  # the file changed it too: a conflict
        ("boras-1", "Status"): "ej beaktad",  # one row of the group boras-1 + goteborg-1 only
        ("boras-2", "Status"): "beaktat", ("boras-2", "Motivering"): "Stavfel i status.",
        ("goteborg-3", "Status"): "beaktad", ("goteborg-3", "Motivering"): "Ja.",
        ("goteborg-3", "Ändrade avsnitt"): "ansvar.komun",
        ("fyrbodal-1", "Kommentar"): "fyrbodal-11",
        ("fyrbodal-2", "Motivering"): "Motivering utan status.",
    })
    rows = rows_by_id(openpyxl.load_workbook(exported)["Ställningstaganden"])
    assert avtal("remiss", "import-positions", ROUND, str(filled)) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "6 error(s), 0 warning(s)"
    said = "\n".join(err)
    assert f"row {rows['goteborg-2']} (goteborg-2): conflicting edits" in said
    assert f"group S1 (one position at export) has rows that disagree — row {rows['boras-1']}: 'ej beaktad'" in said
    assert f"row {rows['boras-2']} (boras-2): unknown status 'beaktat'" in said
    assert f"row {rows['goteborg-3']} (goteborg-3): unknown clause 'ansvar.komun' (did you mean 'ansvar.kommun'?)" \
        in said
    assert f"row {rows['fyrbodal-1']}: unknown comment 'fyrbodal-11' (did you mean 'fyrbodal-1'?)" in said
    assert f"row {rows['fyrbodal-2']} (fyrbodal-2): a motivering or clauses but no status" in said
    assert all(line.startswith("ifylld.xlsx:") for line in err[:-1])
    assert positions_file(root).read_bytes() == before


def test_a_sheet_with_a_dtd_or_that_is_no_zip_is_refused_before_it_is_parsed(root, exported):
    hostile = root / "hostile.xlsx"
    with zipfile.ZipFile(exported) as src, zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
            out.writestr(info.filename, data)
    with pytest.raises(SourceError) as caught:
        import_positions(root / "sources", ROUND, hostile)
    assert "part xl/worksheets/sheet1.xml declares a DTD or entities" in str(caught.value)
    text = root / "text.xlsx"
    text.write_text("Kommentar;Status\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        import_positions(root / "sources", ROUND, text)
    assert "it is not an .xlsx (zip) file" in str(caught.value)


STRAY = """\
import re, resource, sys, time
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
from avtal.cli import main
started = time.monotonic()
code = main(["remiss", "import-positions", sys.argv[1], sys.argv[2]])
peak = int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)) // 1024  # MB
print(code, round(time.monotonic() - started, 1), peak)
"""


def test_a_stray_cell_far_away_costs_what_the_file_holds_not_its_extent(root, exported, capsys):
    import subprocess
    import sys

    filled = fill(exported, root / "ifylld.xlsx", {("boras-2", "Status"): "noterad",
                                                 ("boras-2", "Motivering"): "Noteras."})
    wb = openpyxl.load_workbook(filled)
    wb["Ställningstaganden"]["M1048576"] = "x"  # one stray cell in the sheet's last row
    wb["avtal"]["XFD1048576"] = "y"
    wb.save(filled)
    done = subprocess.run([sys.executable, "-c", STRAY, ROUND, str(filled)], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    code, seconds, megabytes = done.stdout.splitlines()[-1].split()
    assert code == "0", done.stderr
    assert float(seconds) < 20 and int(megabytes) < 400
    assert any(p["comments"] == ["boras-2"] and p["status"] == "noterad" for p in stored(root))
