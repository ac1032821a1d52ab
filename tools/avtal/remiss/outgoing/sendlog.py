"""The send log, sources/remiss/<round>/utskick.yaml: every attempt to send a round's e-mail, as it happened.

A record, so it lives in sources/ and is committed. An entry is written before a byte leaves
(status "sending"), then replaced by the server's answer: a run killed mid-send is seen.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field

from ...fsutil import atomic_write_text
from ...model.problems import Location, Problems, relative
from ...model.remiss import Email, Record, RoundInfo
from ...model.schema import Id, Line
from ...model.validate import validate
from ...model.yamlfile import read_yaml

LOG_FILE = "utskick.yaml"  # sources/remiss/<round>/utskick.yaml


class SendRecord(Record):
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


class SendLog(Record):
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
