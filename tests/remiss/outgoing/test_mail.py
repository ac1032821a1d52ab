"""`avtal remiss mail`: what arrives at a real SMTP server, what the send log says, and what is refused.

A real aiosmtpd server runs on 127.0.0.1 for the module; the tests point the
AVTAL_SMTP_* variables at it and check what ARRIVED: envelopes, headers, and the
attachment's bytes against manifest.csv. Expected values come from the sources
(parter.yaml, the round file) and the pack's manifest, read here independently.
Sending needs real addresses, so the sendable tree is a copy of the real sources
with every placeholder address replaced by one in the reserved `.test` domain; the
packs are made by the real `pack_round`, once per session.

No warning filter is needed: aiosmtpd 1.4.6 raises no Python warning here (its one
deprecation notice, "Session.login_data is deprecated", goes to `logging` on AUTH).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from avtal.cli import main
from avtal.model.problems import Problems, SourceError
from avtal.model.remiss import load_round
from avtal.remiss.outgoing.mail import mail_round
from avtal.remiss.outgoing.mail_body import load_template
from avtal.remiss.outgoing.smtp import smtp_config
from avtal.remiss.outgoing.pack import pack_round

from ...conftest import SOURCES

ROUND = "remiss-2025"
SMALL = "remiss-2025-urval"  # a small round of three recipients, for the refusal tests
SMALL_RECIPIENTS = ("vgr", "boras", "goteborg")
SMTP_VARS = ("AVTAL_SMTP_HOST", "AVTAL_SMTP_PORT", "AVTAL_SMTP_USER", "AVTAL_SMTP_PASSWORD", "AVTAL_SMTP_STARTTLS",
             "AVTAL_SMTP_FROM")
SENDER = "remiss@vgregion.test"


# -- the local SMTP server --

@dataclass
class Arrival:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)

    @property
    def headers(self) -> EmailMessage:
        """The headers only: parsing a 2 MB body 50 times is slow."""
        return BytesParser(policy=policy.default).parsebytes(self.data, headersonly=True)


@dataclass
class Collector:
    """aiosmtpd handler: keeps every message; refuses the addresses in `refuse` (RCPT) and `too_big` (DATA)."""

    refuse: set[str] = field(default_factory=set)
    too_big: set[str] = field(default_factory=set)
    arrived: list[Arrival] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.too_big & set(envelope.rcpt_tos):
            return "552 5.3.4 message size exceeds limit"
        self.arrived.append(Arrival(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return f"250 2.0.0 queued as Q{len(self.arrived)}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Collector, int]]:
    """A real SMTP server on 127.0.0.1 (no TLS), stopped when the module is done."""
    handler = Collector()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def smtp(server, monkeypatch) -> Collector:
    """The server, emptied, with AVTAL_SMTP_* pointing at it."""
    handler, port = server
    handler.arrived.clear()
    handler.refuse.clear()
    handler.too_big.clear()
    _point_at(monkeypatch, port)
    return handler


def _point_at(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    for name in SMTP_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AVTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AVTAL_SMTP_PORT", str(port))
    monkeypatch.setenv("AVTAL_SMTP_STARTTLS", "0")
    monkeypatch.setenv("AVTAL_SMTP_FROM", f"Arbetsgruppen <{SENDER}>")


# -- trees and packs --

@dataclass
class Packed:
    """A sources tree and the dist/ its rounds were packed into."""

    root: Path

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    def folder(self, round_id: str = ROUND) -> Path:
        return self.dist / "remiss" / round_id

    def parties(self, round_id: str = ROUND) -> dict[str, dict]:
        """Everyone the round is sent to: the parties and the round's other_recipients, from parter.yaml."""
        data = yaml.safe_load((self.sources / "parter.yaml").read_text(encoding="utf-8"))
        others = {x["id"]: x for x in (*data["kommunalforbund"], *data.get("organisations", ()))}
        return {**{p["id"]: p for p in data["parties"]},
                **{i: others[i] for i in self.round(round_id).get("other_recipients", ())}}

    def round(self, round_id: str = ROUND) -> dict:
        return yaml.safe_load((self.sources / "remiss" / f"{round_id}.yaml").read_text(encoding="utf-8"))

    def manifest(self, round_id: str = ROUND) -> dict[str, dict[str, str]]:
        """The zip row of each party, as pack wrote it."""
        with (self.folder(round_id) / "manifest.csv").open(encoding="utf-8", newline="") as f:
            return {row["party"]: row for row in csv.DictReader(f) if row["file"] == f"{row['party']}.zip"}

    def log(self, round_id: str = ROUND) -> list[dict]:
        path = self.sources / "remiss" / round_id / "utskick.yaml"
        return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"] if path.exists() else []

    def position(self, name: str, needle: str, after: str = "") -> int:
        """The 1-based line where `needle` first occurs in a source file (after the text `after`)."""
        text = (self.sources / name).read_text(encoding="utf-8")
        return text.count("\n", 0, text.index(needle, text.index(after))) + 1

    def copy(self, to: Path) -> "Packed":
        """A copy to change: sources copied (mtimes kept, so the pack stays newer than the round file),
        dist hard-linked (the packs are large; use `own` before changing a file in place)."""
        shutil.copytree(self.sources, to / "sources")
        shutil.copytree(self.dist, to / "dist", copy_function=os.link)
        return Packed(to)

    def own(self, path: Path) -> Path:
        """Make a hard-linked dist file this tree's own, so changing it leaves the shared pack alone."""
        data, stat = path.read_bytes(), path.stat()
        path.unlink()
        path.write_bytes(data)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        return path


