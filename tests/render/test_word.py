"""Our Word writer against an independent reader: pandoc (now only a reader) and the XML itself.

Each tree is the input; what pandoc's docx reader reads back from the written file must be the
tree's own text, headings, lists, tables and links. The Word-only structure (a bookmark per
clause id, tracked insertions and deletions, comments) is compared with the tree's spans.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import struct
import subprocess
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from avtal.redline.diff import ChangeSet, compare
from avtal.redline.publish import summary_blocks
from avtal.redline.render import RedlineBuilder
from avtal.render import ast
from avtal.render.build import build_time
from avtal.render.ooxml import bookmark_name
from avtal.render.pandoc import pandoc_path
from avtal.render.tree import TreeBuilder
from avtal.render.word import write_docx

from ..clients import openxml_errors
from ..redline.pairs import ALL_KINDS

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WHEN = dt.datetime(2025, 8, 21, tzinfo=dt.timezone.utc)
BLOCKS = {"Para", "Plain", "Header", "BulletList", "OrderedList", "Table", "Div", "BlockQuote", "Figure"}


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def write(tree: ast.Node, tracked: bool = False) -> bytes:
    return write_docx(tree, header="Sidhuvud", properties={"title": "Prov", "language": "sv-SE"},
                      custom={"avtal.document": "prov"}, when=WHEN, tracked=tracked)


def pandoc_read(data: bytes, tmp_path: Path, track_changes: str = "accept") -> list[ast.Node]:
    path = tmp_path / "read.docx"
    path.write_bytes(data)
    result = subprocess.run([pandoc_path(), "--from=docx", "--to=json", f"--track-changes={track_changes}",
                             str(path)], capture_output=True, check=True)
    return json.loads(result.stdout)["blocks"]


def words(node: Any) -> list[str]:
    """The words of a pandoc JSON fragment in reading order; blocks never run into each other."""
    out: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, list):
            for item in n:
                walk(item)
        elif isinstance(n, dict):
            kind = n.get("t")
            if kind == "Str":
                out.append(n["c"])
            elif kind in ("Space", "SoftBreak", "LineBreak"):
                out.append(" ")
            elif kind not in ("RawBlock", "RawInline") and "c" in n:
                walk(n["c"])
            if kind in BLOCKS:
                out.append(" ")

    walk(node)
    return "".join(out).split()


def collect(node: Any, kind: str) -> list[ast.Node]:
    """Every node of one kind, in document order."""
    found: list[ast.Node] = []

    def walk(n: Any) -> None:
        if isinstance(n, list):
            for item in n:
                walk(item)
        elif isinstance(n, dict):
            if n.get("t") == kind:
                found.append(n)
            if "c" in n:
                walk(n["c"])

    walk(node)
    return found


def captions_as_read(blocks: list[ast.Node]) -> list[ast.Node]:
    """The tree as pandoc's reader shows a numbered caption: 'Tabell 1' (a SEQ field) dropped, ': ' kept."""
    def fix(n: Any) -> Any:
        if isinstance(n, list):
            return [fix(i) for i in n]
        if isinstance(n, dict) and "c" in n:
            n = {**n, "c": fix(n["c"])}
            if n["t"] == "Table" and n["c"][1][1]:
                caption = n["c"][1][1][0]
                n["c"][1] = [n["c"][1][0], [{**caption, "c": [{"t": "Str", "c": ":"}, {"t": "Space"}, *caption["c"]]}]]
        return n

    return fix(blocks)


def without(kind: str, node: Any) -> Any:
    """A tree with every span of class `kind` (insertion or deletion) left out: all changes accepted/rejected."""
    if isinstance(node, list):
        return [without(kind, n) for n in node
                if not (isinstance(n, dict) and n.get("t") == "Span" and kind in n["c"][0][1])]
    if isinstance(node, dict) and "c" in node:
        return {**node, "c": without(kind, node["c"])}
    return node


