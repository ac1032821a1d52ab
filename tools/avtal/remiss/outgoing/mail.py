"""`avtal remiss mail ROUND`: one e-mail per party with its package attached, sent once.

The default is a dry run: every message is written to dist/remiss/ROUND/e-post/<party>.eml
(byte-identical from run to run) and nothing leaves the machine. `--send` sends the same
messages through the SMTP server named by the AVTAL_SMTP_* variables, after every check
has passed for every recipient, and records each attempt in the send log
sources/remiss/ROUND/utskick.yaml (a record, so it lives in sources/ and is committed).
A party the log lists as sent is never sent to again unless named with --resend.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import smtplib
from dataclasses import dataclass, field
from difflib import get_close_matches
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Iterable, Literal, Mapping

from jinja2 import TemplateError

from ...fsutil import atomic_write_bytes, replace_folder
from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import Addressee, RoundInfo, load_round, parties_path, round_path
from ...model.yamlfile import read_yaml
from ...render.wording import long_date, round_name
from ..record.lock import writes_round
from .mail_body import BodyTemplate, load_template
from .packed import PackedZip, pack_folder, read_pack
from .sendlog import SendLog, SendRecord, log_path, read_log, write_log
from .smtp import (ENV_FROM, ENV_HOST, ENV_PASSWORD, ENV_PORT, ENV_STARTTLS, ENV_USER, SmtpConfig, connect,
                   parse_address, smtp_config, smtp_error, transmit)

MAIL_DIR = "e-post"  # dist/remiss/<round>/e-post/<party>.eml


_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_STAND_IN = b"avtal:attachment:" + bytes(range(32, 40))  # encodes to one line no zip shares with a message
_STAND_IN_B64 = base64.b64encode(_STAND_IN) + b"\r\n"


# -- the messages --

@dataclass(frozen=True)
class Letter:
    """What goes to one party: everything but the Date and Message-ID."""

    party: Addressee
    zip: PackedZip
    subject: str
    filename: str
    body: str


def _one_line(text: str) -> str:
    """Header text on one line (a YAML block could carry a line break into a header)."""
    return " ".join(text.split())


def _subject(info: RoundInfo, party: Addressee) -> str:
    """'Remiss – förslag till … (dnr RS 2024-03516) – Borås Stad': the dnr and the party, as answers are titled."""
    title = _one_line(info.source.title)
    prefix = "" if title.lower().startswith("remiss") else "Remiss: "
    return f"{prefix}{title} (dnr {_one_line(info.source.diarienummer)}) – {_one_line(party.name)}"


def _filename(info: RoundInfo, party: Addressee) -> str:
    """'Remiss RS 2024-03516 – Borås Stad.zip': the dnr and the party's name, as registrars file it."""
    return _one_line(_UNSAFE_NAME.sub("-", f"Remiss {info.source.diarienummer} – {party.name}")) + ".zip"


def _fields(info: RoundInfo, party: Addressee, filename: str, reply_to: Address) -> dict[str, object]:
    """The values of FIELDS for one party."""
    r = info.source
    group_id = getattr(party, "kommunalforbund", None)
    group = info.book.group(group_id).name if group_id else ""
    return {
        "party": {"id": party.id, "name": party.name, "email": party.email, "kommunalforbund": group},
        "round": {"id": r.id, "name": round_name(r), "title": r.title, "diarienummer": r.diarienummer,
                  "sent": long_date(r.sent),
                  "sent_iso": r.sent.isoformat(), "deadline": long_date(r.deadline),
                  "deadline_iso": r.deadline.isoformat(), "version": r.version, "reply_to": reply_to.addr_spec},
        "sender": {"organisation": r.sender.organisation, "unit": r.sender.unit or "", "name": r.sender.name,
                   "role": r.sender.role},
        "contacts": [{"name": c.name, "role": c.role, "organisation": c.organisation, "email": c.email,
                      "phone": c.phone or ""} for c in r.contacts],
        "files": {"zip": filename},
    }


