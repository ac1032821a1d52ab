"""Atomic writes: a failed write leaves the old file or folder exactly as it was, and no debris."""

from __future__ import annotations

import pytest

from avtal.fsutil import atomic_write_text, replace_folder


def test_a_folder_is_replaced_whole_when_the_block_succeeds(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    with replace_folder(target) as staging:
        (staging / "new.txt").write_text("new")
        assert (target / "stale.txt").exists()  # readers still see the old folder meanwhile
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failing_block_leaves_the_old_folder_and_no_staging_behind(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "kept.txt").write_text("old")
    with pytest.raises(RuntimeError), replace_folder(target) as staging:
        (staging / "half.txt").write_text("half")
        raise RuntimeError("disk full")
    assert [(p.name, p.read_text()) for p in target.iterdir()] == [("kept.txt", "old")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_atomic_write_leaves_no_temporary_file(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "å")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "å"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
