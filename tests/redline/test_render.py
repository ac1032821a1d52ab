"""The redline's pandoc tree: what is marked inserted or deleted, and what is left alone.

Built from the pairs in `pairs.py`; expected marks are read off each pair's edit.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from lxml import etree

from avtal.redline.diff import compare
from avtal.redline.render import RedlineBuilder, kinds_label
from avtal.render import ast
from avtal.render.docx import render_docx
from avtal.render.tree import TreeBuilder

from .pairs import ALL_KINDS, PAIRS, Pair, pair

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WHEN = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@pytest.fixture(scope="module")
def changes(tmp_path_factory: pytest.TempPathFactory):
    cache: dict[str, object] = {}

    def get(p: Pair, doc: str = "huvudavtal"):
        if p.name not in cache:
            cache[p.name] = compare(*p.load(tmp_path_factory.mktemp(p.name)), "fore", "efter")
        cs = cache[p.name]
        return cs, next(d for d in cs.documents if d.id == doc)  # type: ignore[attr-defined]

    return get


def marks(blocks) -> list[tuple[str, str]]:
    """(insertion|deletion, text) of every marked span, in reading order."""
    out: list[tuple[str, str]] = []

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("t") == "Span" and {"insertion", "deletion"} & set(node["c"][0][1]):
                kind = "insertion" if "insertion" in node["c"][0][1] else "deletion"
                out.append((kind, ast.stringify(node["c"][1]).strip()))
                return
            if "c" in node:
                walk(node["c"])

    walk(blocks)
    return out


def unlinked(node):
    """A tree with every link target blanked."""
    if isinstance(node, list):
        return [unlinked(n) for n in node]
    if isinstance(node, dict):
        if node.get("t") == "Link":
            return {"t": "Link", "c": [node["c"][0], unlinked(node["c"][1]), ["", ""]]}
        return {k: unlinked(v) for k, v in node.items()}
    return node


def node_blocks(builder: RedlineBuilder, change, clause_id: str):
    """The blocks of one clause of the display tree, without its children."""
    node = next(n for n in change.nodes() if n.change.id == clause_id)
    return builder.node(type(node)(node.change, ()))


def builder(changes_, change, fmt="docx") -> RedlineBuilder:
    return RedlineBuilder(changes_, change, fmt, WHEN)


def docx_marks(changes_, change) -> tuple[list[tuple[str, str]], bytes]:
    """(ins|del, text) of every w:ins/w:del run wrapper in the Word file, and document.xml."""
    doc = change.new or change.old
    data = render_docx(changes_.new, doc, WHEN, builder(changes_, change), tracked=True)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    root = etree.fromstring(xml)
    out = []
    for el in root.iter(w("ins"), w("del")):
        if el.getparent().tag == w("rPr"):
            continue  # a paragraph mark
        text = "".join(t.text or "" for t in el.iter(w("t"), w("delText")))
        out.append((etree.QName(el).localname, text))
    return out, xml


# ---- unchanged and renumbered clauses render exactly as the plain document does ----

def test_a_renumbered_clause_renders_as_in_the_new_document_without_marks(changes):
    cs, change = changes(pair("renumbering"))
    plain = TreeBuilder(cs.new, change.new, "docx")
    red = builder(cs, change)
    for clause in change.new.clauses():
        if clause.id == "definitioner":
            continue
        assert node_blocks(red, change, clause.id) == plain.own(clause), clause.id


def test_pure_renumbering_has_marks_only_in_the_new_avsnitt(changes):
    cs, change = changes(pair("renumbering"))
    found, _ = docx_marks(cs, change)
    assert found == [("ins", "1 Definitioner"), ("ins", "I avtalet används termerna i bilagan.")]


def test_an_unchanged_document_renders_like_the_published_one(changes):
    cs, change = changes(pair("table-cell"), "munhalsa")
    assert change.changes == []
    plain = TreeBuilder(cs.new, change.new, "html")
    # Only link targets differ: a redline page links to the published pages of documents outside the redline.
    assert unlinked(builder(cs, change, "html").body()) == unlinked(plain.body())


# ---- word-level marks --------------------------------------------------------

def test_one_added_comma_is_one_inserted_token_in_the_tree_and_in_word(changes):
    cs, change = changes(pair("punctuation"))
    blocks = node_blocks(builder(cs, change), change, "inledning.syfte")
    assert marks(blocks) == [("insertion", ",")]
    assert docx_marks(cs, change)[0] == [("ins", ",")]


def test_a_changed_clause_marks_only_the_changed_words(changes):
    cs, change = changes(pair("move-and-change"))
    assert marks(node_blocks(builder(cs, change), change, "ansvar.region.tandvard")) == [
        ("deletion", "nödvändig"), ("insertion", "akut")]


def test_a_renamed_term_is_marked_where_it_is_shown_in_its_default_form(changes):
    cs, change = changes(pair("term-rename"))
    assert marks(node_blocks(builder(cs, change), change, "ansvar.kommun")) == [
        ("deletion", "vård i hemmet"), ("insertion", "vård i det egna hemmet")]
    assert marks(node_blocks(builder(cs, change), change, "inledning.syfte")) == []


def test_a_changed_table_cell_is_marked_and_nothing_else_in_the_table(changes):
    cs, change = changes(pair("table-cell"))
    assert marks(node_blocks(builder(cs, change), change, "ansvar")) == [
        ("deletion", "Medverkar"), ("insertion", "Ansvarar")]


def test_a_reworded_heading_is_marked_in_the_heading(changes):
    cs, change = changes(pair("title-only"))
    blocks = node_blocks(builder(cs, change), change, "ansvar.region.hjalpmedel")
    heading = blocks[0]["c"][1][0]
    assert heading["t"] == "Header" and marks(heading) == [("insertion", "och förbrukningsartiklar")]


def test_a_split_clause_loses_its_second_paragraph_to_a_new_clause(changes):
    cs, change = changes(pair("split"))
    red = builder(cs, change)
    assert marks(node_blocks(red, change, "ansvar.region.hjalpmedel")) == [
        ("deletion", "Förskrivning sker enligt riktlinjerna.")]
    assert marks(node_blocks(red, change, "ansvar.region.forskrivning")) == [
        ("insertion", "2.1.4 Förskrivning"), ("insertion", "Förskrivning sker enligt riktlinjerna.")]


# ---- whole clauses -------------------------------------------------------------

def test_a_deleted_clause_is_wholly_deleted_with_its_old_number_and_without_links(changes):
    cs, change = changes(ALL_KINDS)
    blocks = node_blocks(builder(cs, change), change, "inledning.syfte")
    assert marks(blocks) == [
        ("deletion", "1.1 Syfte"),
        ("deletion", "Avtalet ska främja vården i hemmet enligt 16 kap. 4 § hälso- och sjukvårdslagen (2017:30)."),
        ("deletion", "en första punkt som fortsätter"), ("deletion", "en andra punkt")]
    assert '"Link"' not in repr(blocks).replace("'", '"'), "a deleted clause keeps no links"


def test_changed_moved_new_and_deleted_clauses_are_wrapped_in_a_changed_div_renumbered_ones_not(changes):
    cs, change = changes(ALL_KINDS)
    red = builder(cs, change, "html")
    for node in change.nodes():
        blocks = node_blocks(red, change, node.change.id)
        wrapped = len(blocks) == 1 and blocks[0]["t"] == "Div" and "changed" in blocks[0]["c"][0][1]
        assert wrapped == bool(node.change.kinds - {"renumbered"}), node.change.id


def test_a_moved_clause_is_noted_as_a_word_comment_and_as_a_note_elsewhere(changes):
    cs, change = changes(ALL_KINDS)
    # FROM has no recorded title: readers see its status and date (the fixture's arbetsutkast of
    # 2025-01-30), never its slug 'fore'.
    note = "Flyttad från avsnitt 2.1.3 i Arbetsutkast 2025-01-30."
    docx_blocks = node_blocks(builder(cs, change, "docx"), change, "ansvar.region.hjalpmedel")
    heading = docx_blocks[0]["c"][1][0]
    start = heading["c"][2][0]
    assert start["t"] == "Span" and start["c"][0][1] == ["comment-start"] and ast.stringify(start["c"][1]) == note
    assert marks(docx_blocks) == []
    for fmt in ("html", "typst"):
        blocks = node_blocks(builder(cs, change, fmt), change, "ansvar.region.hjalpmedel")[0]["c"][1]
        assert blocks[1]["t"] == "Para" and ast.stringify(blocks[1]) == note
        assert blocks[1]["c"][0]["c"][0][1] == ["note"]


def test_marks_carry_the_group_as_author_and_the_date(changes):
    cs, change = changes(ALL_KINDS)
    spans = []

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("t") == "Span" and {"insertion", "deletion"} & set(node["c"][0][1]):
                spans.append(dict(node["c"][0][2]))
            if "c" in node:
                walk(node["c"])

    walk(builder(cs, change).sections())
    assert spans and all(s == {"author": "Arbetsgruppen för Hälso- och sjukvårdsavtalet",
                               "date": "2025-03-01T00:00:00Z"} for s in spans)


def test_kinds_label_lists_kinds_in_a_fixed_order():
    assert kinds_label(frozenset({"renumbered", "changed"})) == "Ändrad, nytt nummer"
    assert kinds_label(frozenset({"changed", "moved"})) == "Flyttad, ändrad"
    assert kinds_label(frozenset({"new"})) == "Ny"


@pytest.mark.parametrize("p", PAIRS, ids=lambda p: p.name)
def test_every_pair_renders_in_every_format(p: Pair, changes):
    """The builder walks every display tree without error, and marks appear iff the text changed."""
    for doc in ("huvudavtal", "munhalsa"):
        cs, change = changes(p, doc)
        for fmt in ("docx", "typst", "html"):
            blocks = builder(cs, change, fmt).body()
            assert bool(marks(blocks)) == any(c.kinds & {"new", "deleted", "changed"} for c in change.changes), (
                p.name, doc, fmt)


def test_marks_in_word_are_one_per_marked_span(changes):
    cs, change = changes(ALL_KINDS)
    found, _ = docx_marks(cs, change)
    expected = [("ins" if kind == "insertion" else "del", text) for kind, text in marks(builder(cs, change).sections())]
    assert [(k, t.replace(" ", "")) for k, t in found] == [(k, t.replace(" ", "")) for k, t in expected]
