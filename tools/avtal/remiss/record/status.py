"""`avtal remiss status`: who has answered, late, jointly, with no comments, or not at all.

Reads only the answer records (YAML), never the files parties sent, so it is
instant however many answers came in. Every recipient of the round gets one
state, in this order of precedence:

- `declined`: its own answer says it declines (avstår);
- `no-comments`: its own answer has no comments, or only "ingen erinran";
- `late` / `answered`: its own answer, first received after / by the deadline;
- `joint`: no answer of its own, but a joint answer (a kommunalförbund's, or
  another party's) names it in `on_behalf_of`;
- `none`: no answer yet: it is on the reminder list, with its address.

A party that answered itself and is also covered by a joint answer keeps its
own state; `also_via` names the joint answer.

Remissinstanser that are not parties (kommunalförbund, VästKom, brukar- and
anhörigorganisationer) are counted apart, in `others`: the round's
`other_recipients` and any other non-party that answered. Only their own answer
counts (nobody answers jointly for them), and they never enter the counts of the
50 parties.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ...model.remiss import Addressee, Answer, RoundInfo, load_round
from .answers import live_comments, load_answers
from .lock import DIST, sweep_round

STATES = ("answered", "late", "joint", "no-comments", "declined", "none")
SHOWN = {"answered": "answered", "late": "answered late", "joint": "joint answer via {via}",
         "no-comments": "no comments (ingen erinran)", "declined": "declined", "none": "no answer"}
CSV_FIELDS = ("party", "name", "kommunalforbund", "state", "received", "late", "joint_via", "also_via", "comments",
              "email", "email_placeholder")


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient's state; `comments` counts the live comments of the answer that covers it (own or joint)."""

    party: str
    name: str
    kommunalforbund: str | None
    state: str
    received: str | None  # YYYY-MM-DD of the first revision of the answer that covers it
    late: bool
    joint_via: str | None
    also_via: tuple[str, ...]  # joint answers that also name a party which answered itself
    comments: int
    email: str
    email_placeholder: bool


@dataclass(frozen=True)
class GroupCount:
    """Recipients of one kommunalförbund (or those outside any, e.g. VGR) by state; each party counted once."""

    id: str
    name: str
    parties: int
    answered: int
    late: int
    joint: int
    no_comments: int  # no-comments and declined
    none: int


@dataclass(frozen=True)
class JointAnswer:
    party: str
    name: str
    received: str
    late: bool
    on_behalf_of: tuple[str, ...]
    comments: int


