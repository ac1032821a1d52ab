"""Answer records: canonical YAML with a trailer, stable ids, checked loading, and all-or-nothing commits."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import yaml

from avtal.model.problems import SourceError
from avtal.model.remiss import Answer, Comment, ReceivedFile, Revision
from avtal.remiss.record import answers
from avtal.remiss.record.answers import commit, dump_answer, journal_path, load_answers, read_record, recover
from avtal.model.problems import Problems

from ..records import ROUND, ROUND_DIR, copy_sources, position, snapshot

SHA = "ab" * 32


def an_answer(party: str = "boras", texts: tuple[str, ...] = ("Första.", "Andra\n\nmed två stycken.")) -> Answer:
    return Answer(round=ROUND, party=party, revisions=(Revision(number=1, received=dt.date(2025, 5, 2), files=(
        ReceivedFile(path=f"inkommet/{party}/1-svar.docx", sha256=SHA, kind="letter", original_name="Svar.docx"),)),),
        comments=tuple(Comment(id=f"{party}-{i}", text=t, source="manual") for i, t in enumerate(texts, 1)))


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    return copy_sources(tmp_path / "sources")


def write(sources: Path, name: str, text: str) -> Path:
    path = sources / ROUND_DIR / "svar" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_record_is_canonical_yaml_that_reads_back_equal(sources):
    answer = an_answer()
    text = dump_answer(answer, 3)
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../../../schema/answer.schema.json"
    assert "text: |-\n      Andra\n\n      med två stycken.\n    source" in text  # multi-line text as a block
    assert Answer.model_validate(yaml.safe_load(text)) == answer
    assert dump_answer(answer, 3) == text  # deterministic
    record = read_record(write(sources, "boras.yaml", text), Problems())
    assert record.answer == answer and record.pristine and record.next_id == 3


def test_an_edited_record_is_told_apart_from_one_the_importer_wrote(sources):
    text = dump_answer(an_answer(), 3)
    edited = write(sources, "boras.yaml", text.replace("Första.", "Första, rättad."))
    assert not read_record(edited, Problems()).pristine
    trailer_gone = write(sources, "boras.yaml", text.rsplit("# avtal remiss import", 1)[0])
    assert not read_record(trailer_gone, Problems()).pristine


def test_ids_are_never_given_twice(sources):
    # The importer had given out boras-1 … boras-6; a person then deleted boras-4 … boras-6.
    record = read_record(write(sources, "boras.yaml", dump_answer(an_answer(), 7)), Problems())
    assert record.next_id == 7
    # Without a trailer, the highest id in the file decides; ids a person chose are skipped past.
    answer = an_answer().model_copy(update={"comments": an_answer().comments + (
        Comment(id="boras-12", text="Handskriven.", source="manual"), Comment(id="boras-egen", text="x",
                                                                               source="manual"))})
    text = dump_answer(answer, 2).rsplit("# avtal remiss import", 1)[0]
    assert read_record(write(sources, "boras.yaml", text), Problems()).next_id == 13


def test_loading_reports_every_problem_with_file_line_and_column(sources):
    boras = dump_answer(an_answer("boras"), 3)
    # Stored under the wrong name, with a comment id Borås already uses and an unknown member.
    wrong = dump_answer(an_answer("ale").model_copy(update={
        "on_behalf_of": ("lerum", "lerumm"),
        "comments": (Comment(id="boras-1", text="Samma id.", source="manual"),)}), 2)
    write(sources, "boras.yaml", boras)
    write(sources, "lerum.yaml", wrong)
    with pytest.raises(SourceError) as raised:
        load_answers(sources, ROUND)
    shown = {str(p) for p in raised.value.problems}
    file = f"{sources}/remiss/{ROUND}/svar/lerum.yaml"
    line, col = position(wrong, "ale", 1)
    assert any(s.startswith(f"{file}:{line}:{col}: error") and "stored as lerum.yaml" in s for s in shown), shown
    line, col = position(wrong, "lerumm")
    assert any(s.startswith(f"{file}:{line}:{col}: error") and "unknown party 'lerumm'" in s for s in shown), shown
    line, col = position(wrong, "boras-1")
    assert any(s.startswith(f"{file}:{line}:{col}: error") and "duplicate comment id 'boras-1'" in s
               for s in shown), shown
    assert len(raised.value.problems) == 3


def test_a_record_that_breaks_the_schema_names_the_key(sources):
    text = dump_answer(an_answer(), 3).replace("source: manual", "source: telefon", 1)
    write(sources, "boras.yaml", text)
    problems = Problems()
    assert load_answers(sources, ROUND, problems) == ()
    (problem,) = problems.errors
    line, col = position(text, "telefon")
    assert (problem.location.line, problem.location.column) == (line, col)
    assert "manual" in problem.message  # the allowed values are listed


def test_answers_load_sorted_by_answerer(sources):
    for party in ("vgr", "ale", "boras"):
        write(sources, f"{party}.yaml", dump_answer(an_answer(party), 3))
    assert [a.party for a in load_answers(sources, ROUND)] == ["ale", "boras", "vgr"]


def test_a_commit_writes_every_file(sources):
    folder = sources / ROUND_DIR
    files = {folder / "svar" / "boras.yaml": b"ny\n", folder / "inkommet" / "boras" / "1-svar.docx": b"PK"}
    commit(sources, ROUND, files)
    assert snapshot(folder) == {"svar/boras.yaml": b"ny\n", "inkommet/boras/1-svar.docx": b"PK"}
    assert not list((sources / "remiss").glob(".*"))  # no journal, no staged files left


@pytest.mark.parametrize("failing", [1, 2, 3, 4])
def test_a_commit_that_fails_at_any_rename_leaves_every_file_as_it_was(sources, monkeypatch, failing):
    folder = sources / ROUND_DIR
    commit(sources, ROUND, {folder / "svar" / "ale.yaml": b"gammal\n"})
    before = snapshot(sources)
    files = {folder / "svar" / "ale.yaml": b"ny\n", folder / "svar" / "boras.yaml": b"ny\n",
             folder / "inkommet" / "boras" / "1-svar.docx": b"PK"}
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == failing:
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(answers.os, "replace", flaky)
    with pytest.raises(OSError):
        commit(sources, ROUND, files)
    monkeypatch.setattr(answers.os, "replace", real)
    assert snapshot(sources) == before


def test_recover_undoes_a_commit_killed_after_its_journal(sources):
    folder = sources / ROUND_DIR
    commit(sources, ROUND, {folder / "svar" / "ale.yaml": b"gammal\n"})
    before = snapshot(sources)
    # What a kill between two renames leaves: a journal, one file replaced, one still staged.
    staging = sources / "remiss"
    (staging / f".avtal-import-{ROUND}-0.new").write_bytes(b"staged\n")
    os.link(folder / "svar" / "ale.yaml", staging / f".avtal-import-{ROUND}-1.old")
    (staging / "renamed").write_bytes(b"ny\n")
    os.replace(staging / "renamed", folder / "svar" / "ale.yaml")  # a rename: the backup keeps the old file
    (folder / "svar" / "boras.yaml").write_bytes(b"ny\n")
    journal_path(sources, ROUND).write_text(
        '{"ops": [{"target": "%s", "tmp": "%s", "backup": "%s"}, {"target": "%s", "tmp": "%s", "backup": null}],'
        ' "created": []}' % (folder / "svar" / "ale.yaml", staging / f".avtal-import-{ROUND}-9.new",
                             staging / f".avtal-import-{ROUND}-1.old", folder / "svar" / "boras.yaml",
                             staging / f".avtal-import-{ROUND}-8.new"), encoding="utf-8")
    assert recover(sources, ROUND)
    assert snapshot(sources) == before


def test_recover_clears_what_an_import_killed_before_its_journal_left(sources):
    before = snapshot(sources)
    (sources / "remiss" / f".avtal-import-{ROUND}-0.new").write_bytes(b"half")
    assert not recover(sources, ROUND)
    assert snapshot(sources) == before


TRICKY = ["a", "a\nb", "a\n\nb\n", "a\nb\n\n", " a\nb", "a \nb", "a\n b", "x: y", "x #y", "yes", "Ja", "§ 45", "e123",
          "a\tb", "a\u2028b", "”citat”", "a'b", '"a"', "a -b", "- a", "a\n", "\na", "a\n\n\nb", "a:", "3f" + "0" * 62,
          "a" + "0" * 63, "Ämne", "x\n  y\n", "1-x.docx", "", " ", "x\n\n", "(a)", "/x", "–x", "\\x", "_a", "null",
          "2017:30", "8 a", "~", "@x", "`x", "%x", "!x", "&x", "*x", "|x", ">x", "{x}", "[x]", "?x", "#x", ",x", ".5",
          "Ny lydelse: parterna ska", 'a: "b"', "a: \\b", "a: b ", " a: b", "- a: b", "a: ✓"]


def test_the_fast_writer_gives_exactly_the_house_style(sources):
    from avtal.model.dump import _plain, _yaml
    from avtal.remiss.record.answers import house_yaml

    for text in TRICKY:
        data = {"comments": [{"id": "x-1", "text": text, "flags": [text]}], "decided_by": {"body": text}}
        assert house_yaml(data) == _yaml(data), repr(text)
    committed = sorted((Path(__file__).resolve().parents[3] / "sources" / ROUND_DIR / "svar").glob("*.yaml"))
    for path in committed:  # every record of the sample round
        answer = read_record(path, Problems()).answer
        assert house_yaml(_plain(answer)) == _yaml(_plain(answer)), path.name


def test_a_split_letter_no_longer_counts_and_its_parts_do():
    from avtal.remiss.record.answers import FLAG_LETTER, live_comments, split_comment

    letter = Answer(round=ROUND, party="mark", revisions=an_answer().revisions, comments=(
        Comment(id="mark-1", text="Hela brevet.", source="letter", flags=(FLAG_LETTER,)),))
    split, ids, next_id = split_comment(letter, "mark-1", [{"clause": "ansvar.sip", "stance": "invänder",
                                                              "text": "Första punkten."}, {"text": "Andra."}], 2)
    assert ids == ["mark-2", "mark-3"] and next_id == 4
    whole = split.comments[0]
    assert whole.text == "Hela brevet." and whole.flags == ("uppdelad i mark-2, mark-3",)  # kept, not deleted
    assert [c.id for c in live_comments(split)] == ["mark-2", "mark-3"]
    assert {c.source for c in split.comments} == {"letter"}
