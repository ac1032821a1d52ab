"""The version a Word file was made from when it names none: the one whose text has the file's digest.

`avtal build` (and a redline to `working` or a git ref) writes files from sources that move on, so
they cannot name a version; they carry `render.stamp.text_digest` of the text they show instead.
The base is looked for where it can be: the working sources (the usual case: nothing changed since
the build), the frozen versions, then the sources of each git commit that changed them, newest
first. Any base that reads exactly like the file will do for the three-way comparison: a clause is
an edit when the Word text differs from the base, a conflict when the sources differ from it too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator

from ..model.corpus import Corpus
from ..model.problems import SourceError
from ..model.versions import WORKING, list_versions, load_version
from ..render.stamp import text_digest

MAX_COMMITS = 200  # how far back git history is searched (each commit's sources are loaded once)


def find_base(sources: Path, working: Corpus, document: str, digest: str) -> tuple[str, Corpus] | None:
    """(version spec, its corpus) of the first place whose `document` reads as the file does, else None."""
    for spec, corpus in _candidates(sources, working):
        try:
            doc = corpus.document(document)
        except KeyError:
            continue
        if text_digest(corpus, doc) == digest:
            return spec, corpus
    return None


def _candidates(sources: Path, working: Corpus) -> Iterator[tuple[str, Corpus]]:
    yield WORKING, working
    for version in reversed(list_versions(sources)):
        yield version.name, load_version(sources, version.name)[0]
    for commit in _commits(sources):
        try:
            yield commit, load_version(sources, commit)[0]
        except SourceError:
            continue  # sources that did not load at that commit: no file was built from them


def _commits(sources: Path) -> list[str]:
    """Commits that changed the sources, newest first (none outside a git work tree)."""
    run = subprocess.run(["git", "-C", str(sources), "log", f"-{MAX_COMMITS}", "--format=%h", "--", "."],
                         capture_output=True, text=True)
    return run.stdout.split() if run.returncode == 0 else []
