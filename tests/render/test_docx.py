"""Word files opened with real readers: python-docx, pandoc's docx reader and LibreOffice.

Expected values come from the model: clause numbers, titles and text, the
references and term uses in the sources, the document metadata.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pypdf
import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from avtal.model.text import DocRef, Ref, TermUse, block_inlines, walk_inlines
from avtal.render.pandoc import pandoc_path
from avtal.render.wording import plain

from .conftest import GLOSSARY_HEADING, load_corpus, long_date, run_build, used_term_ids

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FRONT_MATTER_STYLES = {"Document Kind", "Title", "Subtitle", "Title Page Info", "TOC Heading", "toc 1", "toc 2"}


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class Word:
    """One .docx as python-docx (and its XML) sees it."""

    def __init__(self, path: Path):
        self.path = path
        self.document = docx.Document(str(path))
        self.body = self.document.element.body
        self.paragraphs = {p._p: p for p in self.document.paragraphs}

    def bookmarks(self) -> list[str]:
        return [b.get(w("name")) for b in self.body.iter(w("bookmarkStart"))]

    def hyperlinks(self) -> list[tuple[str, str]]:
        """(target, text) of every hyperlink: '#bookmark' inside the file, else the relationship's address."""
        rels = self.document.part.rels
        out = []
        for link in self.body.iter(w("hyperlink")):
            anchor, rid = link.get(w("anchor")), link.get(f"{{{R}}}id")
            if anchor is not None:
                target = f"#{anchor}"
            else:
                assert rels[rid].is_external, f"hyperlink {rid} is not an external relationship"
                target = rels[rid].target_ref
            out.append((target, "".join(t.text or "" for t in link.iter(w("t")))))
        return out

    def headings(self) -> list[tuple[int, str, list[str]]]:
        """(level, text, bookmarks just before or in it) of every 'Heading N' paragraph, in order."""
        out, pending = [], []
        for child in self.body.iterchildren():
            if child.tag == w("bookmarkStart"):
                pending.append(child.get(w("name")))
            elif child.tag == w("p"):
                names = pending + [b.get(w("name")) for b in child.iter(w("bookmarkStart"))]
                pending = []
                paragraph = self.paragraphs[child]
                if paragraph.style.name.startswith("Heading "):
                    out.append((int(paragraph.style.name.split()[1]), paragraph.text, names))
            elif child.tag == w("tbl"):
                pending = []
        return out

    def styled(self, *styles: str) -> list[Paragraph]:
        return [p for p in self.document.paragraphs if p.style.name in styles]

    def body_words(self) -> list[str]:
        """Words of the body in reading order (tables cell by cell), without title page, TOC and glossary."""
        words: list[str] = []
        for item in self.document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    for cell in row.cells:
                        words.extend(cell.text.split())
            elif item.style.name.startswith("Heading") and item.text == GLOSSARY_HEADING:
                break
            elif item.style.name not in FRONT_MATTER_STYLES:  # with field results (a caption's number)
                words.extend("".join(t.text or "" for t in item._p.iter(w("t"))).split())
        return words


def model_words(corpus, doc, label=lambda n: f"Tabell {n}:") -> list[str]:
    """The words a reader should find, from the model: preamble, then each clause's heading, text and table.

    Captions are numbered as in the PDF: 'Tabell 1: …', counting the captioned tables of the document
    (`label` says how a reader shows the number).
    """
    runs = [plain(corpus, doc.id, run) for run in block_inlines(doc.preamble)]
    captions = 0
    for clause in doc.clauses():
        runs.append(f"{clause.label} {clause.title}")
        runs.extend(plain(corpus, doc.id, run) for run in block_inlines(clause.body))
        if clause.table:
            if clause.table.caption:
                captions += 1
            caption = f"{label(captions)} {clause.table.caption}" if clause.table.caption else ""
            runs.extend([caption, *clause.table.header])
            runs.extend(plain(corpus, doc.id, cell) for row in clause.table.rows for cell in row)
    return " ".join(runs).split()


def nodes(doc, kind):
    return [n for run in doc.runs() for n in walk_inlines(run) if isinstance(n, kind)]


