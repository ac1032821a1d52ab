"""`avtal remiss apply ROUND COMMENT-ID` on a copy of the repository's sources and its sample round."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from avtal.cli import main
from avtal.model.versions import load_version
from avtal.render.wording import clause_text

REPO_SOURCES = Path(__file__).resolve().parents[2] / "sources"
ROUND = "remiss-2025"
CLAUSE = "psyk.samordning.fast-vardkontakt"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    shutil.copytree(REPO_SOURCES, tmp_path / "sources")
    return tmp_path / "sources"


def positions(sources: Path) -> list[dict]:
    path = sources / "remiss" / ROUND / "stallningstaganden.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["positions"]


def open_round(sources: Path) -> None:
    """The sample round as while the group still works on it: its decisions go into the working sources."""
    path = sources / "remiss" / ROUND / "stallningstaganden.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\nagainst: forslag-2025-08\n", "\nagainst: working\n"),
                    encoding="utf-8")


def test_a_tracked_replacement_is_written_and_recorded_on_the_position(sources: Path, capsys):
    open_round(sources)
    doc = sources / "documents" / "psykisk-funktionsnedsattning.yaml"
    before_doc = doc.read_text(encoding="utf-8")
    before = clause_text(*(lambda c: (c, c.clause(CLAUSE)))(load_version(sources, "working")[0]))
    assert main(["--sources", str(sources), "remiss", "apply", ROUND, "boras-5", "--accept-all"]) == 0
    after = clause_text(*(lambda c: (c, c.clause(CLAUSE)))(load_version(sources, "working")[0]))
    assert after == before.replace("behov bör parterna erbjuda", "behov ska parterna erbjuda")
    changed = [line for line in doc.read_text(encoding="utf-8").splitlines() if line not in before_doc.splitlines()]
    assert changed == ["          För personer med svår psykisk sjukdom och omfattande behov ska parterna erbjuda"]
    position = next(p for p in positions(sources) if "boras-5" in p["comments"])
    assert position == {"comments": ["boras-5"], "status": "beaktad", "reason": "Förslaget har förts in i texten.",
                        "clauses": [CLAUSE]}
    capsys.readouterr()
    main(["--sources", str(sources), "check", "--strict"])  # other clauses may differ from the round's version
    err = capsys.readouterr().err
    assert "boras-5" not in err and CLAUSE not in err, err  # the position traces to the clause it changed


def test_a_round_whose_positions_trace_against_a_frozen_version_is_warned_about(sources: Path, capsys):
    assert main(["--sources", str(sources), "remiss", "apply", ROUND, "boras-5", "--accept-all"]) == 0
    assert "the positions trace against forslag-2025-08, which does not hold this edit" in capsys.readouterr().out


def test_dry_run_changes_nothing(sources: Path, capsys):
    doc = sources / "documents" / "psykisk-funktionsnedsattning.yaml"
    before, before_positions = doc.read_text(encoding="utf-8"), positions(sources)
    assert main(["--sources", str(sources), "remiss", "apply", ROUND, "boras-5"]) == 0
    assert "+          För personer med svår psykisk sjukdom och omfattande behov ska parterna erbjuda" in \
        capsys.readouterr().out
    assert doc.read_text(encoding="utf-8") == before and positions(sources) == before_positions


def test_a_proposal_already_in_the_sources_is_said_to_be(sources: Path, capsys):
    assert main(["--sources", str(sources), "remiss", "apply", ROUND, "boras-3", "--accept-all"]) == 0
    assert "the sources already read like this" in capsys.readouterr().out


def test_a_conflict_with_a_later_edit_is_shown_not_applied(sources: Path, capsys):
    doc = sources / "documents" / "psykisk-funktionsnedsattning.yaml"
    edited = doc.read_text(encoding="utf-8").replace("integrerade arbetssätt, exempelvis case management",
                                                      "integrerade arbetssätt, till exempel case management")
    doc.write_text(edited, encoding="utf-8")
    assert main(["--sources", str(sources), "remiss", "apply", ROUND, "boras-5", "--accept-all"]) == 1
    out = capsys.readouterr().out
    assert "CONFLICT" in out and "--- proposal of Borås Stad:" in out and "till exempel case management" in out
    assert doc.read_text(encoding="utf-8") == edited


def test_a_comment_without_proposed_wording_is_refused(sources: Path, capsys):
    assert main(["--sources", str(sources), "remiss", "apply", ROUND, "boras-2", "--accept-all"]) == 1
    err = capsys.readouterr().err
    assert "boras-2" in err and "no proposed wording found" in err


def test_an_unknown_comment(sources: Path, capsys):
    assert main(["--sources", str(sources), "remiss", "apply", ROUND, "boras-999"]) == 1
    assert "unknown comment 'boras-999'" in capsys.readouterr().err


def test_a_form_proposal_rewords_the_one_sentence_it_is_closest_to(sources: Path, capsys):
    """A svarsformulär's proposal field quotes nothing: the sentence it rewords is the one clearly most like it."""
    comment = next(c for c in yaml.safe_load((sources / "remiss" / ROUND / "svar" / "gr.yaml").read_text(
        encoding="utf-8"))["comments"] if c["id"] == "gr-9")
    assert "quote" not in comment
    old = load_version(sources, ROUND)[0]
    clause = old.clause(comment["clause"])
    assert "nikotinprodukter" in clause_text(old, clause)  # the list item the proposal rewords, without them
    assert main(["--sources", str(sources), "remiss", "apply", ROUND, "gr-9", "--accept-all"]) == 0
    new = load_version(sources, "working")[0]
    text = clause_text(new, new.clause(comment["clause"]))
    assert " ".join(comment["proposal"].split()) in text and "nikotinprodukter" not in text


def test_a_form_proposal_that_rewords_no_sentence_is_refused(sources: Path, capsys):
    assert main(["--sources", str(sources), "remiss", "apply", ROUND, "alingsas-4", "--accept-all"]) == 1
    assert "a proposal that clearly rewords one sentence or list item); apply it by hand" in capsys.readouterr().err
