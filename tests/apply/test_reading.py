"""A Word file read clause by clause: one line per paragraph, in the order of the source's units."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avtal.apply.engine import clause_lines
from avtal.apply.reading import FRONT, GLOSSARY, open_word_file, read_lines
from avtal.model.versions import load_version
from avtal.render.docx import render_docx

SOURCES = Path(__file__).resolve().parents[2] / "sources"


@pytest.fixture(scope="module")
def corpus():
    return load_version(SOURCES, "forslag-2025-08")[0]


@pytest.mark.parametrize("document", ["huvudavtal", "lakarinsatser", "in-och-utskrivning",
                                      "psykisk-funktionsnedsattning", "munhalsa"])
def test_every_clause_reads_as_its_units(corpus, document, tmp_path):
    """Each clause's paragraphs in Word are its title, paragraphs, list items, caption, header and cells, in order."""
    path = tmp_path / f"{document}.docx"
    path.write_bytes(render_docx(corpus, corpus.document(document), dt.datetime(2025, 8, 21)))
    lines = read_lines(open_word_file(path), corpus, document)
    clauses = list(corpus.document(document).clauses())
    assert set(lines) == {FRONT, GLOSSARY, *(c.id for c in clauses)}
    for clause in clauses:
        assert [line.text for line in lines[clause.id]] == [line.text for line in clause_lines(corpus, clause)]
        assert lines[clause.id][0].heading
        assert [bool(line.cell) for line in lines[clause.id]] == [bool(line.cell) for line in
                                                                   clause_lines(corpus, clause)]