def missing(expected: Counter, actual: Counter) -> Counter:
    """What `expected` has that `actual` lacks (empty when expected ⊆ actual, counting repeats)."""
    return expected - actual


@pytest.fixture(scope="session")
def words(corpus, dist) -> dict[str, Word]:
    """Every Word file, read once."""
    return {d.id: Word(dist / f"{d.id}.docx") for d in corpus.documents}


@pytest.fixture
def word(doc, words) -> Word:
    return words[doc.id]


# ---- structure --------------------------------------------------------------

def word_bookmark_ok(name: str) -> bool:
    """Word's rule for bookmark names: at most 40 characters, starting with a letter."""
    return len(name) <= 40 and name[:1].isalpha()


def clause_bookmarks(word: Word, doc) -> dict[str, str]:
    """Clause id → the bookmark on its heading, as the reader finds it (headings in model order)."""
    headings = word.headings()
    out = {}
    for clause, (_, text, names) in zip(doc.clauses(), headings):
        assert text == f"{clause.label} {clause.title}"
        assert len(names) == 1, f"heading {text!r} has bookmarks {names}: expected one"
        out[clause.id] = names[0]
    return out


def test_every_clause_is_a_heading_with_its_level_number_title_and_bookmark(corpus, doc, word):
    expected = [(c.level, f"{c.label} {c.title}") for c in doc.clauses()]
    if used_term_ids(corpus, doc):
        expected.append((1, GLOSSARY_HEADING))
    headings = word.headings()
    assert [(level, text) for level, text, _ in headings] == expected
    # The clause count, read back as headings that carry a bookmark, is the model's.
    assert sum(1 for _, text, names in headings if names and text != GLOSSARY_HEADING) == len(list(doc.clauses()))
    for clause_id, name in clause_bookmarks(word, doc).items():
        if word_bookmark_ok(clause_id):
            assert name == clause_id
        else:  # longer than Word allows: a valid, distinct name (pandoc's), which every link must use
            assert word_bookmark_ok(name) and name != clause_id, (clause_id, name)


def test_every_clause_has_a_bookmark_and_bookmarks_are_unique_and_valid_for_word(corpus, doc, word):
    names = word.bookmarks()
    assert not [n for n, count in Counter(names).items() if count > 1], "duplicate bookmark names"
    assert [n for n in names if not word_bookmark_ok(n)] == []
    assert {c.id for c in doc.clauses() if word_bookmark_ok(c.id)} <= set(names)
    assert len(set(clause_bookmarks(word, doc).values())) == sum(1 for _ in doc.clauses())


def test_cross_references_link_to_the_clause_with_its_number(corpus, doc, words):
    bookmarks = {d.id: clause_bookmarks(words[d.id], d) for d in corpus.documents}
    expected = Counter()
    for ref in nodes(doc, Ref):
        target = corpus.clause(ref.target)
        anchor = bookmarks[target.doc][target.id]
        if target.doc == doc.id:
            expected[(f"#{anchor}", f"avsnitt {target.label}")] += 1
        else:
            short = corpus.document(target.doc).source.short_title
            expected[(f"{target.doc}.docx#{anchor}", f"avsnitt {target.label} i {short}")] += 1
    for ref in nodes(doc, DocRef):
        expected[(f"{ref.doc}.docx" if ref.doc != doc.id else "#", corpus.document(ref.doc).title)] += 1
    assert expected, "every document cites some clause"
    assert not missing(expected, Counter(words[doc.id].hyperlinks()))


def test_munhalsa_cites_the_huvudavtal_as_an_external_link_to_its_bookmark(corpus, words):
    """A few references picked from the model: munhalsa's {ref:huvudavtal:…} to clauses with short ids."""
    refs = [r for r in nodes(corpus.document("munhalsa"), Ref)
            if corpus.clause(r.target).doc == "huvudavtal" and word_bookmark_ok(r.target)]
    assert refs, "munhalsa cites the huvudavtal"
    short = corpus.document("huvudavtal").source.short_title
    links = words["munhalsa"].hyperlinks()
    for ref in refs[:3]:
        target = corpus.clause(ref.target)
        assert (f"huvudavtal.docx#{target.id}", f"avsnitt {target.label} i {short}") in links
        assert target.id in words["huvudavtal"].bookmarks()