@dataclass
class StatusReport:
    """Everything `avtal remiss status` shows; `render` gives it as a table, CSV or JSON."""

    round: str
    title: str
    deadline: str
    recipients: list[RecipientStatus] = field(default_factory=list)
    groups: list[GroupCount] = field(default_factory=list)
    joint_answers: list[JointAnswer] = field(default_factory=list)
    others: list[RecipientStatus] = field(default_factory=list)  # remissinstanser that are not parties
    group_names: dict[str, str] = field(default_factory=dict, repr=False)  # kommunalförbund id → short name
    unasked: frozenset[str] = frozenset()  # non-parties that answered though not among other_recipients

    @property
    def reminders(self) -> list[RecipientStatus]:
        return [r for r in self.recipients if r.state == "none"]

    @property
    def other_reminders(self) -> list[RecipientStatus]:
        return [r for r in self.others if r.state == "none"]

    def render(self, fmt: str = "table") -> str:
        if fmt == "json":
            return self.json()
        if fmt == "csv":
            return self.csv()
        if fmt == "table":
            return self.table()
        raise ValueError(f"unknown format {fmt!r}: expected table, csv or json")

    def json(self) -> str:
        """{round, title, deadline, recipients: [...], groups: [...], joint_answers: [...], reminders: [ids],
        others: [...], other_reminders: [ids]} (`others`: the remissinstanser that are not parties)."""
        data = {"round": self.round, "title": self.title, "deadline": self.deadline,
                "recipients": [asdict(r) for r in self.recipients], "groups": [asdict(g) for g in self.groups],
                "joint_answers": [asdict(j) for j in self.joint_answers],
                "reminders": [r.party for r in self.reminders],
                "others": [asdict(r) for r in self.others], "other_reminders": [r.party for r in self.other_reminders]}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    def csv(self) -> str:
        """One row per recipient (columns CSV_FIELDS); booleans as true/false, lists joined by ';'."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        for r in self.recipients:
            row = asdict(r)
            writer.writerow([_cell(row[k]) for k in CSV_FIELDS])
        return out.getvalue()

    def table(self) -> str:
        count = {s: sum(1 for r in self.recipients if r.state == s) for s in STATES}
        answered = len(self.recipients) - count["none"]
        lines = [f"{self.title} ({self.round}), deadline {self.deadline}: {answered} of {len(self.recipients)} "
                 f"answered ({count['late']} late, {count['joint']} jointly, "
                 f"{count['no-comments'] + count['declined']} with no comments or declined), "
                 f"{count['none']} without answer", ""]
        rows = [("Party", "Kommunalförbund", "State", "Received", "Comments")]
        for r in self.recipients:
            state = SHOWN[r.state].format(via=r.joint_via)
            if r.late and r.state != "late":
                state += " (late)"
            if r.also_via:
                state += f" (also via {', '.join(r.also_via)})"
            rows.append((r.name, self.group_names.get(r.kommunalforbund or "", "–"), state, r.received or "–",
                         str(r.comments) if r.state != "none" else "–"))
        lines += _columns(rows, right={4})
        lines += ["", "Per kommunalförbund"]
        rows = [("", "Parties", "Answered", "Late", "Joint", "No comments", "No answer")]
        for g in self.groups:
            rows.append((g.name, *map(str, (g.parties, g.answered, g.late, g.joint, g.no_comments, g.none))))
        rows.append(("Total", *map(str, (sum(getattr(g, k) for g in self.groups) for k in
                                         ("parties", "answered", "late", "joint", "no_comments", "none")))))
        lines += _columns(rows, right={1, 2, 3, 4, 5, 6})
        if self.joint_answers:
            lines += ["", "Joint answers"]
            for j in self.joint_answers:
                lines.append(f"  {j.name} ({j.party}), received {j.received}{' (late)' if j.late else ''}, "
                             f"{j.comments} comment(s), on behalf of: {', '.join(j.on_behalf_of) or 'no party'}")
        if self.others:
            answered = sum(1 for r in self.others if r.state != "none")
            lines += ["", f"Other remissinstanser (not parties, not counted above): {answered} of {len(self.others)} "
                      "answered"]
            rows = [("Remissinstans", "State", "Received", "Comments")]
            for r in self.others:
                state = SHOWN[r.state] + (" (not sent the remiss)" if r.party in self.unasked else "")
                rows.append((r.name, state, r.received or "–", str(r.comments) if r.state != "none" else "–"))
            lines += [f"  {line}" for line in _columns(rows, right={3})]
        lines += ["", f"Reminders: {len(self.reminders)} without answer"]
        reminders = [(r.name, r.email, "(placeholder address)" if r.email_placeholder else "") for r in self.reminders]
        lines += [f"  {line}" for line in _columns(reminders)] if reminders else ["  none"]
        return "\n".join(line.rstrip() for line in lines) + "\n"


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ";".join(value)
    return "" if value is None else str(value)


def _columns(rows: list[tuple[str, ...]], right: set[int] = frozenset()) -> list[str]:
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
            for row in rows]


def round_status(sources: Path, round_id: str) -> StatusReport:
    """The state of every recipient of a round, from the answer records only (no party file is opened)."""
    info = load_round(sources, round_id)
    answers = load_answers(sources, info)  # undoes a killed import (unless its writer is alive)
    sweep_round(round_id, DIST)  # and what killed runs left in dist/: only debris of dead processes
    return status_of(info, answers)


def status_of(info: RoundInfo, answers: tuple[Answer, ...]) -> StatusReport:
    """The status for given answers (what `round_status` reads from disk)."""
    source, book = info.source, info.book
    deadline = source.deadline
    own = {a.party: a for a in answers}
    covering: dict[str, list[Answer]] = {}
    for a in sorted(answers, key=lambda a: (_first(a), a.party)):
        for pid in a.on_behalf_of:
            covering.setdefault(pid, []).append(a)
    group_names = {g.id: g.short_name for g in book.groups}
    report = StatusReport(source.id, source.title, deadline.isoformat(), group_names=group_names)
    for party in info.recipients:
        report.recipients.append(_state(party, own.get(party.id), covering.get(party.id, []), deadline))
    for gid, name, members in _groups(info):
        states = [r.state for r in report.recipients if r.party in members]
        report.groups.append(GroupCount(gid, name, len(states), states.count("answered"), states.count("late"),
                                        states.count("joint"), states.count("no-comments") + states.count("declined"),
                                        states.count("none")))
    asked = {x.id for x in info.others}
    parties = {p.id for p in book.parties}
    for other in info.others:
        report.others.append(_state(other, own.get(other.id), [], deadline))
    for a in sorted(answers, key=lambda a: a.party):
        who = book.answerer(a.party)
        if a.party not in parties and a.party not in asked and who is not None:
            report.others.append(_state(who, a, [], deadline))
            report.unasked |= {a.party}
    for a in sorted(answers, key=lambda a: (_first(a), a.party)):
        if a.on_behalf_of:
            who = book.answerer(a.party)
            report.joint_answers.append(JointAnswer(a.party, who.name if who else a.party, _first(a).isoformat(),
                                                    _first(a) > deadline, a.on_behalf_of, len(live_comments(a))))
    return report


def _first(answer: Answer) -> dt.date:
    return min(r.received for r in answer.revisions)


def _state(party: Addressee, own: Answer | None, joint: list[Answer], deadline: dt.date) -> RecipientStatus:
    base = dict(party=party.id, name=party.name, kommunalforbund=getattr(party, "kommunalforbund", None),
                email=party.email,
                email_placeholder=party.email_placeholder)
    if own is not None:
        comments = live_comments(own)
        received = _first(own)
        if own.declined:
            state = "declined"
        elif all(c.stance == "ingen erinran" for c in comments):
            state = "no-comments"
        else:
            state = "late" if received > deadline else "answered"
        return RecipientStatus(**base, state=state, received=received.isoformat(), late=received > deadline,
                               joint_via=None, also_via=tuple(a.party for a in joint), comments=len(comments))
    if joint:
        via = joint[0]
        received = _first(via)
        return RecipientStatus(**base, state="joint", received=received.isoformat(), late=received > deadline,
                               joint_via=via.party, also_via=tuple(a.party for a in joint[1:]),
                               comments=len(live_comments(via)))
    return RecipientStatus(**base, state="none", received=None, late=False, joint_via=None, also_via=(), comments=0)


def _groups(info: RoundInfo) -> list[tuple[str, str, set[str]]]:
    """(id, name, recipient ids) per kommunalförbund, then one row for the recipients outside any (VGR)."""
    out = []
    recipients = {p.id for p in info.recipients}
    for g in info.book.groups:
        members = {p.id for p in info.book.members(g.id)} & recipients
        if members:
            out.append((g.id, g.short_name, members))
    outside = [p for p in info.recipients if not p.kommunalforbund]
    if outside:
        name = "VGR" if [p.id for p in outside] == ["vgr"] else ", ".join(p.name for p in outside)
        out.append(("-".join(p.id for p in outside), name, {p.id for p in outside}))
    return out