def _addresses(info: RoundInfo, config: SmtpConfig | None, env: Mapping[str, str]) -> tuple[Address, Address]:
    """From: AVTAL_SMTP_FROM (else the first contact). Reply-To: the round's reply_to (else the first contact),
    the same address the missiv tells parties to answer to."""
    r = info.source
    display = _one_line(r.sender.unit or r.sender.organisation)
    first = r.contacts[0]
    contact = Address(display_name=first.name, addr_spec=first.email)
    sender = config.sender if config else (parse_address(env.get(ENV_FROM, ""), display) or
                                          Address(display_name=display, addr_spec=first.email))
    reply_to = Address(display_name=display, addr_spec=r.reply_to) if r.reply_to else contact
    return sender, reply_to


_SUBJECT_STAND_IN = "avtal-subject-stand-in"


def build_message(letter: Letter, *, sender: Address, reply_to: Address, date: dt.datetime, message_id: str,
                  ) -> bytes:
    """The RFC 5322 bytes (CRLF, 7-bit): text/plain in UTF-8 plus the zip, no random boundary."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = Address(display_name=_one_line(letter.party.name), addr_spec=letter.party.email)
    if reply_to.addr_spec.lower() != sender.addr_spec.lower():
        msg["Reply-To"] = reply_to
    msg["Subject"] = _SUBJECT_STAND_IN  # encoded below: the email package's folding can drop a space
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Content-Language"] = "sv"
    msg.set_content(letter.body, charset="utf-8", cte="quoted-printable")
    data = letter.zip.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != letter.zip.sha256:  # changed since it was checked: attach nothing else
        problems = Problems()
        problems.add(Location(relative(letter.zip.path)), "the zip changed while the e-mails were being made: "
                     "run `avtal remiss pack` again, then mail", where=letter.party.id)
        raise SourceError(problems)
    # The email package base64-encodes and writes a 2 MB attachment line by line in Python
    # (~0.1 s a message); it lays out a one-line stand-in instead, and base64.encodebytes's
    # 76-character lines are put in its place: byte-identical, three times faster for 50 letters.
    msg.add_attachment(_STAND_IN, maintype="application", subtype="zip", filename=letter.filename)
    for part in msg.iter_parts():
        del part["MIME-Version"]  # only the top level carries it
    # '=_' never occurs in quoted-printable or base64 text, so this boundary is safe and fixed.
    msg.set_boundary(f"=_avtal_{letter.zip.sha256[:32]}")
    head, stand_in, tail = msg.as_bytes(policy=policy.SMTP).partition(_STAND_IN_B64)
    assert stand_in and _STAND_IN_B64 not in tail
    # policy.SMTP folds a long non-ASCII Subject between two encoded words at the space that separates
    # them, and RFC 2047 readers ignore whitespace between encoded words: "Anhörigas Riksförbund Västra
    # Götaland" arrived as "RiksförbundVästra". email.header.Header keeps each space inside an encoded word.
    subject = Header(letter.subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
    head = head.replace(b"Subject: " + _SUBJECT_STAND_IN.encode() + b"\r\n",
                        b"Subject: " + subject.encode("ascii") + b"\r\n", 1)
    return head + base64.encodebytes(data).replace(b"\n", b"\r\n") + tail


def _message_id(info: RoundInfo, party: Addressee, attempt: int, sender: Address) -> str:
    """Stable for a given attempt; a resend gets a new id (clients drop duplicates of a Message-ID)."""
    return f"<{info.id}.{party.id}.{attempt}@{sender.domain}>"


def _preview_date(info: RoundInfo) -> dt.datetime:
    """The round's sent date (midnight UTC): dry-run files stay byte-identical between runs."""
    sent = info.source.sent
    return dt.datetime(sent.year, sent.month, sent.day, tzinfo=dt.timezone.utc)


def _write_folder(folder: Path, files: Iterable[tuple[str, bytes]]) -> None:
    """Write all files into a temporary sibling, then swap it in: never a half-written folder."""
    with replace_folder(folder) as tmp:
        for name, data in files:
            atomic_write_bytes(tmp / name, data)


# -- the report --

Outcome = Literal["would send", "sent", "skipped", "not sent", "uncertain"]


@dataclass(frozen=True)
class Delivery:
    """What happened (or would happen) for one party."""

    party: str
    name: str
    address: str
    outcome: Outcome
    detail: str = ""