def test_clause_ids_longer_than_word_allows_are_reached_through_their_bookmark(corpus, words):
    """Word caps bookmark names at 40 characters; the sources have longer clause ids (e.g. in munhalsa)."""
    long = [(d, c) for d in corpus.documents for c in d.clauses() if len(c.id) > 40]
    if not long:
        pytest.skip("no clause id is longer than 40 characters (the minimal-tree test below still covers it)")
    for doc, clause in long:
        word = words[doc.id]
        name = clause_bookmarks(word, doc)[clause.id]
        assert word_bookmark_ok(name)
        if clause.level <= 2:
            toc = [link.get(w("anchor")) for p in word.styled(f"toc {clause.level}")
                   for link in p._p.iter(w("hyperlink")) if entry_text(p) == f"{clause.label} {clause.title}"]
            assert toc == [name], clause.id
        for other in corpus.documents:
            cites = [r for r in nodes(other, Ref) if r.target == clause.id]
            target = f"#{name}" if other.id == doc.id else f"{doc.id}.docx#{name}"
            assert len(cites) <= sum(1 for t, _ in words[other.id].hyperlinks() if t == target), (other.id, clause.id)


def test_a_link_into_another_word_file_names_the_bookmark_word_can_hold(tree, tmp_path):
    """A clause id longer than Word's 40 characters, cited from another document (minimal tree)."""
    long_id = "ansvar.region.hjalpmedel-och-medicintekniska-produkter"
    tree.edit("documents/huvudavtal.yaml", "id: ansvar.region.hjalpmedel\n", f"id: {long_id}\n")
    tree.edit("documents/munhalsa.yaml", "{ref:mun.inledning}", f"{{ref:huvudavtal:{long_id}}}")
    corpus = load_corpus(tree.sources, tree.root)
    run_build(corpus, tmp_path / "dist")
    huvudavtal = Word(tmp_path / "dist" / "huvudavtal.docx")
    name = clause_bookmarks(huvudavtal, corpus.document("huvudavtal"))[long_id]
    assert word_bookmark_ok(name)
    clause = corpus.clause(long_id)
    links = Word(tmp_path / "dist" / "munhalsa.docx").hyperlinks()
    assert (f"huvudavtal.docx#{name}", f"avsnitt {clause.label} i Huvudavtal") in links


def test_every_link_inside_the_word_files_resolves(words):
    """'#x' → a bookmark in the same file; 'other.docx#x' → a bookmark in that file (which exists)."""
    bookmarks = {doc_id: set(word.bookmarks()) for doc_id, word in words.items()}
    broken = []
    for doc_id, word in words.items():
        for target, text in word.hyperlinks():
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file, _, anchor = target.partition("#")
            other = doc_id if not file else file.removesuffix(".docx")
            if other not in bookmarks or (anchor and anchor not in bookmarks[other]):
                broken.append((doc_id, target, text))
    assert broken == []


def test_term_uses_link_to_a_glossary_entry_for_every_term_the_document_uses(corpus, doc, word):
    terms = used_term_ids(corpus, doc)
    names = word.bookmarks()
    assert {n for n in names if n.startswith("begrepp:")} == {f"begrepp:{t}" for t in terms}
    expected = Counter((f"#begrepp:{use.term}", use.form or corpus.term(use.term).source.term)
                       for use in nodes(doc, TermUse))
    assert not missing(expected, Counter(word.hyperlinks()))
    # Each entry's bookmark sits on the paragraph that names the term.
    for p in word.document.paragraphs:
        for b in p._p.iter(w("bookmarkStart")):
            if b.get(w("name")).startswith("begrepp:"):
                term = corpus.term(b.get(w("name")).removeprefix("begrepp:")).source.term
                assert p.text.startswith(term), (p.text, term)


# ---- front matter, page furniture, properties -----------------------------

def test_title_page_shows_title_status_diarienummer_and_version_date(doc, word):
    meta = doc.source
    assert [p.text for p in word.styled("Title")] == [meta.title]
    lines = [p.text for p in word.styled("Title Page Info")]
    page = "\n".join(p.text for p in word.styled("Document Kind", "Title", "Subtitle", "Title Page Info"))
    assert any(meta.status in line.lower() for line in lines), lines
    assert any(meta.diarienummer in line for line in lines), lines
    assert any(long_date(meta.version_date) in line for line in lines), lines
    if meta.subtitle:
        assert meta.subtitle in page