def _small_round(sources: Path) -> None:
    """Add the small round; and start with no send log, whatever the real sources hold."""
    (sources / "remiss" / ROUND / "utskick.yaml").unlink(missing_ok=True)
    text = (sources / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8")
    text = text.replace(f"id: {ROUND}\n", f"id: {SMALL}\n", 1)
    text = re.sub(r"other_recipients: \[[^\]]*\]", "other_recipients: []", text)  # the parties only
    text += "recipients: [" + ", ".join(SMALL_RECIPIENTS) + "]\n"
    (sources / "remiss" / f"{SMALL}.yaml").write_text(text, encoding="utf-8")


@pytest.fixture(scope="session")
def sendable(tmp_path_factory) -> Packed:
    """The real sources with real-looking addresses (.test), packed by `avtal remiss pack`: the full round
    and the small one."""
    root = tmp_path_factory.mktemp("sendable")
    shutil.copytree(SOURCES, root / "sources")
    for name in ("parter.yaml", f"remiss/{ROUND}.yaml"):
        path = root / "sources" / name
        text = path.read_text(encoding="utf-8")
        text = text.replace(".example", ".test").replace("email_placeholder: true", "email_placeholder: false")
        text = text.replace("name_placeholder: true", "name_placeholder: false")  # organisations confirmed …
        text = text.replace("    placeholder: true", "    placeholder: false")  # … and the contact persons real
        path.write_text(text, encoding="utf-8")
    _small_round(root / "sources")
    for round_id in (ROUND, SMALL):
        pack_round(root / "sources", round_id, root / "dist")
    return Packed(root)


@pytest.fixture(scope="session")
def placeholders(tmp_path_factory) -> Packed:
    """The real sources as they are (placeholder addresses), with the small round packed by `avtal remiss pack`."""
    root = tmp_path_factory.mktemp("placeholders")
    shutil.copytree(SOURCES, root / "sources")
    path = root / "sources" / "parter.yaml"  # placeholders still, even once real addresses are filled in
    path.write_text(path.read_text(encoding="utf-8").replace("email_placeholder: false", "email_placeholder: true"),
                    encoding="utf-8")
    _small_round(root / "sources")
    pack_round(root / "sources", SMALL, root / "dist")
    return Packed(root)


@pytest.fixture(scope="module")
def first_send(sendable, server, tmp_path_factory) -> tuple[Packed, list[Arrival]]:
    """The full round sent once to the local server: the tree afterwards, and what arrived."""
    handler, port = server
    tree = sendable.copy(tmp_path_factory.mktemp("first-send") / "tree")
    with pytest.MonkeyPatch.context() as mp:
        _point_at(mp, port)
        handler.arrived.clear()
        mail_round(tree.sources, ROUND, tree.dist, send=True)
        arrived = list(handler.arrived)
    handler.arrived.clear()
    return tree, arrived


def _errors(excinfo: pytest.ExceptionInfo[SourceError]) -> list[str]:
    return [str(p) for p in excinfo.value.problems.errors]


def _zip_of(message: EmailMessage) -> tuple[str, bytes]:
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/zip"
    return attachment.get_filename(), attachment.get_content()


# -- sending --

def test_every_party_receives_one_message_to_its_registrar_with_its_own_zip(first_send):
    tree, arrived = first_send
    parties, manifest, round_ = tree.parties(), tree.manifest(), tree.round()
    assert sum(1 for p in parties.values() if p.get("kind") in ("region", "kommun")) == 50
    assert len(parties) == 50 + len(round_["other_recipients"]) == len(arrived)  # the other remissinstanser too
    by_rcpt = {a.rcpt_tos[0]: a for a in arrived}
    assert sorted(by_rcpt) == sorted(p["email"] for p in parties.values())
    for party_id, party in parties.items():
        got = by_rcpt[party["email"]]
        message = got.message
        assert got.rcpt_tos == [party["email"]] and got.mail_from == SENDER
        assert message["To"].addresses[0].addr_spec == party["email"]
        assert message["To"].addresses[0].display_name == party["name"]
        assert f"dnr {round_['diarienummer']}" in message["Subject"]
        assert round_["title"] in message["Subject"] and message["Subject"].endswith(party["name"])
        name, data = _zip_of(message)
        assert hashlib.sha256(data).hexdigest() == manifest[party_id]["sha256"]
        assert data == (tree.folder() / f"{party_id}.zip").read_bytes()
        assert party["name"] in name and round_["diarienummer"] in name and name.endswith(".zip")
        body = message.get_body(("plain",)).get_content()
        assert party["name"] in body and "9 maj 2025" in body and round_["diarienummer"] in body


def test_the_send_log_records_each_message_as_it_arrived(first_send):
    tree, arrived = first_send
    log, manifest, parties = tree.log(), tree.manifest(), tree.parties()
    assert [e["status"] for e in log] == ["sent"] * len(parties)
    assert len({e["party"] for e in log}) == len(parties)
    ids = {a.headers["Message-ID"]: a for a in arrived}
    for entry in log:
        got = ids[entry["message_id"]]  # the logged Message-ID is the one that arrived
        assert got.rcpt_tos == [entry["address"]] == [parties[entry["party"]]["email"]]
        assert entry["zip_sha256"] == manifest[entry["party"]]["sha256"]
        assert entry["response"].startswith("250 2.0.0 queued as Q")
    assert len({e["response"] for e in log}) == len(parties)  # each the server's own answer for that message


def test_a_second_run_sends_nothing_and_resend_sends_to_that_party_only(first_send, smtp, tmp_path):
    tree = first_send[0].copy(tmp_path / "tree")
    report = mail_round(tree.sources, ROUND, tree.dist, send=True)
    assert smtp.arrived == []
    everyone = len(tree.parties())
    assert report.count("skipped") == everyone and report.count("sent") == 0
    assert f"sent 0, skipped {everyone}" in str(report)

    report = mail_round(tree.sources, ROUND, tree.dist, send=True, resend=("boras",))
    boras = tree.parties()["boras"]
    assert [a.rcpt_tos for a in smtp.arrived] == [[boras["email"]]]
    assert report.count("sent") == 1 and report.count("skipped") == everyone - 1
    log = tree.log()
    assert len(log) == everyone + 1 and log[-1]["party"] == "boras" and log[-1]["status"] == "sent"
    first = next(e for e in log if e["party"] == "boras")
    assert log[-1]["message_id"] == smtp.arrived[0].headers["Message-ID"] != first["message_id"]


def test_a_refused_recipient_is_logged_not_sent_while_the_others_are_sent(sendable, smtp, tmp_path):
    tree = sendable.copy(tmp_path / "tree")
    boras = tree.parties()["boras"]["email"]
    smtp.refuse.add(boras)
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    others = sorted(tree.parties()[p]["email"] for p in SMALL_RECIPIENTS if p != "boras")
    assert sorted(a.rcpt_tos[0] for a in smtp.arrived) == others
    log = {e["party"]: e for e in tree.log(SMALL)}
    assert log["boras"]["status"] == "not sent" and log["boras"]["response"].startswith("550")
    assert {log[p]["status"] for p in SMALL_RECIPIENTS if p != "boras"} == {"sent"}
    errors = _errors(excinfo)
    assert any("[boras]" in e and "550" in e and boras in e for e in errors)
    assert any("1 of 3" in e and "utskick.yaml" in e for e in errors)

    smtp.refuse.clear()  # the next run retries only the one not sent
    mail_round(tree.sources, SMALL, tree.dist, send=True)
    assert [a.rcpt_tos for a in smtp.arrived[2:]] == [[boras]]


def test_a_message_refused_after_its_data_is_not_sent_and_the_connection_goes_on(sendable, smtp, tmp_path):
    tree = sendable.copy(tmp_path / "tree")
    vgr = tree.parties()["vgr"]["email"]
    smtp.too_big.add(vgr)
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    assert sorted(a.rcpt_tos[0] for a in smtp.arrived) == sorted(tree.parties()[p]["email"]
                                                                 for p in SMALL_RECIPIENTS if p != "vgr")
    assert [(e["party"], e["status"], e["response"][:3]) for e in tree.log(SMALL)] == [
        ("vgr", "not sent", "552"), ("boras", "sent", "250"), ("goteborg", "sent", "250")]
    assert any("[vgr]" in e and "552" in e for e in _errors(excinfo))


def test_an_unreadable_send_log_stops_the_run_before_anything_is_sent(sendable, smtp, tmp_path, monkeypatch):
    tree = sendable.copy(tmp_path / "tree")
    monkeypatch.chdir(tree.root)
    log = tree.sources / "remiss" / SMALL / "utskick.yaml"
    log.parent.mkdir(parents=True)
    log.write_text(f"round: {SMALL}\nmessages:\n  - party: boras\n    status: skickad\n", encoding="utf-8")
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    errors = _errors(excinfo)
    assert smtp.arrived == []
    assert any(e.startswith(f"sources/remiss/{SMALL}/utskick.yaml:4:") and "status" in e for e in errors)
    assert any("unknown who was already sent" in e for e in errors)


def test_sending_to_placeholder_addresses_is_refused_before_anything_is_sent(placeholders, smtp, tmp_path,
                                                                             monkeypatch):
    tree = placeholders.copy(tmp_path / "tree")
    monkeypatch.chdir(tree.root)
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    assert smtp.arrived == [] and tree.log(SMALL) == []
    errors = _errors(excinfo)
    for party_id in SMALL_RECIPIENTS:
        (error,) = [e for e in errors if f"[{party_id}]" in e]
        line = tree.position("parter.yaml", "email_placeholder: true", after=f"id: {party_id}\n")
        assert error.startswith(f"sources/parter.yaml:{line}:24: error [{party_id}]")
        assert "email_placeholder: false" in error and tree.parties()[party_id]["email"] in error


def test_invented_contact_persons_are_refused_with_their_line_before_anything_is_sent(sendable, smtp, tmp_path,
                                                                                    monkeypatch):
    tree = sendable.copy(tmp_path / "tree")
    monkeypatch.chdir(tree.root)
    path = tree.sources / "remiss" / f"{SMALL}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("    placeholder: false") == 2  # the sendable tree has real contacts …
    path.write_text(text.replace("    placeholder: false", "    placeholder: true", 1), encoding="utf-8")  # … but one
    first = tree.round(SMALL)["contacts"][0]
    line = tree.position(f"remiss/{SMALL}.yaml", "    placeholder: true")
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    (error,) = [e for e in _errors(excinfo) if "[contacts[" in e]
    assert error.startswith(f"sources/remiss/{SMALL}.yaml:{line}:18: error [contacts[0]]")
    assert first["name"] in error and first["phone"] in error and "invented" in error
    assert smtp.arrived == [] and tree.log(SMALL) == []


def test_the_real_rounds_contacts_are_placeholders_and_send_names_each(placeholders, smtp, tmp_path, monkeypatch):
    tree = placeholders.copy(tmp_path / "tree")
    monkeypatch.chdir(tree.root)
    contacts = tree.round(SMALL)["contacts"]
    assert contacts and all(c["placeholder"] is True for c in contacts)
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    errors = [e for e in _errors(excinfo) if "[contacts[" in e]
    assert len(errors) == len(contacts)
    for contact, error in zip(contacts, errors):
        assert contact["name"] in error and contact["email"] in error
    assert smtp.arrived == []


def test_an_invented_organisation_is_refused_by_name_not_only_by_address(sendable, smtp, tmp_path, monkeypatch):
    tree = sendable.copy(tmp_path / "tree")
    monkeypatch.chdir(tree.root)
    path = tree.sources / "parter.yaml"
    invented = yaml.safe_load(path.read_text(encoding="utf-8"))["organisations"][-1]
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - id: {invented['id']}\n")
    block = text[start:].split("\n  - id: ", 1)[0]
    path.write_text(text.replace(block, block.replace("_placeholder: false", "_placeholder: true")), encoding="utf-8")
    round_file = tree.sources / "remiss" / f"{SMALL}.yaml"
    round_file.write_text(round_file.read_text(encoding="utf-8").replace(
        "other_recipients: []", f"other_recipients: [{invented['id']}]"), encoding="utf-8")
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    line = tree.position("parter.yaml", "    name_placeholder: true", after=f"id: {invented['id']}\n")
    (error,) = [e for e in _errors(excinfo) if f"[{invented['id']}]" in e and "parter.yaml" in e]
    assert error.startswith(f"sources/parter.yaml:{line}:")
    assert invented["name"] in error and "invented example organisation" in error
    assert smtp.arrived == []


def test_answers_are_never_directed_to_a_placeholder_reply_to(sendable, smtp, tmp_path, monkeypatch):
    tree = sendable.copy(tmp_path / "tree")
    monkeypatch.chdir(tree.root)
    path = tree.sources / "remiss" / f"{SMALL}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("reply_to: ", "reply_to: registrator@vgregion.example\n# was: ", 1) if "reply_to: " in text \
        else text + "reply_to: registrator@vgregion.example\n"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("reply_to: registrator@vgregion.example") + 1
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    errors = _errors(excinfo)
    assert any(e.startswith(f"sources/remiss/{SMALL}.yaml:{line}:11: error [reply_to]") and "Reply-To" in e
               for e in errors)
    assert smtp.arrived == []


def test_missing_smtp_settings_are_named_and_nothing_is_sent(sendable, smtp, monkeypatch, tmp_path):
    tree = sendable.copy(tmp_path / "tree")
    for name in SMTP_VARS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    errors = "\n".join(_errors(excinfo))
    assert "AVTAL_SMTP_HOST is not set" in errors and "AVTAL_SMTP_FROM is not set" in errors
    assert smtp.arrived == [] and tree.log(SMALL) == []


def test_an_unknown_resend_party_is_an_error_before_sending(sendable, smtp, tmp_path):
    tree = sendable.copy(tmp_path / "tree")
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True, resend=("bors",))
    (error,) = _errors(excinfo)
    assert "--resend bors" in error and "did you mean 'boras'" in error
    assert smtp.arrived == []


