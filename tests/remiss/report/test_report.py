"""The remissammanställning of a small hand-made round, read back with real readers.

The round `prov-2025` (a copy of remiss-2025's round file) has a handful of
hand-written answers (ANSWERS) and positions (POSITIONS) on the frozen
remiss-2025 version; version `prov-andrad` is remiss-2025 with one edit in
EDITED. Every expected value comes from those inputs, the parties file and
the model, never from the report itself.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import docx
import openpyxl
import pikepdf
import pypdf
import pytest
import yaml

from avtal.cli import main
from avtal.model import Corpus
from avtal.model.problems import Problems, SourceError
from avtal.model.remiss import load_parties
from avtal.model.freeze import freeze
from avtal.model.versions import load_version
from avtal.redline.diff import compare
from avtal.redline.publish import write_redline
from avtal.remiss.report.report import collect, write_report
from avtal.render.web import render_index

from ...conftest import SOURCES
from ...render.conftest import Chromium, require_client
from ...render.test_web import STRUCTURE, Page

ROUND = "prov-2025"
VERSION = "remiss-2025"
LATER = "prov-andrad"
LATER_NAME = "Förslag efter remissen"  # LATER's title: what readers see instead of the slug
EDITED = "inledning.syfte"  # the one clause whose text differs in LATER
OUT = Path("remiss") / ROUND
STEM = "remissammanstallning"
OPEN = "Öppen – ställningstagande saknas"

# Hand-written answers: party → (received, extra answer keys, comments). Comment keys as in model.remiss.Comment.
ANSWERS: dict[str, tuple[str, dict, list[dict]]] = {
    "skovde": ("2025-05-05", {}, [  # written out of the draft's order on purpose
        {"id": "skovde-1", "clause": "ansvar.sip", "stance": "invänder",
         "text": "SIP måste upprättas inom en vecka."},
        {"id": "skovde-2", "clause": "inledning.bakgrund", "stance": "synpunkt",
         "text": "Bakgrunden bör nämna avtalet från 2017."},
        {"id": "skovde-3", "clause": "ut.malgrupp", "stance": "instämmer", "text": "Målgruppen är väl avgränsad."},
    ]),
    "boras": ("2025-04-28", {"decided_by": {"body": "Kommunstyrelsen", "date": "2025-04-22", "paragraph": "§ 45"}}, [
        {"id": "boras-1", "clause": EDITED, "stance": "invänder", "text": "Syftet bör nämna barnperspektivet.\n\n"
         "- barn som anhöriga\n- barn i skolåldern", "proposal": "Lägg till ”barn och unga” i första stycket."},
        {"id": "boras-2", "stance": "synpunkt", "text": "Förslaget är i stort väl avvägt.",
         "source": "form-general"},
        {"id": "boras-3", "document": "munhalsa", "stance": "instämmer", "text": "Överenskommelsen är tydlig."},
    ]),
    "vgr": ("2025-05-12", {}, [  # after the deadline
        {"id": "vgr-1", "clause": "inledning.bakgrund", "stance": "ingen erinran", "text": "Inget att invända."},
        {"id": "vgr-2", "clause": "mun.syfte", "stance": "invänder", "text": "Syftet saknar tandvårdsstödet."},
    ]),
    "fyrbodal": ("2025-05-02", {"on_behalf_of": ["bengtsfors", "dals-ed", "lysekil"]}, [
        {"id": "fyrbodal-1", "clause": EDITED, "text": "Kommunerna i Fyrbodal delar Borås synpunkt.",
         "source": "letter", "flags": ["brev: dela upp i synpunkter"]},
    ]),
    "ale": ("2025-05-01", {"declined": True}, []),
    "tjorn": ("2025-04-30", {}, [
        {"id": "tjorn-1", "stance": "ingen erinran", "text": "Tjörns kommun har inget att invända."},
    ]),
}
POSITIONS = [
    {"comments": ["boras-1", "fyrbodal-1"], "status": "beaktad", "reason": "Barnperspektivet förs in i syftet.",
     "clauses": [EDITED]},
    {"comments": ["vgr-1"], "status": "noterad", "reason": "Noteras."},
    {"comments": ["skovde-1"], "status": "ej beaktad", "reason": "Tidsgränsen regleras i lag."},
    {"comments": ["skovde-2"], "status": "beaktad", "reason": "Bakgrunden kompletteras."},  # but it is unchanged
]
STANCE_LABEL = {"instämmer": "Instämmer", "invänder": "Invänder", "synpunkt": "Synpunkt",
                "ingen erinran": "Ingen erinran", None: "Ej angiven"}


def comments() -> list[dict]:
    return [c for _, _, cs in ANSWERS.values() for c in cs]


def position_of(comment_id: str) -> dict | None:
    return next((p for p in POSITIONS if comment_id in p["comments"]), None)


def write_round(sources: Path) -> None:
    """The round file (remiss-2025's, renamed), the answers and the positions."""
    text = (sources / "remiss" / "remiss-2025.yaml").read_text(encoding="utf-8")
    assert text.count("\nid: remiss-2025\n") == 1
    (sources / "remiss" / f"{ROUND}.yaml").write_text(text.replace("\nid: remiss-2025\n", f"\nid: {ROUND}\n"),
                                                      encoding="utf-8")
    folder = sources / "remiss" / ROUND / "svar"
    folder.mkdir(parents=True)
    for party, (received, extra, items) in ANSWERS.items():
        answer = {"round": ROUND, "party": party, **extra, "revisions": [{"number": 1, "received": received}],
                  "comments": [{"source": "form", **c} for c in items]}
        (folder / f"{party}.yaml").write_text(yaml.safe_dump(answer, allow_unicode=True, sort_keys=False),
                                              encoding="utf-8")
    (sources / "remiss" / ROUND / "stallningstaganden.yaml").write_text(
        yaml.safe_dump({"round": ROUND, "positions": POSITIONS}, allow_unicode=True, sort_keys=False),
        encoding="utf-8")


def make_sources(folder: Path) -> Path:
    """Real parties and versions; working sources = remiss-2025 with EDITED changed, frozen as LATER."""
    sources = folder / "sources"
    shutil.copytree(SOURCES, sources, ignore=shutil.ignore_patterns("svar", "inkommet", "*.xlsx",
                                                                     "stallningstaganden.yaml"))
    frozen = sources / "versions" / VERSION
    shutil.rmtree(sources / "documents")
    for name in ("avtal.yaml", "terms.yaml", "statutes.yaml", "documents"):
        (shutil.copytree if (frozen / name).is_dir() else shutil.copy)(frozen / name, sources / name)
    path = sources / "documents" / "huvudavtal.yaml"
    text = path.read_text(encoding="utf-8")
    old = "Avtalet syftar till att den enskilde"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "Avtalet syftar ytterst till att den enskilde"), encoding="utf-8")
    freeze(sources, LATER, date=dt.date(2025, 8, 21), status="förslag", title=LATER_NAME)
    write_round(sources)
    return sources


