"""`avtal apply FILE --comments-to ROUND`: Word comments recorded as remiss comments of the working group."""

from __future__ import annotations

import datetime as dt

import yaml

from avtal.apply.comments import _comment
from avtal.cli import main
from avtal.model.remiss import WORKING_GROUP
from avtal.remiss.incoming.readers import RawComment
from tests.apply.test_engine import Setup

ROUND = "remiss-2025"
COMMENTS = [("mun.syfte", "Syftet med", "Ska vi nämna barn här?"),
            ("mun.palliativ", "muntorrhet", "Behöver vi definiera muntorrhet?")]


def record_path(s: Setup):
    return s.sources / "remiss" / ROUND / "svar" / f"{WORKING_GROUP}.yaml"


def test_word_comments_become_comments_of_the_working_group_once(setup: Setup, capsys):
    path = setup.tracked(comments=COMMENTS, replacements=[("mun.palliativ", "snabbt ge", "utan dröjsmål ge")])
    assert setup.apply(path, "--comments-to", ROUND) == 0  # a dry run records nothing
    assert "would record 2 Word comment(s) as comments of the working group" in capsys.readouterr().out
    assert not record_path(setup).exists()

    assert setup.apply(path, "--accept-all", "--comments-to", ROUND) == 0
    out = capsys.readouterr().out
    assert "recorded 2 Word comment(s) as comments of the working group in " in out
    assert f"remiss/{ROUND}/svar/{WORKING_GROUP}.yaml ({WORKING_GROUP}-1, {WORKING_GROUP}-2)" in out
    record = yaml.safe_load(record_path(setup).read_text(encoding="utf-8"))
    assert record["party"] == WORKING_GROUP and record["round"] == ROUND
    assert [(c["id"], c["clause"], c["text"], c["quote"], c["author"], c["source"]) for c in record["comments"]] == [
        (f"{WORKING_GROUP}-1", "mun.syfte", "Ska vi nämna barn här?", "Syftet med", "Anna Berg", "word-comment"),
        (f"{WORKING_GROUP}-2", "mun.palliativ", "Behöver vi definiera muntorrhet?", "muntorrhet", "Anna Berg",
         "word-comment")]
    kept = record["revisions"][0]["files"][0]
    assert kept["original_name"] == "tracked.docx" and kept["kind"] == "draft"
    assert (setup.sources / "remiss" / ROUND / kept["path"]).read_bytes() == path.read_bytes()
    assert "utan dröjsmål ge" in setup.source()  # the edit was applied as well
    once = record_path(setup).read_text(encoding="utf-8")

    assert setup.apply(path, "--accept-all", "--comments-to", ROUND) == 0
    out = capsys.readouterr().out
    assert "the 2 Word comment(s) are already recorded in " in out and f"svar/{WORKING_GROUP}.yaml" in out
    assert record_path(setup).read_text(encoding="utf-8") == once
    setup.strict_check()


def test_the_groups_comments_take_positions_and_the_round_still_counts_its_remissinstanser(setup: Setup, capsys):
    path = setup.tracked(comments=COMMENTS[:1])
    assert main(["--sources", str(setup.sources), "remiss", "status", ROUND, "--format", "csv"]) == 0
    status = capsys.readouterr().out
    assert setup.apply(path, "--accept-all", "--comments-to", ROUND) == 0
    capsys.readouterr()
    assert main(["--sources", str(setup.sources), "remiss", "status", ROUND, "--format", "csv"]) == 0
    assert capsys.readouterr().out == status  # the working group is not a remissinstans
    assert main(["--sources", str(setup.sources), "remiss", "position", ROUND, f"{WORKING_GROUP}-1",
                 "--status", "noterad", "--motivering", "Barn omfattas redan av avsnitt 1.1."]) == 0
    positions = (setup.sources / "remiss" / ROUND / "stallningstaganden.yaml").read_text(encoding="utf-8")
    assert f"{WORKING_GROUP}-1" in positions
    setup.strict_check()


def test_a_record_edited_by_hand_is_not_rewritten_and_nothing_is_written(setup: Setup, capsys):
    path = setup.tracked(comments=COMMENTS[:1])
    assert setup.apply(path, "--accept-all", "--comments-to", ROUND) == 0
    edited = record_path(setup).read_text(encoding="utf-8").replace("Ska vi nämna barn här?", "Ska vi nämna barn?")
    record_path(setup).write_text(edited, encoding="utf-8")
    again = setup.tracked(comments=COMMENTS[1:], replacements=[("mun.palliativ", "snabbt ge", "utan dröjsmål ge")])
    assert setup.apply(again, "--accept-all", "--comments-to", ROUND) == 1
    err = capsys.readouterr().err
    assert f"svar/{WORKING_GROUP}.yaml" in err and "edited by hand since avtal wrote it" in err
    assert setup.source() == setup.before and record_path(setup).read_text(encoding="utf-8") == edited


def test_an_unknown_round_is_refused_before_anything_is_written(setup: Setup, capsys):
    path = setup.tracked(comments=COMMENTS[:1], replacements=[("mun.palliativ", "snabbt ge", "utan dröjsmål ge")])
    assert setup.apply(path, "--accept-all", "--comments-to", "remiss-2099") == 1
    assert "remiss-2099" in capsys.readouterr().err
    assert setup.source() == setup.before


def test_a_comment_on_a_clause_the_round_did_not_send_is_kept_on_the_document(setup: Setup):
    raw = RawComment(clause="mun.finns-inte-i-remissen", document=None, source="word-comment", text="Ny punkt?",
                     author="Anna Berg", date=dt.date(2025, 9, 10))
    comment = _comment(raw, setup.old, "munhalsa", f"{WORKING_GROUP}-7", 1, "svar")
    assert (comment.clause, comment.document) == (None, "munhalsa")
    assert comment.flags == ("på avsnitt mun.finns-inte-i-remissen, som inte finns i remissens version",)


def test_no_remissinstans_may_take_the_working_groups_id(setup: Setup, capsys):
    parties = setup.sources / "parter.yaml"
    parties.write_text(parties.read_text(encoding="utf-8").replace("  - id: fyrbodal\n", "  - id: arbetsgruppen\n", 1),
                       encoding="utf-8")
    assert main(["--sources", str(setup.sources), "remiss", "status", ROUND]) == 1
    err = capsys.readouterr().err
    assert "parter.yaml:10:" in err and "'arbetsgruppen' is the id of the working group's own comments" in err
