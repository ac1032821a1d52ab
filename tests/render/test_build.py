"""`build`: byte-identical outputs, incremental rebuilds, a manifest of every output."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import docx
import pytest
import yaml

from avtal.model.text import Ref, walk_inlines
from avtal.render.build import MANIFEST

from .conftest import SOURCES, load_corpus, run_build

EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def outputs_of(doc_id: str) -> set[str]:
    return {f"{doc_id}.docx", f"{doc_id}.pdf", f"web/{doc_id}.html"}


def modified(path: Path) -> dt.datetime:
    return docx.Document(str(path)).core_properties.modified.replace(tzinfo=dt.timezone.utc)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A copy of the real sources that a test may edit."""
    return Path(shutil.copytree(SOURCES, tmp_path / "sources"))


def rewrite(path: Path, change) -> None:
    """Change a document source through its data (robust to wording changes in the sources)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def clause_data(items: list[dict], clause_id: str) -> dict:
    for item in items:
        if item["id"] == clause_id:
            return item
        try:
            return clause_data(item.get("clauses", []), clause_id)
        except KeyError:
            pass
    raise KeyError(clause_id)


# ---- determinism ------------------------------------------------------------

def test_two_builds_into_different_folders_are_byte_identical(corpus, dist, tmp_path):
    run_build(corpus, tmp_path / "again")
    first, second = files(dist), files(tmp_path / "again")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    # Without SOURCE_DATE_EPOCH the build date is the latest version date of the sources, at midnight UTC.
    latest = max(d.source.version_date for d in corpus.documents)
    assert modified(dist / "huvudavtal.docx") == dt.datetime(latest.year, latest.month, latest.day,
                                                            tzinfo=dt.timezone.utc)


def test_builds_with_source_date_epoch_are_byte_identical_and_carry_that_date(corpus, tmp_path):
    run_build(corpus, tmp_path / "a", epoch=EPOCH)
    run_build(corpus, tmp_path / "b", epoch=EPOCH)
    first, second = files(tmp_path / "a"), files(tmp_path / "b")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert modified(tmp_path / "a" / "munhalsa.docx") == dt.datetime.fromtimestamp(int(EPOCH), dt.timezone.utc)


# ---- manifest ----------------------------------------------------------------

def test_manifest_lists_every_output_and_nothing_else(corpus, dist):
    listed = set(json.loads((dist / MANIFEST).read_text(encoding="utf-8"))["outputs"])
    on_disk = set(files(dist)) - {MANIFEST}
    assert listed == on_disk
    for doc in corpus.documents:
        assert outputs_of(doc.id) <= listed
    assert {"web/index.html", "web/begrepp.html", "web/assets/search-index.js", "web/assets/style.css",
            "web/assets/search.js"} <= listed


# ---- incremental ---------------------------------------------------------------

def test_a_second_build_builds_nothing(sources, tmp_path):
    corpus = load_corpus(sources, tmp_path)
    first = run_build(corpus, tmp_path / "dist")
    before = files(tmp_path / "dist")
    second = run_build(load_corpus(sources, tmp_path), tmp_path / "dist")
    assert second.built == [] and second.removed == []
    assert sorted(second.unchanged) == sorted(first.built)
    assert files(tmp_path / "dist") == before


def test_editing_one_clause_rebuilds_that_document_and_the_search_index_only(sources, tmp_path):
    dist = tmp_path / "dist"
    before = load_corpus(sources, tmp_path)
    run_build(before, dist)
    old = files(dist)
    clause = next(c for c in before.document("munhalsa").clauses() if c.body)

    def append_sentence(data):
        item = clause_data(data["sections"], clause.id)
        item["text"] = item["text"].rstrip() + " Meningen är tillagd i testet.\n"

    rewrite(sources / "documents" / "munhalsa.yaml", append_sentence)
    after = load_corpus(sources, tmp_path)
    # The edit changes one clause's text and no number anywhere.
    assert [c.id for c in after.document("munhalsa").clauses() if c.body != before.clause(c.id).body] == [clause.id]
    assert ([(c.id, c.label) for d in before.documents for c in d.clauses()]
            == [(c.id, c.label) for d in after.documents for c in d.clauses()])
    report = run_build(after, dist)
    assert set(report.built) == outputs_of("munhalsa") | {"web/assets/search-index.js"}
    new = files(dist)
    changed = {name for name in new if new[name] != old.get(name)}
    assert changed - {MANIFEST} == set(report.built), "no other file was touched"
    assert "Meningen är tillagd i testet." in (dist / "web" / "munhalsa.html").read_text(encoding="utf-8")


def _citing_changed_numbers(before, after, changed_doc: str) -> set[str]:
    """Documents (other than `changed_doc`) that cite a clause whose number changed, per the model."""
    out = set()
    for doc in after.documents:
        if doc.id == changed_doc:
            continue
        for run in doc.runs():
            for node in walk_inlines(run):
                if isinstance(node, Ref) and before.clause(node.target).label != after.clause(node.target).label:
                    out.add(doc.id)
    return out


def test_renumbering_rebuilds_the_documents_that_cite_a_renumbered_clause(sources, tmp_path):
    dist = tmp_path / "dist"
    before = load_corpus(sources, tmp_path)
    run_build(before, dist)
    new_section = {"id": "mun.nytt", "title": "Nytt avsnitt", "text": "Ett nytt avsnitt.\n"}
    rewrite(sources / "documents" / "munhalsa.yaml", lambda data: data["sections"].insert(1, new_section))
    after = load_corpus(sources, tmp_path)
    citing = _citing_changed_numbers(before, after, "munhalsa")
    assert "huvudavtal" in citing and len(citing) < len(after.documents) - 1, citing  # some, not all
    report = run_build(after, dist)
    expected = outputs_of("munhalsa") | {"web/assets/search-index.js"}
    for doc_id in citing:
        expected |= outputs_of(doc_id)
    assert set(report.built) == expected


def test_removing_a_document_removes_its_outputs(tree):
    dist = tree.root / "dist"
    corpus, _ = tree.load()
    run_build(corpus, dist)
    assert all((dist / name).is_file() for name in outputs_of("munhalsa"))
    tree.edit("avtal.yaml", "  - munhalsa\n", "")
    (tree.sources / "documents" / "munhalsa.yaml").unlink()
    report = run_build(load_corpus(tree.sources, tree.root), dist)
    assert set(report.removed) == outputs_of("munhalsa")
    assert not any((dist / name).exists() for name in outputs_of("munhalsa"))
    listed = set(json.loads((dist / MANIFEST).read_text(encoding="utf-8"))["outputs"])
    assert listed == set(files(dist)) - {MANIFEST}
    assert "web/index.html" in report.built, "the index no longer lists the document"
    assert "munhalsa" not in (dist / "web" / "index.html").read_text(encoding="utf-8")


# ---- one tree per document ----------------------------------------------------

def test_each_document_s_tree_is_built_once_for_its_word_pdf_and_web_outputs(corpus, tmp_path, monkeypatch):
    from avtal.render import tree

    built: list[str] = []
    body = tree.TreeBuilder.body
    monkeypatch.setattr(tree.TreeBuilder, "body", lambda self: built.append(self.doc.id) or body(self))
    report = run_build(corpus, tmp_path / "dist")
    assert all(outputs_of(doc.id) <= set(report.built) for doc in corpus.documents)
    assert sorted(built) == sorted(doc.id for doc in corpus.documents)  # once each, not once per format


def test_each_document_is_written_as_typst_and_laid_out_once_for_its_pdf_and_its_word_contents(corpus, tmp_path,
                                                                                                 monkeypatch):
    """The PDF's layout gives Word's contents their pages: one typst source and one layout per document,
    whichever of the two jobs asks first, also with one layout thread (the Word thread then waits, no deadlock)."""
    from avtal.render import publication

    for jobs in (None, 1):
        written: list[str] = []
        laid: list[bytes] = []
        source, layout = publication.typst_source, publication.Layout
        monkeypatch.setattr(publication, "typst_source", lambda pub, *a: written.append(pub.title) or source(pub, *a))
        monkeypatch.setattr(publication, "Layout", lambda src, when: laid.append(src) or layout(src, when))
        report = run_build(corpus, tmp_path / f"dist-{jobs}", jobs=jobs)
        monkeypatch.undo()
        assert all(outputs_of(doc.id) <= set(report.built) for doc in corpus.documents)
        assert sorted(written) == sorted(doc.title for doc in corpus.documents)
        assert len(laid) == len(set(laid)) == len(corpus.documents)
    assert files(tmp_path / "dist-None") == files(tmp_path / "dist-1")


def test_every_output_has_its_links_spelled_for_its_format(corpus, dist):
    """The one tree holds links for every format; each writer spells them (no marker is left in any output)."""
    for doc in corpus.documents:
        page = (dist / f"web/{doc.id}.html").read_text(encoding="utf-8")
        word = docx.Document(str(dist / f"{doc.id}.docx"))
        targets = {rel.target_ref for rel in word.part.rels.values() if rel.is_external}
        for shown in (page, *targets):
            assert "avtal-link:" not in shown and "avtal-only" not in shown
    huvudavtal = (dist / "web/huvudavtal.html").read_text(encoding="utf-8")
    assert 'href="begrepp.html#begrepp:' in huvudavtal and 'class="lagtext"' in huvudavtal  # web-only parts kept
    word_text = "\n".join(p.text for p in docx.Document(str(dist / "huvudavtal.docx")).paragraphs)
    assert "Bilaga. Termer och begrepp" in word_text and "Lagtext:" not in word_text  # and Word's own