@dataclass
class Built:
    sources: Path
    dist: Path
    corpus: Corpus  # the round's version

    def path(self, ext: str) -> Path:
        return self.dist / OUT / f"{STEM}.{ext}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The report with --against LATER, the redline it links to and the web index it links home to."""
    folder = tmp_path_factory.mktemp("report")
    sources = make_sources(folder)
    dist = folder / "dist"
    old, _ = load_version(sources, VERSION)
    new, _ = load_version(sources, LATER)
    write_redline(compare(old, new, VERSION, LATER), dist)
    (dist / "web").mkdir(parents=True)
    (dist / "web" / "index.html").write_text(render_index(old), encoding="utf-8")
    (dist / OUT).mkdir(parents=True)
    (dist / OUT / "sandlista.csv").write_text("written by pack\n", encoding="utf-8")
    write_report(sources, ROUND, dist, against=LATER)
    return Built(sources, dist, old)


@pytest.fixture(scope="module")
def word(built: Built) -> docx.document.Document:
    return docx.Document(str(built.path("docx")))


def blocks_under_headings(document) -> list[tuple[str, str, list[str]]]:
    """(heading style, heading text, paragraphs until the next heading of level 1 or 2), in reading order."""
    out: list[tuple[str, str, list[str]]] = []
    for p in document.paragraphs:
        style = p.style.name
        if style in ("Heading 1", "Heading 2"):
            out.append((style, p.text, []))
        elif out:
            out[-1][2].append(p.text)
    return out


