"""`avtal remiss pack`: 50 folders and zips, a manifest that verifies, a sändlista, and nothing half-written.

The real round is packed once (forms.packed); expected values come from parter.yaml, the
round file and the frozen version, never from the pack itself. Bad input is tried on a
copied sources tree (and a copied templates folder), each with its own clear error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import pikepdf
import pytest
import yaml

from avtal.cli import main
from avtal.model.problems import SourceError
from avtal.remiss.outgoing.lists import MANIFEST_HEADER, SANDLISTA_HEADER
from avtal.remiss.outgoing.pack import pack_round, portable
from avtal.render.house import TEMPLATES

from ...conftest import SOURCES
from ..forms import Packed, copy_sources, edit, edit_docx, packed

ROUND = "remiss-2025"
# What readers see (never the slugs): the round has no `name`, so 'Remiss' and its sent date; version
# remiss-2025 has no title, so its status and date from its version.yaml.
ROUND_NAME = "Remiss 2025-01-30"
VERSION_NAME = "Remissversion 2025-01-30"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PARTIES = yaml.safe_load((SOURCES / "parter.yaml").read_text(encoding="utf-8"))["parties"]
ROUND_FILE = yaml.safe_load((SOURCES / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8"))
_BOOK = yaml.safe_load((SOURCES / "parter.yaml").read_text(encoding="utf-8"))
_OTHERS = {x["id"]: x for x in (*_BOOK["kommunalforbund"], *_BOOK.get("organisations", ()))}
# Remissinstanser that are not parties, as the round names them; they get a package like the parties.
OTHERS = [x for x in (*_BOOK["kommunalforbund"], *_BOOK.get("organisations", ()))
          if x["id"] in ROUND_FILE.get("other_recipients", ())]
RECIPIENTS = [*PARTIES, *OTHERS]


@pytest.fixture(scope="session")
def pack() -> Packed:
    return packed(ROUND)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# -- the real round --------------------------------------------------------------------------

def test_every_party_gets_a_folder_and_a_zip_named_by_its_id(pack: Packed):
    assert len(PARTIES) == 50 and len(OTHERS) == len(ROUND_FILE["other_recipients"]) >= 10
    ids = sorted(p["id"] for p in RECIPIENTS)  # the other remissinstanser get a package too
    assert sorted(p.name for p in pack.folder.iterdir() if p.is_dir()) == ids
    assert sorted(p.stem for p in pack.folder.glob("*.zip")) == ids
    assert not [p for p in pack.folder.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_each_zip_holds_exactly_its_folder_sorted_with_fixed_timestamps(pack: Packed):
    for party in RECIPIENTS:
        folder = pack.folder / party["id"]
        with zipfile.ZipFile(pack.folder / f"{party['id']}.zip") as z:
            infos = z.infolist()
            assert [i.filename for i in infos] == sorted(p.name for p in folder.iterdir())
            assert len({i.date_time for i in infos}) == 1
            for info in infos:
                assert z.read(info) == (folder / info.filename).read_bytes()
            assert z.testzip() is None


def test_pdfs_are_deflated_and_word_files_stored_as_they_are(pack: Packed):
    with zipfile.ZipFile(pack.folder / f"{RECIPIENTS[0]['id']}.zip") as z:
        infos = z.infolist()
    pdfs = [i for i in infos if i.filename.endswith(".pdf")]
    words = [i for i in infos if i.filename.endswith(".docx")]
    assert pdfs and words
    assert all(i.compress_type == zipfile.ZIP_DEFLATED and i.compress_size < 0.8 * i.file_size for i in pdfs)
    assert all(i.compress_type == zipfile.ZIP_STORED for i in words)


def test_a_package_holds_missiv_form_and_the_frozen_versions_documents_in_word_and_pdf(pack: Packed):
    files = sorted(p.name for p in (pack.folder / "boras").iterdir())
    documents = [pack.corpus.document(d) for d in pack.info.documents]
    expected = sorted([f"Missiv {ROUND_NAME} – Borås Stad.docx", f"Missiv {ROUND_NAME} – Borås Stad.pdf",
                       f"Svarsformulär {ROUND_NAME} – Borås Stad.docx"]
                      + [f"{n} {d.source.short_title} ({VERSION_NAME}){ext}"
                         for n, d in enumerate(documents, 1) for ext in (".docx", ".pdf")])
    assert files == expected
    for n, doc in enumerate(documents, 1):
        stem = pack.folder / "boras" / f"{n} {doc.source.short_title} ({VERSION_NAME})"
        word = docx.Document(str(stem.with_suffix(".docx")))
        assert word.core_properties.title == doc.title
        assert f'<vt:lpwstr>{ROUND_FILE["version"]}</vt:lpwstr>' in zipfile.ZipFile(
            stem.with_suffix(".docx")).read("docProps/custom.xml").decode()
        with pikepdf.open(stem.with_suffix(".pdf")) as pdf:
            assert str(pdf.open_metadata().get("dc:title")) == doc.title
        assert (stem.with_suffix(".pdf")).stat().st_nlink == len(RECIPIENTS)  # built once, hard-linked into every package


def test_the_manifest_lists_every_file_with_its_true_size_and_sha256(pack: Packed):
    text = (pack.folder / "manifest.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(MANIFEST_HEADER)
    rows = read_csv(pack.folder / "manifest.csv")
    listed = {r["file"] for r in rows}
    on_disk = {p.relative_to(pack.folder).as_posix() for p in pack.folder.rglob("*") if p.is_file()}
    assert listed == on_disk - {"manifest.csv", "sandlista.csv", "sandlista.html", "remisslista.csv",
                                "remisslista.html"}
    by_id = {p["id"]: p for p in RECIPIENTS}
    for row in rows:
        path = pack.folder / row["file"]
        assert int(row["bytes"]) == path.stat().st_size
        assert row["sha256"] == sha256(path)
        party = by_id[row["party"]]
        assert (row["name"], row["email"], row["email_placeholder"]) == (
            party["name"], party["email"], str(party["email_placeholder"]).lower())
        assert row["file"] == f"{row['party']}.zip" or row["file"].startswith(f"{row['party']}/")
    assert sum(1 for r in rows if r["file"].endswith(".zip")) == len(RECIPIENTS)


class _Table(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.lang = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_the_sandlista_names_every_party_with_its_zip_checksum_and_marks_placeholder_addresses(pack: Packed):
    rows = read_csv(pack.folder / "sandlista.csv")
    assert list(rows[0]) == list(SANDLISTA_HEADER)
    assert [r["party"] for r in rows] == [p["id"] for p in RECIPIENTS]  # parter.yaml order, parties first
    for row, party in zip(rows, RECIPIENTS):
        assert row["zip"] == f"{party['id']}.zip"
        assert row["sha256"] == sha256(pack.folder / row["zip"])
        assert row["email_placeholder"] == str(party["email_placeholder"]).lower()
    page = _Table()
    page.feed((pack.folder / "sandlista.html").read_text(encoding="utf-8"))
    assert page.lang == "sv"
    body = page.rows[1:]
    assert [r[1] for r in body] == [p["id"] for p in RECIPIENTS]
    placeholders = [p for p in RECIPIENTS if p["email_placeholder"]]
    assert sum("(platshållare)" in r[2] for r in body) == len(placeholders)
    assert [r[5] for r in body] == [r["sha256"] for r in rows]


class _Outline(HTMLParser):
    """Landmarks, headings, table captions and header cells of a page."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data):
        if self._open and data.strip():
            self.text.setdefault(self._open[-1], []).append(" ".join(data.split()))


