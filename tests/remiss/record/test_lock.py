"""One writer per round: real concurrent processes, a held lock, a stale one, and readers beside a live writer.

Every process here is a real `avtal` run (or a small Python child holding the
lock), bounded by timeouts. The result of two imports run at the same time must
equal the result of running them one after the other in some order, byte for
byte, every time; a reader (`avtal remiss status`) running in a loop beside them
must never undo an import that is still being written.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from avtal.remiss.record.answers import JOURNAL, STAGED, journal_path, load_answers
from avtal.remiss.record.lock import lock_path

from ..records import ROUND, ROUND_DIR, copy_sources, manual, snapshot

TRIALS = 6
RECEIVED = "2025-05-02"


def avtal(root: Path, *args: str, wait: float = 300, **popen) -> subprocess.Popen:
    env = {**os.environ, "AVTAL_LOCK_WAIT": str(wait)}
    return subprocess.Popen([sys.executable, "-m", "avtal.cli", *args], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def finish(process: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def answers(folder: Path) -> list[Path]:
    """Two answers of Göteborg, each of several comments (so a lost one shows)."""
    return [
        manual(folder, "goteborg-a.yaml", party="goteborg",
               comments=[{"text": f"Göteborg, första svaret, synpunkt {n}."} for n in range(1, 8)]),
        manual(folder, "goteborg-b.yaml", party="goteborg",
               comments=[{"text": f"Göteborg, andra svaret, synpunkt {n}."} for n in range(1, 8)]),
    ]


def round_state(root: Path) -> dict[str, bytes]:
    """The answers and received files (the positions file is what the looping `position` changes)."""
    return {k: v for k, v in snapshot(root / "sources" / ROUND_DIR).items() if k != "stallningstaganden.yaml"}


def import_cmd(root: Path, path: Path) -> tuple[str, ...]:
    return ("remiss", "import", ROUND, str(path), "--received", RECEIVED)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lock-template")
    copy_sources(root / "sources")
    answers(root / "inkommande")
    lerum = manual(root / "tidigare", "lerum.yaml", party="lerum", comments=[{"text": "Lerums synpunkt."}])
    code, _, err = finish(avtal(root, *import_cmd(root, lerum)))  # a comment for `position` to decide on
    assert code == 0, err
    return root


def fresh(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


@pytest.fixture(scope="module")
def serial(template: Path, tmp_path_factory) -> list[dict[str, bytes]]:
    """The round after importing the two answers one after the other, in each order."""
    results = []
    a, b = sorted((template / "inkommande").glob("*.yaml"))
    for order in ((a, b), (b, a)):
        root = fresh(template, tmp_path_factory.mktemp("serial") / "tree")
        for path in order:
            code, _, err = finish(avtal(root, *import_cmd(root, root / "inkommande" / path.name)))
            assert code == 0, err
        results.append(round_state(root))
    assert results[0] != results[1]
    return results


LOOP = textwrap.dedent("""\
    import sys, time
    from pathlib import Path
    from avtal.remiss.record.positions import set_position
    from avtal.remiss.record.status import round_status
    sources, stop = Path(sys.argv[2]), Path(sys.argv[3])
    runs = 0
    while not stop.exists():
        if sys.argv[1] == "status":
            round_status(sources, "{round}")
        else:
            set_position(sources, "{round}", ["lerum-1"], status=["noterad", "beaktad"][runs % 2], reason="Ok.")
        runs += 1
        if runs == 1:
            print("running", flush=True)
    print(runs)
