"""What `avtal check` verifies beyond loading the sources: frozen versions, and the remiss sources (parties,
rounds, answers, positions and the assessment). `avtal serve` shows the same problems over its pages."""

from __future__ import annotations

from pathlib import Path

from ..model.corpus import Corpus
from ..model.problems import Problems, SourceError
from ..model.remiss import load_assessment, load_parties, load_round, parties_path, round_ids


def further_problems(sources: Path, corpus: Corpus | None) -> Problems:
    """Frozen versions that no longer match their checksums or cite what was not in force (notes), and,
    when the sources loaded, every problem in the remiss sources."""
    from ..model.versions import list_versions, version_notes

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
