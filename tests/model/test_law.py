"""The pinpoint check: every {lag:…} and legal_basis against the statute snapshots in sources/lagar/.

One crafted change to the minimal tree per failure class; the expected line and column are found in
the fixture text itself. The fixture's HSL snapshot has 12 kap. 7 § from 2027-01-01 and 17 kap. 4 §
repealed from 2018-01-01 (as in the consolidated text).
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import re

import pytest

from avtal.model import law, load

from ..conftest import ROOT, SOURCES

HUVUD = "documents/huvudavtal.yaml"
CITED = "{lag:hsl 16 kap. 4 §}"  # in inledning.syfte


def only_error(problems):
    assert len(problems.errors) == 1, [str(p) for p in problems]
    return problems.errors[0]


def cite_in_huvudavtal(tree, new: str):
    tree.edit(HUVUD, CITED, new)
    _, problems = tree.load()
    error = only_error(problems)
    assert (error.location.file, error.location.line, error.location.column) == (
        tree.shown(HUVUD), *tree.position(HUVUD, new))
    assert error.where == "inledning.syfte"
    return error.message


def test_the_minimal_tree_cites_only_provisions_in_force(tree):
    corpus, problems = tree.load()
    assert corpus is not None and [str(p) for p in problems] == []


def test_a_missing_chapter_is_an_error_with_the_chapters_there_are(tree):
    message = cite_in_huvudavtal(tree, "{lag:hsl 19 kap. 4 §}")
    assert "has no 19 kap." in message and "its chapters are 12, 16–17" in message
    assert "did you mean 17 kap.?" in message


def test_a_missing_section_is_an_error_with_a_guess(tree):
    message = cite_in_huvudavtal(tree, "{lag:hsl 16 kap. 5 §}")
    assert message.startswith("16 kap. 5 § does not exist in hälso- och sjukvårdslagen (2017:30)")
    assert "did you mean 16 kap. 4 §?" in message


def test_a_repealed_section_is_an_error_saying_since_when(tree):
    message = cite_in_huvudavtal(tree, "{lag:hsl 17 kap. 4 §}")
    assert "is repealed from 2018-01-01" in message and "Har upphävts genom lag (2017:616)" in message
    assert "the document applies from 2027-01-01" in message


def test_a_section_not_yet_in_force_when_the_document_applies_is_an_error(tree):
    tree.edit(HUVUD, "valid_from: 2027-01-01", "valid_from: 2026-07-01")
    message = cite_in_huvudavtal(tree, "{lag:hsl 12 kap. 7 §}")
    assert message == ("12 kap. 7 § hälso- och sjukvårdslagen (2017:30) is in force only from 2027-01-01; "
                       "the document applies from 2026-07-01")


def test_the_same_section_is_fine_once_it_is_in_force(tree):
    tree.edit(HUVUD, CITED, "{lag:hsl 12 kap. 7 §}")
    corpus, problems = tree.load()
    assert corpus is not None and not problems.errors


def test_an_unknown_statute_is_an_error_with_a_guess(tree):
    message = cite_in_huvudavtal(tree, "{lag:hsll 16 kap. 4 §}")
    assert "unknown statute 'hsll'" in message and "did you mean 'hsl'?" in message


def test_a_legal_basis_pinpoint_is_checked_where_it_is_written(tree):
    tree.edit(HUVUD, "{law: hsl, chapter: 16, section: 1}", "{law: hsl, chapter: 16, section: 9}")
    _, problems = tree.load()
    error = only_error(problems)
    assert (error.location.line, error.location.column) == tree.position(HUVUD, "{law: hsl, chapter: 16, section: 9}")
    assert error.message.startswith("16 kap. 9 § does not exist")


def test_a_glossary_citation_is_checked_on_the_date_the_documents_apply(tree):
    tree.edit("terms.yaml", CITED, "{lag:hsl 16 kap. 2 §}")
    _, problems = tree.load()
    error = only_error(problems)
    assert (error.location.file, error.location.line) == (tree.shown("terms.yaml"),
                                                          tree.position("terms.yaml", "{lag:hsl 16 kap. 2 §}")[0])
    assert error.where == "sip" and "did you mean 16 kap. 1 §?" in error.message


def test_a_statute_without_a_snapshot_is_a_warning_naming_it(tree):
    (tree.sources / "lagar" / "lss.yaml").unlink()
    corpus, problems = tree.load()
    assert corpus is not None and not problems.errors
    [warning] = problems.warnings
    assert (warning.location.file, warning.location.line) == (tree.shown("statutes.yaml"),
                                                              tree.position("statutes.yaml", "id: lss")[0])
    assert warning.where == "lss" and "has no snapshot in sources/lagar/" in warning.message
    assert "2 citation(s)" in warning.message  # {lag:lss 9 §} and munhalsa's legal_basis


def test_a_statute_without_a_snapshot_that_says_why_is_only_a_note(tree):
    (tree.sources / "lagar" / "lss.yaml").unlink()
    tree.edit("statutes.yaml", "    chapters: false\n", "    chapters: false\n    unchecked: no consolidated text\n")
    _, problems = tree.load()
    assert not problems.strict().errors
    [note] = [p for p in problems if p.severity == "note"]
    assert note.where == "lss" and "(no consolidated text)" in note.message


def test_a_damaged_snapshot_is_a_problem_naming_the_file(tree):
    tree.write("lagar/hsl.yaml", "law: hsl\nsections: [{chapter: '16'}]\n")
    corpus, problems = tree.load()
    error = only_error(problems)
    assert corpus is None and error.location.file == tree.shown("lagar/hsl.yaml")
    assert "unreadable statute snapshot" in error.message and "tools/lagar_snapshot.py" in error.message


def test_a_snapshot_edited_after_it_was_cached_is_read_anew(tree):
    corpus, problems = tree.load()  # keeps hsl.yaml's snapshot under .build-cache/lagar/
    assert corpus is not None and not problems.errors
    assert list((tree.root / ".build-cache" / "lagar").glob("hsl-*.pickle"))
    tree.edit("lagar/hsl.yaml", "  section: '4'\n  from: 2017-04-01\n  text: |-", "  section: '4'\n  from: 2030-01-01\n  text: |-")
    messages = [p.message for p in tree.load()[1].errors]  # the clause's and the glossary's citation
    assert len(messages) == 2 and all(m.startswith("16 kap. 4 § hälso- och sjukvårdslagen (2017:30) is in force only "
                                                   "from 2030-01-01") for m in messages)


def test_a_damaged_cache_entry_is_rebuilt_from_the_snapshot(tree):
    tree.load()
    for entry in (tree.root / ".build-cache" / "lagar").glob("*.pickle"):  # another object, or not a pickle
        entry.write_bytes(pickle.dumps({"sections": 1}) if entry.name.startswith("hsl-") else b"not a pickle")
    law._CACHE.clear()  # as a new process starts
    corpus, problems = tree.load()
    assert corpus is not None and [str(p) for p in problems] == []
    message = cite_in_huvudavtal(tree, "{lag:hsl 16 kap. 5 §}")
    assert message.startswith("16 kap. 5 § does not exist in hälso- och sjukvårdslagen (2017:30)")


def test_a_frozen_version_gets_notes_against_its_own_date_never_errors(tree):
    tree.edit(HUVUD, CITED, "{lag:hsl 12 kap. 7 §}")  # in force from 2027-01-01; the version is dated 2025-01-30
    tree.write("version.yaml", "name: test\n")  # what `avtal freeze` writes marks a frozen version
    corpus, problems = tree.load()
    assert corpus is not None and not problems.strict().errors
    [note] = [p for p in problems if p.severity == "note"]
    assert (note.location.line, note.location.column) == tree.position(HUVUD, "{lag:hsl 12 kap. 7 §}")
    assert note.message == ("12 kap. 7 § hälso- och sjukvårdslagen (2017:30) is in force only from 2027-01-01; "
                            "the frozen version is dated 2025-01-30")


def test_the_sample_history_is_read_as_the_readme_says():
    """remiss-2025 (2025-01-30) cites SoL 2025:400, in force from 2025-07-01: notes, and it still loads."""
    corpus, problems = load(SOURCES / "versions" / "remiss-2025", root=ROOT)
    assert corpus is not None and not problems.strict().errors
    notes = [p.message for p in problems if p.severity == "note"]
    assert any(n.startswith("socialtjänstlagen (2025:400) is in force only from 2025-07-01; the frozen version is "
                            "dated 2025-01-30") for n in notes), notes


def test_the_web_text_of_a_cited_section_is_the_version_in_force(tree):
    corpus, _ = tree.load()
    from avtal.model.text import Cite
    import datetime as dt

    provision = corpus.provision(Cite("hsl", 16, "1"), dt.date(2027, 1, 1))
    assert provision is not None and provision.paragraphs()[1].startswith("Regionen ska med kommunerna")
    assert corpus.provision(Cite("hsl", 12, "7"), dt.date(2026, 12, 31)) is None


# ---- the snapshot generator ---------------------------------------------------------

def _generator():
    spec = importlib.util.spec_from_file_location("lagar_snapshot", ROOT / "tools" / "lagar_snapshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


CRAFTED = """\
# Provlag (SFS 2000:1)