def comment_blocks(document) -> dict[str, list[str]]:
    """Comment id → the paragraphs under its level-3 heading '… (synpunkt id)', up to the next heading."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for p in document.paragraphs:
        if p.style.name.startswith("Heading"):
            current = None
            if p.style.name == "Heading 3" and p.text.endswith(")") and "(synpunkt " in p.text:
                current = out.setdefault(p.text.rsplit("(synpunkt ", 1)[1][:-1], [])
        elif current is not None:
            current.append(p.text)
    return out


def clause_sections(document) -> dict[tuple[str, str], list[str]]:
    """(document heading, clause heading) → the paragraphs under that clause heading."""
    out: dict[tuple[str, str], list[str]] = {}
    current = ""
    for style, text, paragraphs in blocks_under_headings(document):
        if style == "Heading 1":
            current = text
        else:
            out[(current, text)] = paragraphs
    return out


def expected_states(sources: Path) -> Counter:
    """Each recipient's state, computed from ANSWERS, the round's deadline and parter.yaml.

    The rule of `avtal remiss status`: declined; else 'no-comments' when every comment is 'ingen erinran';
    else late or answered by the first date received; else joint when a joint answer names the party.
    """
    deadline = yaml.safe_load((sources / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8"))["deadline"]
    parties = load_parties(sources, Problems()).parties
    states = Counter()
    for party in parties:
        if party.id in ANSWERS:
            received, extra, items = ANSWERS[party.id]
            late = dt.date.fromisoformat(received) > deadline
            silent = all(c.get("stance") == "ingen erinran" for c in items)
            states["declined" if extra.get("declined") else "no-comments" if silent else "late" if late
                   else "answered"] += 1
        elif any(party.id in extra.get("on_behalf_of", ()) for _, extra, _ in ANSWERS.values()):
            states["joint"] += 1
        else:
            states["none"] += 1
    return states


# ---- Word -------------------------------------------------------------------------------

def test_the_word_file_has_the_clause_headings_in_the_draft_s_order(built, word):
    commented = {c["clause"] for c in comments() if c.get("clause")}
    expected = [f"{c.label} {c.title}" for d in built.corpus.documents for c in d.clauses() if c.id in commented]
    numbered = [text for style, text, _ in blocks_under_headings(word) if style == "Heading 2"
                and text.split(" ")[0][:1].isdigit()]
    assert numbered == expected
    documents = [text for style, text, _ in blocks_under_headings(word) if style == "Heading 1"]
    titles = [d.title for d in built.corpus.documents]
    assert [t for t in documents if t in titles] == titles  # every document, in the package's order


def test_each_comment_s_text_stands_under_its_own_clause(built, word):
    sections = clause_sections(word)
    for c in comments():
        if not c.get("clause"):
            continue
        clause = built.corpus.clause(c["clause"])
        under = " ".join(sections[(built.corpus.document(clause.doc).title, f"{clause.label} {clause.title}")])
        first_paragraph = c["text"].split("\n\n")[0]
        assert first_paragraph in under, c["id"]
        assert f"(synpunkt {c['id']})" in under, c["id"]  # the id, labelled, for citing


def test_open_comments_are_marked_open_and_positions_show_status_and_reason(word):
    found = comment_blocks(word)
    assert sorted(found) == sorted(c["id"] for c in comments())
    blocks = {cid: next(p for p in ps if p.startswith("Arbetsgruppens ställningstagande:"))
              for cid, ps in found.items()}
    book = yaml.safe_load((SOURCES / "parter.yaml").read_text(encoding="utf-8"))
    rank = [x["id"] for x in (*book["parties"], *book["kommunalforbund"])]
    shown: dict[tuple, str] = {}  # (clause, position) → the comment whose block carries the motivering
    for c in sorted(comments(), key=lambda c: rank.index(c["id"].rsplit("-", 1)[0])):
        position = position_of(c["id"])
        if position is None:
            assert blocks[c["id"]].endswith(OPEN), c["id"]
            continue
        assert position["status"].capitalize() in blocks[c["id"]]
        first = shown.setdefault((c.get("clause"), id(position)), c["id"]) if c.get("clause") else c["id"]
        if first == c["id"]:
            assert position["reason"] in blocks[c["id"]], c["id"]
        else:  # the same position under the same avsnitt: written once, referred to
            assert position["reason"] not in blocks[c["id"]] and f"se motiveringen till {first}." in blocks[c["id"]]
    assert shown[(EDITED, id(POSITIONS[0]))] == "boras-1"  # fyrbodal-1 refers to it


def test_general_comments_the_joint_answer_and_a_letter_to_split_are_shown_as_such(word):
    sections = {text: paragraphs for _, text, paragraphs in blocks_under_headings(word)}
    assert "Förslaget är i stort väl avvägt." in sections["Borås Stad"]  # general comments, per party
    text = "\n".join(p.text for p in word.paragraphs)
    joint = len(ANSWERS["fyrbodal"][1]["on_behalf_of"])
    assert f"Fyrbodals kommunalförbund (gemensamt svar för {joint} kommuner)" in text
    assert "Obs: Brev som ännu inte är uppdelat i enskilda synpunkter." in comment_blocks(word)["fyrbodal-1"]


def test_the_word_file_uses_real_styles_table_headers_and_alt_text(word):
    styles = {p.style.name for p in word.paragraphs}
    assert {"Title", "Heading 1", "Heading 2", "Heading 3"} <= styles
    body = word.element.body
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
          "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"}
    tables = body.findall(".//w:tbl", ns)
    assert tables and all(t.find("w:tr/w:trPr/w:tblHeader", ns) is not None for t in tables)
    pictures = body.findall(".//wp:docPr", ns)
    assert len(pictures) == 4 and all(len(p.get("descr", "")) > 40 for p in pictures)
    assert word.core_properties.language == "sv-SE" and word.core_properties.title.startswith("Remissammanställning")


def test_summary_counts_equal_the_counts_of_the_inputs(built, word):
    tables = {t.rows[0].cells[0].text: t for t in word.tables}
    states = expected_states(built.sources)
    total = [c.text for c in tables["Förbund"].rows[-1].cells]
    assert total == ["Totalt", str(sum(states.values())), *(str(n) for n in (
        states["answered"], states["late"], states["joint"], states["no-comments"] + states["declined"],
        states["none"]))]
    by_status = {r.cells[0].text: int(r.cells[1].text) for r in tables["Ställningstagande"].rows[1:]}
    expected = Counter((position_of(c["id"]) or {}).get("status", "öppen").capitalize() for c in comments())
    assert by_status == {**{k: 0 for k in ("Beaktad", "Delvis beaktad", "Ej beaktad", "Noterad", "Öppen")},
                         **expected, "Totalt": len(comments())}
    by_stance = {r.cells[0].text: int(r.cells[1].text) for r in tables["Inställning"].rows[1:]}
    expected = Counter(STANCE_LABEL[c.get("stance")] for c in comments())
    assert by_stance == {**{k: 0 for k in STANCE_LABEL.values()}, **expected, "Totalt": len(comments())}
    top = [(r.cells[0].text, int(r.cells[3].text)) for r in tables["Avsnitt"].rows[1:]]
    per_clause = Counter(c["clause"] for c in comments() if c.get("clause"))
    answerers = {clause: len({p for p, (_, _, cs) in ANSWERS.items() for c in cs if c.get("clause") == clause})
                 for clause in per_clause}
    order = [c.id for d in built.corpus.documents for c in d.clauses()]
    ranked = sorted(per_clause, key=lambda k: (-per_clause[k], -answerers[k], order.index(k)))[:10]
    assert top == [(built.corpus.clause(k).label, per_clause[k]) for k in ranked]


@pytest.mark.client
def test_libreoffice_opens_the_word_file_and_shows_every_comment(built, tmp_path: Path):
    soffice = require_client("soffice")
    result = subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                             "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path),
                             str(built.path("docx"))], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(tmp_path / f"{STEM}.pdf").pages)
    for c in comments():
        assert f"(synpunkt {c['id']})" in text, c["id"]


# ---- --against ------------------------------------------------------------------------

def test_against_marks_exactly_the_comments_on_the_edited_clause_as_changed(word):
    found = comment_blocks(word)
    for c in comments():
        marks = [p for p in found[c["id"]] if p.endswith(f"ändrad i {LATER_NAME}")
                 or p.endswith(f"Ändrad i {LATER_NAME}")]
        if not c.get("clause"):
            assert marks == [], c["id"]  # a general comment has no clause to follow
        else:
            assert marks == [f"Ändrad i {LATER_NAME}" if c["clause"] == EDITED else f"Oförändrad i {LATER_NAME}"], \
                c["id"]


def test_changed_marks_link_to_the_clause_in_the_redline(built):
    html = built.path("html").read_text(encoding="utf-8")
    doc = built.corpus.clause(EDITED).doc
    link = f'href="../../redline/{VERSION}--{LATER}/{doc}.html#{EDITED}"'
    assert html.count(link) == sum(1 for c in comments() if c.get("clause") == EDITED)
    target = built.dist / "redline" / f"{VERSION}--{LATER}" / f"{doc}.html"
    assert f'id="{EDITED}"' in target.read_text(encoding="utf-8")


def test_the_trace_section_lists_a_beaktad_comment_whose_clause_did_not_change(word):
    sections = {text: paragraphs for _, text, paragraphs in blocks_under_headings(word)}
    trace = " ".join(sections[f"Spårbarhet mot {LATER_NAME}"])
    unchanged = [c["id"] for c in comments() if (position_of(c["id"]) or {}).get("status") == "beaktad"
                 and c.get("clause") != EDITED and EDITED not in position_of(c["id"]).get("clauses", ())]
    assert unchanged == ["skovde-2"]
    assert "skovde-2" in trace and "boras-1" not in trace


def test_without_against_no_comment_says_changed_or_unchanged(built):
    report = collect(built.sources, ROUND)
    assert report.against is None and all(e.changed is None for e in report.entries)
    assert [e.comment.id for e in report.entries].count("boras-1") == 1


# ---- PDF ------------------------------------------------------------------------------

def _figures(element, found: list) -> list:
    if isinstance(element, pikepdf.Array):
        for child in element:
            _figures(child, found)
    elif isinstance(element, pikepdf.Dictionary) and "/S" in element:
        if element.S == "/Figure":
            found.append(element)
        if "/K" in element:
            _figures(element.K, found)
    return found


def test_the_pdf_is_pdf_ua_1_in_swedish_with_title_and_figures_with_alt_text(built):
    with pikepdf.open(built.path("pdf")) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfuaid:part"] == "1"
        assert pdf.Root.Lang == "sv-SE" and pdf.Root.ViewerPreferences.DisplayDocTitle is True
        assert str(pdf.docinfo["/Title"]).startswith("Remissammanställning – ")
        figures = _figures(pdf.Root.StructTreeRoot.K, [])
        assert len(figures) == 4 and all(len(str(f.get("/Alt", ""))) > 40 for f in figures)
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(built.path("pdf")).pages)
    for c in comments():
        assert f"(synpunkt {c['id']})" in text, c["id"]


# ---- web ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def page(built) -> Page:
    return Page(built.path("html").read_text(encoding="utf-8"))


def test_the_web_page_is_swedish_with_landmarks_and_no_skipped_heading_level(page):
    assert page.lang == "sv"
    assert page.headings.count(1) == 1 and page.headings[0] == 1
    for before, after in zip(page.headings, page.headings[1:]):
        assert after <= before + 1, f"h{before} followed by h{after}"
    tags = [tag for tag, _ in page.landmarks]
    assert all(landmark in tags for landmark in STRUCTURE) and tags.count("main") == 1
    assert all(a.get("aria-label") for tag, a in page.landmarks if tag == "nav")
    assert len(page.ids) == len(set(page.ids))


@pytest.mark.client
def test_every_link_of_the_web_page_resolves_in_the_browser(built, page, tmp_path: Path):
    """Every href, src and stylesheet as written, against files on disk and the ids in Chromium's DOM."""
    browser = Chromium(require_client("chromium"), tmp_path)
    here = built.path("html").parent
    targets = {}
    for href in page.links + page.scripts + page.stylesheets:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto"):
            continue
        assert not parts.scheme and not parts.netloc, href
        path = (here / unquote(parts.path)).resolve() if parts.path else built.path("html")
        assert path.is_file(), f"{href}: no file {path}"
        if parts.fragment:
            targets.setdefault(path, set()).add(unquote(parts.fragment))
    assert len(targets) >= 2  # the page itself and the redline
    doms = browser.dump_doms([p.as_uri() for p in targets])
    for path, anchors in targets.items():
        missing = anchors - set(Page(doms[path.as_uri()]).ids)
        assert not missing, f"{path.name}: no element with id {sorted(missing)}"


