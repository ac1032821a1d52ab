"""Parties, remiss rounds, answers and positions: the source format and its loading.

All of it is plain YAML under sources/ so the record of a consultation is
reviewable and versioned in git like the agreement itself:

    sources/parter.yaml                          the 50 parties and the kommunalförbund
    sources/remiss/<round>.yaml                  one remiss round (what was sent, to whom, when)
    sources/remiss/<round>/svar/<id>.yaml        one party's (or group's) answer, written by import
    sources/remiss/<round>/inkommet/             the files parties sent, kept as received
    sources/remiss/<round>/stallningstaganden.yaml   the working group's positions, keyed by comment id

Loading collects every problem (file:line:column, what was expected) like the
rest of the model; nothing here renders or writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Literal, Optional

from pydantic import Field

from .corpus import Corpus
from .problems import Location, Problems, SourceError, relative
from .schema import Id, Line, Node, Text
from .validate import validate
from .yamlfile import YamlFile, read_yaml

PARTIES_FILE = "parter.yaml"
REMISS_DIR = "remiss"
ANSWERS_DIR = "svar"
INCOMING_DIR = "inkommet"
POSITIONS_FILE = "stallningstaganden.yaml"
MIN_MONTHS = 3  # government practice: at least three months to answer

PartyKind = Literal["region", "kommun"]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", description="An e-mail address.")]

# What a party says about a clause (svarsformulär column "Ställningstagande").
Stance = Literal["instämmer", "invänder", "synpunkt", "ingen erinran"]
STANCES: tuple[str, ...] = ("instämmer", "invänder", "synpunkt", "ingen erinran")
# The working group's decision on a comment.
PositionStatus = Literal["beaktad", "delvis beaktad", "ej beaktad", "noterad"]
POSITION_STATUSES: tuple[str, ...] = ("beaktad", "delvis beaktad", "ej beaktad", "noterad")
# Where a comment came from in what the party sent.
CommentSource = Literal["form", "form-general", "form-outside", "word-comment", "insertion", "deletion", "letter",
                        "manual"]
FileKind = Literal["form", "draft", "letter", "manual"]


# -- parter.yaml --

class Party(Node):
    """One of the 50 parties: the region or a municipality."""

    id: Id = Field(description="Stable id, e.g. 'boras' (ASCII: å, ä → a, ö → o).")
    name: Line = Field(description="Official name as written in letters, e.g. 'Borås Stad'.")
    kind: PartyKind
    kommunalforbund: Optional[Id] = Field(None, description="Id of the kommunalförbund (municipalities only).")
    email: Email = Field(description="The registrar's address (registrator/kommunstyrelsen) that receives the remiss.")
    email_placeholder: bool = Field(description="True while `email` is an invented address in the reserved "
                                    "'.example' domain: sending for real refuses it.")


class Kommunalforbund(Node):
    """A kommunalförbund: its members (parties naming it) may answer jointly through it."""

    id: Id
    name: Line
    short_name: Line = Field(description="As in tables, e.g. 'Fyrbodal'.")
    email: Email
    email_placeholder: bool


class Parties(Node):
    """sources/parter.yaml."""

    kommunalforbund: tuple[Kommunalforbund, ...] = ()
    parties: tuple[Party, ...] = Field(min_length=1)


# -- remiss/<round>.yaml --

class Contact(Node):
    """A contact person named in the missiv."""

    name: Line
    role: Line = Field(description="e.g. 'sekreterare i arbetsgruppen'.")
    organisation: Line
    email: Email
    phone: Optional[Line] = None


class Sender(Node):
    """Who sends the remiss (signs the missiv)."""

    organisation: Line
    unit: Optional[Line] = None
    name: Line
    role: Line


class Letter(Node):
    """Free text of the missiv; paragraphs separated by blank lines."""

    intro: Text = Field(description="What is remitted and why.")
    questions: tuple[Line, ...] = Field((), description="Questions the parties are asked to address in particular.")
    closing: Optional[Text] = None


class Round(Node):
    """One remiss round: the frozen version sent, to whom, when and how to answer."""

    id: Id = Field(description="Round id; also the file name, e.g. 'remiss-2025'.")
    title: Line
    version: Id = Field(description="The frozen version sent (sources/versions/<version>/).")
    compared_with: Optional[Id] = Field(None, description="Frozen version the redline is made against, if any.")
    diarienummer: Line
    sent: dt.date
    deadline: dt.date
    sender: Sender
    contacts: tuple[Contact, ...] = Field(min_length=1)
    reply_to: Optional[Email] = Field(None, description="Where answers are sent: the sender's registrar (the missiv "
                                      "and svarsformulär say so). Without it the missiv names the first contact.")
    recipients: Optional[tuple[Id, ...]] = Field(None, description="Party ids; default all parties.")
    documents: Optional[tuple[Id, ...]] = Field(None, description="Document ids; default the whole package.")
    letter: Letter
    mail_body: Optional[Text] = Field(None, description="Body of the e-mail; default a short text naming the round.")


# -- remiss/<round>/svar/<id>.yaml --

class DecidedBy(Node):
    """Who decided the answer: body, date and paragraph (§)."""

    body: Line = Field(description="e.g. 'Kommunstyrelsen'.")
    date: Optional[dt.date] = None
    paragraph: Optional[Line] = Field(None, description="e.g. '§ 45'.")


class ReceivedFile(Node):
    """A file as received, kept under inkommet/."""

    path: Line = Field(description="Relative to the round's folder, e.g. 'inkommet/boras/1-svarsformular.docx'.")
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    kind: FileKind
    original_name: Line


class Revision(Node):
    """One submission of an answer; a changed re-submission adds a revision."""

    number: int = Field(ge=1)
    received: dt.date
    files: tuple[ReceivedFile, ...] = ()


class Comment(Node):
    """One comment, keyed by (party, clause id); the id never changes once given."""

    id: Id = Field(description="Stable comment id, e.g. 'boras-3'.")
    clause: Optional[Id] = Field(None, description="Clause id; none for a general comment.")
    document: Optional[Id] = Field(None, description="Document id, when the comment concerns a whole document.")
    stance: Optional[Stance] = None
    text: Text = ""
    proposal: Optional[Text] = Field(None, description="Proposed wording.")
    quote: Optional[Text] = Field(None, description="The text a Word comment or tracked change is anchored to.")
    author: Optional[Line] = Field(None, description="Reviewer name from the file.")
    source: CommentSource
    revision: int = Field(1, ge=1, description="Revision in which this text was last received.")
    flags: tuple[Line, ...] = Field((), description="For the group's attention, e.g. 'changed in revision 2', "
                                    "'letter: split into comments', 'written outside the form fields'.")


class Answer(Node):
    """A remissvar: one party's answer, or a kommunalförbund's joint answer for several parties."""

    round: Id
    party: Id = Field(description="The party or kommunalförbund that answered.")
    on_behalf_of: tuple[Id, ...] = Field((), description="Parties this joint answer covers (for a kommunalförbund).")
    declined: bool = Field(False, description="True when the party declined to answer (avstår).")
    decided_by: Optional[DecidedBy] = None
    revisions: tuple[Revision, ...] = Field(min_length=1)
    comments: tuple[Comment, ...] = ()


class ManualComment(Node):
    """One comment of a hand-written answer: a Comment without id, source, revision or flags (import adds them)."""

    clause: Optional[Id] = Field(None, description="Clause id; none for a general comment.")
    document: Optional[Id] = Field(None, description="Document id, when the comment concerns a whole document.")
    stance: Optional[Stance] = None
    text: Text = ""
    proposal: Optional[Text] = Field(None, description="Proposed wording.")
    quote: Optional[Text] = Field(None, description="The text of the draft the comment is about.")
    author: Optional[Line] = Field(None, description="Who wrote it, if named.")


class ManualAnswer(Node):
    """An answer typed in by hand (received on paper, by telephone, in an e-mail body).

    `avtal remiss import ROUND FILE.yaml` validates it and stores it as an Answer,
    adding comment ids and a revision; the file itself is kept under inkommet/.
    """

    round: Id = Field(description="The round answered, e.g. 'remiss-2025'.")
    party: Optional[Id] = Field(None, description="The party or kommunalförbund that answered; default --party, "
                                "else the file name.")
    on_behalf_of: tuple[Id, ...] = Field((), description="A joint answer: the parties it covers.")
    received: Optional[dt.date] = Field(None, description="Date received; --received overrides it.")
    declined: bool = Field(False, description="True when the party declined to answer (avstår).")
    decided_by: Optional[DecidedBy] = None
    comments: tuple[ManualComment, ...] = ()


# -- remiss/<round>/stallningstaganden.yaml --

class Position(Node):
    """The working group's position on one or more comments (the same point raised by many)."""

    comments: tuple[Id, ...] = Field(min_length=1, description="Comment ids this position answers.")
    status: PositionStatus
    reason: Text = Field(description="The group's motivering, as printed in the remissammanställning.")
    clauses: tuple[Id, ...] = Field((), description="Clause ids the decision changed.")


