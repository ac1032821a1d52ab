"""The PDFs read back with pikepdf and pypdf: PDF/UA + PDF/A claims, tags, outline, destinations, draft marking."""

from __future__ import annotations

import re
from collections import Counter

import pikepdf
import pypdf
import pytest

from .conftest import GLOSSARY_HEADING, load_corpus, run_build, used_term_ids


@pytest.fixture
def pdf(doc, dist):
    with pikepdf.open(dist / f"{doc.id}.pdf") as opened:
        yield opened


@pytest.fixture
def reader(doc, dist) -> pypdf.PdfReader:
    return pypdf.PdfReader(dist / f"{doc.id}.pdf")


# ---- metadata and accessibility claims ------------------------------------

def test_xmp_declares_pdf_ua_1_and_pdf_a_2b_with_title_and_language(doc, pdf):
    meta = pdf.open_metadata()
    assert meta["pdfuaid:part"] == "1"
    assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
    assert meta["dc:title"] == doc.source.title
    assert pdf.docinfo["/Title"] == doc.source.title


def test_catalog_has_swedish_language_display_title_and_tagging(pdf):
    root = pdf.Root
    assert root.Lang == "sv-SE"
    assert root.ViewerPreferences.DisplayDocTitle is True
    assert root.MarkInfo.Marked is True
    assert "/StructTreeRoot" in root and "/K" in root.StructTreeRoot


def _structure_types(element, counts: Counter) -> Counter:
    if isinstance(element, pikepdf.Array):
        for child in element:
            _structure_types(child, counts)
    elif isinstance(element, pikepdf.Dictionary) and "/S" in element:
        counts[str(element.S)] += 1
        if "/K" in element:
            _structure_types(element.K, counts)
    return counts


def test_tagged_headings_match_the_clause_levels(corpus, doc, pdf):
    """A screen reader's heading list: one H<n> per clause of level n (plus 'Innehåll' and the glossary)."""
    tags = _structure_types(pdf.Root.StructTreeRoot.K, Counter())
    levels = Counter(c.level for c in doc.clauses())
    extra_h1 = 1 + (1 if used_term_ids(corpus, doc) else 0)  # 'Innehåll', 'Bilaga. Termer och begrepp'
    assert tags["/H1"] == levels[1] + extra_h1
    assert tags["/H2"] == levels[2]
    assert tags["/H3"] == levels[3]
    assert tags["/Table"] == sum(1 for c in doc.clauses() if c.table)


# ---- navigation -------------------------------------------------------------

def test_outline_follows_the_clause_tree(corpus, doc, pdf):
    def expected(clauses):
        return [(f"{c.label} {c.title}", expected(c.children)) for c in clauses]

    def actual(items):
        return [(item.title, actual(item.children)) for item in items]

    want = expected(doc.sections)
    if used_term_ids(corpus, doc):
        want.append((GLOSSARY_HEADING, []))
    with pdf.open_outline() as outline:
        assert actual(outline.root) == want


def test_named_destinations_include_every_clause_id(doc, pdf):
    names = set(pikepdf.NameTree(pdf.Root.Names.Dests).keys())
    assert {c.id for c in doc.clauses()} <= names


def test_links_to_other_documents_point_to_their_pdf_and_a_destination_there(corpus, dist):
    """Every link to another PDF of the package names a file that exists and a destination in it."""
    dests = {}
    for d in corpus.documents:
        with pikepdf.open(dist / f"{d.id}.pdf") as other:
            dests[d.id] = set(pikepdf.NameTree(other.Root.Names.Dests).keys())
    seen, broken = 0, []
    for d in corpus.documents:
        with pikepdf.open(dist / f"{d.id}.pdf") as pdf:
            for page in pdf.pages:
                for annot in page.get("/Annots", []):
                    action = annot.get("/A")
                    if action is None or action.get("/S") not in ("/URI", "/GoToR"):
                        continue
                    target = str(action.URI) if action.S == "/URI" else f"{action.F}#{action.D}"
                    match = re.fullmatch(r"([a-z0-9-]+)\.pdf(?:#(.*))?", target)
                    if not match:
                        continue
                    seen += 1
                    other, anchor = match[1], match[2]
                    if other not in dests or (anchor and anchor not in dests[other]):
                        broken.append((d.id, target))
    assert seen, "the documents cite each other"
    assert broken == []