def whole_paragraphs(blocks: list[ast.Node], kind: str) -> int:
    """How many paragraphs of the tree (captions and cells too) have all their words in spans of class `kind`."""
    def leaves(inlines: Any, inside: bool) -> list[bool]:
        out: list[bool] = []
        for n in inlines:
            if n["t"] == "Str":
                out.append(inside)
            elif n["t"] == "Span" and "comment-start" in n["c"][0][1]:
                continue  # the comment's own text, not the paragraph's
            elif n["t"] == "Span":
                out.extend(leaves(n["c"][1], inside or kind in n["c"][0][1]))
            elif n["t"] in ("Emph", "Strong"):
                out.extend(leaves(n["c"], inside))
            elif n["t"] == "Link":
                out.extend(leaves(n["c"][1], inside))
        return out

    count = 0
    for block in collect(blocks, "Para") + collect(blocks, "Plain") + collect(blocks, "Header"):
        flags = leaves(block["c"][2] if block["t"] == "Header" else block["c"], False)
        count += bool(flags) and all(flags)
    return count


def body_tree(corpus, doc) -> ast.Node:
    return TreeBuilder(corpus, doc, "docx").tree()


# ---- the documents: pandoc reads back the tree ------------------------------

def test_pandoc_reads_each_document_to_the_trees_words(corpus, doc, tmp_path):
    tree = body_tree(corpus, doc)
    read = pandoc_read(write(tree), tmp_path)
    assert words(read) == words(captions_as_read(tree["blocks"]))


def test_pandoc_sees_the_trees_headings_lists_tables_and_links(corpus, doc, tmp_path):
    tree = body_tree(corpus, doc)
    read = pandoc_read(write(tree), tmp_path)
    heads = [(h["c"][0], words(h["c"][2])) for h in collect(tree["blocks"], "Header")]
    assert [(h["c"][0], words(h["c"][2])) for h in collect(read, "Header")] == heads
    for kind in ("BulletList", "OrderedList"):
        items = [len(n["c"] if kind == "BulletList" else n["c"][1]) for n in collect(tree["blocks"], kind)]
        assert [len(n["c"] if kind == "BulletList" else n["c"][1]) for n in collect(read, kind)] == items, kind
    rows = [sum(len(b[3]) for b in t["c"][4]) for t in collect(tree["blocks"], "Table")]
    assert [sum(len(b[3]) + len(b[2]) for b in t["c"][4]) + len(t["c"][3][1]) - 1
            for t in collect(read, "Table")] == rows
    # Links: the same targets, in order (inside the file by bookmark name, elsewhere by address); pandoc
    # points a link to a heading's bookmark at the id it gives that heading.
    renamed = {bookmark_name(a["c"][1][0]): b["c"][1][0] for a, b in zip(collect(tree["blocks"], "Header"),
                                                                       collect(read, "Header"))}
    expected = []
    for link in collect(tree["blocks"], "Link"):
        url = link["c"][2][0]
        file, _, anchor = url.partition("#")
        name = bookmark_name(anchor) if anchor else ""
        expected.append(f"{file}#{name if file else renamed.get(name, name)}" if anchor else url)
    assert [link["c"][2][0] for link in collect(read, "Link")] == expected


def test_every_clause_id_is_one_bookmark_on_its_heading(corpus, doc):
    tree = body_tree(corpus, doc)
    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(write(tree))).read("word/document.xml"))
    headings = [p for p in body.iter(w("p"))
                if (p.find(f"{w('pPr')}/{w('pStyle')}") is not None
                    and p.find(f"{w('pPr')}/{w('pStyle')}").get(w("val")).startswith("Heading"))]
    on_headings = [[b.get(w("name")) for b in p.iter(w("bookmarkStart"))] for p in headings]
    assert on_headings == [[bookmark_name(h["c"][1][0])] for h in collect(tree["blocks"], "Header")]
    names = [b.get(w("name")) for b in body.iter(w("bookmarkStart"))]
    assert len(names) == len(set(names))
    assert {bookmark_name(c.id) for c in doc.clauses()} <= set(names)


def test_the_same_tree_gives_the_same_bytes(corpus):
    tree = body_tree(corpus, corpus.document("huvudavtal"))
    assert write(tree) == write(json.loads(json.dumps(tree)))


# ---- redlines: tracked changes, comments ------------------------------------

@pytest.fixture(scope="module")
def changes(tmp_path_factory) -> ChangeSet:
    old, new = ALL_KINDS.load(tmp_path_factory.mktemp("pair"))
    return compare(old, new, "remiss", "forslag")