class Positions(Node):
    """sources/remiss/<round>/stallningstaganden.yaml (never written by import)."""

    round: Id
    against: Optional[Id] = Field(None, description="The version the group's decisions went into, e.g. "
                                  "'forslag-2025-08' (a frozen version, or 'working'): `avtal check` traces every "
                                  "position to the clauses that changed between the round's version and this one.")
    positions: tuple[Position, ...] = ()


REMISS_SCHEMAS: dict[str, type[Node]] = {
    "parties": Parties,
    "round": Round,
    "answer": Answer,
    "positions": Positions,
    "manual-answer": ManualAnswer,
}


# -- resolved, loaded forms --

@dataclass(frozen=True)
class PartyBook:
    """The parties and kommunalförbund, with lookups."""

    parties: tuple[Party, ...]
    groups: tuple[Kommunalforbund, ...]
    file: str

    def party(self, party_id: str) -> Party:
        return next(p for p in self.parties if p.id == party_id)

    def group(self, group_id: str) -> Kommunalforbund:
        return next(g for g in self.groups if g.id == group_id)

    def answerer(self, ident: str) -> Party | Kommunalforbund | None:
        """A party or kommunalförbund by id (either may send an answer)."""
        return next((x for x in (*self.parties, *self.groups) if x.id == ident), None)

    def members(self, group_id: str) -> tuple[Party, ...]:
        return tuple(p for p in self.parties if p.kommunalforbund == group_id)


