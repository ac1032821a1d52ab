"""Our HTML writer against pandoc's html5 writer, the independent reference, on every tree we publish.

Both write the same tree; lxml parses both. Compared element by element: the tag, every attribute
(ids and anchors, link targets, classes, a tracked change's author and date), the text before the first
child and after each element (whitespace normalised), hence also each table's structure and each
block's text. Only how the markup is laid out in lines may differ.
"""

from __future__ import annotations


import lxml.html
import pytest

from avtal.model import load
from avtal.model.versions import load_version
from avtal.redline.diff import compare
from avtal.redline.publish import _RedlineBody, summary_blocks
from avtal.remiss.report.builder import Builder
from avtal.remiss.report.collect import collect
from avtal.remiss.report.report import _lower
from avtal.render import ast, html, wording
from avtal.render.build import build_time
from avtal.render.pandoc import convert
from avtal.render.tree import TreeBuilder

from ..conftest import SOURCES


def elements(markup: str) -> list[tuple[str, list[tuple[str, str]], str, str]]:
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    return [(e.tag, sorted(e.attrib.items()), " ".join((e.text or "").split()), " ".join((e.tail or "").split()))
            for e in root.iter()]


def assert_same_as_pandoc(blocks: list[ast.Node]) -> None:
    ours = elements(html.blocks(blocks))
    reference = elements(convert(ast.document(blocks), "html5", "--shift-heading-level-by=1",
                                 "--wrap=none").decode("utf-8"))
    assert len(ours) > 10
    for index, (mine, theirs) in enumerate(zip(ours, reference)):
        assert mine == theirs, f"element {index} differs"
    assert len(ours) == len(reference)


@pytest.fixture(scope="module")
def corpus():
    loaded, problems = load(SOURCES)
    assert not problems.errors
    return loaded


@pytest.mark.parametrize("doc_id", ["huvudavtal", "lakarinsatser", "in-och-utskrivning",
                                    "psykisk-funktionsnedsattning", "munhalsa"])
def test_each_document_page_is_written_as_pandoc_writes_it(corpus, doc_id):
    doc = corpus.document(doc_id)
    assert_same_as_pandoc(TreeBuilder(corpus, doc, "html", statute_texts=True).body())


def test_the_glossary_is_written_as_pandoc_writes_it(corpus):
    builder = TreeBuilder(corpus, corpus.documents[0], "html", statute_texts=True)
    assert_same_as_pandoc([b for term in wording.all_terms(corpus) for b in builder.term_entry(term.id)])


@pytest.fixture(scope="module")
def changes():
    old, old_name = load_version(SOURCES, "remiss-2025")
    new, new_name = load_version(SOURCES, "forslag-2025-08")
    return compare(old, new, old_name, new_name)


def test_every_redline_page_and_the_andringsforteckning_are_written_as_pandoc_writes_them(changes):
    when = build_time(changes.new)
    touched = [c for c in changes.documents if c.touched]
    assert touched
    for change in touched:
        assert_same_as_pandoc(_RedlineBody(changes, change, "html", when, {"x": "not a clause"}).body())
    assert_same_as_pandoc(summary_blocks(changes, "html"))


def test_the_remissammanstallning_is_written_as_pandoc_writes_it():
    builder = Builder(collect(SOURCES, "remiss-2025", against="forslag-2025-08"))
    blocks = builder.summary() + builder.comments()
    assert_same_as_pandoc(_lower(blocks, "html", builder))


def test_a_raw_block_for_another_format_is_left_out_and_unknown_nodes_are_refused():
    assert html.blocks([ast.raw_block("openxml", "<w:p/>"), ast.para(ast.text("a < b"))]) == "<p>a &lt; b</p>"
    with pytest.raises(ValueError, match="unsupported block Note"):
        html.blocks([{"t": "Note", "c": []}])
