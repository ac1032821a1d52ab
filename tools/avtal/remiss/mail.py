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
import csv
import datetime as dt
import hashlib
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from difflib import get_close_matches
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Annotated, Callable, Iterable, Literal, Mapping

import yaml
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field

from ..fsutil import atomic_write_bytes, atomic_write_text, replace_folder
from ..model.problems import Location, Problems, SourceError, relative
from ..model.remiss import Email, Addressee, RoundInfo, load_round, parties_path, round_path
from ..model.schema import Id, Line, Node
from ..model.validate import validate
from ..model.yamlfile import read_yaml
from ..render.wording import long_date, round_name
from .lock import writes_round
from .templates import FIELDS as TEMPLATE_FIELDS

TEMPLATE = Path(__file__).resolve().parents[3] / "templates" / "mail.txt"
PACK_DIR = "remiss"  # dist/remiss/<round>/
MAIL_DIR = "e-post"  # dist/remiss/<round>/e-post/<party>.eml
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("party", "name", "email", "email_placeholder", "file", "bytes", "sha256")
LOG_FILE = "utskick.yaml"  # sources/remiss/<round>/utskick.yaml

ENV_HOST, ENV_PORT, ENV_FROM = "AVTAL_SMTP_HOST", "AVTAL_SMTP_PORT", "AVTAL_SMTP_FROM"
ENV_USER, ENV_PASSWORD, ENV_STARTTLS = "AVTAL_SMTP_USER", "AVTAL_SMTP_PASSWORD", "AVTAL_SMTP_STARTTLS"
DEFAULT_PORT = 587  # message submission (RFC 6409), STARTTLS
IMPLICIT_TLS_PORT = 465  # submissions (RFC 8314): TLS from the first byte
LOCAL_TEST_PORTS = (1025, 8025)  # MailHog/Mailpit and aiosmtpd: local test servers without TLS
TIMEOUT = 60.0
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_STAND_IN = b"avtal:attachment:" + bytes(range(32, 40))  # encodes to one line no zip shares with a message
_STAND_IN_B64 = base64.b64encode(_STAND_IN) + b"\r\n"


# -- the send log: sources/remiss/<round>/utskick.yaml --

class SendRecord(Node):
    """One attempt to send a round's e-mail to one party."""

    party: Id
    address: Email
    message_id: Line = Field(description="The Message-ID header of the message sent.")
    zip_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the attached zip.")]
    time: dt.datetime = Field(description="When the server answered (local time with offset); for 'sending', when "
                              "the message was handed over.")
    status: Literal["sending", "sent", "not sent"] = Field(
        description="'sending' is logged before the message goes to the server and replaced by the outcome after; "
        "one left behind means the run was stopped in between, so the party may or may not have it.")
    response: Line = Field(description="The SMTP server's answer, e.g. '250 2.0.0 Ok: queued as 4XyZ'.")


class SendLog(Node):
    """Every attempt, in order; written by `avtal remiss mail ROUND --send` after each message."""

    round: Id
    messages: tuple[SendRecord, ...] = ()


_LOG_HEADER = """\
# Send log of remiss round {round}: one entry per message, appended by
# `avtal remiss mail {round} --send`: "sending" before a message goes to the SMTP server,
# replaced by its outcome when the server answers. A party listed with status "sent" is
# not sent to again, nor one left "sending" (uncertain); `--resend PARTY` sends anew.
# Written by the tool: do not edit by hand.
"""


class _LogDumper(yaml.SafeDumper):
    """List items indented under their key, as the hand-written sources do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def log_path(info: RoundInfo) -> Path:
    return info.folder / LOG_FILE


def read_log(info: RoundInfo, problems: Problems) -> SendLog:
    """The round's send log (empty when nothing was sent yet)."""
    path = log_path(info)
    if not path.exists():
        return SendLog(round=info.id)
    shown = relative(path)
    source = read_yaml(path, shown, problems)
    log = validate(SendLog, source, problems) if source else None
    if log is None:
        problems.add(Location(shown), "the send log cannot be read, so it is unknown who was already sent the "
                     "remiss: restore it from git (`git checkout -- " + shown + "`) before sending")
        return SendLog(round=info.id)
    if log.round != info.id:
        problems.add(source.location(("round",)), f"send log of round '{log.round}' in the folder of round "
                     f"'{info.id}': expected 'round: {info.id}'")
    return log


