"""The SMTP side of `--send`: the server named by the AVTAL_SMTP_* variables, and one message handed to it."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Mapping

from ...model.problems import Location, Problems

ENV_HOST, ENV_PORT, ENV_FROM = "AVTAL_SMTP_HOST", "AVTAL_SMTP_PORT", "AVTAL_SMTP_FROM"
ENV_USER, ENV_PASSWORD, ENV_STARTTLS = "AVTAL_SMTP_USER", "AVTAL_SMTP_PASSWORD", "AVTAL_SMTP_STARTTLS"
DEFAULT_PORT = 587  # message submission (RFC 6409), STARTTLS
IMPLICIT_TLS_PORT = 465  # submissions (RFC 8314): TLS from the first byte
LOCAL_TEST_PORTS = (1025, 8025)  # MailHog/Mailpit and aiosmtpd: local test servers without TLS
TIMEOUT = 60.0
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


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


def parse_address(text: str, display: str) -> Address | None:
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
    if raw in TRUE_WORDS | FALSE_WORDS:
        starttls = raw in TRUE_WORDS and not implicit_tls
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
    sender = parse_address(sender_text, display) if sender_text else None
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


def connect(config: SmtpConfig) -> smtplib.SMTP:
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


def smtp_error(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def transmit(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> tuple[bool, str]:
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
        return False, smtp_error(exc)
    return True, f"{code} {_text(reply)}"
