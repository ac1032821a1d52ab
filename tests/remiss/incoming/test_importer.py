"""`avtal remiss import`: every kind of answer into a copy of the real sources, ids, revisions, atomicity.

Answers are made the way parties make them: forms filled by `tests/remiss/forms.py`
in the real svarsformulär, drafts annotated by `tests/remiss/wordlike.py` in the
real distributed Word files, letters written with python-docx and turned into
PDF by typst, and hand-written YAML. Expected comments come from what the test
put into those files.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import docx
import pytest
import typst
import yaml

from avtal.cli import main
from avtal.model.problems import SourceError
from avtal.remiss.record import answers
from avtal.remiss.incoming.importer import import_files
from avtal.remiss.incoming.recognise import parties_in_name
from avtal.remiss.record.status import round_status
from avtal.model.remiss import load_parties
from avtal.model.problems import Problems

from avtal.remiss.outgoing.pack import pack_round

from ...render.conftest import require_client
from ..crafted import CT_DOCM, XXE_PASSWD, docx_members, raw_zip
from ..forms import fill_form, libreoffice_resave
from ..records import ROUND, ROUND_DIR, clause_ids, copy_sources, manual, position, record, snapshot

RECEIVED = dt.date(2025, 5, 2)
LATER = dt.date(2025, 5, 14)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    return copy_sources(tmp_path / "sources")


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inkommande"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    """The real packages of the round, as sent: each party's svarsformulär and the distributed Word files."""
    root = tmp_path_factory.mktemp("pack")
    pack_round(copy_sources(root / "sources"), ROUND, root / "dist")
    return root / "dist" / "remiss" / ROUND


def form_of(pack: Path, party: str) -> Path:
    (form,) = (pack / party).glob("Svarsformulär*.docx")
    return form


def huvudavtal_of(pack: Path, party: str) -> Path:
    (draft,) = (pack / party).glob("1 *.docx")
    return draft


def run(sources: Path, *files: Path, party: str | None = None, on_behalf_of: tuple[str, ...] = (),
        received: dt.date | None = RECEIVED):
    return import_files(sources, ROUND, list(files), party=party, on_behalf_of=on_behalf_of, received=received)


def letter_docx(path: Path, paragraphs: list[str]) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.core_properties.author = "Registrator"
    document.save(path)
    return path


def letter_pdf(path: Path, paragraphs: list[str]) -> Path:
    """A PDF with a text layer, written by typst (a real PDF writer)."""
    source = path.with_suffix(".typ")
    source.write_text('#set text(lang: "sv")\n' + "\n\n".join(p.replace("#", "\\#") for p in paragraphs) + "\n",
                      encoding="utf-8")
    path.write_bytes(typst.compile(str(source)))
    source.unlink()
    return path


SYFTE, BAKGRUND = "inledning.syfte", "inledning.bakgrund"
LERUM_1 = [
    {"clause": SYFTE, "stance": "invänder", "text": "Syftet bör lyfta barnperspektivet.\n\nSe barnkonventionen.\n",
     "proposal": "Avtalet ska särskilt beakta barnets bästa."},
    {"clause": BAKGRUND, "stance": "instämmer"},
    {"text": "Lerums kommun ställer sig i huvudsak bakom förslaget."},
]


# -- manual answers --

