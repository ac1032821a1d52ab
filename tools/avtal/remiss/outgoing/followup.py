"""E-mail around the round's own mail: a test send, reminders and receipts.

- `avtal remiss mail ROUND --to ADDRESS [--all]`: the real message (or every one) to one address, before the
  real send; the send log is not touched, so the real send is unaffected.
- `avtal remiss remind ROUND`: a short påminnelse to each recipient without an answer (nobody answered for it,
  not even jointly), with its own deadline (an extension counts).
- `avtal remiss receipt ROUND [PARTY…]`: a mottagningskvitto for each imported revision of an answer, to the
  address it came from (recorded at import), else the answerer's registrar.

Reminders and receipts follow the send log's rules (README, `avtal remiss mail`): a dry run by default that
writes the .eml files into dist/remiss/ROUND/<kind>/; with `--send`, each message is logged `sending` before it
goes and replaced by its outcome, so one is sent once; a run stopped in between leaves it `uncertain` until
`--resend PARTY`. Their logs are sources/remiss/ROUND/paminnelser.yaml and kvittenser.yaml (commit them).
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
from dataclasses import dataclass, field
from difflib import get_close_matches
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated, Callable, Literal, Optional

import yaml
from pydantic import Field

from ...fsutil import atomic_write_text
from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import Addressee, Answer, Record, RoundInfo, load_round
from ...model.schema import Id, Line
from ...model.validate import validate
from ...model.yamlfile import read_yaml
from ...render.wording import long_date
from ..record.answers import load_answers
from ..record.lock import writes_round
from ..record.status import status_of
from .mail import Delivery, _addresses, _one_line, _write_folder
from .packed import pack_folder
from .sendlog import _LogDumper
from .smtp import ENV_FROM, ENV_HOST, SmtpConfig, session, smtp_config, smtp_error, transmit


# -- the notice logs: paminnelser.yaml, kvittenser.yaml --

NoticeKind = Literal["reminder", "receipt"]
LOG_FILES: dict[str, str] = {"reminder": "paminnelser.yaml", "receipt": "kvittenser.yaml"}
FOLDERS: dict[str, str] = {"reminder": "paminnelser", "receipt": "kvittenser"}  # in dist/remiss/ROUND/


class NoticeRecord(Record):
    """One attempt to send a reminder or a receipt."""

    party: Id
    revision: Optional[int] = Field(None, ge=1, description="The answer's revision a receipt acknowledges.")
    address: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
    message_id: Line
    time: dt.datetime
    status: Literal["sending", "sent", "not sent"]
    response: Line


class NoticeLog(Record):
    """Every attempt, in order, as `avtal remiss remind/receipt --send` wrote it."""

    round: Id
    messages: tuple[NoticeRecord, ...] = ()


_LOG_HEADER = """\
# {what} log of remiss round {round}: one entry per message, written by
# `avtal remiss {command} {round} --send`: "sending" before a message goes to the SMTP server,
# replaced by its outcome when the server answers. Written by the tool: do not edit by hand.
"""


def _log_path(info: RoundInfo, kind: NoticeKind) -> Path:
    return info.folder / LOG_FILES[kind]


def _read_log(info: RoundInfo, kind: NoticeKind, problems: Problems) -> NoticeLog:
    path = _log_path(info, kind)
    if not path.exists():
        return NoticeLog(round=info.id)
    shown = relative(path)
    source = read_yaml(path, shown, problems)
    log = validate(NoticeLog, source, problems) if source else None
    if log is None:
        problems.add(Location(shown), f"the log cannot be read, so it is unknown what was already sent: restore it "
                     f"from git (`git checkout -- {shown}`) before sending")
        return NoticeLog(round=info.id)
    return log


def _write_log(info: RoundInfo, kind: NoticeKind, records: list[NoticeRecord]) -> None:
    data = {"round": info.id, "messages": [
        {k: v for k, v in (("party", r.party), ("revision", r.revision), ("address", r.address),
                           ("message_id", r.message_id), ("time", r.time.isoformat()), ("status", r.status),
                           ("response", r.response)) if v is not None} for r in records]}
    text = yaml.dump(data, Dumper=_LogDumper, allow_unicode=True, sort_keys=False, width=1_000_000,
                     default_flow_style=False, indent=2)
    what, command = ("Reminder", "remind") if kind == "reminder" else ("Receipt", "receipt")
    atomic_write_text(_log_path(info, kind), _LOG_HEADER.format(what=what, command=command, round=info.id) + text)


# -- the notices --

@dataclass(frozen=True)
class Notice:
    """One message to one answerer: a reminder (revision None) or the receipt of one revision."""

    party: Addressee
    revision: int | None
    address: str
    subject: str
    body: str

    @property
    def key(self) -> tuple[str, int | None]:
        return (self.party.id, self.revision)

    @property
    def file(self) -> str:
        return f"{self.party.id}.eml" if self.revision is None else f"{self.party.id}-{self.revision}.eml"


def _signature(info: RoundInfo) -> str:
    s = info.source.sender
    return "\n".join(["Med vänliga hälsningar", "", s.name, s.role, *([s.unit] if s.unit else []), s.organisation])


def _reminder(info: RoundInfo, party: Addressee, reply_to: Address) -> Notice:
    r = info.source
    deadline = info.deadline_of(party.id)
    extended = info.extended(party.id)
    title = _one_line(r.title)
    contacts = "\n".join(f"{c.name}, {c.role}, {c.email}" + (f", {c.phone}" if c.phone else "") for c in r.contacts)
    when = f"den {long_date(deadline)}" + (" (förlängd för er)" if extended else "")
    body = "\n\n".join([
        f"Till {party.name}",
        f"Den {long_date(r.sent)} skickades remissen ”{title}” (dnr {r.diarienummer}) till er. Vi har ännu inte "
        f"fått något svar från {party.name}.",
        f"Sista svarsdag är {when}. Svaret skickas till {reply_to.addr_spec} med diarienummer {r.diarienummer} och "
        "er organisations namn i ämnesraden. Har ni inga synpunkter räcker ett kort svar om det.",
        f"Remisshandlingarna kom med e-postmeddelandet den {long_date(r.sent)}. Frågor om remissen besvaras av:\n"
        + contacts,
        _signature(info)]) + "\n"
    subject = f"Påminnelse: {title} (dnr {_one_line(r.diarienummer)}) – {_one_line(party.name)}"
    return Notice(party, None, party.email, subject, body)


def _receipt(info: RoundInfo, party: Addressee, answer: Answer, number: int) -> Notice:
    r = info.source
    revision = answer.revisions[number - 1]
    title = _one_line(r.title)
    files = "\n".join(f"- {f.original_name}" for f in revision.files)
    which = "ert remissvar" if number == 1 else f"en komplettering av ert remissvar (inlämning {number})"
    body = "\n\n".join([
        f"Till {party.name}",
        f"Vi bekräftar att vi den {long_date(revision.received)} har tagit emot {which} på remissen ”{title}” "
        f"(dnr {r.diarienummer})" + (f":\n{files}" if files else "."),
        "Svaret är en allmän handling och diarieförs. Arbetsgruppen sammanställer svaren och redovisar dem "
        "med sina ställningstaganden i en remissammanställning.",
        _signature(info)]) + "\n"
    subject = f"Mottagningskvitto: {title} (dnr {_one_line(r.diarienummer)}) – {_one_line(party.name)}"
    return Notice(party, number, revision.sender or party.email, subject, body)


def _message(notice: Notice, *, sender: Address, reply_to: Address, date: dt.datetime, message_id: str) -> bytes:
    """Plain text in UTF-8, the Subject kept whole as `mail.build_message` keeps it."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = Address(display_name=_one_line(notice.party.name), addr_spec=notice.address)
    if reply_to.addr_spec.lower() != sender.addr_spec.lower():
        msg["Reply-To"] = reply_to
    msg["Subject"] = "avtal-subject"
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Content-Language"] = "sv"
    msg.set_content(notice.body, charset="utf-8", cte="quoted-printable")
    subject = Header(notice.subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
    return msg.as_bytes(policy=policy.SMTP).replace(b"Subject: avtal-subject\r\n",
                                                    b"Subject: " + subject.encode("ascii") + b"\r\n", 1)


# -- the report --

@dataclass
class NoticeReport:
    """What `avtal remiss remind/receipt` did; `str()` is what the command prints."""

    round_id: str
    kind: NoticeKind
    folder: Path
    log: Path
    dry_run: bool
    deliveries: list[Delivery] = field(default_factory=list)
    progress: Callable[[Delivery], None] | None = None

    def add(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        if self.progress is not None and delivery.outcome in ("sent", "not sent"):
            self.progress(delivery)

    def count(self, outcome: str) -> int:
        return sum(d.outcome == outcome for d in self.deliveries)

    def __str__(self) -> str:
        what = "reminder" if self.kind == "reminder" else "receipt"
        folder = relative(self.folder) + "/"
        if self.dry_run:
            head = (f"dry run: {self.count('would send')} {what}(s) to send, written to {folder}; "
                    f"{self.count('skipped')} already sent; nothing sent")
        else:
            head = (f"{what}s: sent {self.count('sent')}, skipped {self.count('skipped')}, not sent "
                    f"{self.count('not sent')} (log: {relative(self.log)})")
        if not self.deliveries:
            head = f"no {what}s to send" + (" (everyone has answered)" if self.kind == "reminder" else "")
        if self.count("uncertain"):
            head += (f"\n{self.count('uncertain')} {what}(s) uncertain: a run was stopped while handing them to the "
                     "server; send again with --resend PARTY only if they did not arrive")
        width = max((len(d.party) for d in self.deliveries), default=0)
        lines = [head] + [f"  {d.outcome:<10}  {d.party:<{width}}  {d.name} <{d.address}>"
                          + (f"  {d.detail}" if d.detail else "") for d in self.deliveries]
        if self.dry_run and self.count("would send"):
            command = "remind" if self.kind == "reminder" else "receipt"
            lines.append(f"to send: set {ENV_HOST} and {ENV_FROM}, then run `avtal remiss {command} {self.round_id} "
                         "--send`")
        return "\n".join(lines)


# -- the commands --

@writes_round("remind")
def remind(sources: Path, round_id: str, dist: Path, *, send: bool = False, resend: tuple[str, ...] = (),
           progress: Callable[[Delivery], None] | None = None) -> NoticeReport:
    """Remind every recipient that has no answer (own or joint) yet."""
    info = load_round(sources, round_id)
    report = status_of(info, load_answers(sources, info))
    missing = {r.party for r in (*report.recipients, *report.others) if r.state == "none"}
    parties = [p for p in info.addressees if p.id in missing]

    def notices(reply_to: Address) -> list[Notice]:
        return [_reminder(info, p, reply_to) for p in parties]
    return _run(sources, info, "reminder", dist, notices, send=send, resend=resend, progress=progress)


@writes_round("receipt")
def receipt(sources: Path, round_id: str, dist: Path, parties: tuple[str, ...] = (), *, send: bool = False,
            resend: tuple[str, ...] = (), progress: Callable[[Delivery], None] | None = None) -> NoticeReport:
    """Acknowledge each imported revision of each answer (or of the named answerers') to its sender."""
    info = load_round(sources, round_id)
    answers = {a.party: a for a in load_answers(sources, info)}
    problems = Problems()
    for name in parties:
        if name not in answers:
            close = get_close_matches(name, list(answers), n=1, cutoff=0.6)
            guess = f" (did you mean '{close[0]}'?)" if close else ""
            problems.add(Location(relative(info.folder / "svar")), f"no imported answer from '{name}'{guess}: "
                         "import it first (`avtal remiss import`); answers: " + (", ".join(sorted(answers)) or "none"))
    if problems.errors:
        raise SourceError(problems)
    chosen = [answers[p] for p in dict.fromkeys(parties)] if parties else [answers[p] for p in sorted(answers)]

    def notices(reply_to: Address) -> list[Notice]:
        out = []
        for answer in chosen:
            who = info.book.answerer(answer.party)
            if who is not None:
                out += [_receipt(info, who, answer, n) for n in range(1, len(answer.revisions) + 1)]
        return out
    return _run(sources, info, "receipt", dist, notices, send=send, resend=resend, progress=progress)


def _run(sources: Path, info: RoundInfo, kind: NoticeKind, dist: Path, make: Callable[[Address], list[Notice]], *,
         send: bool, resend: tuple[str, ...], progress: Callable[[Delivery], None] | None) -> NoticeReport:
    """Checks first (all problems at once), then the .eml files, then (with `send`) the messages not yet sent."""
    problems = Problems()
    log = _read_log(info, kind, problems)
    known = {x.id for x in (*info.book.parties, *info.book.others())}
    for name in dict.fromkeys(resend):
        if name not in known:
            close = get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            problems.add(Location(info.file), f"--resend {name}: unknown party or remissinstans"
                         + (f" (did you mean '{close[0]}'?)" if close else ""), where=name)
    config = smtp_config(os.environ, info.source.sender.unit or info.source.sender.organisation, problems) \
        if send else None
    sender, reply_to = _addresses(info, config, os.environ)
    notices = make(reply_to)
    if send:
        for notice in notices:
            if notice.address.lower().endswith(".example"):
                problems.add(Location(info.book.file), f"{notice.party.name} has a placeholder address "
                             f"({notice.address}): --send refuses it; fill in the real address", where=notice.party.id)
    if problems.errors:
        raise SourceError(problems)
    sent_before = {(r.party, r.revision): r for r in log.messages if r.status == "sent"}
    last = {(r.party, r.revision): r for r in log.messages}
    attempts = {n.key: sum((r.party, r.revision) == n.key for r in log.messages) for n in notices}
    folder = pack_folder(dist, info.id) / FOLDERS[kind]
    preview = dt.datetime.combine(dt.date.today(), dt.time(), dt.timezone.utc)

    def message_id(notice: Notice, attempt: int) -> str:
        rev = "" if notice.revision is None else f".{notice.revision}"
        return f"<{info.id}.{kind}.{notice.party.id}{rev}.{attempt}@{sender.domain}>"
    _write_folder(folder, ((n.file, _message(n, sender=sender, reply_to=reply_to, date=preview,
                                             message_id=message_id(n, attempts[n.key] + 1))) for n in notices))
    report = NoticeReport(info.id, kind, folder, _log_path(info, kind), dry_run=not send, progress=progress)
    todo: list[Notice] = []
    for n in notices:
        party, before, stopped = n.party, sent_before.get(n.key), last.get(n.key)
        if stopped is not None and stopped.status == "sending" and party.id not in resend:
            report.add(Delivery(party.id, party.name, n.address, "uncertain", f"a run was stopped while sending "
                                f"{stopped.message_id}: it may have arrived; --resend {party.id} sends again"))
        elif before and party.id not in resend:
            report.add(Delivery(party.id, party.name, n.address, "skipped",
                                f"sent {before.time:%Y-%m-%d %H:%M} as {before.message_id}"))
        elif not send:
            report.add(Delivery(party.id, party.name, n.address, "would send", n.file))
        else:
            todo.append(n)
    if todo:
        assert config is not None
        _send(info, kind, config, sender, reply_to, todo, attempts, list(log.messages), report, message_id)
    return report


def _send(info: RoundInfo, kind: NoticeKind, config: SmtpConfig, sender: Address, reply_to: Address,
          todo: list[Notice], attempts: dict, records: list[NoticeRecord], report: NoticeReport, message_id) -> None:
    """One by one, each logged `sending` before it goes and its outcome after; failures raised at the end."""
    failures: list[str] = []

    def now() -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc).astimezone().replace(microsecond=0)
    with session(config) as smtp:
        for n in todo:
            attempts[n.key] += 1
            mid = message_id(n, attempts[n.key])
            data = _message(n, sender=sender, reply_to=reply_to, date=now(), message_id=mid)
            base = dict(party=n.party.id, revision=n.revision, address=n.address, message_id=mid)
            records.append(NoticeRecord(**base, time=now(), status="sending",
                                        response="(handed to the server; no answer yet)"))
            _write_log(info, kind, records)
            try:
                ok, response = transmit(smtp, sender.addr_spec, n.address, data)
            except (OSError, smtplib.SMTPException) as exc:
                ok, response = False, smtp_error(exc)
            records[-1] = NoticeRecord(**base, time=now(), status="sent" if ok else "not sent",
                                       response=response or "(no answer)")
            _write_log(info, kind, records)
            report.add(Delivery(n.party.id, n.party.name, n.address, "sent" if ok else "not sent", f"{mid} {response}"))
            if not ok:
                failures.append(f"not sent to {n.party.name} <{n.address}>: the server answered '{response}'")
    if failures:
        problems = Problems()
        for why in failures:
            problems.add(Location(relative(_log_path(info, kind))), why + "; run again with --send: only what was "
                         "not sent is sent")
        error = SourceError(problems)
        error.report = report  # type: ignore[attr-defined]
        raise error
