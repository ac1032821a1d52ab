"""Frozen versions: freezing, immutability, tamper detection and resolving a version spec."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from avtal.cli import main
from tests.conftest import SOURCES
from avtal.model.problems import SourceError
from avtal.model.versions import freeze, list_versions, load_version, read_version

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