def write_log(info: RoundInfo, log: SendLog) -> None:
    data = {"round": log.round, "messages": [
        {"party": r.party, "address": r.address, "message_id": r.message_id, "zip_sha256": r.zip_sha256,
         "time": r.time.isoformat(), "status": r.status, "response": r.response} for r in log.messages]}
    text = yaml.dump(data, Dumper=_LogDumper, allow_unicode=True, sort_keys=False, width=1_000_000,
                     default_flow_style=False, indent=2)
    atomic_write_text(log_path(info), _LOG_HEADER.format(round=log.round) + text)


# -- the pack written by `avtal remiss pack ROUND` --

@dataclass(frozen=True)
class PackedZip:
    """One party's zip as the manifest records it (and as verified on disk)."""

    path: Path
    size: int
    sha256: str


def pack_folder(dist: Path, round_id: str) -> Path:
    return dist / PACK_DIR / round_id


def read_pack(sources: Path, info: RoundInfo, dist: Path, problems: Problems) -> dict[str, PackedZip]:
    """Each recipient's zip, checked against manifest.csv and the current sources.

    A pack is stale when the round file changed after packing, or the manifest's
    recipients, names or addresses differ from the sources now: the missiv and the
    svarsformulär would then say something the round no longer says.
    """
    folder = pack_folder(dist, info.id)
    manifest = folder / MANIFEST
    shown = relative(manifest)
    fix = f"run `avtal remiss pack {info.id}`"
    if not manifest.is_file():
        problems.add(Location(shown), f"no package for round '{info.id}' ({shown} is missing): {fix} first")
        return {}
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(Location(shown), f"cannot read the manifest ({exc}): {fix} again")
        return {}
    rows = list(csv.reader(text.splitlines()))
    header = tuple(rows[0]) if rows else ()
    missing = [c for c in MANIFEST_COLUMNS if c not in header]
    if missing:
        problems.add(Location(shown, 1, 1), f"manifest lacks the column(s) {', '.join(missing)}: expected the header "
                     f"{','.join(MANIFEST_COLUMNS)}; {fix} again")
        return {}
    column = {name: header.index(name) for name in MANIFEST_COLUMNS}
    zips: dict[str, tuple[int, dict[str, str]]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) < len(header):
            problems.add(Location(shown, line, 1), f"row has {len(row)} of {len(header)} columns: {fix} again")
            continue
        values = {name: row[i] for name, i in column.items()}
        if values["file"] == f"{values['party']}.zip":
            zips[values["party"]] = (line, values)

    round_file = round_path(sources, info.id)
    round_changed = round_file.exists() and round_file.stat().st_mtime_ns > manifest.stat().st_mtime_ns
    stale: list[tuple[str, str]] = []  # (party, what differs): reported as one line, however many parties
    found: dict[str, PackedZip] = {}
    recipients = {p.id: p for p in info.addressees}
    for party in info.addressees:
        if party.id not in zips:
            stale.append((party.id, f"new recipient ({party.name}), no {party.id}.zip"))
            continue
        line, values = zips[party.id]
        here = Location(shown, line, 1)
        placeholder = str(values["email_placeholder"].strip().lower() in _TRUE).lower()
        differs = [f"{what} '{packed}' → '{now}'" for what, packed, now in (
            ("name", values["name"], party.name), ("e-mail", values["email"], party.email),
            ("email_placeholder", placeholder, str(party.email_placeholder).lower())) if packed != now]
        if differs:
            stale.append((party.id, ", ".join(differs)))
        path = folder / values["file"]
        try:
            size, sha = int(values["bytes"]), values["sha256"].strip().lower()
        except ValueError:
            problems.add(here, f"bytes '{values['bytes']}' is not a number: {fix} again", where=party.id)
            continue
        if not path.is_file():
            problems.add(Location(relative(path)), f"missing (listed in {shown} line {line}): {fix} again",
                         where=party.id)
            continue
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if len(data) != size or actual != sha:
            problems.add(Location(relative(path)), f"SHA-256 {actual[:12]}… ({len(data)} bytes) differs from "
                         f"{shown} line {line} ({sha[:12]}…, {size} bytes): the zip changed after packing; "
                         f"{fix} again", where=party.id)
            continue
        found[party.id] = PackedZip(path, size, sha)
    stale += [(party_id, f"packed but no longer a recipient of {info.id}") for party_id in sorted(zips)
              if party_id not in recipients]
    if round_changed or stale:
        problems.add(Location(info.file if round_changed else shown), _stale_line(info, shown, round_changed, stale)
                     + f": {fix} again, so the missiv and svarsformulär say what the sources say now",
                     where=stale[0][0] if len(stale) == 1 else "")
    return found


