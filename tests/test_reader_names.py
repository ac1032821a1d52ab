"""Readers see names, not slugs; and every output honours the umask.

The sample round is built the way `make` and `make pack` build it (build, redline, report, pack,
mail as a dry run, and the positions workbook), by the real command in a child process under a
real umask. Then every reader-facing text of every output is read with an independent reader —
python-docx's package parts (lxml), poppler's pdftotext and pikepdf, an HTML parser, openpyxl, the
e-mail parser — and searched for the slugs of the round and its versions. Slugs may stay in file
paths (folders, link targets) and in what only programs read: hidden text (the form's markers),
custom document properties (avtal.*), hidden sheets, and the registrar's CSV lists of paths.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import shutil
import stat
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pikepdf
import pytest
import yaml
from lxml import etree

from .clients import require_client
from .conftest import ROOT, SOURCES

ROUND = "remiss-2025"
NEXT = "forslag-2025-08"
SLUGS = (ROUND, NEXT)  # the round's id and both frozen versions' names (the round sends version remiss-2025)
AVTAL = str(Path(sys.executable).with_name("avtal"))
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def run_under_umask(umask: str, *commands: list[str], cwd: Path = ROOT) -> None:
    """Each command in one shell that first sets the umask (a real one, as a user's login shell does)."""
    script = " && ".join([f"umask {umask}", *(" ".join(f"'{a}'" for a in c) for c in commands)])
    result = subprocess.run(["sh", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample round's outputs, as `make` + `make pack` + the positions export write them, under umask 022."""
    out = tmp_path_factory.mktemp("names") / "dist"
    d = str(out)
    run_under_umask("022",
                    [AVTAL, "build", "--dist", d],
                    [AVTAL, "redline", ROUND, NEXT, "--dist", d],
                    [AVTAL, "remiss", "report", ROUND, "--against", NEXT, "--dist", d],
                    [AVTAL, "remiss", "pack", ROUND, "--dist", d],  # swaps in a new remiss/ROUND/ (the report's)
                    [AVTAL, "remiss", "mail", ROUND, "--dist", d],
                    [AVTAL, "remiss", "export", ROUND, "-o", f"{d}/remiss/{ROUND}/stallningstaganden.xlsx"])
    return out


# -- reading what readers see -----------------------------------------------------------------

def docx_texts(path: Path) -> dict[str, str]:
    """Visible text of every part of a Word file (body, headers, footers, comments, notes) and its core and
    app properties; hidden runs (w:vanish) and custom properties are for programs."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.endswith(".xml") or name == "docProps/custom.xml":
                continue
            root = etree.fromstring(z.read(name))
            if name.startswith("word/"):
                runs = [t for t in root.iter(f"{W}t", f"{W}delText")
                        if t.getparent().find(f"{W}rPr/{W}vanish") is None]
                out[name] = " ".join(t.text or "" for t in runs)
            elif name.startswith("docProps/"):
                out[name] = " ".join(root.itertext())
    return out


def pdf_texts(path: Path) -> dict[str, str]:
    """The page text as poppler extracts it, the document information and the outline (bookmarks)."""
    text = subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, text=True, check=True).stdout
    with pikepdf.open(path) as pdf:
        info = " ".join(str(v) for v in pdf.docinfo.values())
        with pdf.open_outline() as outline:
            titles, todo = [], list(outline.root)
            while todo:
                item = todo.pop()
                titles.append(item.title)
                todo.extend(item.children)
    return {"text": text, "info": info, "outline": " ".join(titles)}


class Visible(HTMLParser):
    """Text a browser shows or reads aloud: text nodes outside script/style, and alt, title, aria-label."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")
        self.parts.extend(v for k, v in attrs if k in ("alt", "title", "aria-label", "placeholder") and v)

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_text(path: Path) -> str:
    parser = Visible()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(parser.parts)


def xlsx_text(path: Path) -> str:
    """Every cell and title of the visible sheets, and the workbook's properties."""
    book = openpyxl.load_workbook(path)
    parts = [str(v) for v in vars(book.properties).values() if isinstance(v, str)]
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        parts.append(sheet.title)
        parts.extend(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    return " ".join(parts)


def eml_texts(path: Path) -> dict[str, str]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    out = {"subject": str(message["subject"])}
    for n, part in enumerate(message.walk()):
        if part.get_content_maintype() == "text":
            out[f"body {n}"] = part.get_content()
        if part.get_filename():
            out[f"attachment {n}"] = part.get_filename()
    return out


def file_texts(path: Path) -> dict[str, str]:
    """The reader-facing texts of one file, by part ('' for the whole file)."""
    suffix = path.suffix
    if suffix == ".docx":
        return docx_texts(path)
    if suffix == ".pdf":
        return pdf_texts(path)
    if suffix == ".html":
        return {"": html_text(path)}
    if suffix == ".xlsx":
        return {"": xlsx_text(path)}
    if suffix == ".eml":
        return eml_texts(path)
    if suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            return {"members": " ".join(z.namelist())}
    if suffix in (".svg", ".js", ".txt"):
        return {"": path.read_text(encoding="utf-8")}
    return {}


def reader_texts(dist: Path) -> dict[str, str]:
    """Every reader-facing text under dist/, by file and part; identical files (hard links) read once."""
    texts: dict[str, str] = {}
    unique: dict[str, Path] = {}
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        rel = path.relative_to(dist)
        if any(part.startswith(".") for part in rel.parts):
            continue  # build state, not an output
        if rel.parent.parent == Path("remiss") / ROUND:  # a party's folder: the names of the files it gets
            texts[f"{rel} (file name)"] = path.name
        unique.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), path)
    paths = sorted(unique.values())
    with ThreadPoolExecutor() as pool:  # pdftotext runs outside the GIL
        for path, parts in zip(paths, pool.map(file_texts, paths)):
            rel = path.relative_to(dist)
            texts.update({f"{rel}:{k}" if k else str(rel): v for k, v in parts.items()})
    return texts


@pytest.mark.client
def test_no_reader_facing_output_of_the_sample_round_names_a_round_or_version_by_its_slug(dist: Path):
    require_client("pdftotext")
    texts = reader_texts(dist)
    kinds = {Path(k.split(":")[0].split(" (")[0]).suffix for k in texts}
    assert {".docx", ".pdf", ".html", ".xlsx", ".eml", ".zip"} <= kinds  # every format was read
    assert any("e-post" in k and "subject" in k for k in texts)
    assert any(k.startswith(f"remiss/{ROUND}/boras/Missiv") for k in texts)
    assert any(k.startswith(f"redline/{ROUND}--{NEXT}/") for k in texts)
    found = {(where, slug) for where, text in texts.items() for slug in SLUGS if slug in text}
    assert not found, sorted(found)[:40]


@pytest.mark.client
def test_readers_see_the_display_names_where_the_slugs_were(dist: Path):
    """The names come from the sources: the round's sent date, each version's status and date."""
    require_client("pdftotext")
    round_file = yaml.safe_load((SOURCES / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8"))
    assert "name" not in round_file  # so the default applies: 'Remiss' and the sent date
    versions = {v: yaml.safe_load((SOURCES / "versions" / v / "version.yaml").read_text(encoding="utf-8"))
                for v in SLUGS}
    assert not any("title" in r for r in versions.values())  # so: status and date
    label = {"remissversion": "Remissversion", "förslag": "Förslag"}
    sent, nxt = (label[versions[v]["status"]] + " " + str(versions[v]["date"]) for v in SLUGS)
    round_name = f"Remiss {round_file['sent']}"
    assert (sent, nxt, round_name) == ("Remissversion 2025-01-30", "Förslag 2025-08-21", "Remiss 2025-01-30")

    redline = dist / "redline" / f"{ROUND}--{NEXT}"
    header = docx_texts(redline / "huvudavtal.docx")["word/header1.xml"]
    assert f"ÄNDRINGAR {sent} → {nxt}" in header
    report = pdf_texts(dist / "remiss" / ROUND / "remissammanstallning.pdf")["text"]
    assert f"Oförändrad i {nxt}" in " ".join(report.split())
    assert "Remissammanställning – Remiss –" not in html_text(dist / "remiss" / ROUND / "remissammanstallning.html")
    missiv = " ".join(docx_texts(next((dist / "remiss" / ROUND / "boras").glob("Missiv*.docx")))
                      ["word/document.xml"].split())
    assert f"Remissvar {round_name} – Borås Stad.docx" in missiv
    assert f"1 Hälso- och sjukvårdsavtalet ({sent}).docx" in missiv
    book = openpyxl.load_workbook(dist / "remiss" / ROUND / "remissammanstallning.xlsx")
    header_row = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
    assert header_row[0] == "Synpunkts-id" and f"Ändrad i {nxt}" in header_row  # comment ids, labelled


# -- permissions ------------------------------------------------------------------------------

def modes(top: Path) -> tuple[set[int], set[int]]:
    """The permission bits of every folder (top included) and every file below `top`."""
    folders, files = {stat.S_IMODE(top.stat().st_mode)}, set()
    for path in top.rglob("*"):
        (folders if path.is_dir() else files).add(stat.S_IMODE(path.lstat().st_mode))
    return folders, files


def test_outputs_honour_a_umask_of_022_also_after_a_swap(dist: Path):
    """dist/redline/<pair>/ and a re-packed dist/remiss/<round>/ are swapped in from a staging folder."""
    for top in (dist / "redline" / f"{ROUND}--{NEXT}", dist / "remiss" / ROUND, dist / "web", dist):
        folders, files = modes(top)
        assert folders == {0o755}, (top, sorted(map(oct, folders)))
        assert files == {0o644}, (top, sorted(map(oct, files)))


def test_outputs_honour_a_stricter_umask_too(tmp_path: Path):
    """Under umask 027 the same swap gives 0750/0640: the modes come from the umask, not from constants."""
    out = tmp_path / "dist"
    run_under_umask("027", [AVTAL, "redline", ROUND, NEXT, "--dist", str(out)])
    folders, files = modes(out / "redline" / f"{ROUND}--{NEXT}")
    assert folders == {0o750} and files == {0o640}, (sorted(map(oct, folders)), sorted(map(oct, files)))


def test_a_frozen_version_honours_the_umask(tmp_path: Path):
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources, ignore=shutil.ignore_patterns("remiss"))
    run_under_umask("022", [AVTAL, "--sources", str(sources), "freeze", "ny-2026", "--date", "2026-01-15",
                            "--status", "förslag", "--title", "Förslag till SRO 2026-01-15"])
    folders, files = modes(sources / "versions" / "ny-2026")
    assert folders == {0o755} and files == {0o644}
    record = yaml.safe_load((sources / "versions" / "ny-2026" / "version.yaml").read_text(encoding="utf-8"))
    assert record["title"] == "Förslag till SRO 2026-01-15"