def test_the_remisslista_page_lists_parties_and_other_remissinstanser_apart_accessibly(pack: Packed):
    html = (pack.folder / "remisslista.html").read_text(encoding="utf-8")
    page = _Outline()
    page.feed(html)
    tags = [t for t, _ in page.tags]
    assert ("html", {"lang": "sv"}) in page.tags and tags.count("main") == 1 and tags.count("h1") == 1
    assert page.text["h2"] == [f"Parter ({len(PARTIES)})", f"Övriga remissinstanser ({len(OTHERS)})"]
    assert tags.count("table") == tags.count("caption") >= 7  # one table per group, each captioned
    assert all(a.get("scope") in ("col", "row") for t, a in page.tags if t == "th")
    names = page.text["th"]
    for who in RECIPIENTS:
        assert who["name"] in names
    examples = [o for o in OTHERS if o.get("name_placeholder")]
    assert examples and html.count("(exempel, bekräftas)") == len(examples)
    rows = read_csv(pack.folder / "remisslista.csv")
    assert [r["id"] for r in rows if r["party"] == "true"] == [p["id"] for p in PARTIES if p["kind"] == "region"] + [
        p["id"] for g in _BOOK["kommunalforbund"] for p in PARTIES if p.get("kommunalforbund") == g["id"]]
    assert sorted(r["id"] for r in rows if r["party"] == "false") == sorted(o["id"] for o in OTHERS)
    assert {r["id"] for r in rows if r["name_placeholder"] == "true"} == {o["id"] for o in examples}


@pytest.mark.client
def test_the_remisslista_page_passes_axe_core(pack: Packed):
    from ...clients import axe

    for record in axe([pack.folder / "remisslista.html"], (1280, 320)):
        assert record["violations"] == [], (record["width"], record["violations"])
        assert record["scrollWidth"] <= record["width"]  # reflows: no sideways scrolling on a phone