def _stale_line(info: RoundInfo, manifest: str, round_changed: bool, stale: list[tuple[str, str]]) -> str:
    """Why a pack is stale, in one line: the first few parties in full, the rest counted."""
    shown = "; ".join(f"{party}: {what}" for party, what in stale[:3])
    more = f"; and {len(stale) - 3} more" if len(stale) > 3 else ""
    parts = [f"the round changed after it was packed ({manifest} is older)"] if round_changed else []
    if stale:
        parts.append(f"{len(stale)} recipient(s) changed in the sources since packing ({shown}{more})")
    return "the pack is stale: " + "; ".join(parts)


# -- the body template --

# The fields a mail template may use: those of the Word templates (missiv, svarsformulär) that make
# sense for one e-mail, described once, in templates.FIELDS.
MAIL_FIELDS = (
    "party.id",
    "party.name",
    "party.email",
    "party.kommunalforbund",
    "round.id",
    "round.name",
    "round.title",
    "round.diarienummer",
    "round.sent",
    "round.sent_iso",
    "round.deadline",
    "round.deadline_iso",
    "round.version",
    "round.reply_to",
    "sender.organisation",
    "sender.unit",
    "sender.name",
    "sender.role",
    "contacts[].name",
    "contacts[].role",
    "contacts[].organisation",
    "contacts[].email",
    "contacts[].phone",
    "files.zip",
)
FIELDS: dict[str, str] = {name: TEMPLATE_FIELDS[name] for name in MAIL_FIELDS}
_GROUPS = {path[:i] for path in FIELDS for i in range(len(path)) if path[i] in ".["} | {"contacts[]"}


@dataclass(frozen=True)
class BodyTemplate:
    """A checked Jinja template (the same syntax as the Word templates), rendered per party."""

    template: Template
    origin: str

    def fill(self, values: Mapping[str, object]) -> str:
        text = self.template.render(values)
        lines = [line.rstrip() for line in text.strip("\n").splitlines()]
        return "\n".join(lines) + "\n"


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                keep_trailing_newline=True, autoescape=False)


def _path(node: nodes.Node, aliases: Mapping[str, str]) -> str | None:
    """'party.name' for `party.name`, 'contacts[].email' for `c.email` inside `for c in contacts`."""
    if isinstance(node, nodes.Name):
        return aliases.get(node.name, node.name)
    if isinstance(node, nodes.Getattr):
        inner = _path(node.node, aliases)
        return f"{inner}.{node.attr}" if inner is not None else None
    return None