# -- the dry run --

def test_the_dry_run_writes_an_eml_per_party_that_a_mail_reader_opens_with_its_zip(sendable, smtp, tmp_path):
    tree = sendable.copy(tmp_path / "tree")
    report = mail_round(tree.sources, ROUND, tree.dist)
    assert smtp.arrived == [] and tree.log() == []
    parties, manifest = tree.parties(), tree.manifest()
    assert report.count("would send") == len(parties) == 50 + len(tree.round()["other_recipients"])
    emls = sorted((tree.folder() / "e-post").iterdir())
    assert [p.name for p in emls] == sorted(f"{p}.eml" for p in parties)
    for path in emls:
        data = path.read_bytes()
        headers = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
        assert headers["To"].addresses[0].addr_spec == parties[path.stem]["email"]
        assert headers["Date"] == "Thu, 30 Jan 2025 00:00:00 +0000"  # the round's sent date
        lines = data.split(b"\r\n")
        assert max(map(len, lines)) <= 78 and all(line.isascii() for line in lines)  # RFC 5322, 7-bit
    for party_id in SMALL_RECIPIENTS:  # the whole message, attachment included (the parser is slow on 2 MB)
        message = message_from_bytes((tree.folder() / "e-post" / f"{party_id}.eml").read_bytes(),
                                     policy=policy.default)
        name, data = _zip_of(message)
        assert hashlib.sha256(data).hexdigest() == manifest[party_id]["sha256"]
        assert parties[party_id]["name"] in name