""").format(round=ROUND)


def test_two_imports_at_once_equal_one_after_the_other_beside_a_looping_status_and_position(template, serial,
                                                                                           tmp_path):
    started = time.monotonic()
    for trial in range(TRIALS):
        root = fresh(template, tmp_path / f"trial-{trial}")
        stop = root / "stop"
        loops = [subprocess.Popen([sys.executable, "-c", LOOP, kind, str(root / "sources"), str(stop)], cwd=root,
                                  text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env={**os.environ, "AVTAL_LOCK_WAIT": "300"})
                 for kind in ("status", "position")]
        for loop in loops:
            assert loop.stdout.readline().strip() == "running"  # both loop before the imports start
        writers = [avtal(root, *import_cmd(root, root / "inkommande" / name))
                   for name in ("goteborg-a.yaml", "goteborg-b.yaml")]
        results = [finish(w) for w in writers]
        stop.touch()
        for loop in loops:
            out, err = loop.communicate(timeout=60)
            assert loop.returncode == 0, err
            assert int(out) > 0
        assert all(code == 0 for code, _, _ in results), [e for _, _, e in results]
        state = round_state(root)
        assert state in serial, f"trial {trial}: the round equals neither serial order"
        assert not lock_path(root / "sources", ROUND).exists()
    assert time.monotonic() - started < 900


HOLDER = textwrap.dedent("""\
    import sys, time
    from pathlib import Path
    from avtal.remiss.record.lock import round_writer
    with round_writer(Path(sys.argv[1]), "{round}", "avtal remiss import"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""").format(round=ROUND)


def stop(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    process.send_signal(sig)
    process.communicate(timeout=60)  # reaps it and closes its pipes


def hold(root: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(root / "sources"), str(seconds)], cwd=root,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_writer_waits_a_bounded_time_then_refuses_naming_the_holder(template, tmp_path):
    root = fresh(template, tmp_path / "tree")
    before = round_state(root)
    holder = hold(root, 60)
    try:
        started = time.monotonic()
        code, _, err = finish(avtal(root, *import_cmd(root, root / "inkommande" / "goteborg-a.yaml"), wait=1))
        took = time.monotonic() - started
    finally:
        stop(holder)
    assert code == 1 and took < 30
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"sources/remiss/.{ROUND}.lock: error: round '{ROUND}' is busy: "
                               f"`avtal remiss import` (pid {holder.pid}, since "), err
    assert "waited 1 s" in err and "Traceback" not in err
    assert round_state(root) == before


def test_a_writer_that_finishes_within_the_wait_is_waited_for(template, tmp_path):
    root = fresh(template, tmp_path / "tree")
    holder = hold(root, 1.5)
    code, _, err = finish(avtal(root, *import_cmd(root, root / "inkommande" / "goteborg-a.yaml"), wait=60))
    holder.communicate(timeout=30)
    assert code == 0, err
    assert (root / "sources" / ROUND_DIR / "svar" / "goteborg.yaml").exists()


def test_the_lock_of_a_killed_writer_is_taken_over(template, tmp_path):
    root = fresh(template, tmp_path / "tree")
    holder = hold(root, 60)
    stop(holder)
    path = lock_path(root / "sources", ROUND)
    assert json.loads(path.read_text())["pid"] == holder.pid  # the dead writer's lock file is still there
    code, _, err = finish(avtal(root, *import_cmd(root, root / "inkommande" / "goteborg-a.yaml"), wait=1))
    assert code == 0, err
    assert not path.exists()


JOURNAL_WRITER = textwrap.dedent("""\
    import sys, time, json
    from pathlib import Path
    from avtal.remiss.record.lock import round_writer
    from avtal.remiss.record.answers import journal_path, STAGED
    sources = Path(sys.argv[1])
    with round_writer(sources, "{round}", "avtal remiss import"):
        staged = sources / "remiss" / (STAGED + "{round}-0.new")
        staged.write_text("round: {round}\\n")
        target = sources / "remiss" / "{round}" / "svar" / "goteborg.yaml"
        journal_path(sources, "{round}").write_text(json.dumps(
            {{"ops": [{{"target": str(target), "tmp": str(staged), "backup": None}}], "created": []}}))
        print("mid-commit", flush=True)
        time.sleep(60)
""").format(round=ROUND)


def test_a_reader_never_rolls_back_a_live_writer_and_rolls_back_a_dead_one(template, tmp_path):
    root = fresh(template, tmp_path / "tree")
    sources = root / "sources"
    writer = subprocess.Popen([sys.executable, "-c", JOURNAL_WRITER, str(sources)], cwd=root, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert writer.stdout.readline().strip() == "mid-commit"
        journal = journal_path(sources, ROUND)
        staged = sources / "remiss" / f"{STAGED}{ROUND}-0.new"
        for _ in range(3):
            code, _, err = finish(avtal(root, "remiss", "status", ROUND))
            assert code == 0, err
            load_answers(sources, ROUND)
        assert journal.exists() and staged.exists()  # the live writer's journal and staged file are untouched
    finally:
        stop(writer)
    code, _, err = finish(avtal(root, "remiss", "status", ROUND))
    assert code == 0, err
    assert not journal.exists() and not staged.exists()  # the dead writer's commit is undone
    assert not list((sources / "remiss").glob(f"*{JOURNAL}"))