@dataclass
class MailReport:
    """What `avtal remiss mail` did; `str()` is the summary the command prints."""

    round_id: str
    folder: Path  # dist/remiss/<round>/e-post/
    log: Path
    dry_run: bool
    deliveries: list[Delivery] = field(default_factory=list)
    placeholders: tuple[str, ...] = ()

    def count(self, outcome: Outcome) -> int:
        return sum(d.outcome == outcome for d in self.deliveries)

    def __str__(self) -> str:
        folder = relative(self.folder) + "/"
        if self.dry_run:
            head = (f"dry run: {len(self.deliveries)} e-mail(s) written to {folder}, nothing sent "
                    f"({self.count('would send')} to send, {self.count('skipped')} already sent)")
        else:
            head = (f"sent {self.count('sent')}, skipped {self.count('skipped')}, not sent {self.count('not sent')} "
                    f"(log: {relative(self.log)}; e-mails in {folder})")
        if self.count("uncertain"):
            head += (f"\n{self.count('uncertain')} e-mail(s) uncertain: a run was stopped while handing them to the "
                     "server, so they may have arrived; ask the party or check the server's log, then send again "
                     f"with --resend PARTY only if they did not")
        width = max((len(d.party) for d in self.deliveries), default=0)
        lines = [head] + [f"  {d.outcome:<10}  {d.party:<{width}}  {d.name} <{d.address}>"
                          + (f"  {d.detail}" if d.detail else "") for d in self.deliveries]
        if self.dry_run and self.placeholders:
            lines.append(f"note: {len(self.placeholders)} recipient(s) have placeholder addresses "
                         "(email_placeholder: true in sources/parter.yaml); --send refuses them until real "
                         "addresses are filled in")
        if self.dry_run and self.count("would send"):
            lines.append(f"to send: set {ENV_HOST} and {ENV_FROM} (and {ENV_USER}/{ENV_PASSWORD} if the server "
                         f"requires login), then run `avtal remiss mail {self.round_id} --send`")
        return "\n".join(lines)


# -- the command --

@writes_round("mail")
def mail_round(sources: Path, round_id: str, dist: Path, *, send: bool = False, resend: tuple[str, ...] = (),
               ) -> MailReport:
    """Write one .eml per recipient; with `send`, send those not yet sent (or named in `resend`).

    Every problem (stale pack, template, placeholder addresses, SMTP settings, unknown
    --resend party, unreadable log) is collected and raised before anything is sent.
    A party the server refuses is logged as not sent, the others go on, and a
    SourceError listing the failures is raised at the end, after the log is written.
    """
    problems = Problems()
    info = load_round(sources, round_id, problems=problems)
    env = os.environ
    zips = read_pack(sources, info, dist, problems)
    template = load_template(sources, info, problems)
    log = read_log(info, problems)
    recipients = {p.id: p for p in info.addressees}
    for name in dict.fromkeys(resend):
        if name not in recipients:
            close = get_close_matches(name, list(recipients), n=1, cutoff=0.6)
            guess = f" (did you mean '{close[0]}'?)" if close else ""
            problems.add(Location(info.file), f"--resend {name}: '{name}' is not a recipient of {round_id}{guess}: "
                         f"expected a party id listed in {info.book.file}", where=name)
    placeholders = tuple(p.id for p in info.addressees if p.email_placeholder)
    config: SmtpConfig | None = None
    sender, reply_to = _addresses(info, None, env)
    if send:
        _placeholder_problems(sources, info, problems)
        config = smtp_config(env, info.source.sender.unit or info.source.sender.organisation, problems)
        if config:
            sender, reply_to = _addresses(info, config, env)
        if reply_to.domain.lower().endswith(".example"):
            key = "reply_to" if info.source.reply_to else "contacts[0].email"
            source = read_yaml(round_path(sources, info.id), info.file, Problems())
            where = source.location(("reply_to",) if info.source.reply_to else ("contacts", 0, "email")) \
                if source else Location(info.file)
            problems.add(where, f"answers would go to the placeholder address {reply_to.addr_spec} "
                         f"(Reply-To, from {key}): give the real address in {info.file}, then run "
                         f"`avtal remiss pack {info.id}` again (the missiv names it too)", where=key)
    bodies = _bodies(info, template, reply_to, problems) if template else {}
    if problems.errors:
        raise SourceError(problems)

    sent_before = {r.party: r for r in log.messages if r.status == "sent"}
    in_flight = _in_flight(log)
    attempts = {p: sum(r.party == p for r in log.messages) for p in recipients}
    letters = {p.id: Letter(p, zips[p.id], _subject(info, p), _filename(info, p), bodies[p.id])
               for p in info.addressees}
    folder = pack_folder(dist, round_id) / MAIL_DIR
    _write_folder(folder, ((f"{p.id}.eml", build_message(letters[p.id], sender=sender, reply_to=reply_to,
                                                          date=_preview_date(info),
                                                          message_id=_message_id(info, p, attempts[p.id] + 1, sender)))
                           for p in info.addressees))

    report = MailReport(round_id, folder, log_path(info), dry_run=not send, placeholders=placeholders)
    todo: list[Addressee] = []
    for party in info.addressees:
        before = sent_before.get(party.id)
        stopped = in_flight.get(party.id)
        if stopped and party.id not in resend:
            report.deliveries.append(Delivery(party.id, party.name, party.email, "uncertain",
                                              f"a run was stopped while sending {stopped.message_id} at "
                                              f"{stopped.time:%Y-%m-%d %H:%M}: it may have arrived; "
                                              f"--resend {party.id} sends again"))
        elif before and party.id not in resend:
            report.deliveries.append(Delivery(party.id, party.name, party.email, "skipped",
                                              f"sent {before.time:%Y-%m-%d %H:%M} as {before.message_id}; "
                                              f"--resend {party.id} sends again"))
        elif not send:
            size = f"{letters[party.id].zip.size / 1e6:.1f} MB"
            report.deliveries.append(Delivery(party.id, party.name, party.email, "would send",
                                              f"{'resend, ' if before else ''}{letters[party.id].filename} ({size})"))
        else:
            todo.append(party)
    if send and todo:
        assert config is not None
        _send_all(info, config, sender, reply_to, letters, todo, attempts, log, report)
    return report