def test_the_dry_run_writes_the_same_bytes_every_time(sendable, tmp_path):
    tree = sendable.copy(tmp_path / "tree")
    mail_round(tree.sources, SMALL, tree.dist)
    first = {p.name: p.read_bytes() for p in (tree.folder(SMALL) / "e-post").iterdir()}
    mail_round(tree.sources, SMALL, tree.dist)
    assert {p.name: p.read_bytes() for p in (tree.folder(SMALL) / "e-post").iterdir()} == first
    assert sorted(first) == sorted(f"{p}.eml" for p in SMALL_RECIPIENTS)


def test_the_dry_run_works_with_placeholder_addresses_and_says_send_will_refuse_them(placeholders, tmp_path):
    tree = placeholders.copy(tmp_path / "tree")
    report = str(mail_round(tree.sources, SMALL, tree.dist))
    assert "3 recipient(s) have placeholder addresses" in report
    assert all(tree.parties()[p]["email"] in report for p in SMALL_RECIPIENTS)


# -- a stale or missing pack --

def test_a_missing_pack_asks_for_avtal_remiss_pack(sendable, tmp_path):
    tree = sendable.copy(tmp_path / "tree")
    shutil.rmtree(tree.folder(SMALL))
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist)
    (error,) = _errors(excinfo)
    assert "manifest.csv" in error and f"run `avtal remiss pack {SMALL}`" in error


