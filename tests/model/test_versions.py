"""Frozen versions: freezing, immutability, tamper detection and resolving a version spec."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from avtal.cli import main
from tests.conftest import SOURCES
from avtal.model.problems import SourceError
from avtal.model.freeze import freeze
from avtal.model.versions import list_versions, load_version, read_version

DAY = dt.date(2025, 1, 30)


def test_it_freezes_a_loadable_snapshot_stamped_with_date_and_status(tree):
    version = freeze(tree.sources, "remiss-2025", date=DAY, status="remissversion")
    assert version.folder == tree.sources / "versions" / "remiss-2025"
    corpus, name = load_version(tree.sources, "remiss-2025")
    assert name == "remiss-2025"
    assert {d.source.status for d in corpus.documents} == {"remissversion"}
    assert {d.source.version_date for d in corpus.documents} == {DAY}
    working, _ = load_version(tree.sources, "working")
    assert [c.id for d in corpus.documents for c in d.clauses()] == [c.id for d in working.documents for c in d.clauses()]


def test_it_refuses_to_freeze_an_existing_name(tree):
    freeze(tree.sources, "remiss-2025", date=DAY, status="remissversion")
    with pytest.raises(SourceError) as raised:
        freeze(tree.sources, "remiss-2025", date=DAY, status="förslag")
    assert "already exists" in str(raised.value)
    assert read_version(tree.sources / "versions" / "remiss-2025").status == "remissversion"


def test_it_refuses_to_freeze_invalid_sources_and_writes_nothing(tree):
    tree.edit("documents/munhalsa.yaml", "short_title: ", "short_titel: ")
    with pytest.raises(SourceError):
        freeze(tree.sources, "broken", date=DAY, status="remissversion")
    assert not (tree.sources / "versions" / "broken").exists()
    assert not list((tree.sources / "versions").glob(".broken.*"))


def test_it_detects_a_tampered_snapshot(tree, capsys):
    version = freeze(tree.sources, "remiss-2025", date=DAY, status="remissversion")
    doc = version.folder / "documents" / "munhalsa.yaml"
    doc.write_text(doc.read_text(encoding="utf-8").replace("Munhälsa", "Tandvård"), encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        list_versions(tree.sources)
    assert "modified after freezing" in str(raised.value)
    assert "documents/munhalsa.yaml" in str(raised.value)
    assert main(["--sources", str(tree.sources), "check"]) == 1
    assert "modified after freezing" in capsys.readouterr().err


def test_it_resolves_a_git_ref(tree):
    repo = tree.root.parent
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    tree.edit("documents/munhalsa.yaml", "title: Överenskommelse", "title: Ny överenskommelse")
    old, _ = load_version(tree.sources, "HEAD")
    new, _ = load_version(tree.sources, "working")
    assert old.document("munhalsa").title.startswith("Överenskommelse")
    assert new.document("munhalsa").title.startswith("Ny överenskommelse")


def test_it_names_the_known_versions_for_an_unknown_one(tree):
    freeze(tree.sources, "remiss-2025", date=DAY, status="remissversion")
    with pytest.raises(SourceError) as raised:
        load_version(tree.sources, "remiss-2024")
    assert "unknown version 'remiss-2024'" in str(raised.value)
    assert "remiss-2025" in str(raised.value)


def test_the_repository_versions_are_intact():
    names = [v.name for v in list_versions(SOURCES)]
    assert "remiss-2025" in names


# -- what readers call a version (render.wording.version_name) --

def test_a_version_frozen_with_a_title_is_called_by_it_and_the_title_is_outside_the_checksum(tree):
    from avtal.render.wording import version_name

    version = freeze(tree.sources, "sro-2025", date=DAY, status="förslag", title="Förslag till SRO  30 januari")
    assert read_version(version.folder).title == "Förslag till SRO 30 januari"  # one line, spaces collapsed
    assert version_name(version) == "Förslag till SRO 30 januari"
    untitled = freeze(tree.sources, "plain", date=DAY, status="förslag")
    assert untitled.checksum == version.checksum  # same sources: the title labels them, it is not content
    assert "title" not in (untitled.folder / "version.yaml").read_text(encoding="utf-8")


def test_an_untitled_version_is_called_by_its_status_and_date_as_are_a_git_ref_and_the_working_tree(tree):
    from avtal.render.wording import version_name

    version = freeze(tree.sources, "remiss-2025", date=DAY, status="remissversion")
    assert version_name(version) == "Remissversion 2025-01-30"
    assert version_name(load_version(tree.sources, "remiss-2025")[0]) == "Remissversion 2025-01-30"
    # the fixture's working documents: arbetsutkast, dated 2025-01-30 (tests/conftest.py)
    assert version_name(load_version(tree.sources, "working")[0]) == "Arbetsutkast 2025-01-30"


def test_the_committed_versions_keep_their_checksums_and_are_called_by_status_and_date():
    from avtal.render.wording import version_name

    names = {v.name: (v.checksum[:12], version_name(v)) for v in list_versions(SOURCES)}
    assert names == {"remiss-2025": ("37cbd442d892", "Remissversion 2025-01-30"),  # checksums as recorded
                     "forslag-2025-08": ("039b423b0ce3", "Förslag 2025-08-21")}


def test_a_title_of_several_lines_is_refused_with_the_name_and_what_was_expected(tree, capsys):
    code = main(["--sources", str(tree.sources), "freeze", "sro-2025", "--title", "Förslag\ntill SRO"])
    err = capsys.readouterr().err
    assert code == 1 and "malformed version title" in err and "expected one line of text" in err
    assert not (tree.sources / "versions" / "sro-2025").exists()
