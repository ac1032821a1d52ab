"""A loaded Corpus kept on disk, so a command on sources it has already loaded does not load them again.

`avtal check`, `build`, `redline` and `remiss …` each start in a fresh process. Loading parses every
YAML file, validates it and checks every reference and pinpoint: 35 ms for the sample sources, 100 ms
at 8x the huvudavtal, on top of the imports it needs (PyYAML, ~8 ms; pydantic too, ~60 ms, for a file
with an error). Unpickling the result takes 8-14 ms and imports neither: the source models are plain
dataclasses (`schema`). A frozen version never changes, and the working sources
rarely change between two commands (build, then redline), so most loads are hits.

The key is everything the load reads or depends on: the bytes of every file under the sources that
`load` opens (package, glossary, statutes, documents, statute snapshots, a frozen version's mark),
the folders it was given (problems name files relative to them), the model's own code and the
versions of the parsers it relies on. Any change is a miss, never a stale corpus. Only loads
without errors are kept (a failing load is reported afresh each time). `corpus.load` says what
the files are and where the cache lives (CACHE_DIR/corpus/ beside the project's sources, like the
statute cache); it holds the newest KEEP entries. Its files are ours, as trusted as __pycache__;
one that does not unpickle is ignored.

An entry also holds what its load read (`corpus.Memo`: each file's validated model by its content,
each text's parse, the statute snapshots). A miss after an edit starts from the last entry of the same
sources and code (`previous`): only the edited file is parsed and validated, and only its changed texts
parsed (the huvudavtal edited: a load of ~30 ms instead of ~41, measured in process).

Writing an entry (pickling ~11 ms for the sample sources) need not hold up the command that loaded:
`write` queues it and `flush` writes it. `corpus.load` flushes at once unless asked to keep it later;
`avtal build` flushes on a thread that would otherwise wait for typst's layouts. Whatever is still
queued is written at exit.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import pickle
import threading
from pathlib import Path

from ..fsutil import atomic_write_bytes, read_limited

KEEP = 16  # a few versions and the last edits of the working sources
LIMIT = 64 * 2**20  # a source over this is refused by the load anyway (yamlfile.MAX_BYTES is 25 MB)
_FORMAT = b"avtal-corpus-3"  # bump when what is pickled changes shape
_MODEL = Path(__file__).resolve().parent
_PARSERS = ("yaml", "pydantic", "pydantic_core")  # their messages are part of the problems we keep


def _code() -> bytes:
    """The model's code and the parsers' installed files, by content and by stamp."""
    h = hashlib.sha256(_FORMAT)
    for path in sorted([*_MODEL.glob("*.py"), _MODEL.parent / "fsutil.py"]):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _PARSERS:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec and spec.origin else ""
        try:
            st = os.stat(origin)
            h.update(f"{name} {origin} {st.st_mtime_ns} {st.st_size}\0".encode())
        except OSError:
            h.update(f"{name} missing\0".encode())
    return h.digest()


def key(files: list[Path], context: str) -> str | None:
    """'{digest of the model's code and `context` (the folders a load was given)}-{digest of both and the files'
    bytes}'; None when a file is not one to read (a FIFO, a device, too large): the load itself then says what
    is wrong. The first half names every load of the same sources by the same code (`previous`)."""
    h = hashlib.sha256(_code())
    h.update(context.encode() + b"\0")
    same = h.hexdigest()[:16]
    for path in files:
        try:
            data = read_limited(path, LIMIT)
        except FileNotFoundError:
            data = None
        except OSError:  # FileRefused included
            return None
        h.update(f"{path}\0".encode())
        h.update(b"-\0" if data is None else len(data).to_bytes(8, "big") + data)
    return f"{same}-{h.hexdigest()[:48]}"


def read(where: Path, files: list[Path], context: str):
    """(key, the (corpus, problems) kept in folder `where` for these files and context, or None)."""
    name = key(files, context)
    if name is None:
        return None, None
    flush()  # an entry this process loaded is on disk before it is looked for
    return name, _unpickled(where / f"{name}.pickle")


def previous(where: Path, name: str | None):
    """What the last load of the same sources by the same code kept (the most recently used entry whose key
    begins as `name` does), or None: the start of a load after an edit (`corpus.Memo`)."""
    if name is None:
        return None
    try:
        same = [p for p in where.glob(f"{name.split('-')[0]}-*.pickle") if p.name != f"{name}.pickle"]
        newest = max(same, key=lambda p: p.stat().st_mtime_ns, default=None)
    except OSError:
        return None
    return None if newest is None else _unpickled(newest)


def _unpickled(path: Path):
    try:
        value = pickle.loads(path.read_bytes())
    except Exception:  # missing, truncated or from another build of the classes: load afresh
        return None
    try:
        os.utime(path)  # the newest entries are the ones in use
    except OSError:
        pass
    return value


_queued: list[tuple[Path, str, object]] = []
_writing = threading.Lock()  # held while the queue is written: a second `flush` waits for the first


def write(where: Path, name: str | None, value) -> None:
    """Keep `value` under `name` once the interpreter has time: at the next `flush`, or at exit."""
    if name is not None:
        with _writing:
            _queued.append((where, name, value))


@atexit.register
def flush() -> None:
    """Write the queued entries (from any thread), keeping only the newest KEEP; a read-only checkout keeps none."""
    with _writing:
        while _queued:
            _store(*_queued.pop(0))


def _store(where: Path, name: str, value) -> None:
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write_bytes(where / f"{name}.pickle", data, durable=False)  # a lost entry is only a miss
        kept = sorted(where.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