def test_a_round_edited_after_packing_makes_the_pack_stale(sendable, tmp_path, monkeypatch):
    tree = sendable.copy(tmp_path / "tree")
    monkeypatch.chdir(tree.root)
    path = tree.sources / "remiss" / f"{SMALL}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("deadline: 2025-05-09", "deadline: 2025-05-16"),
                    encoding="utf-8")
    manifest = tree.folder(SMALL) / "manifest.csv"
    os.utime(path, ns=(manifest.stat().st_mtime_ns + 10**9,) * 2)
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist)
    (error,) = _errors(excinfo)
    assert error.startswith(f"sources/remiss/{SMALL}.yaml: error")
    assert "changed after it was packed" in error and f"avtal remiss pack {SMALL}" in error


def test_an_address_changed_after_packing_makes_the_pack_stale(sendable, tmp_path):
    tree = sendable.copy(tmp_path / "tree")
    path = tree.sources / "parter.yaml"
    old = tree.parties()["boras"]["email"]
    path.write_text(path.read_text(encoding="utf-8").replace(old, "registrator@boras.test"), encoding="utf-8")
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist)
    (error,) = _errors(excinfo)
    assert "[boras]" in error and old in error and "registrator@boras.test" in error
    assert f"avtal remiss pack {SMALL}" in error


