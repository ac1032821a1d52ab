"""What `avtal check` verifies beyond loading the sources: frozen versions and the remiss sources.

`avtal check` and `avtal serve` (whose overlay shows the same problems) both call it.
"""

from __future__ import annotations

from pathlib import Path

from .model import Corpus, Problems
from .model.problems import SourceError


def further_problems(sources: Path, corpus: Corpus | None) -> Problems:
    """Frozen versions that no longer match their checksums or cite what was not in force (notes), and,
    when the sources loaded, every problem in parties, rounds, answers and positions."""
    from .model.versions import list_versions, version_notes
    from .remiss.check import check_remiss

    problems = Problems()
    try:
        versions = list_versions(sources)  # frozen versions must still match their checksums
    except SourceError as exc:
        problems.extend(exc.problems)
        versions = []
    for version in versions:  # what a frozen version cites that was not in force on its date: notes, never errors
        problems.extend(version_notes(version.folder))
    if corpus is not None:
        problems.extend(check_remiss(sources, corpus))
    return problems