def entry_text(paragraph) -> str:
    """A contents entry's heading text, without the tab and page number after it."""
    return paragraph.text.split("\t")[0]


def toc_pages(word) -> dict[str, str]:
    """Contents entry → the page number it shows (the cached result of its PAGEREF field)."""
    return {entry_text(p): p.text.split("\t")[1] for p in word.styled("toc 1", "toc 2")}


def test_the_table_of_contents_shows_each_headings_page_in_the_pdf_before_any_field_update(corpus, doc, word, dist):
    """Pre-filled from the PDF's layout of the same text; Word replaces them with its own on open (updateFields)."""
    pages = [page.extract_text() for page in pypdf.PdfReader(dist / f"{doc.id}.pdf").pages]
    shown = toc_pages(word)
    assert shown and all(number.isdigit() for number in shown.values()), shown
    for clause in [c for c in doc.clauses() if c.level <= 2][:12]:
        heading = f"{clause.label} {clause.title}"
        found = next(i for i, text in enumerate(pages)  # a line of its own: the PDF's contents add dots and pages
                     if any(" ".join(line.split()) == heading for line in text.splitlines()))
        assert shown[heading] == str(found + 1), heading
    numbers = [int(n) for n in shown.values()]
    assert numbers == sorted(numbers)
    settings = zipfile.ZipFile(dist / f"{doc.id}.docx").read("word/settings.xml")
    assert b'<w:updateFields w:val="true"/>' in settings


def test_table_captions_are_numbered_like_the_pdfs(doc, word, dist):
    """'Tabell N: …' from a SEQ field (Word renumbers it), the same text the PDF shows."""
    captions = [" ".join("".join(t.text or "" for t in p._p.iter(w("t"))).split()) for p in word.styled("Table Caption")]
    if not captions:
        pytest.skip(f"{doc.id} has no captioned table")
    assert all(b"SEQ Table" in etree.tostring(p._p) for p in word.styled("Table Caption"))
    pdf = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(dist / f"{doc.id}.pdf").pages).split())
    for n, caption in enumerate(captions, start=1):
        assert caption.startswith(f"Tabell {n}: "), caption
        assert caption in pdf, caption


def test_table_of_contents_lists_level_1_and_2_headings_linked_to_their_bookmarks(corpus, doc, word):
    entries = word.styled("toc 1", "toc 2")
    bookmarks = clause_bookmarks(word, doc)
    expected = [(f"toc {c.level}", f"{c.label} {c.title}", f"#{bookmarks[c.id]}") for c in doc.clauses()
                if c.level <= 2]
    names = set(word.bookmarks())
    actual = []
    for p in entries:
        links = [link for link in p._p.iter(w("hyperlink"))]
        assert len(links) == 1, p.text
        anchor = links[0].get(w("anchor"))
        assert anchor in names, f"TOC entry {p.text!r} links to missing bookmark {anchor!r}"
        actual.append((p.style.name, entry_text(p), f"#{anchor}"))
    if used_term_ids(corpus, doc):
        assert actual[-1][:2] == ("toc 1", GLOSSARY_HEADING)
        actual = actual[:-1]
    assert actual == expected
    instructions = "".join(t.text for t in word.body.iter(w("instrText")))
    assert "TOC" in instructions


def test_page_header_shows_short_title_status_and_date_and_footer_counts_pages(doc, word):
    meta = doc.source
    section = word.document.sections[-1]
    header = "\n".join(p.text for p in section.header.paragraphs)
    assert meta.short_title in header
    assert f"{meta.status.upper()} {meta.version_date.isoformat()}" in header
    assert "{{" not in header, "template placeholder left in the page header"
    footer = section.footer._element
    fields = " ".join(t.text for t in footer.iter(w("instrText"))).split()
    assert "PAGE" in fields and "NUMPAGES" in fields
    assert section.different_first_page_header_footer, "the title page has no page header"