@pytest.fixture(scope="module")
def redline_tree(changes) -> ast.Node:
    """The huvudavtal of the all-kinds pair as a redline tree, with a note (a Word comment) on a changed clause."""
    new = changes.new
    change = next(c for c in changes.documents if c.touched and c.new and c.new.id == "huvudavtal")
    noted = next(c.id for c in change.changes)
    builder = RedlineBuilder(changes, change, "docx", build_time(new), {noted: "Ändrad efter remissen."})
    return builder.tree()


def test_pandoc_accepting_every_change_reads_the_tree_without_its_deletions(redline_tree, tmp_path):
    data = write(redline_tree, tracked=True)
    assert words(pandoc_read(data, tmp_path, "accept")) == words(without("deletion", captions_as_read(
        without("comment-start", redline_tree["blocks"]))))
    assert words(pandoc_read(data, tmp_path, "reject")) == words(without("insertion", captions_as_read(
        without("comment-start", redline_tree["blocks"]))))


def test_tracked_insertions_deletions_and_comments_hold_the_trees_spans(redline_tree):
    package = zipfile.ZipFile(io.BytesIO(write(redline_tree, tracked=True)))
    body = etree.fromstring(package.read("word/document.xml"))
    spans = {kind: [s for s in collect(redline_tree["blocks"], "Span") if kind in s["c"][0][1]]
             for kind in ("insertion", "deletion", "comment-start")}
    assert spans["insertion"] and spans["deletion"] and spans["comment-start"]
    run_level = lambda tag: [e for e in body.iter(w(tag)) if e.getparent().tag != w("rPr")  # noqa: E731
                             and e.getparent().tag != w("trPr")]
    inserted = "".join(t.text or "" for e in run_level("ins") for t in e.iter(w("t")))
    deleted = "".join(t.text or "" for e in run_level("del") for t in e.iter(w("delText")))
    assert inserted.split() == words(spans["insertion"])
    assert deleted.split() == words(spans["deletion"])
    # A link holds its revision, never the other way round (LibreOffice empties <w:ins><w:hyperlink>).
    assert not [e for e in run_level("ins") + run_level("del") if e.find(w("hyperlink")) is not None]
    comments = etree.fromstring(package.read("word/comments.xml"))
    assert ["".join(t.text for t in c.iter(w("t"))) for c in comments.iter(w("comment"))] == \
        [ast.stringify(s["c"][1]) for s in spans["comment-start"]]
    # Paragraph marks: tracked exactly where the tree's paragraph is wholly inserted or deleted.
    for kind, tag in (("insertion", "ins"), ("deletion", "del")):
        assert whole_paragraphs(redline_tree["blocks"], kind) > 0, kind  # the pair adds an avsnitt and deletes a clause
        assert len(body.findall(f".//{w('pPr')}/{w('rPr')}/{w(tag)}")) == whole_paragraphs(redline_tree["blocks"], kind)
    ids = [e.get(w("id")) for tag in ("ins", "del", "bookmarkStart", "commentRangeStart") for e in body.iter(w(tag))]
    assert len(ids) == len(set(ids))


def test_pandoc_reads_the_andringsforteckning_to_its_trees_words_and_headings(changes, tmp_path):
    blocks = summary_blocks(changes, "docx")
    read = pandoc_read(write(ast.document(blocks)), tmp_path)
    assert words(read) == words(captions_as_read(blocks))
    assert [words(h["c"][2]) for h in collect(read, "Header")] == [words(h["c"][2]) for h in collect(blocks, "Header")]
    assert len(collect(read, "Table")) == len(collect(blocks, "Table")) > 0


# ---- crafted trees: one input per hazard --------------------------------------

