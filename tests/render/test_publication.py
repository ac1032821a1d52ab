"""The publisher: one crafted Publication written as Word, PDF and web page, each read back by a real reader.

Expected values are the crafted publication's own fields (title page, header, properties), never the
writers' output.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import docx
import pypdf

from avtal.render import ast, publication
from avtal.render.house import TEMPLATES
from avtal.render.publication import Publication, Web

WHEN = dt.datetime(2025, 3, 4, tzinfo=dt.timezone.utc)
BLOCKS = [ast.header(1, ast.text("Första rubriken"), ast.attr("forsta", ["unnumbered"])),
          ast.para(ast.text("Brödtext med ett ord som heter fjärilsvinge.")),
          ast.header(1, ast.text("Andra rubriken"), ast.attr("andra", ["unnumbered"])),
          ast.para(ast.text("Mer text."))]
PUB = Publication(
    "Provpublikationens titel", BLOCKS, WHEN, kind="Provslag", subtitle="En undertitel",
    info=(("Diarienummer", "RS 1-2"), ("Status", "Prov")),
    contents=((1, "forsta", "Första rubriken"), (1, "andra", "Andra rubriken")),
    header="Provhuvud · RS 1-2", short_title="Prov", status="PROVSTATUS", dated="2025-03-04", footer="RS 1-2",
    keywords=("RS 1-2", "Prov"), properties={"title": "Provpublikationens titel", "language": "sv-SE",
                                             "subject": "Provämne"},
    custom={"avtal.document": "prov"},
    web=Web("Provsajten", '<ol><li><a href="#forsta">Första</a></li></ol>', (("Word", "prov.docx"),),
            body_class="prov"))


def test_word_has_the_title_page_contents_header_and_properties_it_was_given():
    data = publication.docx(PUB, {"forsta": 3, "andra": 4})
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs if p.text.strip()]
    assert texts[:5] == ["Provslag", "Provpublikationens titel", "En undertitel", "Diarienummer: RS 1-2",
                         "Status: Prov"]
    contents = [t for t in texts if t.startswith(("Första rubriken", "Andra rubriken"))]
    assert contents[:2] == ["Första rubriken\t3", "Andra rubriken\t4"]  # the given pages, before Word's own
    core = document.core_properties
    assert (core.title, core.language, core.subject) == ("Provpublikationens titel", "sv-SE", "Provämne")
    parts = zipfile.ZipFile(io.BytesIO(data))
    headers = [parts.read(n).decode() for n in parts.namelist() if re.fullmatch(r"word/header\d*\.xml", n)]
    assert any("Provhuvud · RS 1-2" in h for h in headers)
    assert "prov" in parts.read("docProps/custom.xml").decode() and "avtal.document" in \
        parts.read("docProps/custom.xml").decode()
    assert publication.docx(PUB, {"forsta": 3, "andra": 4}) == data  # deterministic


def test_pdf_has_the_title_page_running_header_and_headings_pages():
    data, pages = publication.pdf_and_pages(PUB)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Provpublikationens titel"
    first = reader.pages[0].extract_text()
    assert "PROVSLAG" in first.upper() and "Provpublikationens titel" in first and "RS 1-2" in first
    assert set(pages) >= {"forsta", "andra"} and all(p >= 2 for p in pages.values())  # after the title page
    later = reader.pages[pages["forsta"] - 1].extract_text()
    assert "Prov" in later and "PROVSTATUS" in later and "fjärilsvinge" in later
    assert publication.pages(PUB) == pages  # the layout alone agrees with the PDF's


def test_a_letter_has_its_own_design_header_and_footer():
    letter = Publication("Brevets titel", [ast.para(ast.text("Hej brevläsare."))], WHEN, header="Brevhuvud X",
                         footer="Dnr 9", keywords=("Dnr 9",), letter=True, design=TEMPLATES / "missiv.typ")
    reader = pypdf.PdfReader(io.BytesIO(publication.pdf(letter)))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert reader.metadata.title == "Brevets titel"
    assert "Hej brevläsare." in text and "Dnr 9" in text


def test_web_page_has_the_masthead_contents_and_downloads():
    page = publication.html_page(PUB).decode("utf-8")
    assert "<title>Provpublikationens titel – Provsajten</title>" in page
    assert '<p class="kind">Provslag</p><h1>Provpublikationens titel</h1>' in page
    assert '<p class="subtitle">En undertitel</p>' in page
    assert "<dt>Diarienummer</dt><dd>RS 1-2</dd>" in page
    assert '<p class="downloads">Ladda ner: <a href="prov.docx">Word</a></p>' in page
    assert '<body class="prov">' in page and '<a href="#forsta">Första</a>' in page
    assert re.search(r'<h2[^>]*id="forsta"[^>]*>Första rubriken</h2>', page)  # the page's h1 is the title


def test_web_page_beside_other_files_uses_its_own_assets_folder():
    from dataclasses import replace

    beside = replace(PUB, web=replace(PUB.web, assets="prov-filer", search_label="Sök i provet", masthead=False))
    page = publication.html_page(beside).decode("utf-8")
    assert 'href="prov-filer/style.css"' in page and 'src="prov-filer/search.js"' in page
    assert 'src="prov-filer/search-index.js"' in page and '"assets/' not in page
    assert ">Sök i provet</label>" in page and "Provslag" not in page  # no masthead


def test_nothing_outside_render_runs_pandoc_or_typst_or_finishes_ooxml():
    """The publisher is the one door to the format programs: other packages hand it a Publication."""
    import ast as python_ast
    from pathlib import Path

    package = Path(publication.__file__).resolve().parents[1]
    doors = {"typst", "pypandoc", "avtal.render.pandoc.convert", "avtal.render.pandoc.pandoc_path",
             "avtal.render.ooxml.finish_docx", "avtal.render.typeset.compile_pdf", "avtal.render.typeset.Layout",
             "avtal.render.typeset.layout_pages"}
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.parent == package / "render":
            continue
        parts = path.relative_to(package.parent).with_suffix("").parts
        for node in python_ast.walk(python_ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, python_ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, python_ast.ImportFrom):
                base = list(parts[:len(parts) - node.level]) if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, python_ast.Attribute) and node.attr == "finish_docx":
                targets = ["avtal.render.ooxml.finish_docx"]  # ooxml.finish_docx(…)
            else:
                continue
            found += [f"{path.relative_to(package)}: {t}" for t in targets if t in doors]
    assert found == []
