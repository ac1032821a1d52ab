"""The kept load (`model.snapshot`): a command on sources loaded before reads the corpus back; any change
to what a load reads is loaded afresh, and the reference for "afresh" is the loader run without the cache."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from avtal.model import corpus as corpus_module
from avtal.model import law
from avtal.model import yamlfile
from avtal.model import snapshot
from avtal.model.corpus import Memo, load
from avtal.model.freeze import freeze


def fresh(tree, root=None):
    """The loader itself, past the cache (a memo is what `avtal serve` passes; it never reads the disk cache)."""
    return load(tree.sources, root=root or tree.root, memo=Memo())


def entries(tree) -> list[Path]:
    """The kept loads on disk (a queued one is not there until `snapshot.flush`)."""
    return sorted((tree.root / ".build-cache" / "corpus").glob("*.pickle"))


def same(loaded, expected):
    (corpus, problems), (want, want_problems) = loaded, expected
    assert corpus == want
    assert [str(p) for p in problems] == [str(p) for p in want_problems]
    if want is not None:
        assert [d.file for d in corpus.documents] == [d.file for d in want.documents]
        assert corpus.laws == want.laws


def test_a_second_load_reads_the_kept_corpus_and_parses_nothing(tree, monkeypatch):
    first = tree.load()
    assert first[0] is not None and len(entries(tree)) == 1

    def parse(*_args, **_kwargs):
        raise AssertionError("a kept load parsed a file again")

    monkeypatch.setattr(yamlfile, "read_yaml", parse)
    monkeypatch.setattr(corpus_module, "parse_blocks", parse)
    again = tree.load()
    same(again, first)
    assert [c.label for c in again[0].document("huvudavtal").clauses()] == ["1", "1.1", "1.1.1", "2", "2.1", "2.1.1",
                                                                             "2.1.2", "2.1.3", "2.2"]


def test_a_load_keeps_its_entry_before_it_returns_or_later_when_asked(tree):
    snapshot.flush()
    tree.load()
    assert len(entries(tree)) == 1
    shutil.rmtree(tree.root / ".build-cache")
    load(tree.sources, root=tree.root, keep_later=True)
    assert entries(tree) == []  # queued: the command that loaded is not held up by the write
    snapshot.flush()
    [entry] = entries(tree)
    written = entry.stat().st_mtime_ns
    snapshot.flush()
    assert entries(tree) == [entry] and entry.stat().st_mtime_ns == written  # written once


def test_a_build_writes_a_queued_entry_before_it_returns(tree, tmp_path):
    from avtal.render.build import build

    snapshot.flush()
    corpus, _ = load(tree.sources, root=tree.root, keep_later=True)
    assert entries(tree) == []
    build(corpus, tmp_path / "dist", jobs=1)
    assert len(entries(tree)) == 1  # written on the thread that waits for typst, not at exit


QUEUED_THEN_EXIT = """
from pathlib import Path
from avtal.gcpause import exit_now
from avtal.model.corpus import load
load(Path("sources"), keep_later=True)
exit_now(0)
"""


@pytest.mark.parametrize("argv", [[sys.executable, "-c", QUEUED_THEN_EXIT],
                                  [str(Path(sys.executable).parent / "avtal"), "build"]])
def test_a_process_that_ends_has_written_its_entry(tree, monkeypatch, argv):
    """A queued entry is written by the end of the process, though `gcpause.exit_now` skips the interpreter's
    teardown; and it is the entry the same load reads back."""
    result = subprocess.run(argv, cwd=tree.root, capture_output=True, text=True, env={**os.environ, "CI": "1"})
    assert result.returncode == 0, result.stderr
    assert len(entries(tree)) == 1

    def parse(*_args, **_kwargs):
        raise AssertionError("the entry the process wrote was not read back")

    monkeypatch.setattr(yamlfile, "read_yaml", parse)
    monkeypatch.chdir(tree.root)
    assert load(Path("sources"))[0] is not None  # as the process loaded it


@pytest.mark.parametrize("name, old, new", [
    ("documents/huvudavtal.yaml", "title: Syfte", "title: Avtalets syfte"),
    ("documents/munhalsa.yaml", "Andra steget", "Andra och sista steget"),
    ("terms.yaml", "Hälso- och sjukvård som ges", "Vård som ges"),
    ("statutes.yaml", "name: hälso- och sjukvårdslagen", "name: hälso- och sjukvårdslag"),
    ("avtal.yaml", "title: Hälso- och sjukvårdsavtal i Västra Götaland", "title: Avtal i Västra Götaland"),
    # the pinpoint HSL 16 kap. 4 § cited in the glossary and the huvudavtal no longer exists: an error now
    ("lagar/hsl.yaml", "  section: '4'\n  from: 2017-04-01\n  text: |-\n    När",
     "  section: '5'\n  from: 2017-04-01\n  text: |-\n    När"),
    # the snapshot's text of a cited section changes: the corpus shows the new text
    ("lagar/hsl.yaml", "avsätta de läkarresurser som behövs", "avsätta de resurser som behövs"),
])
def test_any_change_to_a_file_the_load_reads_is_loaded_afresh(tree, name, old, new):
    tree.load()
    tree.edit(name, old, new)
    expected = fresh(tree)
    same(tree.load(), expected)
    tree.edit(name, new, old)  # and back: the first entry is still right
    same(tree.load(), fresh(tree))


def test_a_new_file_in_documents_is_seen(tree):
    tree.load()
    tree.write("documents/extra.yaml", tree.text("documents/munhalsa.yaml").replace("munhalsa", "extra"))
    corpus, problems = tree.load()
    assert corpus is None
    assert any("document 'extra' is not listed in avtal.yaml" in p.message for p in problems)


def test_a_load_with_errors_is_not_kept_and_is_reported_every_time(tree):
    tree.edit("documents/huvudavtal.yaml", "{ref:ansvar}", "{ref:ansvaret}")
    for _ in range(2):
        corpus, problems = tree.load()
        assert corpus is None and any("dangling cross-reference {ref:ansvaret}" in p.message for p in problems)
    assert entries(tree) == []


def test_problems_name_files_from_the_root_the_load_was_given(tree):
    tree.write("terms.yaml", tree.text("terms.yaml") + "  - id: oanvand\n    term: oanvänd\n    definition: Ett begrepp.\n")
    from_root = tree.load()  # kept: a warning does not stop a load
    from_sources = load(tree.sources, root=tree.sources)
    assert len(entries(tree)) == 2
    for loaded, root in ((from_root, tree.root), (from_sources, tree.sources), (tree.load(), tree.root)):
        same(loaded, fresh(tree, root=root))
    line, column = tree.position("terms.yaml", "oanvand")
    assert [str(p.location) for p in from_root[1] if p.severity == "warning"] == [f"sources/terms.yaml:{line}:{column}"]
    assert [str(p.location) for p in from_sources[1] if p.severity == "warning"] == [f"terms.yaml:{line}:{column}"]


def test_a_damaged_entry_is_ignored_and_replaced(tree):
    first = tree.load()
    [entry] = entries(tree)
    for damage in (b"", b"not a pickle", entry.read_bytes()[:1000]):
        entry.write_bytes(damage)
        same(tree.load(), first)
        assert entry.read_bytes() != damage


def test_a_change_to_the_model_code_is_a_miss(tree, monkeypatch, tmp_path):
    code = tmp_path / "code"
    shutil.copytree(snapshot._MODEL, code / "model", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(snapshot._MODEL.parent / "fsutil.py", code / "fsutil.py")
    monkeypatch.setattr(snapshot, "_MODEL", code / "model")
    tree.load()
    with (code / "model" / "text.py").open("a", encoding="utf-8") as f:
        f.write("\n# a new version of the parser\n")
    tree.load()
    assert len(entries(tree)) == 2


def test_only_the_newest_entries_are_kept(tree, monkeypatch):
    monkeypatch.setattr(snapshot, "KEEP", 2)
    before = "title: Syfte"
    for title in ("Ett", "Två", "Tre", "Fyra"):
        tree.edit("documents/huvudavtal.yaml", before, f"title: Syfte {title}")
        before = f"title: Syfte {title}"
        assert tree.load()[0] is not None
    assert len(entries(tree)) == 2


def test_a_cache_that_cannot_be_written_changes_nothing(tree, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise OSError("read-only file system")

    monkeypatch.setattr(snapshot, "atomic_write_bytes", refuse)
    same(tree.load(), fresh(tree))
    assert entries(tree) == []


def test_a_frozen_version_is_kept_beside_the_project_not_inside_sources(tree):
    version = freeze(tree.sources, "v1", date=dt.date(2025, 2, 1), status="förslag")
    before = len(entries(tree))
    kept = load(version.folder, root=tree.root)
    assert kept[0] is not None and len(entries(tree)) == before + 1
    same(load(version.folder, root=tree.root), load(version.folder, root=tree.root, memo=Memo()))
    assert not list(tree.sources.rglob(".build-cache"))


# ---- a load after an edit: what the last load read is kept with it (corpus.Memo) ----------------------------

def parsed_files(monkeypatch) -> list[str]:
    """The files each load from now on parses (by name)."""
    seen: list[str] = []
    read = yamlfile.read_yaml

    def counting(path, *args, **kwargs):
        seen.append(path.name)
        return read(path, *args, **kwargs)

    monkeypatch.setattr(yamlfile, "read_yaml", counting)
    return seen


def test_a_load_after_an_edit_parses_only_the_edited_file_and_its_changed_texts(tree, monkeypatch):
    tree.load()
    tree.edit("documents/munhalsa.yaml", "Andra steget", "Andra och sista steget")
    seen = parsed_files(monkeypatch)
    texts: list[str] = []
    parse = corpus_module.parse_blocks
    monkeypatch.setattr(corpus_module, "parse_blocks", lambda text: texts.append(text) or parse(text))
    monkeypatch.setattr(law, "_CACHE", {})  # as in a new process: the statute snapshots come with the last load

    def unpickled(*_args, **_kwargs):
        raise AssertionError("a statute snapshot was read again")

    monkeypatch.setattr(law, "cached_pickle", unpickled)
    loaded = tree.load()
    monkeypatch.undo()
    assert seen == ["munhalsa.yaml"]
    assert len(texts) == 1 and "Andra och sista steget" in texts[0]
    same(loaded, fresh(tree))


def test_a_file_changed_under_the_same_size_and_time_is_still_read_again(tree, monkeypatch):
    """Files are known by their content, not their stat: a restored mtime does not hide an edit."""
    path = tree.sources / "documents" / "munhalsa.yaml"
    tree.load()
    stat = path.stat()
    tree.edit("documents/munhalsa.yaml", "Andra steget", "Andra stegen")  # as long as before
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    seen = parsed_files(monkeypatch)
    loaded = tree.load()
    assert seen == ["munhalsa.yaml"]
    assert "Andra stegen" in repr(loaded[0].document("munhalsa").source)
    same(loaded, fresh(tree))


@pytest.mark.parametrize("name, old, new, problem_in", [
    # the clause it repeats is in a file kept from the last load: "already used at" points into that file
    ("documents/munhalsa.yaml", "id: mun.ansvar.region", "id: ansvar.kommun", "documents/munhalsa.yaml"),
    # the term removed is used in files kept from the last load: each use is located there
    ("terms.yaml", "  - id: sip\n", "  - id: sipp\n", "documents/huvudavtal.yaml"),
])
def test_problems_in_files_kept_from_the_last_load_are_located_as_a_fresh_load_locates_them(tree, monkeypatch, name, old,
                                                                                             new, problem_in):
    tree.load()
    tree.edit(name, old, new)
    seen = parsed_files(monkeypatch)
    loaded = tree.load()
    assert seen == [Path(name).name]  # the other files came from the last load, parsed again only to locate
    assert loaded[0] is None and any(p.location.file == tree.shown(problem_in) and p.location.line for p in loaded[1])
    same(loaded, fresh(tree))


def test_what_a_load_by_other_code_kept_is_not_used(tree, monkeypatch):
    tree.load()
    tree.edit("documents/munhalsa.yaml", "Andra steget", "Andra och sista steget")
    monkeypatch.setattr(snapshot, "_FORMAT", b"another build of the model")
    seen = parsed_files(monkeypatch)
    loaded = tree.load()
    assert len(seen) == 5  # avtal, terms, statutes and both documents: nothing kept by other code is used
    same(loaded, fresh(tree))