def png(width: int, height: int) -> bytes:
    """A tiny valid PNG (one grey pixel row repeated)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def crafted_tree() -> ast.Node:
    mark = lambda cls, inlines: ast.span(inlines, ast.attr(classes=[cls], author="A & B", date="2025-08-21T00:00:00Z"))  # noqa: E731
    image = {"t": "Image", "c": [ast.attr(classes=["chart"], width="8cm"), ast.text("Ett diagram"),
                                 ["data:image/png;base64," + base64.b64encode(png(4, 2)).decode(), ""]]}
    return ast.document([
        ast.header(1, ast.text("Rubrik <1> & \"citat\""), ast.attr("rubrik")),
        ast.para([*ast.text("Före"), {"t": "Space"},
                  mark("insertion", [*ast.text("ny"), {"t": "Space"}, ast.link(ast.text("länk"), "#rubrik")]),
                  {"t": "Space"}, mark("deletion", ast.text("gammal text")),
                  {"t": "Space"}, ast.link(ast.text("extern"), "https://example.org/?a=1&b=2"),
                  {"t": "Space"}, {"t": "Str", "c": "styr\x01tecken"}]),
        ast.para([mark("insertion", ast.text("Ett helt nytt stycke."))]),
        ast.ordered_list([[ast.plain(ast.text("ett"))],
                          [ast.plain(ast.text("två")), ast.bullet_list([[ast.plain(ast.text("inre"))]])]]),
        ast.table(ast.text("Bildtext"), [[ast.plain(ast.text("A"))], [ast.plain(ast.text("B"))]],
                  [[[ast.plain(ast.text("1"))], [ast.plain(ast.text("2"))]],
                   [[ast.plain([mark("deletion", ast.text("bort"))])], [ast.plain([mark("deletion", ast.text("rad"))])]]]),
        ast.table([mark("insertion", ast.text("Ny tabell"))], [[ast.plain([mark("insertion", ast.text("X"))])]],
                  [[[ast.plain([mark("insertion", ast.text("y"))])]]]),
        {"t": "Figure", "c": [ast.attr("figur"), [None, [ast.plain(ast.text("Figurtext"))]], [ast.plain([image])]]},
    ])


def test_a_crafted_tree_with_every_hazard_is_read_back_by_pandoc(tmp_path):
    data = write(crafted_tree(), tracked=True)
    read = pandoc_read(data, tmp_path, "all")
    assert words(collect(read, "Header")[0]["c"][2]) == ["Rubrik", "<1>", "&", '"citat"']
    assert "styrtecken" in words(read)  # XML cannot hold the control character; the word stays
    heading_id = collect(read, "Header")[0]["c"][1][0]  # pandoc's own id for the heading the link points at
    assert [link["c"][2][0] for link in collect(read, "Link")] == [f"#{heading_id}", "https://example.org/?a=1&b=2"]
    assert [len(n["c"]) for n in collect(read, "BulletList")] == [1]
    assert [len(n["c"][1]) for n in collect(read, "OrderedList")] == [2]
    assert len(collect(read, "Image")) == 1
    package = zipfile.ZipFile(io.BytesIO(data))
    assert [n for n in package.namelist() if n.startswith("word/media/")] != []
    body = etree.fromstring(package.read("word/document.xml"))
    # The wholly inserted paragraph, caption and cells, and the wholly deleted row (and its cells), have their
    # marks tracked; the new table's caption label is inserted with it ('Tabell 2: ' goes when it is rejected).
    assert len(body.findall(f".//{w('pPr')}/{w('rPr')}/{w('ins')}")) == 4
    assert len(body.findall(f".//{w('trPr')}/{w('ins')}")) == 2
    assert len(body.findall(f".//{w('pPr')}/{w('rPr')}/{w('del')}")) == 2
    assert len(body.findall(f".//{w('trPr')}/{w('del')}")) == 1
    caption = next(p for p in body.iter(w("p")) if "".join(t.text for t in p.iter(w("t"))).endswith("Ny tabell"))
    assert "".join(t.text for t in caption.iter(w("t"))) == "Tabell 2: Ny tabell"
    assert all(any(a.tag == w("ins") for a in t.iterancestors()) for t in caption.iter(w("t")))
    assert body.find(f".//{w('hyperlink')}/{w('ins')}") is not None
    assert Counter(e.getparent().tag for e in body.iter(w("ins"))).get(w("hyperlink"), 0) == 1


@pytest.mark.client
def test_a_crafted_tree_with_every_hazard_has_no_openxml_audit_errors(tmp_path):
    path = tmp_path / "crafted.docx"
    path.write_bytes(write(crafted_tree(), tracked=True))
    assert openxml_errors(path) == []
