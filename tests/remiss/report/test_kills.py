"""Killed runs leave nothing behind that the next run does not clear, and never a mix of old and new report files.

Real processes are killed with SIGKILL: a writer swapping a report set in a loop
(killed at random moments, many times), `avtal remiss pack` and `avtal remiss
report` killed while their staging folder exists, and a freeze whose staging a
dead process left. After each, the next command on that round or version must
leave no staging folder or temporary file, and the round folder must hold the
whole old report or the whole new one.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from avtal.fsutil import sweep
from avtal.remiss.record.lock import sweep_round
from avtal.remiss.report.report import STEM, write_report

from ..forms import copy_sources
from .test_report import ROUND as REPORT_ROUND
from .test_report import make_sources

ROUND = "remiss-2025"

SWAPPER = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from avtal.remiss.report.report import _write_report_files, STEM, FILES_DIR
    folder = Path(sys.argv[1])
    generation = 0
    print("ready", flush=True)
    while True:
        generation += 1
        mark = str(generation).encode() * 200_000
        files = {f"{STEM}.{ext}": mark for ext in ("xlsx", "docx", "pdf", "html")}
        files.update({f"{FILES_DIR}/chart-{n}.svg": mark for n in range(20)})
        _write_report_files(folder, files)
""")


def generations(folder: Path) -> set[bytes]:
    """The generation each report file was written by (its content is the generation repeated)."""
    found = set()
    for path in folder.rglob("*"):
        if path.is_file() and (path.name.startswith(STEM) or path.parent.name.startswith(STEM)):
            found.add(path.read_bytes()[:8])
    return found


def debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_report_set_swapped_by_a_process_killed_at_random_moments_is_always_whole(tmp_path):
    rng = random.Random(11)
    dist = tmp_path / "dist"
    folder = dist / "remiss" / ROUND
    folder.mkdir(parents=True)
    (folder / "sandlista.csv").write_text("the pack's\n")
    kills_with_debris = 0
    for trial in range(15):
        child = subprocess.Popen([sys.executable, "-c", SWAPPER, str(folder)], stdout=subprocess.PIPE, text=True)
        assert child.poll() is None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
        kills_with_debris += bool(debris(folder.parent) or debris(folder))
        sweep_round(ROUND, dist)  # what the next command on the round does first
        assert debris(folder.parent) == [] and debris(folder) == [], trial
        assert len(generations(folder)) <= 1, f"trial {trial}: a mix of report files from different runs"
        assert (folder / "sandlista.csv").read_text() == "the pack's\n"
    assert kills_with_debris > 0  # the kills did land mid-swap


def run_killed_when(root: Path, args: list[str], appears: Path, prefix: str, timeout: float = 300) -> None:
    """Run `avtal ARGS` and SIGKILL it as soon as a staging entry starting with `prefix` appears in `appears`."""
    child = subprocess.Popen([sys.executable, "-m", "avtal.cli", *args], cwd=root, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if appears.is_dir() and any(p.name.startswith(prefix) for p in appears.iterdir()):
                break
            assert child.poll() is None, "the command finished before its staging folder was seen"
            time.sleep(0.002)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert any(p.name.startswith(prefix) for p in appears.iterdir())


def avtal(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "avtal.cli", *args], cwd=root, capture_output=True, text=True,
                          timeout=300)


def test_a_killed_pack_leaves_a_staging_folder_that_the_next_command_on_the_round_removes(tmp_path):
    copy_sources(tmp_path, recipients=("vgr",))
    run_killed_when(tmp_path, ["remiss", "pack", ROUND], tmp_path / "dist" / "remiss", f".{ROUND}.")
    done = avtal(tmp_path, "remiss", "status", ROUND)
    assert done.returncode == 0, done.stderr
    assert debris(tmp_path / "dist" / "remiss") == []


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.relative_to(folder).parts[0].startswith(STEM)}


STOPPED_REPORT = textwrap.dedent("""\
    import os, sys, time
    from pathlib import Path
    import avtal.remiss.report.report as report
    moment, folder = sys.argv[1], Path(sys.argv[2]).resolve()

    def stop_here():
        print("stopped", flush=True)
        time.sleep(120)  # killed here by the test

    if moment == "staging":  # the new set is being assembled beside the old one
        link = report.link_entries
        report.link_entries = lambda *a: (link(*a), stop_here())
    else:  # the old folder is moved aside and the new one not yet in its place
        replace = os.replace
        def paused(src, dst):
            replace(src, dst)
            if Path(src).resolve() == folder:
                stop_here()
        os.replace = paused
    from avtal.cli import main
    main(["remiss", "report", sys.argv[3]])
""")


@pytest.mark.parametrize("moment", ["staging", "between-renames"])
def test_a_report_killed_in_its_final_step_leaves_the_old_report_whole(tmp_path, moment):
    sources = make_sources(tmp_path)
    write_report(sources, REPORT_ROUND, tmp_path / "dist")
    folder = tmp_path / "dist" / "remiss" / REPORT_ROUND
    old = digests(folder)
    positions = sources / "remiss" / REPORT_ROUND / "stallningstaganden.yaml"
    data = yaml.safe_load(positions.read_text(encoding="utf-8"))
    data["positions"][1]["reason"] = "Noteras med tack."  # the next report differs
    positions.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-c", STOPPED_REPORT, moment, str(folder), REPORT_ROUND],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "stopped"
        assert debris(folder.parent)  # its staging (or the old folder moved aside) is there
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
    done = avtal(tmp_path, "remiss", "status", REPORT_ROUND)
    assert done.returncode == 0, done.stderr
    assert debris(folder.parent) == [] and debris(folder) == []
    assert digests(folder) == old  # the whole old report
    write_report(sources, REPORT_ROUND, tmp_path / "dist")
    new = digests(folder)
    assert new != old and set(new) == set(old)


def test_the_staging_of_a_killed_freeze_is_removed_by_the_next_command_on_versions(tree):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    staging = tree.sources / "versions" / f".utkast-1.{dead.pid}-x8k2"
    staging.mkdir(parents=True)
    (staging / "version.yaml").write_text("name: utkast-1\n")  # killed just before its rename
    done = avtal(tree.root, "versions")
    assert done.returncode == 0, done.stderr
    assert "utkast-1" not in done.stdout
    assert not staging.exists()
    live = tree.sources / "versions" / f".utkast-2.{os.getpid()}-a1b2"  # a live freeze's is left alone
    live.mkdir()
    assert avtal(tree.root, "versions").returncode == 0 and live.exists()
    sweep(tree.sources / "versions" / "utkast-2")
    assert live.exists()