@dataclass(frozen=True)
class RoundInfo:
    """A validated round with its recipients resolved to parties."""

    source: Round
    file: str  # as shown to users
    folder: Path  # sources/remiss/<round>/ (answers, inkommet, positions)
    recipients: tuple[Party, ...]
    documents: tuple[str, ...]
    book: PartyBook

    @property
    def id(self) -> str:
        return self.source.id


def parties_path(sources: Path) -> Path:
    return sources / PARTIES_FILE


def round_path(sources: Path, round_id: str) -> Path:
    return sources / REMISS_DIR / f"{round_id}.yaml"


def round_ids(sources: Path) -> list[str]:
    folder = sources / REMISS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.exists() else []


def load_parties(sources: Path, problems: Problems) -> PartyBook | None:
    """Read and check sources/parter.yaml."""
    path = parties_path(sources)
    shown = relative(path)
    if not path.exists():
        problems.add(Location(shown), f"missing file: {shown} lists the parties a remiss is sent to")
        return None
    source = read_yaml(path, shown, problems)
    data = validate(Parties, source, problems) if source else None
    if data is None:
        return None
    _unique(source, [(p.id, ("parties", i, "id")) for i, p in enumerate(data.parties)]
            + [(g.id, ("kommunalforbund", i, "id")) for i, g in enumerate(data.kommunalforbund)],
            "party or kommunalförbund", problems)
    groups = {g.id for g in data.kommunalforbund}
    for i, party in enumerate(data.parties):
        if party.kommunalforbund and party.kommunalforbund not in groups:
            problems.add(source.location(("parties", i, "kommunalforbund")),
                         f"unknown kommunalförbund '{party.kommunalforbund}'{_guess(party.kommunalforbund, groups)}: "
                         "expected an id listed under 'kommunalforbund'", where=party.id)
    for key, items in (("parties", data.parties), ("kommunalforbund", data.kommunalforbund)):
        for i, item in enumerate(items):
            example = item.email.lower().endswith(".example")
            if example and not item.email_placeholder:
                problems.add(source.location((key, i, "email")), f"'{item.email}' is in the reserved .example "
                             "domain but email_placeholder is false: set it to true, or give the real address",
                             where=item.id)
    return PartyBook(data.parties, data.kommunalforbund, shown)