def _in_flight(log: SendLog) -> dict[str, SendRecord]:
    """Parties whose last logged attempt is still 'sending': a run was killed while the server had the message."""
    last = {r.party: r for r in log.messages}
    return {party: r for party, r in last.items() if r.status == "sending"}


def _bodies(info: RoundInfo, template: BodyTemplate, reply_to: Address, problems: Problems) -> dict[str, str]:
    """Each recipient's body; a template that fails while filling in is reported once, not per party."""
    bodies: dict[str, str] = {}
    seen: set[str] = set()
    for party in info.addressees:
        try:
            bodies[party.id] = template.fill(_fields(info, party, _filename(info, party), reply_to))
        except Exception as exc:  # noqa: BLE001 - any error inside the user's template is reported as a problem
            message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, TemplateError) else str(exc)
            if message not in seen:
                seen.add(message)
                problems.add(Location(template.origin), f"the mail template cannot be filled in for "
                             f"{party.name} ({message}): fix the template", where=party.id)
    return bodies


def _placeholder_problems(sources: Path, info: RoundInfo, problems: Problems) -> None:
    """One problem per invented value the letter or the e-mail would carry: each recipient whose address (or
    whole organisation) is a placeholder, at its line in parter.yaml, and each invented contact person, at its
    line in the round file (the missiv names them to every recipient)."""
    path = parties_path(sources)
    source = read_yaml(path, info.book.file, Problems())
    index = {x.id: (key, i) for key, items in (("parties", info.book.parties), ("kommunalforbund", info.book.groups),
                                               ("organisations", info.book.organisations))
             for i, x in enumerate(items)}
    for party in info.addressees:
        key, i = index[party.id]
        if getattr(party, "name_placeholder", False):
            where = source.location((key, i, "name_placeholder")) if source else Location(info.book.file)
            problems.add(where, f"{party.name} is an invented example organisation (name_placeholder: true): "
                         f"--send refuses to send; name the real organisation in {info.book.file} or remove it from "
                         f"other_recipients in {info.file}", where=party.id)
        elif party.email_placeholder:
            where = source.location((key, i, "email_placeholder")) if source else Location(info.book.file)
            problems.add(where, f"{party.name} has a placeholder address ({party.email}): --send refuses to send; "
                         f"fill in the registrar's real address in {info.book.file} and set email_placeholder: "
                         f"false, then run `avtal remiss pack {info.id}` again", where=party.id)
    round_source = read_yaml(round_path(sources, info.id), info.file, Problems())
    for i, contact in enumerate(info.source.contacts):
        if contact.placeholder:
            where = round_source.location(("contacts", i, "placeholder")) if round_source else Location(info.file)
            problems.add(where, f"contact person {contact.name} ({contact.email}, telefon {contact.phone or '–'}) is "
                         f"an invented placeholder: --send refuses to send a missiv naming them; give the real "
                         f"contact in {info.file} and remove `placeholder: true`, then run `avtal remiss pack "
                         f"{info.id}` again", where=f"contacts[{i}]")