def test_a_zip_changed_after_packing_is_refused_by_its_checksum(sendable, tmp_path):
    tree = sendable.copy(tmp_path / "tree")
    zip_path = tree.own(tree.folder(SMALL) / "boras.zip")
    data = bytearray(zip_path.read_bytes())
    data[100] ^= 0xFF
    zip_path.write_bytes(bytes(data))
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist)
    (error,) = _errors(excinfo)
    assert "boras.zip" in error and "SHA-256" in error and f"avtal remiss pack {SMALL}" in error


# -- the body template --

def test_an_unknown_field_in_the_rounds_mail_body_is_named_with_its_place(sendable, tmp_path, monkeypatch):
    tree = sendable.copy(tmp_path / "tree")
    monkeypatch.chdir(tree.root)
    path = tree.sources / "remiss" / f"{SMALL}.yaml"
    text = path.read_text(encoding="utf-8")
    text += "mail_body: |-\n  Till {{ party.name }}\n\n  Svara senast {{ round.dedline }}.\n"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  Svara senast {{ round.dedline }}.") + 1
    manifest = tree.own(tree.folder(SMALL) / "manifest.csv")
    os.utime(manifest, ns=(path.stat().st_mtime_ns + 10**9,) * 2)  # the pack itself is current
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist)
    (error,) = _errors(excinfo)
    assert error.startswith(f"sources/remiss/{SMALL}.yaml:{line}:25: error")
    assert "{{ round.dedline }}" in error and "did you mean {{ round.deadline }}?" in error
    assert not (tree.folder(SMALL) / "e-post").exists()


def _template(tmp_path: Path, text: str, info) -> tuple[object, Problems]:
    path = tmp_path / "mail.txt"
    path.write_text(text, encoding="utf-8")
    problems = Problems()
    return load_template(Path("unused"), info, problems, template=path), problems