def _check_fields(body: nodes.Node, locate: Callable[[int, str], Location], problems: Problems) -> bool:
    """Every field the template reads must be one of FIELDS (or a group of them); reported with its line."""
    ok = True

    def unknown(node: nodes.Node, path: str) -> None:
        nonlocal ok
        ok = False
        close = get_close_matches(path, [*FIELDS, *_GROUPS], n=1, cutoff=0.6)
        guess = f" (did you mean {{{{ {close[0].replace('[]', '')} }}}}?)" if close else ""
        problems.add(locate(node.lineno, path.rsplit(".", 1)[-1].replace("[]", "")),
                     f"unknown field {{{{ {path.replace('[]', '')} }}}}{guess}: a mail template can use "
                     + ", ".join(FIELDS) + " (README: `avtal remiss mail`)")

    def visit(node: nodes.Node, aliases: dict[str, str]) -> None:
        if isinstance(node, nodes.For):
            visit(node.iter, aliases)
            group = _path(node.iter, aliases)
            inner = dict(aliases, loop="loop")
            if isinstance(node.target, nodes.Name):
                inner[node.target.name] = f"{group}[]" if group else "local"
            for child in (*node.body, *node.else_, *([node.test] if node.test else [])):
                visit(child, inner)
            return
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            visit(node.node, aliases)
            aliases[node.target.name] = "local"
            return
        if isinstance(node, (nodes.Name, nodes.Getattr)) and getattr(node, "ctx", "load") == "load":
            path = _path(node, aliases)
            if path is not None:
                root = path.split(".")[0].split("[")[0]
                if root not in ("loop", "local") and path not in FIELDS and path not in _GROUPS:
                    unknown(node, path)
                return
        for child in node.iter_child_nodes():
            visit(child, aliases)

    visit(body, {})
    return ok


def _parse_template(text: str, locate: Callable[[int, str], Location], origin: str,
                    problems: Problems) -> BodyTemplate | None:
    env = _environment()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        problems.add(locate(exc.lineno, ""), f"template syntax: {exc.message}: fields are written "
                     "{{ party.name }}, loops {% for c in contacts %}…{% endfor %}, comments {# … #}")
        return None
    if not _check_fields(tree, locate, problems):
        return None
    return BodyTemplate(env.from_string(text), origin)


def _locate_in(shown: str, text: str, first_line: int) -> Callable[[int, str], Location]:
    """Template line n (1-based) is file line first_line + n - 1; the column is where `needle` is."""
    lines = text.splitlines()

    def locate(line: int, needle: str) -> Location:
        here = lines[line - 1] if 0 < line <= len(lines) else ""
        column = here.find(needle) + 1 if needle and needle in here else 1
        return Location(shown, first_line + line - 1, column)
    return locate


def load_template(sources: Path, info: RoundInfo, problems: Problems, template: Path = TEMPLATE,
                  ) -> BodyTemplate | None:
    """The round's own `mail_body`, or templates/mail.txt; checked before any message is made."""
    body = info.source.mail_body
    if body is not None:
        path = round_path(sources, info.id)
        source = read_yaml(path, info.file, Problems())
        start = source.values.get(("mail_body",)) if source else None
        if start is None:
            return _parse_template(body, lambda line, needle: Location(info.file), info.file, problems)
        # A block scalar (`|`) starts on the line after its indicator; its lines keep their indent.
        block = source.text[start.start_mark.index:start.start_mark.index + 1] in ("|", ">")
        file_lines = source.text.splitlines()
        first = start.start_mark.line + (2 if block else 1)

        def at_round(line: int, needle: str) -> Location:
            number = first + line - 1
            here = file_lines[number - 1] if 0 < number <= len(file_lines) else ""
            column = here.find(needle) + 1 if needle and needle in here else 1
            return Location(info.file, number, column)
        return _parse_template(body, at_round, f"{info.file} (mail_body)", problems)
    shown = relative(template)
    try:
        text = template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(Location(shown), f"cannot read the mail template ({exc}): expected a UTF-8 text file, "
                     "or set mail_body in the round")
        return None
    return _parse_template(text, _locate_in(shown, text, 1), shown, problems)


