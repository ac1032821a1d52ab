"""Fixtures for `avtal serve`: a temporary copy of the project and the real command running in it.

The server runs as a drafter runs it (`avtal serve --port 0` in the project folder) and is stopped
as a drafter stops it (SIGINT, Ctrl-C). Its output goes to files, never to a pipe nobody reads.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AVTAL = Path(sys.executable).parent / "avtal"
DOCUMENTS = ("huvudavtal", "lakarinsatser", "in-och-utskrivning", "psykisk-funktionsnedsattning", "munhalsa")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's sources with an empty dist/: what a drafter has before the first build."""
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    return tmp_path


@dataclass
class Served:
    """A running `avtal serve`: its address, its process and where its output goes."""

    url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen
    folder: Path

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def output(self) -> tuple[str, str]:
        return ((self.folder / "serve.out").read_text(encoding="utf-8"),
                (self.folder / "serve.err").read_text(encoding="utf-8"))

    def stop(self) -> int:
        """Ctrl-C, as a drafter stops it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)

    def documents_written(self, timeout: float = 120.0) -> None:
        """Wait until the background has written every document's PDF and Word file (the first build)."""
        manifest = self.folder / "dist" / ".avtal-build.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                outputs = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
            except (OSError, ValueError, KeyError):
                outputs = {}
            if all(f"{d}.docx" in outputs for d in DOCUMENTS):
                return
            time.sleep(0.1)
        raise AssertionError("the PDF and Word files were not all written in time")


def written_since(path: Path, since_ns: int, timeout: float = 120.0) -> None:
    """Wait until `path` was replaced after the moment `since_ns` (time.time_ns())."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if path.stat().st_mtime_ns >= since_ns:
                return
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written in time")


def start(folder: Path, *args: str) -> Served:
    """`avtal serve --port 0 ARGS` in `folder`, once it says where it listens."""
    with (folder / "serve.out").open("wb") as out, (folder / "serve.err").open("wb") as err:
        process = subprocess.Popen([str(AVTAL), "serve", "--port", "0", *args], cwd=folder, stdout=out, stderr=err)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"serving (http://127\.0\.0\.1:\d+)/web/index\.html",
                          (folder / "serve.out").read_text(encoding="utf-8"))
        if found:
            return Served(found.group(1), process, folder)
        if process.poll() is not None:
            raise AssertionError(f"avtal serve exited {process.returncode}: "
                                 f"{(folder / 'serve.err').read_text(encoding='utf-8')[-3000:]}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError("avtal serve did not start in time")


@pytest.fixture
def served(project: Path):
    server = start(project)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGINT)
            try:
                server.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


def edit(path: Path, old: str, new: str) -> None:
    """Replace one occurrence of `old`, as an editor saves: the whole file written in place."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
