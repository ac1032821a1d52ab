"""One writer per round: every command that writes a round holds its lock file while it runs.

The lock is sources/remiss/.ROUND.lock, held with flock(2) and holding the
holder's pid, command and start time, so a second writer can say who is busy.
It waits `AVTAL_LOCK_WAIT` seconds (default 10) for the holder to finish, then
refuses. The kernel drops the lock when its process dies, so a lock file left
by a killed run is simply taken over. Readers never take the lock, except for
a moment to undo a killed import (`answers.recover`): they skip that while a
writer is alive, since the journal they would roll back is that writer's own.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import inspect
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from ...fsutil import sweep, sweep_folder
from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import REMISS_DIR

WAIT_ENV = "AVTAL_LOCK_WAIT"
DEFAULT_WAIT = 10.0  # seconds: an import of a whole round takes a few; a report up to a minute on a busy machine
_POLL = 0.05
DIST = Path("dist")  # where commands without a --dist option find the round's outputs (as the CLI's default)
_held: dict[Path, int] = {}  # lock file -> open descriptor, for the locks this process holds

F = TypeVar("F", bound=Callable)


def lock_path(sources: Path, round_id: str) -> Path:
    return Path(sources) / REMISS_DIR / f".{round_id}.lock"


def _wait() -> float:
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


def _try(path: Path) -> int | None:
    """The descriptor of `path` locked exclusively by us, or None when another process holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed the file as we opened it: lock the current one


def holder(path: Path) -> str:
    """Who holds the lock, in words (from what the holder wrote into the file)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"`{info['command']}` (pid {info['pid']}, since {info['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another avtal command (it has not yet written its name)"


def _release(path: Path) -> None:
    fd = _held.pop(path)
    try:
        path.unlink(missing_ok=True)  # while still locked: a waiter then locks the next file, not this one
    finally:
        os.close(fd)


@contextmanager
def round_writer(sources: Path, round_id: str, command: str, *, dist: Path | None = None) -> Iterator[None]:
    """Hold the round's lock for the block (re-entrant in one process); refuse after a bounded wait.

    Taking the lock also clears what killed runs of this round left behind in `dist`.
    """
    path = lock_path(sources, round_id)
    if path in _held:
        yield
        return
    wait = _wait()
    deadline = time.monotonic() + wait
    problems = Problems()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        while (fd := _try(path)) is None:
            if time.monotonic() >= deadline:
                problems.add(Location(relative(path)), f"round '{round_id}' is busy: {holder(path)} is writing "
                             f"it; waited {wait:g} s for it to finish: run `{command}` again when it has")
                raise SourceError(problems)
            time.sleep(_POLL)
    except OSError as exc:
        problems.add(Location(relative(path)), f"cannot take the round's lock ({exc.strerror or exc}): expected a "
                     "folder this user may write in; nothing was changed")
        raise SourceError(problems) from None
    _held[path] = fd
    try:
        since = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": command, "since": since}).encode(), 0)
        sweep_round(round_id, dist)
        yield
    finally:
        _release(path)


@contextmanager
def unless_written(sources: Path, round_id: str) -> Iterator[bool]:
    """For a reader's repair of the round: True (lock held for the block) unless a live writer holds it."""
    path = lock_path(sources, round_id)
    if path in _held:
        yield True
        return
    if not path.parent.is_dir():
        yield True
        return
    try:
        fd = _try(path)
    except OSError:  # a read-only checkout: nothing a reader could repair anyway
        fd = None
    if fd is None:
        yield False
        return
    _held[path] = fd
    try:
        yield True
    finally:
        _release(path)


def sweep_round(round_id: str, dist: Path | None) -> None:
    """Remove staging folders and temporary files of killed runs in dist/remiss/ROUND (and the folder's own)."""
    if dist is None:
        return
    folder = Path(dist) / "remiss" / round_id
    sweep(folder)
    sweep_folder(folder)


def writes_round(command: str) -> Callable[[F], F]:
    """Decorate `f(sources, round_id, …)` to run under the round's lock (its `dist` argument, or dist/, swept)."""
    def decorate(func: F) -> F:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def locked(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = bound.arguments
            with round_writer(Path(arguments["sources"]), arguments["round_id"], f"avtal remiss {command}",
                              dist=arguments.get("dist") or DIST):
                return func(*args, **kwargs)
        return locked  # type: ignore[return-value]
    return decorate
