"""Bounded input everywhere: deep nesting, alias bombs, FIFOs and huge files cost a message, not a hang or crash.

Each case runs the real `avtal` command in a child process with a timeout (a
regression would hang or eat memory, never the test run itself) and checks the
one-line message naming the file, the exit code 1, and that no traceback reached
the user.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.remiss.records import ROUND, copy_sources, manual

DEPTH = 500  # about 1 KB of YAML
BOMB = "".join(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}" if i else '"lol"'] * 9) + "]\n"
               for i in range(9))  # 9 levels of 9 aliases: 387 million strings once expanded


def run(root: Path, *args: str, timeout: float = 60) -> tuple[int, str, float]:
    """Run `avtal ARGS` in `root`; (exit code, stderr, seconds)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "avtal.cli", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout)
    return done.returncode, done.stderr, time.monotonic() - started


def refused(code: int, err: str, file: str, message: str) -> str:
    """The one error line about `file`; checks the exit code and that no traceback was printed."""
    assert code == 1 and "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith(file) and message in line]
    assert lines, err
    return lines[0]


def test_a_source_nested_500_deep_is_refused_with_file_line_and_column(tree):
    text = tree.edit("documents/munhalsa.yaml", "sections:\n", f"preamble: {'[' * DEPTH}{']' * DEPTH}\nsections:\n")
    assert len(text.encode()) - len(tree.text("documents/huvudavtal.yaml")) < 2000
    line, column = tree.position("documents/munhalsa.yaml", "preamble: ")
    code, err, _ = run(tree.root, "check")
    found = refused(code, err, "sources/documents/munhalsa.yaml", "nested more than 64 levels deep")
    assert found.startswith(f"sources/documents/munhalsa.yaml:{line}:{column + len('preamble: ') + 64}: error")


def test_an_alias_bomb_in_a_source_file_is_refused_at_once(tree):
    tree.write("statutes.yaml", tree.text("statutes.yaml") + BOMB)
    assert len(BOMB) < 1200
    code, err, took = run(tree.root, "check")
    found = refused(code, err, "sources/statutes.yaml", "aliases (*name) expand this file to too many values")
    assert found.split(":")[1].isdigit() and took < 30


@pytest.fixture
def round_root(tmp_path: Path) -> Path:
    copy_sources(tmp_path / "round" / "sources")
    return tmp_path / "round"


def test_an_alias_bomb_in_a_batch_list_is_refused_at_once(round_root):
    batch = round_root / "diarium.yaml"
    batch.write_text(BOMB + "files: []\n", encoding="utf-8")
    code, err, took = run(round_root, "remiss", "import", ROUND, "--batch", "diarium.yaml")
    refused(code, err, "diarium.yaml:", "aliases (*name) expand this file to too many values")
    assert took < 30


def test_an_answer_nested_500_deep_is_refused_with_its_line(round_root):
    path = manual(round_root / "in", "lerum.yaml", party="lerum", comments=[{"text": "Synpunkt."}])
    path.write_text(path.read_text(encoding="utf-8") + f"author: {'[' * DEPTH}{']' * DEPTH}\n", encoding="utf-8")
    line = path.read_text(encoding="utf-8").count("\n")
    code, err, _ = run(round_root, "remiss", "import", ROUND, "in/lerum.yaml", "--received", "2025-05-02")
    refused(code, err, f"in/lerum.yaml:{line}:", "nested more than 64 levels deep")


def test_a_fifo_is_refused_at_once_as_a_source_an_answer_and_a_batch_list(tree, round_root):
    fifo = tree.sources / "documents" / "munhalsa.yaml"
    fifo.unlink()
    os.mkfifo(fifo)
    code, err, took = run(tree.root, "check", timeout=60)
    refused(code, err, "sources/documents/munhalsa.yaml", "not a regular file (a named pipe)")
    assert took < 30
    os.mkfifo(round_root / "svar.docx")
    os.mkfifo(round_root / "lista.yaml")
    code, err, took = run(round_root, "remiss", "import", ROUND, "svar.docx", "--party", "lerum", timeout=60)
    refused(code, err, "svar.docx", "not a regular file (a named pipe)")
    code, err, took2 = run(round_root, "remiss", "import", ROUND, "--batch", "lista.yaml", timeout=60)
    refused(code, err, "lista.yaml", "not a regular file (a named pipe)")
    assert took + took2 < 60
    record = round_root / "sources" / "remiss" / ROUND / "svar" / "boras.yaml"
    record.parent.mkdir(parents=True)
    os.mkfifo(record)  # a record: import passes it by, status and check name it
    manual(round_root / "in", "lerum.yaml", party="lerum", comments=[{"text": "Synpunkt."}])
    code, err, _ = run(round_root, "remiss", "import", ROUND, "in/lerum.yaml", timeout=60)
    assert code == 0, err
    code, err, took = run(round_root, "remiss", "status", ROUND, timeout=60)
    refused(code, err, f"sources/remiss/{ROUND}/svar/boras.yaml", "not a regular file (a named pipe)")


MEMORY = textwrap.dedent("""\
    import re, sys
    from pathlib import Path
    from avtal.model.problems import SourceError
    from avtal.remiss.incoming.importer import import_files
    try:
        import_files(Path("sources"), "{round}", [Path(sys.argv[1])], party="lerum")
    except SourceError as exc:
        print(exc, file=sys.stderr)
    print(int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)) // 1024)
""").format(round=ROUND)


def test_a_huge_file_is_refused_by_its_size_without_being_read(round_root):
    huge = round_root / "svar.docx"
    with open(huge, "wb") as handle:
        handle.truncate(400 * 1024 * 1024)  # sparse: costs no disk
    done = subprocess.run([sys.executable, "-c", MEMORY, str(huge)], cwd=round_root, capture_output=True, text=True,
                          timeout=120)
    assert "file is 400.0 MB, over the 25.0 MB limit" in done.stderr, done.stderr
    assert int(done.stdout) < 250, f"peak memory {done.stdout.strip()} MB: the file was read"
