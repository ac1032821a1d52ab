"""`make` remakes the round's outputs only when something they are made from changed (its stamp file).

Runs the real Makefile's `round` target with a stand-in `avtal` that only logs its arguments, a
stamp and inputs in a temporary folder: the first run makes the round, a second makes nothing, a
changed input makes it again, and `ROUND=`/`NEXT=` choose what is made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "avtal").write_text(f"#!/bin/sh\necho \"$*\" >> {tmp_path / 'calls.log'}\n", encoding="utf-8")
    (bin_ / "avtal").chmod(0o755)
    (tmp_path / "installed").write_text("", encoding="utf-8")
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "round.yaml").write_text("id: x\n", encoding="utf-8")
    return tmp_path


def _make(tmp: Path, *assignments: str) -> list[str]:
    log = tmp / "calls.log"
    log.unlink(missing_ok=True)
    subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "round", f"BIN={tmp / 'bin'}",
                    f"STAMP={tmp / 'installed'}", f"ROUND_STAMP={tmp / 'cache' / 'round.stamp'}",
                    f"ROUND_INPUTS={tmp / 'inputs'}", *assignments], check=True, capture_output=True, text=True)
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_the_round_is_made_once_and_again_only_after_an_input_changed(fake):
    assert _make(fake) == ["remiss import remiss-2025 --batch samples/remiss-2025/inkommande/diarium.yaml",
                           "redline remiss-2025 forslag-2025-08",
                           "remiss report remiss-2025 --against forslag-2025-08"]
    assert _make(fake) == []  # current: nothing is run
    later = time.time() + 5
    os.utime(fake / "inputs" / "round.yaml", (later, later))
    assert len(_make(fake)) == 3


def test_round_and_next_choose_what_is_made(fake):
    assert _make(fake, "ROUND=remiss-2026", "NEXT=") == ["remiss report remiss-2026"]