def test_a_manual_answer_becomes_a_record_with_ids_and_its_file_kept(sources, inbox):
    path = manual(inbox, "lerum-telefon.yaml", party="lerum", comments=LERUM_1,
                  decided_by={"body": "Kommunstyrelsen", "date": dt.date(2025, 4, 22), "paragraph": "§ 61"})
    report = run(sources, path)
    data = record(sources, "lerum")
    text = (sources / ROUND_DIR / "svar" / "lerum.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../../schema/answer.schema.json\n")
    assert data["party"] == "lerum" and data["round"] == ROUND
    assert data["decided_by"] == {"body": "Kommunstyrelsen", "date": dt.date(2025, 4, 22), "paragraph": "§ 61"}
    assert [c["id"] for c in data["comments"]] == ["lerum-1", "lerum-2", "lerum-3"]
    for stored, given in zip(data["comments"], LERUM_1):
        assert stored["source"] == "manual"
        for key, value in given.items():
            assert stored[key] == value
    (revision,) = data["revisions"]
    assert revision["number"] == 1 and revision["received"] == RECEIVED
    (kept,) = revision["files"]
    import hashlib
    assert kept["original_name"] == "lerum-telefon.yaml" and kept["kind"] == "manual"
    assert (sources / ROUND_DIR / kept["path"]).read_bytes() == path.read_bytes()
    assert kept["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "lerum-telefon.yaml: manual answer (YAML) from lerum" in str(report)
    assert "3 added, 0 changed, 0 unchanged" in str(report)


def test_importing_the_same_file_again_changes_nothing(sources, inbox):
    path = manual(inbox, "lerum.yaml", party="lerum", comments=LERUM_1)
    run(sources, path)
    before = snapshot(sources)
    report = run(sources, path, received=LATER)
    assert snapshot(sources) == before
    assert "unchanged, already imported (svar/lerum.yaml revision 1)" in str(report)
    assert report.written == []


def test_a_changed_resubmission_is_a_new_revision_that_keeps_ids_and_flags_changes(sources, inbox):
    run(sources, manual(inbox, "lerum.yaml", party="lerum", comments=LERUM_1))
    second = [dict(LERUM_1[0], text="Syftet bör lyfta barnperspektivet tydligare."),  # changed
              LERUM_1[1],  # the same
              {"clause": "inledning.avtalsparter", "stance": "synpunkt", "text": "Ny synpunkt."}]  # new
    # LERUM_1[2] (the general comment) is gone from the second submission.
    report = run(sources, manual(inbox, "lerum-2.yaml", party="lerum", comments=second), received=LATER)
    data = record(sources, "lerum")
    assert [r["number"] for r in data["revisions"]] == [1, 2]
    assert data["revisions"][1]["received"] == LATER
    by_id = {c["id"]: c for c in data["comments"]}
    assert by_id["lerum-1"]["text"] == second[0]["text"]
    assert by_id["lerum-1"]["flags"] == ["ändrad i revision 2"] and by_id["lerum-1"]["revision"] == 2
    assert "flags" not in by_id["lerum-2"] and by_id["lerum-2"].get("revision", 1) == 1
    assert by_id["lerum-3"]["text"] == LERUM_1[2]["text"]  # kept, never deleted
    assert by_id["lerum-3"]["flags"] == ["borttagen i revision 2"]
    assert by_id["lerum-4"]["clause"] == "inledning.avtalsparter" and by_id["lerum-4"]["revision"] == 2
    assert "revision 2: 1 added, 1 changed, 1 unchanged, 1 removed" in str(report)


def test_a_comment_that_comes_back_loses_its_removed_flag(sources, inbox):
    run(sources, manual(inbox, "a.yaml", party="lerum", comments=LERUM_1))
    run(sources, manual(inbox, "b.yaml", party="lerum", comments=LERUM_1[:2]), received=LATER)
    run(sources, manual(inbox, "c.yaml", party="lerum", comments=LERUM_1, decided_by={"body": "Kommunstyrelsen"}),
        received=dt.date(2025, 5, 20))
    comment = record(sources, "lerum")["comments"][2]
    assert comment["id"] == "lerum-3" and comment["flags"] == ["åter i revision 3"]


def test_ids_are_not_reused_after_a_person_deletes_the_last_comment(sources, inbox):
    run(sources, manual(inbox, "a.yaml", party="lerum", comments=LERUM_1))
    path = sources / ROUND_DIR / "svar" / "lerum.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["comments"][-1]["id"] == "lerum-3"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("  - id: lerum-3")] + text[text.index("# avtal remiss import"):],
                    encoding="utf-8")
    run(sources, manual(inbox, "b.yaml", party="lerum", comments=[*LERUM_1[:2], {"text": "Ny."}]),
        received=LATER)
    assert [c["id"] for c in record(sources, "lerum")["comments"]] == ["lerum-1", "lerum-2", "lerum-4"]


def test_a_hand_edited_record_is_appended_to_never_rewritten(sources, inbox):
    run(sources, manual(inbox, "a.yaml", party="lerum", comments=LERUM_1))
    path = sources / ROUND_DIR / "svar" / "lerum.yaml"
    original = path.read_text(encoding="utf-8")
    # The group corrects a comment and leaves a note, as people do in a YAML file.
    edited = original.replace("Lerums kommun ställer sig i huvudsak bakom förslaget.",
                              "Lerum ställer sig bakom förslaget (rättat av sekreteraren).")
    edited = edited.replace("comments:\n", "# Kontrollerat mot originalet 2025-05-05.\ncomments:\n")
    path.write_text(edited, encoding="utf-8")
    second = [LERUM_1[0], dict(LERUM_1[1], stance="invänder", text="Vi invänder ändå."), LERUM_1[2],
              {"text": "Tillägg i andra omgången."}]
    report = run(sources, manual(inbox, "b.yaml", party="lerum", comments=second), received=LATER)
    after = path.read_text(encoding="utf-8")
    body = edited.rsplit("# avtal remiss import", 1)[0]
    # Every line the person wrote is still there, in order, untouched.
    lines = iter(after.splitlines())
    assert all(any(line == mine for line in lines) for mine in body.splitlines())
    data = yaml.safe_load(after)
    by_id = {c["id"]: c for c in data["comments"]}
    assert by_id["lerum-3"]["text"] == "Lerum ställer sig bakom förslaget (rättat av sekreteraren)."
    assert "flags" not in by_id["lerum-3"]  # the person's version of it is not touched
    assert by_id["lerum-2"] == yaml.safe_load(original)["comments"][1]
    assert by_id["lerum-4"]["text"] == "Vi invänder ändå."
    assert by_id["lerum-4"]["flags"] == ["ändrad i revision 2 (jämför lerum-2)"]
    assert by_id["lerum-5"]["text"] == "Tillägg i andra omgången."
    assert [r["number"] for r in data["revisions"]] == [1, 2]
    assert "edited by hand" in str(report)
    # And it stays a hand-edited record: importing the same file again changes nothing.
    before = snapshot(sources)
    run(sources, inbox / "b.yaml", received=LATER)
    assert snapshot(sources) == before