# -- SMTP configuration from the environment --

@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send; see the module docstring and the README for the variables."""

    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    implicit_tls: bool
    sender: Address


def _is_loopback(host: str) -> bool:
    return host == "localhost" or host == "::1" or host.startswith("127.")


def _address(text: str, display: str) -> Address | None:
    name, addr = parseaddr(text)
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}", addr or ""):
        return None
    user, _, domain = addr.partition("@")
    return Address(display_name=name or display, username=user, domain=domain)


def smtp_config(env: Mapping[str, str], display: str, problems: Problems) -> SmtpConfig | None:
    """Read AVTAL_SMTP_*; every missing or malformed variable is one problem naming it."""
    here = Location("environment")
    start = len(problems)
    host = env.get(ENV_HOST, "").strip()
    if not host:
        problems.add(here, f"{ENV_HOST} is not set: --send needs the SMTP server, e.g. {ENV_HOST}=smtp.vgregion.se "
                     f"(also {ENV_PORT}, default {DEFAULT_PORT}; {ENV_USER} and {ENV_PASSWORD} when it requires "
                     f"login; {ENV_FROM})", where=ENV_HOST)
    port_text = env.get(ENV_PORT, "").strip() or str(DEFAULT_PORT)
    port = int(port_text) if port_text.isdigit() and 0 < int(port_text) < 65536 else 0
    if not port:
        problems.add(here, f"{ENV_PORT}='{port_text}' is not a port number: expected e.g. 587 (STARTTLS) or "
                     "465 (TLS)", where=ENV_PORT)
    user, password = env.get(ENV_USER) or None, env.get(ENV_PASSWORD) or None
    if bool(user) != bool(password):
        given, lacking = (ENV_USER, ENV_PASSWORD) if user else (ENV_PASSWORD, ENV_USER)
        problems.add(here, f"{given} is set but {lacking} is not: set both to log in, or neither", where=lacking)
    implicit_tls = port == IMPLICIT_TLS_PORT
    raw = env.get(ENV_STARTTLS, "").strip().lower()
    if raw in _TRUE | _FALSE:
        starttls = raw in _TRUE and not implicit_tls
    else:
        if raw:
            problems.add(here, f"{ENV_STARTTLS}='{env[ENV_STARTTLS]}' is not a yes/no value: expected 1 or 0 "
                         "(true/false, yes/no, on/off)", where=ENV_STARTTLS)
        starttls = not implicit_tls and port not in LOCAL_TEST_PORTS
    if user and not (starttls or implicit_tls) and host and not _is_loopback(host):
        problems.add(here, f"{ENV_USER} is set but the connection to {host}:{port} would not be encrypted "
                     f"({ENV_STARTTLS} off): the password would cross the network in clear text; turn "
                     f"{ENV_STARTTLS} on or use port 465", where=ENV_STARTTLS)
    sender_text = env.get(ENV_FROM, "").strip()
    sender = _address(sender_text, display) if sender_text else None
    if not sender_text:
        problems.add(here, f"{ENV_FROM} is not set: --send needs the address the SMTP account sends as, e.g. "
                     f"{ENV_FROM}='Arbetsgruppen <remiss@vgregion.se>'", where=ENV_FROM)
    elif sender is None:
        problems.add(here, f"{ENV_FROM}='{sender_text}' is not an e-mail address: expected e.g. "
                     "remiss@vgregion.se or 'Name <remiss@vgregion.se>'", where=ENV_FROM)
    elif sender.domain.lower().endswith(".example"):
        problems.add(here, f"{ENV_FROM}='{sender_text}' is in the reserved .example domain: give the real "
                     "address the SMTP account sends as", where=ENV_FROM)
    if len(problems) > start or sender is None:
        return None
    return SmtpConfig(host, port, user, password, starttls, implicit_tls, sender)


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if config.implicit_tls:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT)
    try:
        smtp.ehlo()
        if config.starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        if config.user:
            smtp.login(config.user, config.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _smtp_error(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


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
    sender = config.sender if config else (_address(env.get(ENV_FROM, ""), display) or
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
    progress: Callable[[Delivery], None] | None = None  # told of each message as the server answers

    def add(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        if self.progress is not None and delivery.outcome in ("sent", "not sent"):
            self.progress(delivery)

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
               force: bool = False, to: str | None = None, every: bool = False, today: dt.date | None = None,
               progress: Callable[[Delivery], None] | None = None) -> MailReport:
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
    if (to is not None and send) or (every and to is None):
        problems.add(Location("command line"), "--to sends a test to one address and --send the real e-mails: "
                     "give one of them" if send else "--all goes with --to ADDRESS (every message to that address)")
    if send and not force:
        from .followup import deadline_problems

        deadline_problems(info, today or dt.date.today(), problems)
    if send or to:
        config = smtp_config(env, info.source.sender.unit or info.source.sender.organisation, problems)
        if config:
            sender, reply_to = _addresses(info, config, env)
    if send:
        _placeholder_problems(sources, info, problems)
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

    if to is not None:
        from .followup import send_test

        assert config is not None
        return send_test(info, config, sender, reply_to, letters, to, every=every, progress=progress)
    report = MailReport(round_id, folder, log_path(info), dry_run=not send, placeholders=placeholders,
                        progress=progress)
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
        smtp: smtplib.SMTP | None = _connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        problems = Problems()
        problems.add(Location("environment"), f"cannot connect to {config.host}:{config.port} "
                     f"({_smtp_error(exc)}): check {ENV_HOST}, {ENV_PORT}, {ENV_STARTTLS}, {ENV_USER} and "
                     f"{ENV_PASSWORD}; nothing was sent", where=ENV_HOST)
        raise SourceError(problems) from None
    failures: list[tuple[Addressee, str]] = []
    records = list(log.messages)
    try:
        for n, party in enumerate(todo):
            if smtp is None:
                try:
                    smtp = _connect(config)
                except (OSError, smtplib.SMTPException) as exc:
                    lost = f"not attempted: cannot reconnect to {config.host}:{config.port} ({_smtp_error(exc)})"
                    for rest in todo[n:]:
                        report.add(Delivery(rest.id, rest.name, rest.email, "not sent", lost))
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
                ok, response = _transmit(smtp, sender.addr_spec, party.email, data)
            except (OSError, smtplib.SMTPException) as exc:  # the connection is gone
                ok, response = False, _smtp_error(exc)
                smtp.close()
                smtp = None
            records[-1] = SendRecord(party=party.id, address=party.email, message_id=message_id,
                                     zip_sha256=letter.zip.sha256, status="sent" if ok else "not sent",
                                     time=dt.datetime.now(dt.timezone.utc).astimezone().replace(microsecond=0),
                                     response=response or "(no answer)")
            write_log(info, SendLog(round=info.id, messages=tuple(records)))
            report.add(Delivery(party.id, party.name, party.email, "sent" if ok else "not sent",
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


def _transmit(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> tuple[bool, str]:
    """MAIL, RCPT, DATA by hand so the server's final answer (its queue id) can be logged.

    A refusal leaves the connection usable (RSET); a dropped line raises.
    """
    smtp.ehlo_or_helo_if_needed()
    try:
        for command in (lambda: smtp.mail(sender), lambda: smtp.rcpt(recipient)):
            code, reply = command()
            if code not in (250, 251):
                smtp.rset()
                return False, f"{code} {_text(reply)}"
        code, reply = smtp.data(data)  # raises if DATA itself is refused; returns the answer to the message
        if code != 250:
            smtp.rset()
            return False, f"{code} {_text(reply)}"
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code == 421:  # the server is closing the connection
            raise
        smtp.rset()
        return False, _smtp_error(exc)
    return True, f"{code} {_text(reply)}"