def test_file_names_stay_portable():
    assert portable('Svar: "A/B" <x>|y?', ".docx") == "Svar- -A-B- -x--y-.docx"
    assert portable("Borås Stad", ".pdf") == "Borås Stad.pdf"
    assert portable("a\u030a", ".pdf") == "å.pdf"  # NFC: one code point, as every file system stores it


def test_packing_again_gives_byte_identical_files(pack: Packed, tmp_path: Path):
    again = tmp_path / "dist"
    pack_round(SOURCES, ROUND, again)
    assert (again / "remiss" / ROUND / "manifest.csv").read_bytes() == (pack.folder / "manifest.csv").read_bytes()
    for name in ("sandlista.csv", "sandlista.html", "boras.zip", "vgr.zip"):
        assert (again / "remiss" / ROUND / name).read_bytes() == (pack.folder / name).read_bytes(), name


# -- bad input: every problem at once, nothing written ---------------------------------------

@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A copy of the real sources whose round goes to two parties (a quick pack)."""
    return copy_sources(tmp_path)


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES, copy)
    return copy


def refused(sources: Path, dist: Path, templates: Path = TEMPLATES) -> list[str]:
    with pytest.raises(SourceError) as caught:
        pack_round(sources, ROUND, dist, templates=templates)
    assert not (dist / "remiss" / ROUND).exists()
    assert not list((dist / "remiss").glob(f".{ROUND}*")) if (dist / "remiss").exists() else True
    return [str(p) for p in caught.value.problems]


def test_an_unknown_recipient_is_refused_with_its_line_and_a_suggestion(sources: Path, tmp_path: Path):
    edit(sources / "remiss" / f"{ROUND}.yaml", "recipients: [vgr, boras]", "recipients: [vgr, boraas]")
    problems = refused(sources, tmp_path / "dist")
    assert any(re.search(rf"remiss/{ROUND}\.yaml:\d+:\d+: error: unknown party 'boraas' \(did you mean 'boras'\?\)", p)
               for p in problems), problems


def test_a_version_that_is_not_frozen_is_refused_with_how_to_freeze_it(sources: Path, tmp_path: Path):
    edit(sources / "remiss" / f"{ROUND}.yaml", "version: remiss-2025", "version: remiss-2026")
    problems = refused(sources, tmp_path / "dist")
    assert any("version 'remiss-2026' is not frozen" in p and "avtal freeze remiss-2026" in p for p in problems)


def test_a_deadline_before_the_sent_date_is_refused(sources: Path, tmp_path: Path):
    edit(sources / "remiss" / f"{ROUND}.yaml", "deadline: 2025-05-09", "deadline: 2025-01-15")
    problems = refused(sources, tmp_path / "dist")
    assert any("deadline 2025-01-15 is not after the sent date 2025-01-30" in p for p in problems), problems


def test_a_deadline_under_three_months_is_a_warning_and_the_pack_is_written(sources: Path, tmp_path: Path, capsys):
    edit(sources / "remiss" / f"{ROUND}.yaml", "deadline: 2025-05-09", "deadline: 2025-03-31")
    report = pack_round(sources, ROUND, tmp_path / "dist")
    assert "warning" in capsys.readouterr().err and report.warnings
    assert "less than 3 months" in report.warnings[0]
    assert sorted(p.name for p in (tmp_path / "dist" / "remiss" / ROUND).glob("*.zip")) == ["boras.zip", "vgr.zip"]
    assert "31 mars 2025" in "\n".join(p.text for p in docx.Document(
        str(tmp_path / "dist" / "remiss" / ROUND / "boras" / f"Missiv {ROUND_NAME} – Borås Stad.docx")).paragraphs)


def test_a_template_missing_a_required_field_is_refused_naming_the_field(sources, templates, tmp_path):
    edit_docx(templates / "missiv.docx", "{{ round.deadline }}", "snart")
    problems = refused(sources, tmp_path / "dist", templates)
    assert any("missiv.docx" in p and "missing field '{{ round.deadline }}'" in p and "add it back in Word" in p
               for p in problems), problems


def test_an_unknown_placeholder_in_a_template_is_refused_with_the_paragraph_and_a_suggestion(sources, templates,
                                                                                          tmp_path):
    edit_docx(templates / "svarsformular.docx", "{{ party.name }}", "{{ party.nmae }}")
    problems = refused(sources, tmp_path / "dist", templates)
    assert any("svarsformular.docx" in p and "unknown field '{{ party.nmae }}'" in p
               and "did you mean '{{ party.name }}'" in p and "paragraph" in p for p in problems), problems


def test_every_problem_is_reported_at_once_and_an_existing_pack_is_left_untouched(sources, templates, tmp_path):
    dist = tmp_path / "dist"
    pack_round(sources, ROUND, dist)
    before = {p.relative_to(dist): p.read_bytes() for p in dist.rglob("*") if p.is_file()}
    edit(sources / "remiss" / f"{ROUND}.yaml", "recipients: [vgr, boras]", "recipients: [vgr, nowhere]")
    edit_docx(templates / "missiv.docx", "{{ round.reply_to }}", "{{ round.replyto }}")
    with pytest.raises(SourceError) as caught:
        pack_round(sources, ROUND, dist, templates=templates)
    messages = [str(p) for p in caught.value.problems]
    assert any("unknown party 'nowhere'" in m for m in messages)
    assert any("unknown field '{{ round.replyto }}'" in m for m in messages)
    assert any("missing field '{{ round.reply_to }}'" in m for m in messages)
    assert {p.relative_to(dist): p.read_bytes() for p in dist.rglob("*") if p.is_file()} == before


def test_the_cli_prints_each_problem_with_its_file_and_exits_1(sources: Path, tmp_path: Path, capsys):
    edit(sources / "remiss" / f"{ROUND}.yaml", "deadline: 2025-05-09", "deadline: 2025-01-15")
    code = main(["--sources", str(sources), "remiss", "pack", ROUND, "--dist", str(tmp_path / "dist")])
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(rf"remiss/{ROUND}\.yaml:\d+:\d+: error: deadline", err), err
    assert "Traceback" not in err
    assert not (tmp_path / "dist" / "remiss" / ROUND).exists()


# -- a round compared with an earlier version ------------------------------------------------

def test_a_round_compared_with_an_earlier_version_sends_the_redline_too(sources: Path, tmp_path: Path):
    (sources / "remiss" / "forslag-2025.yaml").write_text(
        (sources / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8")
        .replace(f"id: {ROUND}", "id: forslag-2025\nname: Förslagsremiss 2025").replace("version: remiss-2025",
                                                             "version: forslag-2025-08\ncompared_with: remiss-2025")
        .replace("sent: 2025-01-30", "sent: 2025-09-01").replace("deadline: 2025-05-09", "deadline: 2025-12-05")
        .replace("recipients: [vgr, boras]", "recipients: [boras]"), encoding="utf-8")
    report = pack_round(sources, "forslag-2025", tmp_path / "dist")
    folder = tmp_path / "dist" / "remiss" / "forslag-2025" / "boras"
    names = sorted(p.name for p in folder.iterdir())
    # Readers see the round's name and each version's status and date (version.yaml), never the slugs.
    redlines = [n for n in names if f"ändringar mot {VERSION_NAME}" in n]
    assert redlines and {Path(n).suffix for n in redlines} == {".docx", ".pdf"}
    assert f"Ändringsförteckning Förslag 2025-08-21 mot {VERSION_NAME}.docx" in names
    assert f"Ändringsförteckning Förslag 2025-08-21 mot {VERSION_NAME}.pdf" in names
    tracked = zipfile.ZipFile(folder / next(n for n in redlines if n.endswith(".docx"))).read("word/document.xml")
    assert b"<w:ins " in tracked or b"<w:del " in tracked
    missiv = docx.Document(str(folder / "Missiv Förslagsremiss 2025 – Borås Stad.docx"))
    letter = "\n".join(p.text for p in missiv.paragraphs)
    assert f"Ändringarna jämfört med {VERSION_NAME}" in letter
    assert "Remissen omfattar följande handlingar, Förslag 2025-08-21." in letter
    assert all(n in letter for n in redlines)
    manifest = read_csv(tmp_path / "dist" / "remiss" / "forslag-2025" / "manifest.csv")
    assert {r["file"] for r in manifest} >= {f"boras/{n}" for n in redlines}
    assert report.parties == 1


def test_a_new_pack_keeps_the_report_but_drops_a_removed_party_and_stale_e_mails(sources: Path, tmp_path: Path):
    dist = tmp_path / "dist"
    pack_round(sources, ROUND, dist)
    folder = dist / "remiss" / ROUND
    (folder / "remissammanstallning.pdf").write_bytes(b"%PDF-1.7 report")
    (folder / "remissammanstallning-filer").mkdir()
    (folder / "remissammanstallning-filer" / "chart.svg").write_text("<svg/>")
    (folder / "e-post").mkdir()
    (folder / "e-post" / "boras.eml").write_text("stale")
    edit(sources / "remiss" / f"{ROUND}.yaml", "recipients: [vgr, boras]", "recipients: [vgr]")
    pack_round(sources, ROUND, dist)
    assert (folder / "remissammanstallning.pdf").read_bytes() == b"%PDF-1.7 report"
    assert (folder / "remissammanstallning-filer" / "chart.svg").read_text() == "<svg/>"
    assert not (folder / "e-post").exists()
    assert not (folder / "boras").exists() and not (folder / "boras.zip").exists()
    assert (folder / "vgr.zip").exists()