def load_round(sources: Path, round_id: str, corpus: Corpus | None = None, problems: Problems | None = None,
               ) -> RoundInfo:
    """Load and check one round; raises SourceError with every problem found.

    With `corpus` (any version's), document ids are checked against its package.
    """
    from .versions import VERSION_FILE, list_versions, versions_dir

    own = problems if problems is not None else Problems()
    start = len(own.items)
    book = load_parties(sources, own)
    path = round_path(sources, round_id)
    shown = relative(path)
    if not path.exists():
        known = round_ids(sources)
        own.add(Location(shown), f"unknown remiss round '{round_id}'{_guess(round_id, known)}: expected a file "
                f"{shown} (rounds: {', '.join(known) or 'none'})")
        raise SourceError(Problems(own.items[start:]))
    source = read_yaml(path, shown, own)
    data = validate(Round, source, own) if source else None
    if data is None:
        raise SourceError(Problems(own.items[start:]))
    if data.id != round_id:
        own.add(source.location(("id",)), f"round id '{data.id}' differs from its file name: expected '{round_id}'")
    frozen = [v.name for v in list_versions(sources)]
    for key in ("version", "compared_with"):
        name = getattr(data, key)
        if name and not (versions_dir(sources) / name / VERSION_FILE).exists():
            own.add(source.location((key,)), f"version '{name}' is not frozen{_guess(name, frozen)}: a remiss sends "
                    f"a frozen version; run `avtal freeze {name}` first, or name one of: {', '.join(frozen) or 'none'}")
    if data.deadline <= data.sent:
        own.add(source.location(("deadline",)), f"deadline {data.deadline} is not after the sent date {data.sent}: "
                "expected a later date")
    elif data.deadline < _add_months(data.sent, MIN_MONTHS):
        own.add(source.location(("deadline",)), f"deadline {data.deadline} gives less than {MIN_MONTHS} months "
                f"from {data.sent}: practice is at least {_add_months(data.sent, MIN_MONTHS)}", severity="warning")
    recipients: tuple[Party, ...] = ()
    if book is not None:
        known_ids = [p.id for p in book.parties]
        if data.recipients is None:
            recipients = book.parties
        else:
            for i, pid in enumerate(data.recipients):
                if pid not in known_ids:
                    own.add(source.location(("recipients", i)), f"unknown party '{pid}'{_guess(pid, known_ids)}: "
                            f"expected a party id from {book.file}")
            seen: set[str] = set()
            for i, pid in enumerate(data.recipients):
                if pid in seen:
                    own.add(source.location(("recipients", i)), f"party '{pid}' is listed twice among recipients")
                seen.add(pid)
            recipients = tuple(book.party(pid) for pid in dict.fromkeys(data.recipients) if pid in known_ids)
    documents = data.documents or (corpus.package.documents if corpus else _package_documents(sources, data.version))
    if corpus is not None and data.documents:
        for i, doc in enumerate(data.documents):
            if doc not in corpus.package.documents:
                own.add(source.location(("documents", i)), f"unknown document '{doc}'"
                        f"{_guess(doc, corpus.package.documents)}: expected one of {', '.join(corpus.package.documents)}")
    if book is None or any(p.severity == "error" for p in own.items[start:]):
        raise SourceError(Problems(own.items[start:]))
    return RoundInfo(data, shown, sources / REMISS_DIR / round_id, recipients, tuple(documents), book)


def _package_documents(sources: Path, version: str) -> tuple[str, ...]:
    """The document ids of a frozen version's package (the round's default documents)."""
    from .versions import versions_dir
    from .yamlfile import read_yaml

    source = read_yaml(versions_dir(sources) / version / "avtal.yaml", version, Problems())  # bounded
    try:
        return tuple(source.data["documents"])
    except (AttributeError, KeyError, TypeError):
        return ()  # reported where the version itself is checked


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _unique(source: YamlFile, ids: list[tuple[str, tuple]], what: str, problems: Problems) -> None:
    first: dict[str, Location] = {}
    for ident, path in ids:
        here = source.location(path)
        if ident in first:
            problems.add(here, f"duplicate {what} id '{ident}' (first at line {first[ident].line}): ids must be "
                         "unique", where=ident)
        else:
            first[ident] = here


def _guess(word: str, candidates) -> str:
    close = get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
