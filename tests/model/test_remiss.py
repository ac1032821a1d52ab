"""Parties and rounds: the real data matches the domain facts, and each bad round is a clear problem."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from avtal.model.problems import Problems, SourceError
from avtal.model.remiss import load_parties, load_round
from tests.conftest import SOURCES

# domain.md, "Municipalities by kommunalförbund (49)"
MEMBERS = {"fyrbodal": 14, "skaraborg": 15, "sjuharad": 8, "gr": 12}


@pytest.fixture
def sources(tmp_path) -> Path:
    """A copy of the real sources (parties, round, frozen versions) that a test may break."""
    copy = tmp_path / "sources"
    shutil.copytree(SOURCES, copy, ignore=shutil.ignore_patterns("svar", "inkommet", "*.xlsx"))
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fixture edit: {old!r} occurs {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems_of(sources: Path, round_id: str = "remiss-2025") -> list[str]:
    with pytest.raises(SourceError) as caught:
        load_round(sources, round_id)
    return [str(p) for p in caught.value.problems]


def test_the_real_parties_are_the_region_and_the_49_municipalities_by_kommunalforbund():
    problems = Problems()
    book = load_parties(SOURCES, problems)
    assert not problems.items
    assert len(book.parties) == 50
    assert [p.id for p in book.parties if p.kind == "region"] == ["vgr"]
    assert {g.id: len(book.members(g.id)) for g in book.groups} == MEMBERS
    assert "kungsbacka" not in {p.id for p in book.parties}  # a GR member, but in Halland
    assert all(p.email_placeholder and p.email.endswith(".example") for p in book.parties)


def test_the_sample_round_goes_to_all_50_with_at_least_three_months_to_answer():
    problems = Problems()
    info = load_round(SOURCES, "remiss-2025", problems=problems)
    assert not problems.items
    assert len(info.recipients) == 50
    assert info.source.version == "remiss-2025" and info.source.sent == dt.date(2025, 1, 30)
    assert info.source.deadline >= dt.date(2025, 4, 30)
    assert info.documents == ("huvudavtal", "lakarinsatser", "in-och-utskrivning", "psykisk-funktionsnedsattning",
                              "munhalsa")


def test_an_unknown_recipient_is_named_with_a_suggestion(sources):
    edit(sources / "remiss/remiss-2025.yaml", "contacts:", "recipients: [vgr, boraas]\ncontacts:")
    [message] = problems_of(sources)
    assert "remiss-2025.yaml:" in message and "unknown party 'boraas'" in message and "did you mean 'boras'" in message


def test_a_deadline_before_the_sent_date_is_an_error(sources):
    edit(sources / "remiss/remiss-2025.yaml", "deadline: 2025-05-09", "deadline: 2025-01-15")
    [message] = problems_of(sources)
    assert "error" in message and "deadline 2025-01-15 is not after the sent date 2025-01-30" in message


def test_a_deadline_under_three_months_is_a_warning_only(sources):
    edit(sources / "remiss/remiss-2025.yaml", "deadline: 2025-05-09", "deadline: 2025-03-31")
    problems = Problems()
    info = load_round(sources, "remiss-2025", problems=problems)
    assert info.id == "remiss-2025"
    [warning] = problems.items
    assert warning.severity == "warning" and "less than 3 months" in warning.message and "2025-04-30" in warning.message


def test_a_round_must_send_a_frozen_version(sources):
    edit(sources / "remiss/remiss-2025.yaml", "version: remiss-2025", "version: remiss-2026")
    [message] = problems_of(sources)
    assert "version 'remiss-2026' is not frozen" in message and "avtal freeze remiss-2026" in message


def test_an_unknown_round_lists_the_rounds_there_are(sources):
    [message] = problems_of(sources, "remiss-2052")
    assert "unknown remiss round 'remiss-2052'" in message and "remiss-2025" in message


def test_party_problems_are_all_reported_together(sources):
    path = sources / "parter.yaml"
    edit(path, "    kommunalforbund: sjuharad\n    email: kommunstyrelsen@bollebygd.example",
         "    kommunalforbund: sjuhrad\n    email: kommunstyrelsen@bollebygd.example")
    edit(path, "  - id: tjorn\n", "  - id: orust\n")
    edit(path, "email: kommunstyrelsen@hjo.example\n    email_placeholder: true",
         "email: kommunstyrelsen@hjo.example\n    email_placeholder: false")
    messages = problems_of(sources)
    assert len(messages) == 3, messages
    assert any("parter.yaml:" in m and "unknown kommunalförbund 'sjuhrad'" in m and "'sjuharad'" in m for m in messages)
    assert any("duplicate party, kommunalförbund or organisation id 'orust'" in m for m in messages)
    assert any("hjo.example" in m and "email_placeholder is false" in m for m in messages)


def test_a_misspelt_key_in_a_round_is_located(sources):
    edit(sources / "remiss/remiss-2025.yaml", "diarienummer: RS", "diarenummer: RS")
    messages = problems_of(sources)
    line = next(i for i, text in enumerate((sources / "remiss/remiss-2025.yaml").read_text().splitlines(), 1)
                if text.startswith("diarenummer"))
    assert any(f"remiss-2025.yaml:{line}:" in m and "diarenummer" in m for m in messages), messages


def test_avtal_check_reports_round_problems_with_the_document_problems(sources, capsys):
    from avtal.cli import main

    edit(sources / "remiss/remiss-2025.yaml", "deadline: 2025-05-09", "deadline: 2025-01-15")
    assert main(["--sources", str(sources), "check"]) == 1
    assert "deadline 2025-01-15 is not after the sent date" in capsys.readouterr().err


def test_the_sample_round_also_goes_to_remissinstanser_that_are_not_parties():
    info = load_round(SOURCES, "remiss-2025")
    assert [x.id for x in info.others][:4] == ["fyrbodal", "skaraborg", "sjuharad", "gr"]
    kinds = {getattr(x, "kind", None) for x in info.others}
    assert {"samverkansorgan", "brukarorganisation", "anhörigorganisation"} <= kinds
    assert not {x.id for x in info.others} & {p.id for p in info.recipients}
    assert len(info.addressees) == 50 + len(info.others)
    invented = [x for x in info.book.organisations if x.name_placeholder]
    assert invented and all(x.email_placeholder for x in invented)  # an invented body has no real address
    assert info.source.contacts and all(c.placeholder for c in info.source.contacts)


def line_of(path: Path, needle: str) -> int:
    return next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in text)


def test_an_unknown_or_misplaced_other_recipient_is_located_with_a_suggestion(sources):
    path = sources / "remiss/remiss-2025.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("other_recipients:")
    end = text.index("]", start) + 1
    path.write_text(text[:start] + "other_recipients: [vastkon, boras, gr, gr]" + text[end:], encoding="utf-8")
    line = line_of(path, "other_recipients:")
    messages = problems_of(sources)
    assert any(f"remiss-2025.yaml:{line}:" in m and "unknown remissinstans 'vastkon'" in m
               and "did you mean 'vastkom'" in m for m in messages), messages
    assert any(f"remiss-2025.yaml:{line}:" in m and "'boras' is a party" in m for m in messages), messages
    assert any("remissinstans 'gr' is listed twice" in m for m in messages), messages


def test_a_contact_with_an_example_address_must_be_marked_invented(sources):
    path = sources / "remiss/remiss-2025.yaml"
    edit(path, "    email: johan.berg@vastkom.example\n    phone: 031-335 00 00\n    placeholder: true",
         "    email: johan.berg@vastkom.example\n    phone: 031-335 00 00")
    line = line_of(path, "johan.berg@vastkom.example")
    (message,) = problems_of(sources)
    assert f"remiss-2025.yaml:{line}:" in message and "Johan Berg" in message and "placeholder: true" in message


def test_an_invented_organisation_must_not_have_a_real_address(sources):
    path = sources / "parter.yaml"
    edit(path, "    email: info@lankarna-vg.example\n    email_placeholder: true",
         "    email: info@lankarna.se\n    email_placeholder: false")
    line = line_of(path, "info@lankarna.se")
    (message,) = problems_of(sources)
    assert f"parter.yaml:{line}:" in message and "'lankarna-vg' is an invented example" in message
