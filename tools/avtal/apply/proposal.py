"""`avtal remiss apply ROUND COMMENT-ID`: a party's proposed wording written into the sources.

A comment imported from a returned draft quotes the sentence it is about (`quote`) and,
for a tracked change, carries the same sentence as changed (`proposal`); a comment whose
text says "Ersätt ”X” med ”Y”." names both too. The sentence is found in the clause as the
round's version renders it and replaced there, and the clause goes through the same
three-way planning as `avtal apply` (a clause changed since the round's version is a
conflict). Once written, the comment's position records the clause it changed: a position
that already accepts the comment (beaktad, delvis beaktad) gains the clause; otherwise the
comment gets the position "beaktad – Förslaget har förts in i texten." with that clause.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Callable

from ..model.corpus import load
from ..model.problems import Location, Problems, SourceError
from ..model.versions import load_version
from ..remiss.record.positions import load_round_positions, set_position
from .engine import Mode, Report, apply_clause_lines, clause_lines

_REPLACE = re.compile(r"Ersätt ”(?P<old>.+?)” med ”(?P<new>.+?)”")
APPLIED_REASON = "Förslaget har förts in i texten."


def _fail(where: str, message: str) -> SourceError:
    problems = Problems()
    problems.add(Location(where), message)
    return SourceError(problems)


def _words(text: str) -> str:
    return " ".join(text.split())


def apply_proposal(sources: Path, round_id: str, comment_id: str, mode: Mode = "dry-run", *,
                   ask: Callable[[str], str] | None = None) -> Report:
    """Write comment `comment_id`'s proposed wording into its clause (unless a dry run), and record it."""
    data = load_round_positions(sources, round_id)
    data.raise_errors()
    info = data.comments.get(comment_id)
    if info is None:
        raise _fail("command line", f"unknown comment '{comment_id}': expected a comment id from the answers in "
                    f"sources/remiss/{round_id}/svar/")
    comment = info.comment
    where = f"{info.file}: {comment_id}"
    if not comment.clause:
        raise _fail(where, "the comment is not on a clause: there is no text to change; apply it by hand")
    version = data.info.source.version
    old, _ = load_version(sources, version)
    working, problems = load(sources)
    if working is None:
        raise SourceError(problems)
    try:
        clause = old.clause(comment.clause)
    except KeyError:
        raise _fail(where, f"clause '{comment.clause}' is not in the round's version {version}") from None
    sent = clause_lines(old, clause)
    pairs = [(comment.quote, comment.proposal)]
    pairs += [(m["old"], m["new"]) for m in _REPLACE.finditer(comment.text or "")]
    word = None
    for quote, proposal in pairs:
        if not quote or proposal is None or "\n" in quote.strip() or "\n" in proposal.strip():
            continue
        quote, proposal = _words(quote), _words(proposal)
        hits = [i for i, line in enumerate(sent) if quote in line.text]
        if len(hits) == 1:
            word = list(sent)
            line = sent[hits[0]]
            word[hits[0]] = replace(line, text=_words(line.text.replace(quote, proposal, 1)))
            break
    if word is None:
        raise _fail(where, "no proposed wording found that replaces text of exactly one paragraph of "
                    f"avsnitt {clause.label} in {version} (a quote and a proposal, or "
                    "“Ersätt ”X” med ”Y”.”); apply it by hand")
    report = Report(Path(f"{round_id}/{comment_id}"), clause.doc, version, mode)
    report.edited = f"proposal of {info.party_name}"
    report.preface.append(f"proposal of {info.party_name} on avsnitt {clause.label} {clause.title}")
    apply_clause_lines(sources, old, working, report, [(clause, sent, word)], ask=ask)
    if report.written:
        position = next((p for p in data.positions.positions if comment_id in p.comments), None)
        kept = position is not None and position.status in ("beaktad", "delvis beaktad")
        status, reason = (position.status, position.reason) if kept else ("beaktad", APPLIED_REASON)
        clauses = tuple(dict.fromkeys([*(position.clauses if kept else ()), clause.id]))
        recorded = set_position(sources, round_id, [comment_id], status=status, reason=reason, clauses=clauses)
        report.written.append(str(recorded).splitlines()[0] if str(recorded) else data.shown)
        against = data.positions.against
        if against not in (None, "working"):
            report.preface.append(f"note: the positions trace against {against}, which does not hold this edit: "
                                  "avtal check flags the position until the version holding it is named in `against`")
    return report