def test_the_template_file_names_each_unknown_field_and_syntax_error_by_line(sendable, tmp_path):
    info = load_round(sendable.sources, SMALL)
    template, problems = _template(tmp_path, "{# kommentar #}\nHej {{ party.name }}\n{% for c in contacts %}\n"
                                   "{{ c.emial }} {{ loop.index }}\n{% endfor %}\n{{ sender.nam }}\n", info)
    assert template is None
    found = sorted((p.location.line, p.location.column, p.message.split(":")[0]) for p in problems.errors)
    assert found == [(4, 6, "unknown field {{ contacts.emial }} (did you mean {{ contacts.email }}?)"),
                     (6, 11, "unknown field {{ sender.nam }} (did you mean {{ sender.name }}?)")]

    template, problems = _template(tmp_path, "Hej\n{{ party.name }\n", info)
    (problem,) = problems.errors
    assert template is None and problem.location.line == 2 and "template syntax" in problem.message


def test_the_default_template_names_the_party_the_deadline_and_where_to_answer(sendable):
    info = load_round(sendable.sources, SMALL)
    template = load_template(sendable.sources, info, problems := Problems())
    assert not problems.items
    round_, boras = sendable.round(SMALL), sendable.parties()["boras"]
    body = template.fill(_context_for(info, "boras"))
    assert body.startswith(f"Till {boras['name']}\n")
    assert "9 maj 2025" in body and round_["diarienummer"] in body and round_["contacts"][0]["email"] in body
    assert all(c["name"] in body and c["phone"] in body for c in round_["contacts"])
    assert round_["sender"]["name"] in body and "{" not in body and "Fälten" not in body  # the comment stays out


def _context_for(info, party_id: str) -> dict:
    from email.headerregistry import Address

    from avtal.remiss.outgoing.mail import _fields

    party = info.book.party(party_id)
    first = info.source.contacts[0]
    return _fields(info, party, "x.zip", Address(first.name, addr_spec=first.email))


# -- SMTP settings --

@pytest.mark.parametrize("env, starttls, implicit", [
    ({}, True, False),                                        # 587: submission, STARTTLS
    ({"AVTAL_SMTP_PORT": "465"}, False, True),                # implicit TLS
    ({"AVTAL_SMTP_PORT": "25"}, True, False),                 # relays: on unless turned off
    ({"AVTAL_SMTP_PORT": "1025"}, False, False),              # local test servers
    ({"AVTAL_SMTP_PORT": "25", "AVTAL_SMTP_STARTTLS": "no"}, False, False),
])
def test_starttls_is_on_by_default_except_for_local_test_ports(env, starttls, implicit):
    base = {"AVTAL_SMTP_HOST": "smtp.vgregion.test", "AVTAL_SMTP_FROM": SENDER}
    config = smtp_config({**base, **env}, "Arbetsgruppen", problems := Problems())
    assert not problems.items
    assert (config.starttls, config.implicit_tls) == (starttls, implicit)


def test_bad_smtp_settings_each_name_their_variable():
    env = {"AVTAL_SMTP_HOST": "smtp.vgregion.test", "AVTAL_SMTP_PORT": "five", "AVTAL_SMTP_USER": "remiss",
           "AVTAL_SMTP_STARTTLS": "maybe", "AVTAL_SMTP_FROM": "not an address"}
    assert smtp_config(env, "Arbetsgruppen", problems := Problems()) is None
    named = sorted(p.where for p in problems.errors)
    assert named == ["AVTAL_SMTP_FROM", "AVTAL_SMTP_PASSWORD", "AVTAL_SMTP_PORT", "AVTAL_SMTP_STARTTLS"]


def test_a_password_is_never_sent_unencrypted_to_a_remote_server():
    env = {"AVTAL_SMTP_HOST": "smtp.vgregion.test", "AVTAL_SMTP_PORT": "25", "AVTAL_SMTP_STARTTLS": "0",
           "AVTAL_SMTP_USER": "remiss", "AVTAL_SMTP_PASSWORD": "hemligt", "AVTAL_SMTP_FROM": SENDER}
    assert smtp_config(env, "Arbetsgruppen", problems := Problems()) is None
    (problem,) = problems.errors
    assert problem.where == "AVTAL_SMTP_STARTTLS" and "clear text" in problem.message


