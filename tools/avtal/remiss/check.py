"""What `avtal check` verifies about remiss sources: parties, rounds, answers and positions."""

from __future__ import annotations

from pathlib import Path

from ..model.corpus import Corpus
from ..model.problems import Problems, SourceError
from ..model.remiss import load_parties, load_round, parties_path, round_ids


def check_remiss(sources: Path, corpus: Corpus) -> Problems:
    """Every problem in parter.yaml and every round (a missing parter.yaml is fine until a round exists)."""
    problems = Problems()
    rounds = round_ids(sources)
    if not rounds and not parties_path(sources).exists():
        return problems
    if not rounds:
        load_parties(sources, problems)
    for round_id in rounds:
        try:
            load_round(sources, round_id, problems=problems)
        except SourceError:
            pass  # its problems are already in `problems`
    return _dedupe(problems)


def _dedupe(problems: Problems) -> Problems:
    """parter.yaml is read once per round; report each of its problems once."""
    seen, out = set(), Problems()
    for p in problems.items:
        if (p.location, p.message) not in seen:
            seen.add((p.location, p.message))
            out.items.append(p)
    return out
