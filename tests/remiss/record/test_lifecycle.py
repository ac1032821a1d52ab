"""A round's life from the command line: `remiss new`, `remiss extend` (and what status makes of it), a received
date corrected by importing again, and the command's manners (--version, bad dates, subfolders, did-you-mean).

Expected values come from the round file and pyproject.toml read with PyYAML/tomllib, and from dates written
here, never from the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest
import yaml

from avtal.cli import main
from avtal.remiss.incoming.importer import import_files
from avtal.remiss.record.status import round_status

from ...conftest import ROOT
from ..records import ROUND, copy_sources, manual, record, round_info

NEW = "remiss-2026"


@pytest.fixture
def sources(tmp_path):
    return copy_sources(tmp_path / "sources")


def _round(sources, round_id: str) -> dict:
    return yaml.safe_load((sources / "remiss" / f"{round_id}.yaml").read_text(encoding="utf-8"))


# -- remiss new --

def test_new_carries_recipients_contacts_and_questions_over_with_the_new_version_and_dates(sources, capsys):
    assert main(["--sources", str(sources), "remiss", "new", NEW, "--version", "forslag-2025-08", "--sent",
                 "2026-01-15"]) == 0
    old, new = _round(sources, ROUND), _round(sources, NEW)
    for key in ("title", "diarienummer", "sender", "contacts", "reply_to", "other_recipients", "letter"):
        assert new[key] == old[key], key
    assert new["letter"]["questions"] == old["letter"]["questions"] and len(new["letter"]["questions"]) == 3
    assert new["id"] == NEW and new["version"] == "forslag-2025-08" and new["compared_with"] == old["version"]
    assert new["sent"] == dt.date(2026, 1, 15) and new["deadline"] == dt.date(2026, 4, 15)  # three months
    assert "recipients" not in new and "name" not in new  # all 50, named by the sent date
    assert f"remiss/{NEW}.yaml from {ROUND}" in capsys.readouterr().out
    assert main(["--sources", str(sources), "check", "--strict"]) == 0  # the result is a valid round


def test_new_takes_the_deadline_given_and_refuses_an_existing_round_untouched(sources, capsys):
    assert main(["--sources", str(sources), "remiss", "new", NEW, "--version", "forslag-2025-08", "--from", ROUND,
                 "--sent", "2026-01-15", "--deadline", "2026-05-29", "--diarienummer", "RS 2026-00042"]) == 0
    path = sources / "remiss" / f"{NEW}.yaml"
    new = _round(sources, NEW)
    assert new["deadline"] == dt.date(2026, 5, 29) and new["diarienummer"] == "RS 2026-00042"
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["--sources", str(sources), "remiss", "new", NEW, "--version", "forslag-2025-08"]) == 1
    err = capsys.readouterr().err
    assert f"round '{NEW}' exists already" in err and "Traceback" not in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (["--version", "forslag-2025-8"], "version 'forslag-2025-8' is not frozen (did you mean 'forslag-2025-08'?)"),
    (["--version", "forslag-2025-08", "--from", "remiss-2052"], "unknown round (did you mean 'remiss-2025'?)"),
    (["--version", "forslag-2025-08", "--sent", "2026-03-01", "--deadline", "2026-02-01"],
     "--deadline 2026-02-01 is not after the sent date 2026-03-01"),
])
def test_new_refuses_bad_input_and_writes_nothing(sources, capsys, args, message):
    assert main(["--sources", str(sources), "remiss", "new", NEW, *args]) == 1
    assert message in capsys.readouterr().err
    assert not (sources / "remiss" / f"{NEW}.yaml").exists()


# -- extensions --

def test_an_extension_is_written_into_the_round_file_and_status_counts_lateness_by_it(sources, tmp_path, capsys):
    deadline = round_info(sources)["deadline"]
    late = deadline + dt.timedelta(days=5)
    for party in ("boras", "lerum"):
        path = manual(tmp_path / "in", f"{party}.yaml", party=party,
                      comments=[{"clause": "inledning.syfte", "stance": "synpunkt", "text": "Förtydliga."}])
        import_files(sources, ROUND, [path], received=late)
    text_before = (sources / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8")
    until = deadline + dt.timedelta(days=7)
    assert main(["--sources", str(sources), "remiss", "extend", ROUND, "boras", "--until", until.isoformat()]) == 0
    text = (sources / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8")
    assert text.startswith(text_before)  # comments and layout of the rest kept
    assert _round(sources, ROUND)["extensions"] == {"boras": until}

    rows = {r["party"]: r for r in json.loads(round_status(sources, ROUND).render("json"))["recipients"]}
    assert rows["boras"]["state"] == "answered" and rows["boras"]["late"] is False
    assert rows["boras"]["extended_to"] == until.isoformat()
    assert rows["lerum"]["state"] == "late" and rows["lerum"]["extended_to"] is None
    table = round_status(sources, ROUND).render("table")
    assert f"(deadline extended to {until})" in next(line for line in table.splitlines() if "Borås" in line)

    capsys.readouterr()
    assert main(["--sources", str(sources), "remiss", "extend", ROUND, "boras", "--remove"]) == 0
    assert "extensions" not in _round(sources, ROUND) or _round(sources, ROUND)["extensions"] == {}


@pytest.mark.parametrize("args, message", [
    (["bora", "--until", "2025-06-01"], "unknown party or remissinstans 'bora' (did you mean 'boras'?)"),
    (["boras", "--until", "2025-05-01"], "is not after the round's deadline 2025-05-09"),
])
def test_a_bad_extension_is_refused_and_the_round_file_kept(sources, capsys, args, message):
    path = sources / "remiss" / f"{ROUND}.yaml"
    before = path.read_bytes()
    assert main(["--sources", str(sources), "remiss", "extend", ROUND, *args]) == 1
    assert message in capsys.readouterr().err
    assert path.read_bytes() == before


# -- a received date corrected by importing again --

def test_importing_again_with_another_received_date_corrects_it_and_records_the_correction(sources, tmp_path,
                                                                                            capsys):
    path = manual(tmp_path / "in", "boras.yaml", party="boras",
                  comments=[{"clause": "inledning.syfte", "stance": "synpunkt", "text": "Förtydliga."}])
    wrong, right = dt.date(2025, 5, 20), dt.date(2025, 5, 8)
    import_files(sources, ROUND, [path], received=wrong)
    report = import_files(sources, ROUND, [path], received=right)
    assert "received date corrected, already imported" in str(report)
    (revision,) = record(sources, "boras")["revisions"]
    assert revision["received"] == right
    (correction,) = revision["corrections"]
    assert (correction["field"], correction["old"], correction["new"]) == ("received", wrong, right)
    assert correction["by"] and isinstance(correction["at"], dt.datetime)
    state = {r["party"]: r for r in json.loads(round_status(sources, ROUND).render("json"))["recipients"]}["boras"]
    assert state["received"] == right.isoformat() and state["late"] is False

    before = (sources / "remiss" / ROUND / "svar" / "boras.yaml").read_bytes()
    for again in (right, None):  # the same date, or none: nothing to correct
        assert "unchanged, already imported" in str(import_files(sources, ROUND, [path], received=again))
    assert (sources / "remiss" / ROUND / "svar" / "boras.yaml").read_bytes() == before


# -- the command's manners --

def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert capsys.readouterr().out.strip() == f"avtal {version}"


@pytest.mark.parametrize("argv, option", [
    (["remiss", "import", ROUND, "x.docx", "--received", "2025-13-01"], "--received"),
    (["freeze", "v1", "--date", "30/1/2025"], "--date"),
    (["remiss", "extend", ROUND, "boras", "--until", "imorgon"], "--until"),
])
def test_a_bad_date_is_one_line_naming_the_option_and_the_format(capsys, argv, option):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"argument {option}:" in err and "expected YYYY-MM-DD" in err


def test_a_command_run_from_a_subfolder_finds_the_projects_sources(sources, monkeypatch, capsys):
    project = sources.parent
    (project / "docs" / "notes").mkdir(parents=True)
    monkeypatch.chdir(project / "docs" / "notes")
    assert main(["remiss", "status", ROUND, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["round"] == ROUND
    assert main(["remiss", "extend", ROUND, "boras", "--until", "2025-06-01"]) == 0  # written in the project
    assert _round(sources, ROUND)["extensions"] == {"boras": dt.date(2025, 6, 1)}


def test_an_unknown_version_name_gets_a_did_you_mean(sources, tmp_path, capsys):
    assert main(["--sources", str(sources), "redline", "remiss-2025", "forslag-2025-8", "--dist",
                 str(tmp_path / "dist")]) == 1
    assert "unknown version 'forslag-2025-8' (did you mean 'forslag-2025-08'?)" in capsys.readouterr().err
