"""E-mail around the round's mail, against a real aiosmtpd server: `mail --to`, the deadline rule for `--send`,
progress, the one-line stale-pack message, `remind` and `receipt`.

The tree is the real sources with real-looking addresses (`.test`) and a round of three recipients sent
today with a deadline four months ahead (so `--send` is allowed without --force), packed by `avtal remiss
pack`. Expected addresses and dates come from parter.yaml and the round file, read here with PyYAML.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from avtal.cli import main
from avtal.model.problems import SourceError
from avtal.remiss.incoming.importer import import_files
from avtal.remiss.outgoing.followup import receipt, remind
from avtal.remiss.outgoing.mail import mail_round
from avtal.remiss.outgoing.pack import pack_round

from ...conftest import SOURCES
from ..records import manual

ROUND = "remiss-2025"
SMALL = "remiss-nu"
RECIPIENTS = ("vgr", "boras", "goteborg")
TODAY = dt.date.today()
DEADLINE = TODAY + dt.timedelta(days=125)  # over three months ahead
TESTER = "granskare@vgregion.test"


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> Path:
    """sources/ and dist/ under one root: the small round, sendable and packed."""
    root = tmp_path_factory.mktemp("followup")
    shutil.copytree(SOURCES, root / "sources")
    for name in ("parter.yaml", f"remiss/{ROUND}.yaml"):
        path = root / "sources" / name
        text = path.read_text(encoding="utf-8").replace(".example", ".test")
        text = text.replace("email_placeholder: true", "email_placeholder: false")
        text = text.replace("name_placeholder: true", "name_placeholder: false")
        path.write_text(text.replace("    placeholder: true", "    placeholder: false"), encoding="utf-8")
    text = (root / "sources" / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8")
    text = text.replace(f"id: {ROUND}\n", f"id: {SMALL}\n").replace("sent: 2025-01-30", f"sent: {TODAY}")
    text = text.replace("deadline: 2025-05-09", f"deadline: {DEADLINE}")
    text = re.sub(r"other_recipients: \[[^\]]*\]", "other_recipients: []", text)
    (root / "sources" / "remiss" / f"{SMALL}.yaml").write_text(text + f"recipients: [{', '.join(RECIPIENTS)}]\n",
                                                               encoding="utf-8")
    pack_round(root / "sources", SMALL, root / "dist")
    return root


@pytest.fixture
def tree(packed, tmp_path) -> Path:
    """A copy to change (sources copied with their mtimes, so the pack stays current; dist hard-linked)."""
    shutil.copytree(packed / "sources", tmp_path / "sources")
    shutil.copytree(packed / "dist", tmp_path / "dist", copy_function=os.link)
    return tmp_path


def _emails(root: Path) -> dict[str, str]:
    data = yaml.safe_load((root / "sources" / "parter.yaml").read_text(encoding="utf-8"))
    return {p["id"]: p["email"] for p in data["parties"]}


def _log(root: Path, name: str) -> list[dict]:
    path = root / "sources" / "remiss" / SMALL / name
    return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"] if path.exists() else []


def _zip(message) -> bytes:
    (attachment,) = list(message.iter_attachments())
    return attachment.get_content()


# -- mail --to: a test before the real send --

def test_to_sends_the_first_message_to_that_address_only_and_leaves_the_send_log_alone(tree, smtp):
    report = mail_round(tree / "sources", SMALL, tree / "dist", to=TESTER)
    (arrival,) = smtp.arrived
    assert arrival.rcpt_tos == [TESTER]
    message = arrival.message
    assert message["Subject"].startswith("[TEST] ") and message["Subject"].endswith("Västra Götalandsregionen")
    assert _zip(message) == (tree / "dist" / "remiss" / SMALL / "vgr.zip").read_bytes()
    assert not (tree / "sources" / "remiss" / SMALL / "utskick.yaml").exists()
    assert "1 of 1 message(s) sent to " + TESTER in str(report)

    mail_round(tree / "sources", SMALL, tree / "dist", send=True)  # the real send still goes to everyone
    emails = _emails(tree)
    assert [a.rcpt_tos for a in smtp.arrived[1:]] == [[emails[p]] for p in RECIPIENTS]


def test_to_with_all_sends_every_recipients_message_to_that_one_address(tree, smtp):
    mail_round(tree / "sources", SMALL, tree / "dist", to=TESTER, every=True)
    assert [a.rcpt_tos for a in smtp.arrived] == [[TESTER]] * 3
    for party, arrival in zip(RECIPIENTS, smtp.arrived):
        assert _zip(arrival.message) == (tree / "dist" / "remiss" / SMALL / f"{party}.zip").read_bytes()
    assert _log(tree, "utskick.yaml") == []


def test_to_needs_an_address(tree, smtp):
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree / "sources", SMALL, tree / "dist", to="granskare")
    assert "--to granskare: not an e-mail address" in str(excinfo.value.problems)
    assert smtp.arrived == []


# -- the deadline rule for --send --

@pytest.mark.parametrize("today, words", [(DEADLINE - dt.timedelta(days=60), "leaves under 3 months"),
                                          (DEADLINE + dt.timedelta(days=1), "has passed")])
def test_send_refuses_a_deadline_under_three_months_away_or_passed_unless_forced(tree, smtp, today, words,
                                                                               monkeypatch):
    monkeypatch.chdir(tree)
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree / "sources", SMALL, tree / "dist", send=True, today=today)
    (error,) = [str(p) for p in excinfo.value.problems.errors]
    assert error.startswith(f"sources/remiss/{SMALL}.yaml") and words in error and "--force" in error
    assert str(DEADLINE) in error
    assert smtp.arrived == [] and _log(tree, "utskick.yaml") == []
    mail_round(tree / "sources", SMALL, tree / "dist", send=True, today=today, force=True)
    assert len(smtp.arrived) == 3


def test_send_shows_progress_one_line_per_party_as_the_server_answers(tree, smtp, monkeypatch, capsys):
    monkeypatch.chdir(tree)
    assert main(["remiss", "mail", SMALL, "--send"]) == 0
    err = capsys.readouterr().err.splitlines()
    emails = _emails(tree)
    assert err == [f"  sent      {p}  <{emails[p]}>" for p in RECIPIENTS]


def test_a_stale_pack_is_one_line_however_many_parties_changed(tree, smtp):
    path = tree / "sources" / "parter.yaml"
    emails = _emails(tree)
    text = path.read_text(encoding="utf-8")
    for party in RECIPIENTS:
        text = text.replace(emails[party], f"ny.{emails[party]}")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree / "sources", SMALL, tree / "dist")
    (error,) = [str(p) for p in excinfo.value.problems.errors]
    assert "\n" not in error and "3 recipient(s) changed" in error and f"avtal remiss pack {SMALL}" in error
    assert all(party in error for party in RECIPIENTS)


# -- remind --

def _answer(tree: Path, party: str, received: dt.date, *, sender: str | None = None, text: str = "Synpunkt.",
            name: str | None = None) -> None:
    path = manual(tree / "in", name or f"{party}.yaml", party=party, round=SMALL,
                  comments=[{"clause": "inledning.syfte", "stance": "synpunkt", "text": text}])
    import_files(tree / "sources", SMALL, [path], received=received, sender=sender)


def test_remind_is_a_dry_run_by_default_for_those_without_an_answer(tree, smtp):
    _answer(tree, "boras", TODAY)
    report = remind(tree / "sources", SMALL, tree / "dist")
    assert [(d.party, d.outcome) for d in report.deliveries] == [("vgr", "would send"), ("goteborg", "would send")]
    folder = tree / "dist" / "remiss" / SMALL / "paminnelser"
    assert sorted(p.name for p in folder.iterdir()) == ["goteborg.eml", "vgr.eml"]
    assert smtp.arrived == [] and _log(tree, "paminnelser.yaml") == []


def test_remind_sends_once_to_each_without_an_answer_with_its_own_deadline(tree, smtp):
    _answer(tree, "boras", TODAY)
    extended = DEADLINE + dt.timedelta(days=14)
    assert main(["--sources", str(tree / "sources"), "remiss", "extend", SMALL, "goteborg", "--until",
                 extended.isoformat()]) == 0
    remind(tree / "sources", SMALL, tree / "dist", send=True)
    emails = _emails(tree)
    assert [a.rcpt_tos for a in smtp.arrived] == [[emails["vgr"]], [emails["goteborg"]]]
    vgr, goteborg = (a.message for a in smtp.arrived)
    assert vgr["Subject"].startswith("Påminnelse: ") and vgr["Subject"].endswith("Västra Götalandsregionen")
    months = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
              "november", "december"]
    spoken = lambda d: f"{d.day} {months[d.month - 1]} {d.year}"  # noqa: E731
    assert spoken(DEADLINE) in vgr.get_body(("plain",)).get_content()
    assert spoken(extended) in goteborg.get_body(("plain",)).get_content()
    log = _log(tree, "paminnelser.yaml")
    assert [(e["party"], e["status"]) for e in log] == [("vgr", "sent"), ("goteborg", "sent")]
    assert [e["message_id"] for e in log] == [a.headers["Message-ID"] for a in smtp.arrived]

    report = remind(tree / "sources", SMALL, tree / "dist", send=True)  # sent once
    assert len(smtp.arrived) == 2 and report.count("skipped") == 2
    remind(tree / "sources", SMALL, tree / "dist", send=True, resend=("vgr",))
    assert [a.rcpt_tos for a in smtp.arrived[2:]] == [[emails["vgr"]]]


def test_a_reminder_left_sending_is_uncertain_until_resend(tree, smtp):
    log = tree / "sources" / "remiss" / SMALL / "paminnelser.yaml"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"round: {SMALL}\nmessages:\n  - party: vgr\n    address: {_emails(tree)['vgr']}\n"
                   f"    message_id: <x@vgregion.test>\n    time: 2026-01-01T10:00:00+01:00\n    status: sending\n"
                   "    response: (handed to the server; no answer yet)\n", encoding="utf-8")
    report = remind(tree / "sources", SMALL, tree / "dist", send=True)
    assert {d.party: d.outcome for d in report.deliveries} == {"vgr": "uncertain", "boras": "sent",
                                                               "goteborg": "sent"}
    assert _emails(tree)["vgr"] not in [a.rcpt_tos[0] for a in smtp.arrived]
    remind(tree / "sources", SMALL, tree / "dist", send=True, resend=("vgr",))
    assert smtp.arrived[-1].rcpt_tos == [_emails(tree)["vgr"]]


# -- receipt --

def test_receipt_goes_to_the_address_the_answer_came_from_else_the_registrar_once(tree, smtp):
    _answer(tree, "boras", TODAY, sender="diarium@boras.test")
    _answer(tree, "vgr", TODAY)
    dry = receipt(tree / "sources", SMALL, tree / "dist")
    assert [(d.party, d.address, d.outcome) for d in dry.deliveries] == [
        ("boras", "diarium@boras.test", "would send"), ("vgr", _emails(tree)["vgr"], "would send")]
    assert smtp.arrived == []

    receipt(tree / "sources", SMALL, tree / "dist", send=True)
    assert [a.rcpt_tos for a in smtp.arrived] == [["diarium@boras.test"], [_emails(tree)["vgr"]]]
    body = smtp.arrived[0].message.get_body(("plain",)).get_content()
    assert "boras.yaml" in body and "tagit emot" in body
    assert smtp.arrived[0].message["Subject"].startswith("Mottagningskvitto: ")

    report = receipt(tree / "sources", SMALL, tree / "dist", send=True)  # logged: sent once
    assert len(smtp.arrived) == 2 and report.count("skipped") == 2
    later = TODAY + dt.timedelta(days=3)  # a supplement is a new revision: its own receipt
    _answer(tree, "boras", later, sender="diarium@boras.test", text="Komplettering.", name="boras-2.yaml")
    receipt(tree / "sources", SMALL, tree / "dist", ("boras",), send=True)
    assert [a.rcpt_tos for a in smtp.arrived[2:]] == [["diarium@boras.test"]]
    assert "komplettering" in smtp.arrived[2].message.get_body(("plain",)).get_content()
    assert [(e["party"], e["revision"]) for e in _log(tree, "kvittenser.yaml")] == [
        ("boras", 1), ("vgr", 1), ("boras", 2)]


def test_receipt_for_a_party_without_an_answer_is_refused_with_a_guess(tree, smtp):
    _answer(tree, "boras", TODAY)
    with pytest.raises(SourceError) as excinfo:
        receipt(tree / "sources", SMALL, tree / "dist", ("bora",))
    assert "no imported answer from 'bora' (did you mean 'boras'?)" in str(excinfo.value.problems)


def test_to_and_send_together_are_refused_before_anything_is_sent(tree, smtp):
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree / "sources", SMALL, tree / "dist", send=True, to=TESTER)
    assert "give one of them" in str(excinfo.value.problems)
    assert smtp.arrived == [] and _log(tree, "utskick.yaml") == []