def test_every_chart_on_the_web_page_has_alt_text_and_its_file(built):
    html = built.path("html").read_text(encoding="utf-8")
    images = [part.split(">")[0] for part in html.split("<img ")[1:]]
    assert len(images) == 4
    for tag in images:
        src = tag.split('src="')[1].split('"')[0]
        assert (built.path("html").parent / src).is_file() and len(tag.split('alt="')[1].split('"')[0]) > 40


# ---- Excel ----------------------------------------------------------------------------

def test_the_xlsx_has_one_row_per_comment_a_frozen_header_and_filters(built):
    book = openpyxl.load_workbook(built.path("xlsx"))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert sorted(r[0] for r in rows[1:]) == sorted(c["id"] for c in comments())
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    header = rows[0]
    changed = {r[0]: r[header.index(f"Ändrad i {LATER_NAME}")] for r in rows[1:]}
    for c in comments():
        want = "" if not c.get("clause") else "Ändrad" if c["clause"] == EDITED else "Oförändrad"
        assert (changed[c["id"]] or "") == want, c["id"]
    text = {r[0]: r[header.index("Synpunkt (text)")] for r in rows[1:]}
    assert all(text[c["id"]] == c["text"].strip() for c in comments())
    assert book.properties.language == "sv-SE"


# ---- files, determinism, errors ----------------------------------------------------------

