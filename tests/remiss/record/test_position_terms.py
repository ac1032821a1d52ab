"""Positions that name glossary terms or a document's general text, their trace, and rows that need no position.

The tree is test_positions' (remiss-2025 → forslag: three huvudavtal clauses changed), plus a third frozen
version `forslag-2` in which the glossary's definition of `sip` is reworded (the word stays the same). The
expected findings follow from that one edit.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from avtal.cli import main
from avtal.model.freeze import freeze
from avtal.remiss.record.status import round_status
from avtal.remiss.report.collect import NOT_NEEDED, collect
from avtal.remiss.report.trace import PARTLY_UNCHANGED, UNCOVERED, trace

from .test_positions import POSITIONS, ROUND, make_round

REDEFINED = "forslag-2"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    sources = make_round(tmp_path_factory.mktemp("terms"))
    terms = sources / "terms.yaml"
    text = terms.read_text(encoding="utf-8")
    old = "Plan som region och kommun upprättar enligt"
    assert text.count(old) == 1
    terms.write_text(text.replace(old, "Gemensam plan som region och kommun upprättar med den enskilde enligt"),
                     encoding="utf-8")
    freeze(sources, REDEFINED, date=dt.date(2025, 9, 1), status="förslag")
    return sources.parent


@pytest.fixture
def root(template, tmp_path, monkeypatch) -> Path:
    shutil.copytree(template, tmp_path / "work")
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path / "work"


def _positions(root: Path, body: str) -> None:
    (root / "sources" / POSITIONS).write_text(f"round: {ROUND}\nagainst: {REDEFINED}\npositions:"
                                              + (f"\n{body}" if body else " []\n"), encoding="utf-8")


def _term_findings(root: Path):
    return [f for f in trace(root / "sources", ROUND, REDEFINED).findings
            if f.clause and f.clause.startswith("begrepp:")]


def test_a_redefined_term_no_position_names_is_a_finding(root):
    _positions(root, "")
    (finding,) = _term_findings(root)
    assert finding.kind == UNCOVERED and finding.clause == "begrepp:sip"
    assert "term sip was redefined in the glossary" in finding.message


def test_the_position_command_records_terms_and_the_trace_accepts_them(root, capsys):
    _positions(root, "")
    assert main(["remiss", "position", ROUND, "goteborg-2", "--status", "beaktad", "--motivering",
                 "Definitionen av SIP förtydligas.", "--terms", "sip"]) == 0
    stored = yaml.safe_load((root / "sources" / POSITIONS).read_text(encoding="utf-8"))["positions"]
    assert stored == [{"comments": ["goteborg-2"], "status": "beaktad", "reason": "Definitionen av SIP förtydligas.",
                       "terms": ["sip"]}]
    assert _term_findings(root) == []
    findings = trace(root / "sources", ROUND, REDEFINED).findings
    assert not [f for f in findings if "goteborg-2" in f.comments]  # names no clause, and is not told to


def test_a_named_term_that_did_not_change_is_a_finding(root):
    _positions(root, "  - comments: [goteborg-2]\n    status: beaktad\n    reason: Termen ändras.\n"
                     "    terms: [sip, vard-i-hemmet]\n")
    (finding,) = [f for f in trace(root / "sources", ROUND, REDEFINED).findings if "goteborg-2" in f.comments]
    assert finding.kind == PARTLY_UNCHANGED and "begrepp:vard-i-hemmet" in finding.message
    assert "begrepp:sip" not in finding.message


@pytest.mark.parametrize("option, value, message", [
    ("--terms", "sipp", "unknown term 'sipp': expected a term id of the working sources (did you mean 'sip'?)"),
    ("--general", "huvudavtl", "unknown document 'huvudavtl': expected a document id of the working sources "
                               "(did you mean 'huvudavtal'?)"),
])
def test_unknown_terms_and_documents_are_refused_with_a_guess(root, capsys, option, value, message):
    _positions(root, "")
    before = (root / "sources" / POSITIONS).read_bytes()
    assert main(["remiss", "position", ROUND, "goteborg-2", "--status", "beaktad", "--motivering", "X.",
                 option, value]) == 1
    assert message in capsys.readouterr().err
    assert (root / "sources" / POSITIONS).read_bytes() == before


def test_check_refuses_an_unknown_term_in_the_positions_file(root, capsys):
    _positions(root, "  - comments: [goteborg-2]\n    status: beaktad\n    reason: Termen ändras.\n"
                     "    terms: [sipp]\n")
    assert main(["check"]) == 1
    assert f"sources/{POSITIONS}:7:13: error: unknown term 'sipp'" in capsys.readouterr().err


# -- rows that need no position --

def _agreeing_answer(root: Path) -> None:
    """Lerum only agrees, row by row, with nothing more to say."""
    path = root / "sources" / "remiss" / ROUND / "svar" / "lerum.yaml"
    path.write_text(f"round: {ROUND}\nparty: lerum\nrevisions:\n  - {{number: 1, received: 2025-04-30}}\n"
                    "comments:\n  - {id: lerum-1, clause: ansvar.kommun, stance: instämmer, source: form}\n"
                    "  - {id: lerum-2, clause: ansvar.region.lakare, stance: ingen erinran, source: form}\n",
                    encoding="utf-8")


def test_rows_that_only_agree_need_no_position_in_the_report_and_status(root):
    _positions(root, "")
    _agreeing_answer(root)
    report = collect(root / "sources", ROUND)
    entries = {e.comment.id: e for e in report.entries}
    assert entries["lerum-1"].status == entries["lerum-2"].status == NOT_NEEDED
    assert entries["boras-1"].status is None  # a comment with text is open until the group decides
    counts = report.status_counts()
    assert counts[NOT_NEEDED] == 2 and counts[None] == len(report.entries) - 2
    rows = {r.party: r for r in round_status(root / "sources", ROUND).recipients}
    assert rows["lerum"].state == "no-comments"


def test_counts_in_the_report_agree_in_number(root):
    from avtal.remiss.report.report import Builder

    _positions(root, "")
    report = collect(root / "sources", ROUND)
    builder = Builder(report)
    one = [e for e in report.entries if e.comment.id == "boras-1"]
    assert builder.tally(one).startswith("1 synpunkt från 1 remissinstans:")
    two = [e for e in report.entries if e.comment.id in ("boras-1", "boras-2")]
    assert builder.tally(two).startswith("2 synpunkter från 1 remissinstans:")