@pytest.fixture
def tls_server(tmp_path, monkeypatch) -> Iterator[tuple[Collector, int]]:
    """A server that demands STARTTLS before AUTH, with a self-signed certificate the client is told to trust."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make the test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # ssl.create_default_context() trusts it

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"remiss", b"hemligt")
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    handler, port = Collector(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_required=True)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_the_account_logs_in_only_after_starttls_and_the_message_arrives(sendable, tls_server, monkeypatch,
                                                                          tmp_path):
    handler, port = tls_server
    tree = sendable.copy(tmp_path / "tree")
    _point_at(monkeypatch, port)
    monkeypatch.delenv("AVTAL_SMTP_STARTTLS")  # the default for a non-test port: on
    monkeypatch.setenv("AVTAL_SMTP_USER", "remiss")
    monkeypatch.setenv("AVTAL_SMTP_PASSWORD", "fel")
    with pytest.raises(SourceError) as excinfo:
        mail_round(tree.sources, SMALL, tree.dist, send=True)
    (error,) = _errors(excinfo)
    assert "cannot connect" in error and "535" in error and "nothing was sent" in error
    assert handler.arrived == [] and tree.log(SMALL) == []

    monkeypatch.setenv("AVTAL_SMTP_PASSWORD", "hemligt")
    mail_round(tree.sources, SMALL, tree.dist, send=True)
    assert sorted(a.rcpt_tos[0] for a in handler.arrived) == sorted(tree.parties()[p]["email"]
                                                                    for p in SMALL_RECIPIENTS)


# -- the command --

def test_the_command_prints_the_refusal_and_exits_1_without_a_traceback(placeholders, smtp, tmp_path, monkeypatch,
                                                                        capsys):
    tree = placeholders.copy(tmp_path / "tree")
    monkeypatch.chdir(tree.root)
    assert main(["remiss", "mail", SMALL, "--send"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err and smtp.arrived == []
    assert "sources/parter.yaml:" in err and "error [boras]" in err and "placeholder address" in err
    assert main(["remiss", "mail", SMALL]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"dry run: 3 e-mail(s) written to dist/remiss/{SMALL}/e-post/")


# -- a run killed while a message is in flight --

@dataclass
class Holding(Collector):
    """A server that takes the message for `hold` and keeps the client waiting for its answer until released."""

    hold: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        if self.hold & set(envelope.rcpt_tos):
            self.arrived.append(Arrival(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            while not self.release.is_set():  # the client is killed meanwhile
                await asyncio.sleep(0.05)
            return "250 2.0.0 queued late"
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_a_run_killed_while_sending_never_sends_that_message_again_silently(sendable, tmp_path, monkeypatch, sig):
    tree = sendable.copy(tmp_path / "tree")
    recipients = tree.parties()
    handler = Holding(hold={recipients["boras"]["email"]})
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _point_at(monkeypatch, port)
        child = subprocess.Popen([sys.executable, "-m", "avtal.cli", "--sources", str(tree.sources), "remiss", "mail",
                                  SMALL, "--dist", str(tree.dist), "--send"], cwd=tree.root, env=dict(os.environ),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while len(handler.arrived) < 2 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [a.rcpt_tos for a in handler.arrived] == [[recipients[p]["email"]] for p in ("vgr", "boras")]
        child.send_signal(sig)
        _, err = child.communicate(timeout=60)
        assert "Traceback" not in err
        in_flight = handler.arrived[1].headers["Message-ID"]
        log = tree.log(SMALL)
        assert [(e["party"], e["status"]) for e in log] == [("vgr", "sent"), ("boras", "sending")]
        assert log[1]["message_id"] == in_flight

        handler.hold.clear()
        handler.arrived.clear()
        report = mail_round(tree.sources, SMALL, tree.dist, send=True)
        assert [a.rcpt_tos for a in handler.arrived] == [[recipients["goteborg"]["email"]]]
        outcome = {d.party: d.outcome for d in report.deliveries}
        assert outcome == {"vgr": "skipped", "boras": "uncertain", "goteborg": "sent"}
        assert "may have arrived; --resend boras sends again" in str(report) and in_flight in str(report)
        assert mail_round(tree.sources, SMALL, tree.dist, send=True).count("uncertain") == 1  # until resent
        assert len(handler.arrived) == 1

        report = mail_round(tree.sources, SMALL, tree.dist, send=True, resend=("boras",))
        assert [a.rcpt_tos for a in handler.arrived[1:]] == [[recipients["boras"]["email"]]]
        assert handler.arrived[1].headers["Message-ID"] != in_flight
        assert [(e["party"], e["status"]) for e in tree.log(SMALL)][-1] == ("boras", "sent")
    finally:
        handler.release.set()
        controller.stop()