def test_the_report_writes_only_its_own_files_in_the_round_folder(built):
    names = sorted(p.name for p in (built.dist / OUT).iterdir())
    assert names == sorted(["sandlista.csv", f"{STEM}-filer", *(f"{STEM}.{e}" for e in ("docx", "pdf", "html",
                                                                                          "xlsx"))])


def test_two_runs_write_identical_bytes(built, tmp_path: Path):
    write_report(built.sources, ROUND, tmp_path, against=LATER)
    first = {p.relative_to(built.dist / OUT): p.read_bytes() for p in (built.dist / OUT).rglob("*") if p.is_file()
             and p.name != "sandlista.csv"}
    second = {p.relative_to(tmp_path / OUT): p.read_bytes() for p in (tmp_path / OUT).rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_a_comment_on_an_unknown_clause_is_refused_with_file_and_line_and_nothing_is_written(built, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(built.sources, sources)
    path = sources / "remiss" / ROUND / "svar" / "vgr.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("clause: mun.syfte") == 1
    path.write_text(text.replace("clause: mun.syfte", "clause: mun.syftet"), encoding="utf-8")
    line = text[:text.index("clause: mun.syfte")].count("\n") + 1
    with pytest.raises(SourceError) as caught:
        write_report(sources, ROUND, tmp_path / "dist")
    messages = [str(p) for p in caught.value.problems]
    assert any(f"vgr.yaml:{line}:" in m and "mun.syftet" in m and "mun.syfte'" in m for m in messages), messages
    assert not (tmp_path / "dist").exists()


def test_the_command_reports_a_bad_answer_as_file_line_message_and_exits_1(built, tmp_path, capsys):
    sources = tmp_path / "sources"
    shutil.copytree(built.sources, sources)
    path = sources / "remiss" / ROUND / "stallningstaganden.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- vgr-1", "- vgr-9"), encoding="utf-8")
    line = text[:text.index("- vgr-1")].count("\n") + 1
    assert main(["--sources", str(sources), "remiss", "report", ROUND, "--dist", str(tmp_path / "dist")]) == 1
    err = capsys.readouterr().err
    assert f"stallningstaganden.yaml:{line}:" in err and "vgr-9" in err and "Traceback" not in err