def _send_all(info: RoundInfo, config: SmtpConfig, sender: Address, reply_to: Address, letters: dict[str, Letter],
              todo: list[Addressee], attempts: dict[str, int], log: SendLog, report: MailReport) -> None:
    """Send one by one, logging each answer at once; if the line drops, reconnect once and go on."""
    try:
        smtp: smtplib.SMTP | None = connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        problems = Problems()
        problems.add(Location("environment"), f"cannot connect to {config.host}:{config.port} "
                     f"({smtp_error(exc)}): check {ENV_HOST}, {ENV_PORT}, {ENV_STARTTLS}, {ENV_USER} and "
                     f"{ENV_PASSWORD}; nothing was sent", where=ENV_HOST)
        raise SourceError(problems) from None
    failures: list[tuple[Addressee, str]] = []
    records = list(log.messages)
    try:
        for n, party in enumerate(todo):
            if smtp is None:
                try:
                    smtp = connect(config)
                except (OSError, smtplib.SMTPException) as exc:
                    lost = f"not attempted: cannot reconnect to {config.host}:{config.port} ({smtp_error(exc)})"
                    for rest in todo[n:]:
                        report.deliveries.append(Delivery(rest.id, rest.name, rest.email, "not sent", lost))
                        failures.append((rest, lost))
                    break
            letter = letters[party.id]
            attempts[party.id] += 1
            message_id = _message_id(info, party, attempts[party.id], sender)
            data = build_message(letter, sender=sender, reply_to=reply_to,
                                 date=dt.datetime.now(dt.timezone.utc).astimezone(), message_id=message_id)
            records.append(SendRecord(party=party.id, address=party.email, message_id=message_id,
                                      zip_sha256=letter.zip.sha256, status="sending",
                                      time=dt.datetime.now(dt.timezone.utc).astimezone().replace(microsecond=0),
                                      response="(handed to the server; no answer yet)"))
            write_log(info, SendLog(round=info.id, messages=tuple(records)))  # before a byte leaves: a kill is seen
            try:
                ok, response = transmit(smtp, sender.addr_spec, party.email, data)
            except (OSError, smtplib.SMTPException) as exc:  # the connection is gone
                ok, response = False, smtp_error(exc)
                smtp.close()
                smtp = None
            records[-1] = SendRecord(party=party.id, address=party.email, message_id=message_id,
                                     zip_sha256=letter.zip.sha256, status="sent" if ok else "not sent",
                                     time=dt.datetime.now(dt.timezone.utc).astimezone().replace(microsecond=0),
                                     response=response or "(no answer)")
            write_log(info, SendLog(round=info.id, messages=tuple(records)))
            report.deliveries.append(Delivery(party.id, party.name, party.email, "sent" if ok else "not sent",
                                              f"{message_id} {response}"))
            if not ok:
                failures.append((party, f"the server answered '{response}'"))
    except BaseException:  # Ctrl-C or a crash: no QUIT, whose answer may never come (the line is mid-message)
        if smtp is not None:
            smtp.close()
            smtp = None
        raise
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    if failures:
        shown = relative(log_path(info))
        problems = Problems()
        problems.add(Location(shown), f"{len(failures)} of {len(todo)} e-mail(s) not sent, {report.count('sent')} "
                     f"sent; every attempt is recorded in {shown}. Fix the cause and run "
                     f"`avtal remiss mail {info.id} --send` again: it sends only to parties not yet sent")
        for party, why in failures:
            problems.add(Location(shown), f"not sent to {party.name} <{party.email}>: {why}; check the address "
                         f"in {info.book.file} and the server", where=party.id)
        error = SourceError(problems)
        error.report = report  # type: ignore[attr-defined]
        raise error