# ---- page furniture ---------------------------------------------------------

def test_pages_show_header_line_and_page_x_of_n(doc, reader):
    meta = doc.source
    pages = [page.extract_text() for page in reader.pages]
    count = len(pages)
    assert count >= 3
    for number, text in enumerate(pages[1:], start=2):
        assert meta.short_title in text, f"page {number}"
        assert f"{meta.status.upper()} {meta.version_date.isoformat()}" in text, f"page {number}"
        assert f"Sida {number} av {count}" in text, f"page {number}"
    first = doc.sections[0]
    assert f"{first.label} {first.title}" in "\n".join(pages)


# ---- draft marking ----------------------------------------------------------

def _to_unicode(font) -> dict[bytes, str]:
    """A font's ToUnicode CMap (bfchar and bfrange entries)."""
    data = font.ToUnicode.read_bytes().decode("latin-1")
    out: dict[bytes, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            out[bytes.fromhex(src)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first, width = int(dst, 16), len(lo) // 2
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code.to_bytes(width, "big")] = chr(first + i)
    return out


def shown_text(page: pikepdf.Page) -> list[tuple[str, tuple[str, ...]]]:
    """(text, enclosing marked-content tags) of every text-showing operator on a page."""
    fonts = {str(name): _to_unicode(font) for name, font in page.Resources.Font.items()}
    stack: list[str] = []
    font: dict[bytes, str] = {}
    out = []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op in ("BDC", "BMC"):
            stack.append(str(operands[0]))
        elif op == "EMC":
            stack.pop()
        elif op == "Tf":
            font = fonts[str(operands[0])]
        elif op in ("Tj", "TJ", "'", '"'):
            items = operands[-1] if op == "TJ" else [operands[-1]]
            raw = b"".join(bytes(item) for item in items if isinstance(item, pikepdf.String))
            width = len(next(iter(font))) if font else 1
            out.append(("".join(font.get(raw[i:i + width], "\ufffd") for i in range(0, len(raw), width)),
                        tuple(stack)))
    return out


DECIDED = "beslutad"  # every other status is a draft, marked on every page


def check_draft_marking(status: str, pdf: pikepdf.Pdf) -> None:
    mark = status.upper()
    for number, page in enumerate(pdf.pages, start=1):
        shown = shown_text(page)
        # The body text is there and tagged: the decoding works.
        assert any("/Artifact" not in tags for _, tags in shown), f"page {number}: no real text"
        if status == DECIDED:
            if number == 1:  # the title page has no page header: any such text would be a watermark
                assert not [text for text, _ in shown if mark in text], "a decided agreement carries no mark"
            continue
        watermarks = [tags for text, tags in shown if text == mark]
        assert watermarks, f"page {number}: no {mark} watermark"
        for tags in watermarks:
            assert "/Artifact" in tags, f"page {number}: watermark is real content ({tags}), a screen reader reads it"
        # The word may appear elsewhere only in page furniture (the header), which is an artifact too.
        assert all("/Artifact" in tags for text, tags in shown if mark in text), f"page {number}"


def test_draft_watermark_is_an_artifact_on_every_page_so_it_is_not_read_aloud(doc, pdf):
    check_draft_marking(doc.source.status, pdf)


@pytest.mark.parametrize("status", ["arbetsutkast", "remissversion", "förslag", "beslutad"])
def test_draft_marking_per_status(tree, status):
    """The minimal tree with munhalsa in each status: drafts carry an artifact watermark, decided ones none."""
    tree.edit("documents/munhalsa.yaml", "status: arbetsutkast", f"status: {status}")
    run_build(load_corpus(tree.sources, tree.root), tree.root / "dist")
    with pikepdf.open(tree.root / "dist" / "munhalsa.pdf") as pdf:
        check_draft_marking(status, pdf)