Consolidated text as published 2025-12-15. Amendments:

- SFS 2010:5 (in force 2010-07-01): ändr. 1 kap. 1 §; nya 1 kap. 2 a, 2 b §§, rubr. närmast före 1 kap. 2 a §
- SFS 2012:7 (in force 2013-01-01): upph. 1 kap. 3 §
- SFS 2025:9 (in force 2027-01-01): nuvarande 2 kap. 1 § betecknas 2 kap. 2 §; ny 2 kap. 1 §

# Provlag

### 1 kap. Inledning

##### 1 §

Första stycket.

Andra stycket. Lag (2010:5).

##### 2 a §

Ny paragraf.

##### /24/ 2 b §

Också ny.

##### 3 § [upphavd]

Har upphävts genom lag (2012:7).

### 2 kap. Övrigt

##### /Ny beteckning 2 kap. 2 § U:2027-01-01/ 1 § [upphavd, until 2027-01-01]

Gammal lydelse.

##### 1 § [ikraft, from 2027-01-01]

Ny lydelse.

##### 2 § [ikraft, from 2027-01-01]

Gammal lydelse, nytt nummer.

## Övergångsbestämmelser

2000:1

1. Denna lag träder i kraft den 1 juli 2000.
"""


def test_the_generator_reads_notes_renumberings_and_amendment_dates():
    content = _generator().parse(CRAFTED)
    assert content["sfs"] == "2000:1" and str(content["in_force"]) == "2000-07-01"
    got = {(s["chapter"], s["section"], str(s["from"]), str(s.get("until")), s.get("repealed", False)): s["text"]
           for s in content["sections"]}
    assert got == {
        ("1", "1", "2000-07-01", "None", False): "Första stycket.\n\nAndra stycket. Lag (2010:5).",
        ("1", "2 a", "2010-07-01", "None", False): "Ny paragraf.",  # 'nya … 2 a, 2 b §§' gives its first day
        ("1", "2 b", "2010-07-01", "None", False): "Också ny.",
        ("1", "3", "2000-07-01", "2013-01-01", True): "Har upphävts genom lag (2012:7).",  # 'upph.' gives its end
        ("2", "1", "2000-07-01", "2027-01-01", False): "Gammal lydelse.",
        ("2", "1", "2027-01-01", "None", False): "Ny lydelse.",
        ("2", "2", "2027-01-01", "None", False): "Gammal lydelse, nytt nummer.",
    }
    assert content["chapters"] == [{"chapter": "1", "title": "Inledning"}, {"chapter": "2", "title": "Övrigt"}]


def test_the_committed_snapshots_are_what_the_generator_writes_from_the_law_texts():
    law = ROOT.parent / "shared" / "law"
    if not law.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{law} is missing: CI checks out shared/ beside the clone")
        pytest.skip(f"{law} is not here (it is in CI)")
    generator = _generator()
    for path in sorted(law.glob("*.md")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        if "(SFS " not in first:
            continue
        committed = {p.name: p for p in (SOURCES / "lagar").glob("*.yaml")}
        matches = [p for p in committed.values() if f"from {path.name}." in p.read_text(encoding="utf-8")[:300]]
        assert len(matches) == 1, f"no snapshot made from {path.name}"
        law_id = matches[0].stem
        assert generator.snapshot(path, law_id) == matches[0].read_text(encoding="utf-8"), (
            f"sources/lagar/{law_id}.yaml is stale: run tools/lagar_snapshot.py {law}")


def test_check_strict_passes_on_the_project_and_shows_the_notes(monkeypatch, capsys):
    """`make check`: the corrected sources pass; the frozen anachronism and unchecked statutes are notes."""
    from avtal.cli import main

    monkeypatch.chdir(ROOT)
    assert main(["check", "--strict"]) == 0
    _, err = capsys.readouterr()
    notes = [line for line in err.splitlines() if ": note " in line]
    assert any(line.startswith("sources/versions/remiss-2025/documents/") and "(2025:400)" in line for line in notes)
    assert {re.search(r"\[(\w+)\]", line).group(1) for line in notes if line.startswith("sources/statutes.yaml")} == {
        "utskrivningslagen", "patientlagen", "lpt", "lvm", "lou"}
    assert "error" not in err and "warning" not in err