def test_a_round_without_answers_yet_gets_a_report_with_everyone_unanswered(built, tmp_path, capsys):
    sources = tmp_path / "sources"
    shutil.copytree(built.sources, sources, ignore=shutil.ignore_patterns("svar", "stallningstaganden.yaml"))
    assert main(["--sources", str(sources), "remiss", "report", ROUND, "--dist", str(tmp_path / "dist")]) == 0
    assert "0 comment(s) from 0 answer(s)" in capsys.readouterr().out
    word = docx.Document(str(tmp_path / "dist" / OUT / f"{STEM}.docx"))
    total = next(t for t in word.tables if t.rows[0].cells[0].text == "Förbund").rows[-1].cells
    parties = len(load_parties(sources, Problems()).parties)
    assert [c.text for c in total] == ["Totalt", str(parties), "0", "0", "0", "0", str(parties)]


@pytest.mark.client
def test_libreoffice_lays_out_the_word_tables_without_breaking_a_word(built, tmp_path: Path):
    """Column widths come from the content: at A4 width every word of every cell stays whole ('Kommunalförbund')."""
    soffice = require_client("soffice")
    pdftotext = require_client("pdftotext")
    result = subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                             "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(built.path("docx"))],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    laid_out = Counter(subprocess.run([pdftotext, str(tmp_path / f"{STEM}.pdf"), "-"], capture_output=True, text=True,
                                      check=True).stdout.split())
    word = docx.Document(str(built.path("docx")))
    # the contents' entries become 'Syfte.....8' in the PDF: not counted; a line may break after a hyphen
    written = Counter(w for p in word.paragraphs if not p.style.name.startswith("toc") for w in p.text.split())
    in_tables = Counter(w for table in word.tables for row in table.rows for cell in row.cells for w in cell.text.split()
                        if "-" not in w)
    assert len(word.tables) >= 5 and "Kommunalförbund" in in_tables
    broken = {w for w in in_tables if laid_out[w] < written[w] + in_tables[w]}
    assert broken == set()
