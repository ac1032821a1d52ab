"""The warm model in process: the edited file alone is read again, and what the preview writes is what
`avtal build` would write."""

from __future__ import annotations

import datetime as dt
import shutil

from avtal.model.corpus import Memo, load
from avtal.render import build as builder
from avtal.render import publication
from avtal.render.pdf import render_pdf
from avtal.render.typeset import KeptLayouts
from avtal.serve.preview import Preview

from ..conftest import ROOT

MUN = "documents/munhalsa.yaml"


def test_a_memo_reads_again_only_the_file_that_changed(tree, monkeypatch):
    import avtal.model.yamlfile as yamlfile  # the load imports read_yaml from there when it reads a file

    read: list[str] = []
    real = yamlfile.read_yaml
    monkeypatch.setattr(yamlfile, "read_yaml", lambda path, *a: read.append(path.name) or real(path, *a))
    memo = Memo()
    first, _ = load(tree.sources, root=tree.root, memo=memo)
    assert first is not None and len(read) == 5  # avtal, terms, statutes, two documents
    read.clear()
    tree.edit(MUN, "title: Inledning", "title: Inledningen")
    second, _ = load(tree.sources, root=tree.root, memo=memo)
    assert read == ["munhalsa.yaml"]
    assert [s.title for s in second.document("munhalsa").sections][0] == "Inledningen"
    assert second.document("huvudavtal") == first.document("huvudavtal")


def test_a_memo_never_hides_a_problem(tree):
    memo = Memo()
    load(tree.sources, root=tree.root, memo=memo)
    tree.edit(MUN, "{ref:mun.inledning}", "{ref:mun.inledningen}")
    for _ in range(2):  # reported again on the next load, though the file did not change in between
        corpus, problems = load(tree.sources, root=tree.root, memo=memo)
        assert corpus is None and any("mun.inledningen" in p.message for p in problems.errors)


def test_a_kept_compiler_writes_the_same_pdf_as_a_fresh_one():
    corpus, _ = load(ROOT / "sources", root=ROOT)
    when = builder.build_time(corpus)
    doc = corpus.document("munhalsa")
    layouts = KeptLayouts()
    try:
        layouts.laid_out(doc.id, b"#set document(title: [x])\n= x\n", when)  # the compiler has seen another text
        source = publication.typst_source(builder.document(corpus, doc, when))
        pdf, pages = layouts.laid_out(doc.id, source, when)
    finally:
        layouts.close()
    assert pdf == render_pdf(corpus, doc, when)
    assert set(pages) >= {c.id for c in doc.clauses() if c.level <= 2}


def test_after_an_edit_the_preview_leaves_avtal_build_nothing_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2025, 9, 1, tzinfo=dt.timezone.utc).timestamp())))
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    sources, dist = tmp_path / "sources", tmp_path / "dist"
    preview = Preview(sources, dist, tmp_path)
    try:
        assert preview.refresh().errors == []
        path = sources / MUN
        path.write_text(path.read_text(encoding="utf-8").replace("title: Syfte", "title: Syftet", 1), encoding="utf-8")
        update = preview.refresh()
        assert update.pages == ["/web/munhalsa.html"]
        preview.settle()  # the PDF and Word files follow in the background
    finally:
        preview.close()
    corpus, _ = load(sources, root=tmp_path)
    report = builder.build(corpus, dist)
    assert report.built == [] and report.removed == []
    fresh = tmp_path / "fresh"
    builder.build(corpus, fresh)
    for name in ("munhalsa.pdf", "web/munhalsa.html", "web/assets/search-index.js"):
        assert (dist / name).read_bytes() == (fresh / name).read_bytes(), name


def test_the_overlay_also_shows_what_avtal_check_finds_in_the_remiss_sources(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as `avtal serve` runs, in the project folder
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    round_file = tmp_path / "sources" / "remiss" / "remiss-2025.yaml"
    text = round_file.read_text(encoding="utf-8")
    round_file.write_text(text.replace("\nversion: remiss-2025\n", "\nversion: remiss-2052\n", 1), encoding="utf-8")
    preview = Preview(tmp_path / "sources", tmp_path / "dist", tmp_path)
    try:
        preview.refresh()
        errors = preview.further_errors()
    finally:
        preview.close()
    assert any(p.location.file == "sources/remiss/remiss-2025.yaml" and "'remiss-2052' is not frozen" in p.message
               for p in errors), errors