def test_core_properties_describe_the_document(doc, word):
    meta = doc.source
    props = word.document.core_properties
    assert props.title == meta.title
    assert props.subject == (meta.subtitle or meta.kind.capitalize())
    assert props.language == "sv-SE"
    assert props.version == meta.version_date.isoformat()
    assert props.identifier == meta.diarienummer


def test_document_language_is_swedish(word):
    with zipfile.ZipFile(word.path) as z:
        styles = etree.fromstring(z.read("word/styles.xml"))
    langs = styles.findall(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}/{w('lang')}")
    assert [lang.get(w("val")) for lang in langs] == ["sv-SE"]


# ---- read back: the words are the model's words ---------------------------

def test_python_docx_reads_back_the_words_of_the_model(corpus, doc, word):
    assert word.body_words() == model_words(corpus, doc)


PANDOC_BLOCKS = {"Para", "Plain", "Header", "BulletList", "OrderedList", "Table", "Div", "BlockQuote", "LineBlock"}


def _pandoc_text(node) -> list[str]:
    """Words of a pandoc JSON fragment, in order (Str nodes only; attributes and targets skipped)."""
    out: list[str] = []

    def walk(n) -> None:
        if isinstance(n, list):
            for item in n:
                walk(item)
        elif isinstance(n, dict):
            if n.get("t") == "Str":
                out.append(n["c"])
            elif n.get("t") in ("Space", "SoftBreak", "LineBreak"):
                out.append(" ")
            elif "c" in n:
                walk(n["c"])
            if n.get("t") in PANDOC_BLOCKS:
                out.append(" ")

    walk(node)
    return "".join(out).split()


def test_pandoc_docx_reader_reads_back_the_words_of_the_model(corpus, doc, dist):
    result = subprocess.run([pandoc_path(), "--from=docx", "--to=json", str(dist / f"{doc.id}.docx")],
                            capture_output=True, check=True)
    blocks = json.loads(result.stdout)["blocks"]
    # Front matter: the title page, then the 'Innehåll' heading and its entries (paragraphs that are one
    # link into the document). The glossary starts at its heading.
    toc = next(i for i, b in enumerate(blocks) if b["t"] == "Header" and _pandoc_text(b["c"][2]) == ["Innehåll"])
    start = toc + 1
    while (blocks[start]["t"] == "Para" and len(blocks[start]["c"]) == 1 and blocks[start]["c"][0]["t"] == "Link"
           and blocks[start]["c"][0]["c"][2][0].startswith("#")):
        start += 1
    end = next((i for i, b in enumerate(blocks) if b["t"] == "Header"
                and " ".join(_pandoc_text(b["c"][2])) == GLOSSARY_HEADING), len(blocks))
    # pandoc's reader drops a caption's number label (Word's 'Tabell' + SEQ field) and keeps the ': ' after it
    assert _pandoc_text(blocks[start:end]) == model_words(corpus, doc, label=lambda n: ":")
    if used_term_ids(corpus, doc):
        assert end < len(blocks), "glossary heading not found"
        glossary = " ".join(_pandoc_text(blocks[end:]))
        for term_id in used_term_ids(corpus, doc):
            assert corpus.term(term_id).source.term in glossary


# ---- LibreOffice ------------------------------------------------------------

@pytest.mark.client
def test_libreoffice_converts_every_word_file_to_a_plausible_pdf(corpus, doc, dist, libreoffice_pdfs):
    path = libreoffice_pdfs[doc.id]
    assert path.is_file() and path.stat().st_size > 0, f"LibreOffice wrote no PDF for {doc.id}"
    reader = pypdf.PdfReader(path)
    pages = len(reader.pages)
    typst_pages = len(pypdf.PdfReader(dist / f"{doc.id}.pdf").pages)
    # Title page + contents + body: at least three pages, and about as many as the typst PDF.
    assert 3 <= pages and typst_pages / 2 <= pages <= typst_pages * 2, (pages, typst_pages)
    text = "\n".join(page.extract_text() for page in reader.pages)
    first = doc.sections[0]
    assert f"{first.label} {first.title}" in text
    assert doc.source.title in " ".join(reader.pages[0].extract_text().split())
    # The PAGE and NUMPAGES fields are real fields: LibreOffice fills them in.
    assert f"Sida 2 av {pages}" in reader.pages[1].extract_text()

