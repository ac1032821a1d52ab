"""What `avtal check` verifies about remiss sources: parties, rounds, answers, positions and the assessment."""

from __future__ import annotations

from pathlib import Path

from ..model.corpus import Corpus
from ..model.problems import Problems, SourceError
from ..model.remiss import load_assessment, load_parties, load_round, parties_path, round_ids


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
            info = load_round(sources, round_id, problems=problems)
        except SourceError:
            continue  # its problems are already in `problems`
        _check_answers_and_positions(sources, info, corpus, problems)
    return _dedupe(problems)


def _check_answers_and_positions(sources: Path, info, corpus: Corpus, problems: Problems) -> None:
    """Answers and positions, and (with `against:` in the positions file) the trace from comment to changed clause.

    Trace findings are warnings (errors with --strict), except a named clause in neither version.
    """
    from .record.positions import check_positions

    data = check_positions(sources, info, corpus, problems)
    load_assessment(info, frozenset(data.comments), data.clause_ids, problems)
    if data.positions.against and data.readable and data.version is not None and data.against is not None:
        from .report.trace import findings_as_problems, pair_index, trace_positions

        try:
            pair = pair_index(sources, data, data.positions.against)
        except SourceError:
            return  # a version that does not load is reported where versions are checked
        findings_as_problems(data, trace_positions(data, pair), problems)


def _dedupe(problems: Problems) -> Problems:
    """parter.yaml is read once per round; report each of its problems once."""
    seen, out = set(), Problems()
    for p in problems.items:
        if (p.location, p.message) not in seen:
            seen.add((p.location, p.message))
            out.items.append(p)
    return out
