"""A one-shot command's objects: kept out of the cycle collector's way while it runs, not freed at its end.

Comparing two versions and building a document's tree make tens of thousands of tokens, lists and
dicts that all live on. Each time enough have been made, the collector scans every tracked object
again, the whole loaded corpus included: at 8x the huvudavtal's size, comparing and building the
Word redline's tree took 0.21 s with the collector and 0.12 s without. Nothing these phases make is
cyclic, so reference counting frees what they drop, and the collector resumes afterwards
(`collector_paused`). A command's loaded model lives until the process exits: it is loaded with the
collector off and then frozen out of its scans (`lives_until_exit`), and the process ends without
freeing it object by object (`exit_now`).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from contextlib import contextmanager
from typing import Iterator, NoReturn


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cycle collection inside the block; the collector's state before it is restored after it.

    Nested and concurrent blocks (threads) are safe: only a block that found the collector enabled
    enables it again, so at worst a concurrent block runs with it on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def lives_until_exit() -> Iterator[None]:
    """For a one-shot command's imports and load, whose objects live until the process exits: no cycle
    collection inside the block (each would scan them all and find next to nothing to free: ~9 ms of
    an edit's `avtal build`), and after it they, with everything else made so far, are moved out of the
    collector's scans for good (gc.freeze), so later collections and the last one at exit skip them
    (~40 ms of a cold `avtal build`). Not for `avtal serve`, whose models are replaced while it runs.

    Frozen before the collector is on again: turned on first, its next allocation would start a collection
    of all that the block made (~9 ms of a Word redline)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()


def exit_now(code: int) -> NoReturn:
    """End the process without the interpreter's teardown, which frees a loaded model object by object:
    ~15 ms of every command (mypy exits the same way). Exit handlers still run first (a kept load still to
    write, see `model.snapshot`), and the output is flushed."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`avtal … | head`): nothing more to say
            pass
    os._exit(code)
