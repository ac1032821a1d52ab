"""Atomic writes and bounded reads.

A reader sees the old file (or folder) or the new one, never half of one. Every
temporary file or staging folder is named `.TARGET.PID-…` beside its target, so
the next write of that target can tell the debris of a killed run (its process
is gone) from the work of a live one, and remove it (`sweep`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

# The process's umask, read once at import (os.umask can only be read by setting it, which would race with
# threads creating files): temporary files and folders are made private, then given the modes a plain
# open() or mkdir() would have given them, so outputs honour the umask (0644/0755 under the usual 022).
_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK
FOLDER_MODE = 0o777 & ~_UMASK


class FileRefused(OSError):
    """A file that is not read at all: not a regular file, or larger than the caller's limit."""

    def __init__(self, path: Path, reason: str):
        super().__init__(reason)
        self.path, self.reason, self.strerror, self.filename = Path(path), reason, reason, str(path)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def read_limited(path: Path, limit: int) -> bytes:
    """The file's bytes, refused at once (FileRefused) when it is not a regular file or exceeds `limit`.

    stat first (a FIFO or device would block or never end), then read at most
    `limit` + 1 bytes from the opened file (it may have grown since).
    """
    path = Path(path)
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise FileRefused(path, f"not a regular file ({_kind(path)})")
    with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NONBLOCK)) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped for a FIFO after the stat
            raise FileRefused(path, f"not a regular file ({_kind(path)})")
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise FileRefused(path, f"file is {_size(size)}, over the {_size(limit)} limit")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(path, f"file is over the {_size(limit)} limit")
    return data


def _kind(path: Path) -> str:
    mode = os.stat(path).st_mode
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def _prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}-"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(target: Path) -> None:
    """Remove what killed runs left beside `target`: temporary files, staging and old folders of dead processes.

    An old folder of a swap killed half-way (target gone, old one still there) is put back first.
    """
    folder = target.parent
    try:
        names = os.listdir(folder)
    except OSError:
        return
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)(-.*|\.old)\Z", re.S)
    for name in names:
        found = pattern.match(name)
        if not found or pid_alive(int(found.group(1))):
            continue
        debris = folder / name
        if found.group(2) == ".old" and not os.path.lexists(target):
            os.replace(debris, target)
        elif debris.is_dir() and not debris.is_symlink():
            shutil.rmtree(debris, ignore_errors=True)
        else:
            debris.unlink(missing_ok=True)


def sweep_folder(folder: Path) -> None:
    """`sweep` for every target in `folder` (the next run of a command on a round or version)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    targets = {m.group(1) for m in (re.match(r"\.(.+)\.\d+(?:-.*|\.old)\Z", n, re.S) for n in names) if m}
    for name in sorted(targets):
        sweep(folder / name)


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write via a temporary file in the same folder, fsync, then rename over the target.

    `durable=False` skips the fsync (readers still see the old file or the new one, never a part): for a
    file the live preview rewrites on every edit, where an fsync on a busy disk costs more than the edit.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep(path)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


CACHE_DIR = ".build-cache"  # beside sources/, git-ignored, removed by `make clean`


def cached_json(sources: Path, area: str, name: str, build: Callable[[], Any]) -> Any:
    """The JSON value cached as CACHE_DIR/area/name.json beside `sources`, or `build()` stored there.

    Callers put a content hash in `name`, so a stale entry is never read; a broken one is rebuilt silently.
    """
    return _cached(sources.resolve().parent / CACHE_DIR / area / f"{name}.json", build,
                   lambda data: json.loads(data.decode("utf-8")),
                   lambda value: json.dumps(value, ensure_ascii=False).encode("utf-8"))


def cached_pickle(sources: Path, area: str, name: str, build: Callable[[], Any]) -> Any:
    """As `cached_json`, as CACHE_DIR/area/name.pickle: for our own objects, which JSON would have to be turned
    back into (our cache, as trusted as __pycache__: an entry that does not unpickle is rebuilt)."""
    import pickle

    return _cached(sources.resolve().parent / CACHE_DIR / area / f"{name}.pickle", build, pickle.loads,
                   lambda value: pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _cached(path: Path, build: Callable[[], Any], decode: Callable[[bytes], Any], encode: Callable[[Any], bytes]) -> Any:
    try:
        return decode(path.read_bytes())
    except Exception:  # missing, unreadable or damaged: made again
        pass
    value = build()
    try:
        atomic_write_bytes(path, encode(value))
    except OSError:
        pass  # a read-only checkout: no cache, same result
    return value


@contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """Yield an empty folder beside `target` (debris of killed runs swept first); removed on any error."""
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target)
    staging = Path(tempfile.mkdtemp(prefix=_prefix(target), dir=target.parent))
    try:
        os.chmod(staging, FOLDER_MODE)  # mkdtemp makes 0700: the swapped-in folder would be private
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextmanager
def replace_folder(target: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside `target`; when the block succeeds it replaces `target` whole.

    On any error (or interrupt) the staging folder is removed and `target` is left as it was;
    a kill between the two renames leaves the old folder, which the next `sweep` puts back.
    """
    with staging_folder(target) as staging:
        yield staging
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.{os.getpid()}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            if old is not None and not target.exists():
                os.replace(old, target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def link_entries(source: Path, target: Path, names: list[str]) -> None:
    """Hard-link the named files and folders of `source` into `target` (a staging folder): no bytes copied."""
    for name in names:
        entry = source / name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target / name, copy_function=os.link, symlinks=True)
        else:
            os.link(entry, target / name, follow_symlinks=False)
