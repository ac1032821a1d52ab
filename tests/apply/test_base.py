"""The digest of a document's text (render.stamp), which a Word file built from moving sources carries so that
`avtal apply` can find what it was made from: it follows the words the file shows, not the markup."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import pytest

from avtal.model.corpus import load
from avtal.render.docx import render_docx
from avtal.render.stamp import TEXT_PROPERTY, text_digest

REPO_SOURCES = Path(__file__).resolve().parents[2] / "sources"
DOC = "munhalsa"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    shutil.copytree(REPO_SOURCES, tmp_path / "sources", ignore=shutil.ignore_patterns("versions", "remiss"))
    return tmp_path / "sources"


def digest(sources: Path, document: str = DOC) -> str:
    corpus, problems = load(sources)
    assert corpus is not None, problems
    return text_digest(corpus, corpus.document(document))


def edit(sources: Path, old: str, new: str, document: str = DOC) -> None:
    path = sources / "documents" / f"{document}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_word_file_carries_the_digest_of_its_text(sources: Path):
    corpus, _ = load(sources)
    data = render_docx(corpus, corpus.document(DOC), dt.datetime(2025, 9, 1))
    custom = zipfile.ZipFile(io.BytesIO(data)).read("docProps/custom.xml").decode()
    value = custom.split(f'name="{TEXT_PROPERTY}"><vt:lpwstr>')[1].split("<")[0]
    assert len(value) == 64 and value == digest(sources)


def test_markup_that_reads_the_same_keeps_the_digest(sources: Path):
    before = digest(sources)
    edit(sources, "ges i {term:sarskilt-boende}, i bostad", "ges i särskilt boende, i bostad")  # used once more
    assert digest(sources) == before


def test_a_term_no_longer_used_changes_the_digest_as_its_glossary_entry_goes(sources: Path):
    before = digest(sources)
    edit(sources, "{term:palliativ-vard|den palliativa vården}", "den palliativa vården")
    assert digest(sources) != before


def test_a_changed_word_changes_the_digest(sources: Path):
    before = digest(sources)
    edit(sources, "tandborstning morgon och kväll", "tandborstning morgon, middag och kväll")
    assert digest(sources) != before


def test_a_renumbered_reference_changes_the_digest_though_the_clause_citing_it_did_not_change(sources: Path):
    """A new clause before mun.munvard.daglig renumbers it: mun.palliativ, which cites it, now reads differently."""
    before = digest(sources)
    edit(sources, "    clauses:\n      - id: mun.munvard.daglig\n",
         "    clauses:\n      - id: mun.munvard.ny\n        title: Ny\n        text: Ny text.\n"
         "      - id: mun.munvard.daglig\n")
    assert digest(sources) != before


def test_a_paragraph_split_changes_the_digest(sources: Path):
    before = digest(sources)
    edit(sources, "finns\n          tillgängliga eller", "finns\n          tillgängliga.\n\n          Eller")
    assert digest(sources) != before


def test_another_documents_text_does_not_change_this_documents_digest(sources: Path):
    before = digest(sources)
    path = sources / "documents" / "huvudavtal.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Överenskommelsen", "Avtalet", 1), encoding="utf-8")
    assert load(sources)[0] is not None
    assert digest(sources) == before