def test_a_manual_answer_is_validated_like_a_source_file(sources, inbox):
    path = inbox / "fel.yaml"
    text = textwrap.dedent("""\
        round: remiss-2025
        party: lerum
        comments:
          - clause: inledning.syfe
            stance: emot
            text: Fel.
          - text: Rätt.
            kommentar: okänd nyckel
        """)
    path.write_text(text, encoding="utf-8")
    before = snapshot(sources)
    with pytest.raises(SourceError) as raised:
        run(sources, path)
    shown = [str(p) for p in raised.value.problems]
    name = str(path)
    line, col = position(text, "emot")
    assert any(s.startswith(f"{name}:{line}:{col}: error") and "instämmer" in s for s in shown), shown  # the values
    line, col = position(text, "kommentar")
    assert any(s.startswith(f"{name}:{line}:{col}: error") and "unknown key 'kommentar'" in s for s in shown), shown
    assert snapshot(sources) == before
    path.write_text(text.replace("stance: emot", "stance: invänder").replace("    kommentar: okänd nyckel\n", ""),
                    encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        run(sources, path)
    (problem,) = raised.value.problems
    line, col = position(text, "inledning.syfe")
    assert str(problem).startswith(f"{name}:{line}:{col}: error [inledning.syfe]: unknown clause 'inledning.syfe' "
                                   "(did you mean 'inledning.syfte'?)")
    assert SYFTE in clause_ids(sources)


def test_a_manual_answer_gives_question_answers_and_consequences_checked_against_the_round(sources, inbox):
    asked = yaml.safe_load((sources / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8"))["letter"]["questions"]
    text = textwrap.dedent(f"""\
        round: remiss-2025
        party: lerum
        questions:
          - number: 1
            question: {asked[0]}
            answer: Ja.
          - number: 2
            question: Är förslaget bra?
            answer: Nej.
          - number: 9
            question: {asked[0]}
            answer: Kanske.
        consequences:
          children: Inga.
        comments:
          - text: Rätt.
        """)
    path = inbox / "lerum.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        run(sources, path)
    shown = [str(p) for p in raised.value.problems]
    line, col = position(text, "Är förslaget bra?")
    assert any(s.startswith(f"{path}:{line}:{col}: error") and asked[1] in s for s in shown), shown
    line, col = position(text, "9")
    assert any(s.startswith(f"{path}:{line}:{col}: error") and "from 1 to 3" in s for s in shown), shown
    good = text.replace("Är förslaget bra?", asked[1]).replace("number: 9", "number: 3").replace(
        f"question: {asked[0]}\n    answer: Kanske.", f"question: {asked[2]}\n    answer: Kanske.")
    path.write_text(good, encoding="utf-8")
    run(sources, path)
    data = record(sources, "lerum")
    assert [(q["number"], q["question"], q["answer"]) for q in data["questions"]] == [
        (1, asked[0], "Ja."), (2, asked[1], "Nej."), (3, asked[2], "Kanske.")]
    assert data["consequences"] == {"children": "Inga."}


def test_a_manual_answer_for_another_round_is_refused(sources, inbox):
    path = manual(inbox, "x.yaml", party="lerum", round="remiss-2023", comments=LERUM_1)
    with pytest.raises(SourceError) as raised:
        run(sources, path)
    assert "answer for round 'remiss-2023'" in str(raised.value)
    assert not (sources / ROUND_DIR).exists()


# -- who answered --

def test_a_file_whose_party_cannot_be_told_is_refused_unless_party_is_given(sources, inbox):
    path = manual(inbox, "svar.yaml", party=None, comments=LERUM_1)
    with pytest.raises(SourceError) as raised:
        run(sources, path)
    (problem,) = raised.value.problems
    assert f"cannot tell which party sent {path}" in problem.message and "give --party ID" in problem.message
    assert not (sources / ROUND_DIR).exists()
    run(sources, path, party="alingsas")
    assert record(sources, "alingsas")["party"] == "alingsas"


def test_party_comes_from_the_file_name(sources):
    book = load_parties(sources, Problems())
    names = {
        "Remissvar Borås Stad huvudavtal.docx": ["boras"],
        "Yttrande från Dals-Eds kommun.pdf": ["dals-ed"],
        "Marks kommuns remissvar.docx": ["mark"],
        "Lilla Edets kommun - svar.docx": ["lilla-edet"],
        "Göteborgs Stad yttrande.docx": ["goteborg"],
        "Skara kommun.pdf": ["skara"],  # not Skaraborg
        "Skaraborgs kommunalförbund gemensamt svar.docx": ["skaraborg"],
        "Göteborgsregionen (GR) remissvar.pdf": ["gr"],
        "Boråsregionen Sjuhärads kommunalförbund.docx": ["sjuharad"],
        "VGR svar.docx": ["vgr"],
        "Remissvar.docx": [],
        "Svar Ale och Alingsås.docx": ["ale", "alingsas"],
    }
    for name, expected in names.items():
        assert parties_in_name(name, book) == expected, name


def test_party_overrides_what_the_file_name_says(sources, inbox):
    path = manual(inbox, "Borås Stad.yaml", party=None, comments=LERUM_1)
    report = run(sources, path, party="bollebygd")
    assert record(sources, "bollebygd")["comments"][0]["text"] == LERUM_1[0]["text"]
    assert not (sources / ROUND_DIR / "svar" / "boras.yaml").exists()
    assert "from bollebygd (--party)" in str(report)


def test_an_unknown_party_is_refused_with_a_suggestion(sources, inbox):
    with pytest.raises(SourceError) as raised:
        run(sources, manual(inbox, "x.yaml", party=None, comments=LERUM_1), party="borasstad")
    assert "unknown party 'borasstad'" in str(raised.value)


def test_a_joint_answer_records_whom_it_covers_and_a_member_keeps_its_own(sources, inbox):
    members = ("bengtsfors", "dals-ed", "tanum")
    run(sources, manual(inbox, "tanum.yaml", party="tanum", comments=[{"text": "Eget svar."}]))
    report = run(sources, manual(inbox, "Fyrbodals kommunalförbund.yaml", party=None,
                                 comments=[{"text": "Gemensamt svar från Fyrbodal."}]), on_behalf_of=members)
    assert "from fyrbodal (from the file name)" in str(report)
    joint = record(sources, "fyrbodal")
    assert joint["on_behalf_of"] == list(members)
    assert record(sources, "tanum")["comments"][0]["text"] == "Eget svar."
    states = {r.party: (r.state, r.joint_via) for r in round_status(sources, ROUND).recipients}
    assert states["bengtsfors"] == ("joint", "fyrbodal") and states["dals-ed"] == ("joint", "fyrbodal")
    assert states["tanum"] == ("answered", None)


def test_a_joint_answer_cannot_cover_an_unknown_party(sources, inbox):
    with pytest.raises(SourceError) as raised:
        run(sources, manual(inbox, "f.yaml", party="fyrbodal", comments=[{"text": "x"}]),
            on_behalf_of=("bengtsfors", "bengtsfor"))
    assert "unknown party 'bengtsfor' in --on-behalf-of (did you mean 'bengtsfors'?)" in str(raised.value)


# -- letters --

def test_a_letter_is_one_general_comment_flagged_for_splitting(sources, inbox):
    paragraphs = ["Remissvar från Ale kommun", "Kommunstyrelsen beslutade 2025-04-10, § 45, att lämna följande "
                  "yttrande.", "Kommunen anser att ansvaret för hjälpmedel behöver förtydligas."]
    report = run(sources, letter_docx(inbox / "Yttrande Ale kommun.docx", paragraphs))
    data = record(sources, "ale")
    (comment,) = data["comments"]
    assert comment["source"] == "letter" and comment["flags"] == ["brev: dela upp i synpunkter"]
    assert all(p in comment["text"] for p in paragraphs)
    assert "clause" not in comment
    assert data["decided_by"] == {"body": "Kommunstyrelsen", "date": dt.date(2025, 4, 10), "paragraph": "§ 45"}
    assert data["revisions"][0]["files"][0]["kind"] == "letter"
    assert "letter (Word) from ale (from the file name)" in str(report)


def test_a_pdf_letter_is_read_from_its_text_layer_and_its_copy_adds_nothing(sources, inbox):
    paragraphs = ["Härryda kommun har inga synpunkter på förslaget.", "Med vänlig hälsning, Härryda kommun"]
    word = letter_docx(inbox / "Remissvar Härryda kommun.docx", paragraphs)
    pdf = letter_pdf(inbox / "Remissvar Härryda kommun.pdf", paragraphs)
    report = run(sources, pdf, word)
    data = record(sources, "harryda")
    (comment,) = data["comments"]  # one comment, not two
    assert "inga synpunkter" in comment["text"]
    assert {f["kind"] for f in data["revisions"][0]["files"]} == {"letter"}
    assert len(data["revisions"][0]["files"]) == 2  # both files kept
    (pdf_report,) = [f for f in report.files if f.file.endswith(".pdf")]
    assert any("kept, no new comment" in note for note in pdf_report.notes)
    assert comment["stance"] == "ingen erinran"  # all it says is that it has no comments
    # Alone, the PDF is a letter like any other.
    run(sources, letter_pdf(inbox / "Öckerö kommun.pdf", ["Öckerö kommun tillstyrker förslaget."]))
    assert "Öckerö kommun tillstyrker förslaget." in record(sources, "ockero")["comments"][0]["text"]


# -- untrusted input --

@pytest.mark.parametrize("content, reason", [
    (raw_zip(docx_members(main=CT_DOCM)), "refused: macro-enabled"),
    (raw_zip(docx_members(XXE_PASSWD)), "refused: word/document.xml has a DOCTYPE"),
], ids=["docm", "xxe"])
def test_a_crafted_file_is_refused_and_nothing_is_written(sources, inbox, content, reason):
    good = manual(inbox, "lerum.yaml", party="lerum", comments=LERUM_1)
    crafted = inbox / "Remissvar Borås Stad.docx"
    crafted.write_bytes(content)
    before = snapshot(sources)
    with pytest.raises(SourceError) as raised:
        run(sources, good, crafted)
    (problem,) = raised.value.problems
    assert str(problem).startswith(f"{crafted}: error: {reason}"), str(problem)
    assert snapshot(sources) == before  # the good file was not imported either


# -- batch lists --

def test_a_batch_list_imports_many_files_each_with_its_own_sender_and_date(sources, inbox, capsys):
    manual(inbox, "a.yaml", party=None, comments=LERUM_1)
    manual(inbox, "b.yaml", party=None, comments=[{"text": "Gemensamt."}])
    batch = inbox / "diarium.yaml"
    batch.write_text(textwrap.dedent("""\
        files:
          - file: a.yaml
            party: lerum
            received: 2025-05-02
          - file: b.yaml
            party: gr
            on_behalf_of: [ale, partille]
            received: 2025-05-12
        """), encoding="utf-8")
    assert main(["--sources", str(sources), "remiss", "import", ROUND, "--batch", str(batch)]) == 0
    assert record(sources, "lerum")["revisions"][0]["received"] == dt.date(2025, 5, 2)
    gr = record(sources, "gr")
    assert gr["revisions"][0]["received"] == dt.date(2025, 5, 12) and gr["on_behalf_of"] == ["ale", "partille"]
    before = snapshot(sources)
    assert main(["--sources", str(sources), "remiss", "import", ROUND, "--batch", str(batch)]) == 0
    assert snapshot(sources) == before  # idempotent: what `make` relies on
    assert "2 file(s) already imported; 0 file(s) written" in capsys.readouterr().out


def test_a_batch_list_names_its_own_mistakes_by_line(sources, inbox):
    batch = inbox / "diarium.yaml"
    batch.write_text("files:\n  - file: saknas.docx\n    received: 2025-05-02\n", encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        import_files(sources, ROUND, [], batch=batch)
    assert str(raised.value).startswith(f"{batch}:2:11: error: no such file")


def test_reading_many_files_in_worker_processes_gives_the_same_records(tmp_path, inbox, monkeypatch):
    from avtal.remiss.incoming import recognise

    parties = ["ale", "alingsas", "boras", "lerum", "partille", "molndal", "kungalv", "harryda", "tjorn"]
    files = [manual(inbox, f"{p}.yaml", party=p, comments=[*LERUM_1, {"text": f"Svar från {p}."}]) for p in parties]
    assert len(files) >= recognise.PARALLEL_MIN
    trees = []
    for parallel in (True, False):
        sources = copy_sources(tmp_path / f"{parallel}" / "sources")
        if not parallel:
            monkeypatch.setattr(recognise, "PARALLEL_MIN", 10 ** 9)
        run(sources, *files)
        trees.append(snapshot(sources / ROUND_DIR))
    assert trees[0] == trees[1]
    assert len([k for k in trees[0] if k.startswith("svar/")]) == len(parties)


# -- atomicity --

def import_twice_setup(sources: Path, inbox: Path) -> list[Path]:
    """Revision 1 for Lerum imported; returns the files of a second import touching two records."""
    run(sources, manual(inbox, "a.yaml", party="lerum", comments=LERUM_1))
    return [manual(inbox, "b.yaml", party="lerum", comments=LERUM_1[:1]),
            manual(inbox, "c.yaml", party="ale", comments=[{"text": "Ale svarar."}])]


def test_an_import_that_fails_at_any_write_leaves_every_file_as_it_was(sources, inbox, monkeypatch):
    files = import_twice_setup(sources, inbox)
    before = snapshot(sources)
    real = os.replace
    # 4 files to write (2 records, 2 kept originals) plus the journal: fail at each rename in turn.
    for failing in range(1, 6):
        calls = []

        def flaky(src, dst):
            calls.append(dst)
            if len(calls) == failing:
                raise OSError(5, "Input/output error", str(dst))
            return real(src, dst)

        monkeypatch.setattr(answers.os, "replace", flaky)
        with pytest.raises(SourceError) as raised:
            run(sources, *files, received=LATER)
        monkeypatch.setattr(answers.os, "replace", real)
        assert "nothing was changed" in str(raised.value)
        assert snapshot(sources) == before, failing
    run(sources, *files, received=LATER)  # and then it works
    assert len(record(sources, "lerum")["revisions"]) == 2


KILL = """
import datetime as dt, os, signal, sys
from pathlib import Path
from avtal.remiss.record import answers
from avtal.remiss.incoming.importer import import_files
real, calls = os.replace, []
def deadly(src, dst):
    calls.append(dst)
    if len(calls) == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst)
answers.os.replace = deadly
import_files(Path(sys.argv[1]), "remiss-2025", [Path(p) for p in sys.argv[3:]], received=dt.date(2025, 5, 14))
"""


@pytest.mark.parametrize("kill_at", [1, 2, 3, 5])
def test_an_import_killed_at_any_write_is_undone_by_the_next_command(sources, inbox, kill_at):
    files = import_twice_setup(sources, inbox)
    before = snapshot(sources)
    done = subprocess.run([sys.executable, "-c", KILL, str(sources), str(kill_at), *map(str, files)],
                          capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert snapshot(sources) != before or kill_at == 1  # it was killed half-way
    round_status(sources, ROUND)  # any command that reads the round rolls it back first
    assert snapshot(sources) == before


# -- svarsformulär --

BORAS_ROWS = {
    SYFTE: ("invänder", "Barnperspektivet saknas.\nSe barnkonventionen.", "Avtalet ska särskilt beakta barnets bästa."),
    BAKGRUND: ("instämmer", "", ""),
    "inledning.avtalsparter": (None, "Kommentar utan ställningstagande.", ""),
}
BORAS_GENERAL = "Borås Stad ställer sig i huvudsak bakom förslaget."


def filled_boras(pack: Path, out: Path, **changes) -> Path:
    args = dict(rows=BORAS_ROWS, general=BORAS_GENERAL, decided_by=("Kommunstyrelsen", "2025-04-15", "§ 45"),
                outside=["Vi vill också nämna detta."])
    args.update(changes)
    return fill_form(form_of(pack, "boras"), out, **args)


def form_rows(data: dict) -> dict[str, tuple]:
    return {c["clause"]: (c.get("stance"), c.get("text", ""), c.get("proposal", ""))
            for c in data["comments"] if c["source"] == "form"}


def expected_rows(rows: dict) -> dict[str, tuple]:
    return {clause: (stance, comment, proposal or "") for clause, (stance, comment, proposal) in rows.items()}


def test_a_filled_form_names_its_party_and_gives_every_row(sources, pack, inbox):
    path = filled_boras(pack, inbox / "Remissvar.docx")  # the file name names no party: the form does
    report = run(sources, path)
    data = record(sources, "boras")
    assert form_rows(data) == expected_rows(BORAS_ROWS)
    general = [c for c in data["comments"] if c["source"] == "form-general"]
    assert [c["text"] for c in general] == [BORAS_GENERAL]
    (outside,) = [c for c in data["comments"] if c["source"] == "form-outside"]
    assert outside["text"] == "Vi vill också nämna detta." and outside["flags"] == ["skriven utanför formulärets fält"]
    assert data["decided_by"] == {"body": "Kommunstyrelsen", "date": dt.date(2025, 4, 15), "paragraph": "§ 45"}
    assert data["revisions"][0]["files"][0]["kind"] == "form"
    assert "Remissvar.docx: svarsformulär from boras (named in the form)" in str(report)


@pytest.mark.client
def test_a_form_resaved_by_libreoffice_still_names_its_party_and_rows(sources, pack, inbox):
    soffice = require_client("soffice")
    filled = filled_boras(pack, inbox / "filled" / "Remissvar.docx")
    (resaved,) = libreoffice_resave([filled], inbox / "resaved", soffice)
    run(sources, resaved)
    assert form_rows(record(sources, "boras")) == expected_rows(BORAS_ROWS)


def test_a_resubmitted_form_is_revision_two_with_changes_flagged(sources, pack, inbox):
    run(sources, filled_boras(pack, inbox / "Remissvar Borås Stad.docx"))
    first = {c["clause"]: c["id"] for c in record(sources, "boras")["comments"] if c["source"] == "form"}
    rows = dict(BORAS_ROWS)
    rows[SYFTE] = ("synpunkt", "Barnperspektivet bör stärkas.", "")
    del rows["inledning.avtalsparter"]
    report = run(sources, filled_boras(pack, inbox / "Remissvar Borås Stad rev.docx", rows=rows), received=LATER)
    data = record(sources, "boras")
    by_id = {c["id"]: c for c in data["comments"]}
    assert [r["number"] for r in data["revisions"]] == [1, 2]
    changed = by_id[first[SYFTE]]
    assert (changed["stance"], changed["text"]) == ("synpunkt", "Barnperspektivet bör stärkas.")
    assert changed["flags"] == ["ändrad i revision 2"]
    assert by_id[first["inledning.avtalsparter"]]["flags"] == ["borttagen i revision 2"]
    assert "flags" not in by_id[first[BAKGRUND]]
    assert "revision 2: 0 added, 1 changed, 3 unchanged, 1 removed" in str(report)


def retagged(form: Path, out: Path, old: str, new: str, where: str) -> Path:
    """The form with one identity value changed in its properties and hidden header marker (an old or foreign form)."""
    import re
    import zipfile

    with zipfile.ZipFile(form) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/custom.xml":
                data = re.sub(rf'(name="avtal.{where}"><vt:lpwstr>){re.escape(old)}'.encode(), rb"\g<1>" + new.encode(),
                              data)
            elif re.fullmatch(r"word/header\d*\.xml", item.filename):
                mark = {"round": "round", "version_checksum": "sha256"}[where]
                data = data.replace(f"{mark}={old}".encode(), f"{mark}={new}".encode())
            dst.writestr(item, data)
    return out


def test_a_form_of_another_round_or_version_is_refused(sources, pack, inbox):
    filled = filled_boras(pack, inbox / "filled.docx")
    other_round = retagged(filled, inbox / "Borås gammal omgång.docx", ROUND, "remiss-2023", "round")
    text = zipfile_text(filled, "docProps/custom.xml")
    checksum = text.split('name="avtal.version_checksum"><vt:lpwstr>')[1][:64]
    other_version = retagged(filled, inbox / "Borås annan version.docx", checksum, "0" * 64, "version_checksum")
    with pytest.raises(SourceError) as raised:
        run(sources, other_round, other_version)
    messages = [str(p) for p in raised.value.problems]
    assert len(messages) == 2
    assert any(m.startswith(f"{other_round}: error: a svarsformulär of round 'remiss-2023'") for m in messages)
    assert any(m.startswith(f"{other_version}: error: a svarsformulär for version 'remiss-2025' (checksum 000000000000")
               and f"(checksum {checksum[:12]}…)" in m for m in messages), messages
    assert not (sources / ROUND_DIR).exists()


def zipfile_text(path: Path, name: str) -> str:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


# -- returned drafts --

DELETED = "från erfarenheterna av tidigare avtal och"


def lerum_draft(pack: Path, out: Path, remark: str = "Bra formulering.", replace: bool = True) -> Path:
    from ..wordlike import annotate_draft

    return annotate_draft(huvudavtal_of(pack, "lerum"), out, author="Eva Lind", date=dt.date(2025, 4, 20),
                          comments=[(SYFTE, "trygg, säker och sammanhållen vård", remark)],
                          replacements=[(SYFTE, "effektivt användande", "effektiv användning")] if replace else [],
                          deletions=[(BAKGRUND, DELETED)])


def test_a_returned_draft_gives_one_comment_per_remark_and_tracked_change(sources, pack, inbox):
    path = lerum_draft(pack, inbox / "Lerums kommun - huvudavtalet med synpunkter.docx")
    report = run(sources, path)
    data = record(sources, "lerum")
    by_source = {c["source"]: c for c in data["comments"]}
    assert set(by_source) == {"word-comment", "insertion", "deletion"}
    remark = by_source["word-comment"]
    assert (remark["clause"], remark["text"], remark["author"]) == (SYFTE, "Bra formulering.", "Eva Lind")
    assert "trygg, säker och sammanhållen vård" in remark["quote"]
    change = by_source["insertion"]
    assert change["clause"] == SYFTE and "effektiv användning" in change["proposal"]
    assert "effektivt användande" in change["quote"]
    deletion = by_source["deletion"]
    assert deletion["clause"] == BAKGRUND and DELETED in deletion["quote"]
    assert data["revisions"][0]["files"][0]["kind"] == "draft"
    assert "returned draft (huvudavtal) from lerum (from the file name)" in str(report)


def test_a_returned_draft_without_a_party_in_its_name_needs_party(sources, pack, inbox):
    path = lerum_draft(pack, inbox / "huvudavtal med kommentarer.docx")
    with pytest.raises(SourceError) as raised:
        run(sources, path)
    (problem,) = raised.value.problems
    assert problem.message.startswith(f"cannot tell which party sent {path} (returned draft (huvudavtal))")
    assert problem.message.endswith("give --party ID")
    run(sources, path, party="lerum")
    assert len(record(sources, "lerum")["comments"]) == 3


def test_a_resubmitted_draft_keeps_ids_and_flags_what_changed_or_went(sources, pack, inbox):
    run(sources, lerum_draft(pack, inbox / "Lerum huvudavtal.docx"))
    ids = {c["source"]: c["id"] for c in record(sources, "lerum")["comments"]}
    run(sources, lerum_draft(pack, inbox / "Lerum huvudavtal v2.docx", remark="Mycket bra formulering.",
                             replace=False), received=LATER)
    by_id = {c["id"]: c for c in record(sources, "lerum")["comments"]}
    assert by_id[ids["word-comment"]]["text"] == "Mycket bra formulering."
    assert by_id[ids["word-comment"]]["flags"] == ["ändrad i revision 2"]
    assert by_id[ids["insertion"]]["flags"] == ["borttagen i revision 2"]
    assert "flags" not in by_id[ids["deletion"]]
    assert len(by_id) == 3


def test_a_word_comment_on_the_reviewer_s_own_change_is_one_comment_with_it(sources, pack, inbox):
    from ..wordlike import Remark, annotate_draft

    old, new = "effektivt användande", "effektiv användning"
    path = annotate_draft(huvudavtal_of(pack, "lerum"), inbox / "Lerums kommun.docx", author="Eva Lind",
                          date=dt.date(2025, 4, 20), comments=[Remark(SYFTE, old, "Språkligt: böjningen.")],
                          replacements=[(SYFTE, old, new)])
    run(sources, path)
    (comment,) = record(sources, "lerum")["comments"]
    assert comment["source"] == "insertion" and new in comment["proposal"]
    assert comment["text"].endswith("\n\nSpråkligt: böjningen.")


def test_a_form_that_only_says_inga_synpunkter_is_an_answer_with_no_comments(sources, pack, inbox):
    run(sources, fill_form(form_of(pack, "harryda"), inbox / "Härryda.docx", general="Härryda kommun har inga "
                           "synpunkter på förslaget."))
    (comment,) = record(sources, "harryda")["comments"]
    assert comment["stance"] == "ingen erinran" and comment["source"] == "form-general"
    run(sources, fill_form(form_of(pack, "tjorn"), inbox / "Tjörn.docx", general="Tjörn har inga synpunkter utöver "
                           "detta.", rows={SYFTE: ("invänder", "Men här invänder vi.", "")}))
    assert "stance" not in [c for c in record(sources, "tjorn")["comments"] if c["source"] == "form-general"][0]
    states = {r.party: r.state for r in round_status(sources, ROUND).recipients}
    assert states["harryda"] == "no-comments" and states["tjorn"] == "answered"


def test_a_kommunalforbund_answering_on_a_member_s_form_is_filed_under_it(sources, pack, inbox):
    path = filled_boras(pack, inbox / "Boråsregionen gemensamt svar.docx")
    members = ("svenljunga", "tranemo")
    report = run(sources, path, party="sjuharad", on_behalf_of=members)
    assert record(sources, "sjuharad")["on_behalf_of"] == list(members)
    assert not (sources / ROUND_DIR / "svar" / "boras.yaml").exists()
    assert "the file names boras; filed as sjuharad's answer (--party)" in str(report)


def test_the_forms_questions_joint_answer_and_consequences_go_into_the_record(sources, pack, inbox):
    asked = yaml.safe_load((sources / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8"))["letter"]["questions"]
    fields = {"question.2": "Ja, om läkarstödet i hemmet säkras.",
              "covers": "Svenljunga kommun och Tranemo kommun",
              "consequences.economic": "Ingen större påverkan på kostnaderna.",
              "consequences.children": "Barn i familjehem får en tydligare fast vårdkontakt."}
    path = filled_boras(pack, inbox / "Remissvar.docx", fields=fields)
    run(sources, path)
    data = record(sources, "boras")
    assert data["questions"] == [{"number": 2, "question": asked[1], "answer": fields["question.2"]}]
    assert data["on_behalf_of"] == ["svenljunga", "tranemo"]
    assert data["consequences"] == {"economic": fields["consequences.economic"],
                                    "children": fields["consequences.children"]}


def test_a_joint_answer_naming_someone_who_is_not_a_party_is_recorded_without_them_and_said(sources, pack, inbox):
    path = filled_boras(pack, inbox / "Remissvar.docx", fields={"covers": "Borås Stad, Tranemo kommun, Ankeborg"})
    report = run(sources, path)
    assert record(sources, "boras")["on_behalf_of"] == ["tranemo"]
    assert "the form says the answer also covers 'Ankeborg': not one party of " in str(report)
    assert "also covers 'Borås Stad" not in str(report) and "also covers 'Tranemo" not in str(report)


def test_an_answer_record_without_the_forms_new_fields_stays_as_it_was(sources, pack, inbox):
    run(sources, filled_boras(pack, inbox / "Remissvar.docx"))
    data = record(sources, "boras")
    assert not {"questions", "consequences", "on_behalf_of"} & set(data)


def test_a_hand_edited_record_that_cannot_be_appended_to_is_refused(sources, inbox):
    run(sources, manual(inbox, "a.yaml", party="lerum", comments=LERUM_1))
    path = sources / ROUND_DIR / "svar" / "lerum.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # A person rewrote the whole file in their own layout (revisions as a flow list).
    rev = data["revisions"][0]
    text = (f"round: {ROUND}\nparty: lerum\nrevisions: [{{number: 1, received: {rev['received']}, files: []}}]\n"
            "comments:\n  - {id: lerum-1, text: Kort., source: manual}\n")
    path.write_text(text, encoding="utf-8")
    before = snapshot(sources)
    with pytest.raises(SourceError) as raised:
        run(sources, manual(inbox, "b.yaml", party="lerum", comments=[{"text": "Ny."}]), received=LATER)
    assert "was edited by hand since it was imported" in str(raised.value)
    assert "add the revision by hand, or restore the file" in str(raised.value)
    assert snapshot(sources) == before


def test_make_s_import_of_the_committed_sample_changes_nothing(tmp_path):
    """`make` imports samples/remiss-2025/inkommande/ on every run: on the committed records it is a no-op."""
    from tests.conftest import ROOT, SOURCES

    batch = ROOT / "samples" / ROUND / "inkommande" / "diarium.yaml"
    if not (SOURCES / ROUND_DIR / "svar").exists():
        pytest.skip("the sample round has not been imported")
    import shutil

    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    before = snapshot(sources)
    report = import_files(sources, ROUND, [], batch=batch)
    assert report.written == [] and snapshot(sources) == before
    assert all(f.revision is None for f in report.files)


def _respoofed(form: Path, out: Path, real: str, other: str, real_name: str, other_name: str) -> Path:
    """The form with every hidden id of `real` (properties, page-header marker) edited to `other`."""
    import re
    import zipfile

    with zipfile.ZipFile(form) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    for name, data in parts.items():
        if name.endswith(".xml"):
            text = data.decode("utf-8")
            text = re.sub(rf"party={real}\b", f"party={other}", text)
            text = re.sub(rf"<vt:lpwstr>{real}</vt:lpwstr>", f"<vt:lpwstr>{other}</vt:lpwstr>", text)
            if name == "docProps/custom.xml":
                text = text.replace(real_name, other_name)
            parts[name] = text.encode("utf-8")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out


def test_a_form_whose_hidden_ids_name_another_party_than_its_text_is_refused_unless_party_is_given(sources, pack,
                                                                                                    inbox):
    import zipfile

    from ..records import parties

    names = {pid: p["name"] for pid, p in parties(sources).items()}
    filled = filled_boras(pack, inbox / "ifylld.docx")
    spoofed = _respoofed(filled, inbox / "Remissvar.docx", "boras", "goteborg", names["boras"], names["goteborg"])
    with zipfile.ZipFile(spoofed) as z:  # the edit reached the hidden ids
        assert any(b"party=goteborg" in z.read(n) for n in z.namelist())
    before = snapshot(sources)
    with pytest.raises(SourceError) as caught:
        run(sources, spoofed)
    message = str(caught.value)
    assert "Remissvar.docx" in message and f"hidden ids say it is {names['goteborg']}'s (goteborg)" in message
    assert f"visible text names {names['boras']}" in message and "--party" in message
    assert snapshot(sources) == before
    report = run(sources, spoofed, party="boras")
    assert form_rows(record(sources, "boras")) == expected_rows(BORAS_ROWS)
    assert not (sources / ROUND_DIR / "svar" / "goteborg.yaml").exists()
    assert "the file names goteborg; filed as boras's answer (--party)" in str(report)
