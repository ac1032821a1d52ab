"""Parties, remiss rounds, answers and positions: the source format and its loading.

All of it is plain YAML under sources/ so the record of a consultation is
reviewable and versioned in git like the agreement itself:

    sources/parter.yaml                          the 50 parties, the kommunalförbund and the other
                                                 remissinstanser (VästKom, brukar- and anhörigorganisationer)
    sources/remiss/<round>.yaml                  one remiss round (what was sent, to whom, when)
    sources/remiss/<round>/svar/<id>.yaml        one party's (or group's) answer, written by import
    sources/remiss/<round>/inkommet/             the files parties sent, kept as received
    sources/remiss/<round>/stallningstaganden.yaml   the working group's positions, keyed by comment id
    sources/remiss/<round>/bedomning.yaml        the group's summaries per remiss question and theme, its
                                                 overall assessment and recommended decision (for SRO)

Loading collects every problem (file:line:column, what was expected) like the
rest of the model; nothing here renders or writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from .corpus import Corpus
from .problems import Location, Problems, SourceError, relative
# Where the files are: kept without pydantic in remiss_files, and re-exported here for the remiss layers.
from .remiss_files import ANSWERS_DIR as ANSWERS_DIR
from .remiss_files import ASSESSMENT_FILE, REMISS_DIR, parties_path, round_ids, round_path
from .remiss_files import INCOMING_DIR as INCOMING_DIR
from .remiss_files import PARTIES_FILE as PARTIES_FILE
from .remiss_files import POSITIONS_FILE as POSITIONS_FILE
from .schema import Id, Line, Text
from .statuses import POSITION_STATUSES as POSITION_STATUSES  # re-exported: positions and the report use it from here
from .validate import validate
from .yamlfile import YamlFile, read_yaml

MIN_MONTHS = 3  # government practice: at least three months to answer
# The answerer of the working group's own comments in a round (`avtal apply FILE --comments-to ROUND`): not a
# remissinstans, so it is in no party list and answers for no one.
WORKING_GROUP = "arbetsgruppen"

PartyKind = Literal["region", "kommun"]
# Remissinstanser that are not parties (besides the kommunalförbund): the municipalities' joint body and the
# organisations HSL 16 kap. 3 § says should be heard on the överenskommelse about their groups.
OrganisationKind = Literal["samverkansorgan", "brukarorganisation", "anhörigorganisation"]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", description="An e-mail address.")]

# What a party says about a clause (svarsformulär column "Ställningstagande").
Stance = Literal["instämmer", "invänder", "synpunkt", "ingen erinran"]
STANCES: tuple[str, ...] = ("instämmer", "invänder", "synpunkt", "ingen erinran")
# The working group's decision on a comment.
PositionStatus = Literal["beaktad", "delvis beaktad", "ej beaktad", "noterad"]
CONTENT_FREE: tuple[str, ...] = ("instämmer", "ingen erinran")  # stances that, with no text, need no position
# Where a comment came from in what the party sent.
CommentSource = Literal["form", "form-general", "form-outside", "word-comment", "insertion", "deletion", "letter",
                        "manual"]
FileKind = Literal["form", "draft", "letter", "manual"]


class Record(BaseModel):
    """Base of every remiss record: frozen, and unknown keys are errors.

    Unlike the source nodes (plain dataclasses, so that a kept Corpus loads without pydantic), records are
    pydantic models: code builds them from what parties sent, and each is validated when it is made."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# -- parter.yaml --

class Party(Record):
    """One of the 50 parties: the region or a municipality."""

    id: Id = Field(description="Stable id, e.g. 'boras' (ASCII: å, ä → a, ö → o).")
    name: Line = Field(description="Official name as written in letters, e.g. 'Borås Stad'.")
    kind: PartyKind
    kommunalforbund: Optional[Id] = Field(None, description="Id of the kommunalförbund (municipalities only).")
    email: Email = Field(description="The registrar's address (registrator/kommunstyrelsen) that receives the remiss.")
    email_placeholder: bool = Field(description="True while `email` is an invented address in the reserved "
                                    "'.example' domain: sending for real refuses it.")


class Kommunalforbund(Record):
    """A kommunalförbund: its members (parties naming it) may answer jointly through it."""

    id: Id
    name: Line
    short_name: Line = Field(description="As in tables, e.g. 'Fyrbodal'.")
    email: Email
    email_placeholder: bool


class Organisation(Record):
    """A remissinstans that is not a party: it may be sent the remiss and answer, and is counted apart."""

    id: Id
    name: Line = Field(description="As written in letters, e.g. 'VästKom'.")
    kind: OrganisationKind = Field(description="samverkansorgan (VästKom), brukarorganisation or "
                                   "anhörigorganisation (HSL 16 kap. 3 §: organisations representing the groups "
                                   "of the överenskommelse or their närstående).")
    represents: Optional[Line] = Field(None, description="Whom it speaks for, e.g. 'personer med psykisk "
                                       "funktionsnedsättning' (shown in the remisslista).")
    name_placeholder: bool = Field(False, description="True while the organisation itself is an invented example: "
                                   "the remisslista marks it, and sending for real refuses it.")
    email: Email
    email_placeholder: bool


class Parties(Record):
    """sources/parter.yaml."""

    kommunalforbund: tuple[Kommunalforbund, ...] = ()
    organisations: tuple[Organisation, ...] = Field((), description="Remissinstanser that are not parties and "
                                                     "not kommunalförbund.")
    parties: tuple[Party, ...] = Field(min_length=1)


# -- remiss/<round>.yaml --

class Contact(Record):
    """A contact person named in the missiv."""

    name: Line
    role: Line = Field(description="e.g. 'sekreterare i arbetsgruppen'.")
    organisation: Line
    email: Email
    phone: Optional[Line] = None
    placeholder: bool = Field(False, description="True while name, e-mail and phone are invented (an address in "
                              "the reserved '.example' domain): sending for real refuses the round.")


class Sender(Record):
    """Who sends the remiss (signs the missiv)."""

    organisation: Line
    unit: Optional[Line] = None
    name: Line
    role: Line


class Letter(Record):
    """Free text of the missiv; paragraphs separated by blank lines."""

    intro: Text = Field(description="What is remitted and why.")
    questions: tuple[Line, ...] = Field((), description="Questions the parties are asked to address in particular.")
    closing: Optional[Text] = None


class Round(Record):
    """One remiss round: the frozen version sent, to whom, when and how to answer."""

    id: Id = Field(description="Round id; also the file name, e.g. 'remiss-2025'.")
    title: Line
    name: Optional[Line] = Field(None, description="What readers call the round in file names, page headers and "
                                 "titles, e.g. 'Remiss 2025-01-30'; default 'Remiss' and the sent date. The id "
                                 "stays in folders and commands.")
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
    other_recipients: tuple[Id, ...] = Field((), description="Remissinstanser that are not parties: ids of "
                                             "kommunalförbund and organisations in parter.yaml. They get a package "
                                             "and may answer; status and report count them apart from the parties.")
    documents: Optional[tuple[Id, ...]] = Field(None, description="Document ids; default the whole package.")
    letter: Letter
    mail_body: Optional[Text] = Field(None, description="Body of the e-mail; default a short text naming the round.")
    extensions: dict[Id, dt.date] = Field({}, description="Later deadlines granted to single answerers (party, "
                                          "kommunalförbund or organisation id → date): status and the report count "
                                          "an answer by its own deadline; set with `avtal remiss extend`.")


# -- remiss/<round>/svar/<id>.yaml --

class DecidedBy(Record):
    """Who decided the answer: body, date and paragraph (§)."""

    body: Line = Field(description="e.g. 'Kommunstyrelsen'.")
    date: Optional[dt.date] = None
    paragraph: Optional[Line] = Field(None, description="e.g. '§ 45'.")


class QuestionAnswer(Record):
    """The answer to one of the questions the round's letter asks (svarsformulär, "Remissens frågor")."""

    number: int = Field(ge=1, description="The question's number in the round's letter.questions, from 1.")
    question: Line = Field(description="The question as the round's letter asks it.")
    answer: Text


class Consequences(Record):
    """What the party says the proposal means for it (svarsformulär, "Konsekvenser")."""

    economic: Optional[Text] = Field(None, description="Economic consequences for the party.")
    children: Optional[Text] = Field(None, description="Consequences for children (barnkonsekvenser).")


class ReceivedFile(Record):
    """A file as received, kept under inkommet/."""

    path: Line = Field(description="Relative to the round's folder, e.g. 'inkommet/boras/1-svarsformular.docx'.")
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    kind: FileKind
    original_name: Line


class Correction(Record):
    """A correction of a recorded value: what it was, what it became, who corrected it and when."""

    field: Literal["received"] = Field(description="What was corrected.")
    old: dt.date
    new: dt.date
    by: Line = Field(description="Who corrected it (git user.name, else the login name).")
    at: dt.datetime = Field(description="When (local time with offset).")


class Revision(Record):
    """One submission of an answer; a changed re-submission adds a revision."""

    number: int = Field(ge=1)
    received: dt.date
    sender: Optional[Email] = Field(None, description="The address the answer came from (the party's registrar or "
                                    "diarium), when known: `avtal remiss receipt` acknowledges to it.")
    files: tuple[ReceivedFile, ...] = ()
    corrections: tuple[Correction, ...] = Field((), description="Later corrections of this revision's dates, "
                                                "oldest first (re-import with --received).")


class Comment(Record):
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

    @property
    def needs_position(self) -> bool:
        """False for a row that only agrees ("instämmer", "ingen erinran") and says nothing else: nothing to decide."""
        return not (self.stance in CONTENT_FREE and not self.text.strip() and not (self.proposal or "").strip())


class Answer(Record):
    """A remissvar: one party's answer, or a kommunalförbund's joint answer for several parties."""

    round: Id
    party: Id = Field(description="The party or kommunalförbund that answered; 'arbetsgruppen' for the working "
                      "group's own comments (Word comments recorded by `avtal apply --comments-to`).")
    on_behalf_of: tuple[Id, ...] = Field((), description="Parties this joint answer covers (a kommunalförbund's, or "
                                         "a party's that the form says also covers others).")
    declined: bool = Field(False, description="True when the party declined to answer (avstår).")
    decided_by: Optional[DecidedBy] = None
    questions: tuple[QuestionAnswer, ...] = Field((), description="Answers to the questions the letter asks.")
    consequences: Optional[Consequences] = None
    revisions: tuple[Revision, ...] = Field(min_length=1)
    comments: tuple[Comment, ...] = ()


class ManualComment(Record):
    """One comment of a hand-written answer: a Comment without id, source, revision or flags (import adds them)."""

    clause: Optional[Id] = Field(None, description="Clause id; none for a general comment.")
    document: Optional[Id] = Field(None, description="Document id, when the comment concerns a whole document.")
    stance: Optional[Stance] = None
    text: Text = ""
    proposal: Optional[Text] = Field(None, description="Proposed wording.")
    quote: Optional[Text] = Field(None, description="The text of the draft the comment is about.")
    author: Optional[Line] = Field(None, description="Who wrote it, if named.")


class ManualAnswer(Record):
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
    questions: tuple[QuestionAnswer, ...] = Field((), description="Answers to the questions the letter asks.")
    consequences: Optional[Consequences] = None
    comments: tuple[ManualComment, ...] = ()


# -- remiss/<round>/stallningstaganden.yaml --

class Position(Record):
    """The working group's position on one or more comments (the same point raised by many)."""

    comments: tuple[Id, ...] = Field(min_length=1, description="Comment ids this position answers.")
    status: PositionStatus
    reason: Text = Field(description="The group's motivering, as printed in the remissammanställning.")
    clauses: tuple[Id, ...] = Field((), description="Clause ids the decision changed.")
    terms: tuple[Id, ...] = Field((), description="Glossary term ids whose word or definition the decision changed "
                                  "(Termer och begrepp).")
    general: tuple[Id, ...] = Field((), description="Document ids whose general text the decision changed: the "
                                    "preamble, title or other text outside the clauses.")


class Positions(Record):
    """sources/remiss/<round>/stallningstaganden.yaml (never written by import)."""

    round: Id
    against: Optional[Id] = Field(None, description="The version the group's decisions went into, e.g. "
                                  "'forslag-2025-08' (a frozen version, or 'working'): `avtal check` traces every "
                                  "position to the clauses that changed between the round's version and this one.")
    positions: tuple[Position, ...] = ()


# -- remiss/<round>/bedomning.yaml --

class QuestionSummary(Record):
    """What the answers say on one of the missiv's questions, in the group's words."""

    question: int = Field(ge=1, description="The question's number: 1 for the first of the round's "
                          "letter.questions, and so on.")
    summary: Text = Field(description="The group's summary of the answers to the question.")
    comments: tuple[Id, ...] = Field((), description="Comment ids that speak to the question (counted and listed "
                                     "in the report).")


class Theme(Record):
    """A theme many answers raise (e.g. betalningsansvar): the report counts its comments and stances."""

    title: Line
    summary: Text = Field(description="The group's summary of the theme and of how it was handled.")
    clauses: tuple[Id, ...] = Field((), description="Clauses the theme covers: comments on them (or on a clause "
                                    "below them) belong to it.")
    comments: tuple[Id, ...] = Field((), description="Further comments that belong to it (e.g. general ones).")


class Assessment(Record):
    """sources/remiss/<round>/bedomning.yaml: what the working group tells SRO about the round as a whole."""

    round: Id
    assessment: Text = Field(description="Arbetsgruppens samlade bedömning.")
    recommendation: Text = Field(description="Arbetsgruppens förslag till beslut.")
    questions: tuple[QuestionSummary, ...] = Field((), description="One summary per question of the missiv.")
    themes: tuple[Theme, ...] = ()


REMISS_SCHEMAS: dict[str, type[Record]] = {
    "parties": Parties,
    "round": Round,
    "answer": Answer,
    "positions": Positions,
    "manual-answer": ManualAnswer,
    "assessment": Assessment,
}


# -- resolved, loaded forms --

Addressee = Party | Kommunalforbund | Organisation  # anyone a remiss is sent to, and who may answer


@dataclass(frozen=True)
class PartyBook:
    """The parties, kommunalförbund and other remissinstanser, with lookups."""

    parties: tuple[Party, ...]
    groups: tuple[Kommunalforbund, ...]
    file: str
    organisations: tuple[Organisation, ...] = ()

    def party(self, party_id: str) -> Party:
        return next(p for p in self.parties if p.id == party_id)

    def group(self, group_id: str) -> Kommunalforbund:
        return next(g for g in self.groups if g.id == group_id)

    def answerer(self, ident: str) -> Addressee | None:
        """A party, kommunalförbund or organisation by id (any of them may send an answer)."""
        return next((x for x in (*self.parties, *self.groups, *self.organisations) if x.id == ident), None)

    def others(self) -> tuple[Kommunalforbund | Organisation, ...]:
        """Every remissinstans that is not a party, in parter.yaml's order."""
        return (*self.groups, *self.organisations)

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
    others: tuple[Kommunalforbund | Organisation, ...] = ()  # remissinstanser that are not parties

    @property
    def id(self) -> str:
        return self.source.id

    def deadline_of(self, answerer: str) -> dt.date:
        """The answerer's own deadline: the round's, or a later one granted to it (`extensions:`)."""
        return self.source.extensions.get(answerer, self.source.deadline)

    def extended(self, answerer: str) -> bool:
        return answerer in self.source.extensions

    @property
    def addressees(self) -> tuple[Addressee, ...]:
        """Everyone the remiss is sent to (the remisslista): the parties, then the other remissinstanser."""
        return (*self.recipients, *self.others)


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
            + [(g.id, ("kommunalforbund", i, "id")) for i, g in enumerate(data.kommunalforbund)]
            + [(o.id, ("organisations", i, "id")) for i, o in enumerate(data.organisations)],
            "party, kommunalförbund or organisation", problems)
    for key, items in (("parties", data.parties), ("kommunalforbund", data.kommunalforbund),
                       ("organisations", data.organisations)):
        for i, item in enumerate(items):
            if item.id == WORKING_GROUP:
                problems.add(source.location((key, i, "id")), f"'{WORKING_GROUP}' is the id of the working group's "
                             "own comments in a round: choose another id", where=item.id)
    groups = {g.id for g in data.kommunalforbund}
    for i, party in enumerate(data.parties):
        if party.kommunalforbund and party.kommunalforbund not in groups:
            problems.add(source.location(("parties", i, "kommunalforbund")),
                         f"unknown kommunalförbund '{party.kommunalforbund}'{_guess(party.kommunalforbund, groups)}: "
                         "expected an id listed under 'kommunalforbund'", where=party.id)
    for key, items in (("parties", data.parties), ("kommunalforbund", data.kommunalforbund),
                       ("organisations", data.organisations)):
        for i, item in enumerate(items):
            example = _is_example(item.email)
            if example and not item.email_placeholder:
                problems.add(source.location((key, i, "email")), f"'{item.email}' is in the reserved .example "
                             "domain but email_placeholder is false: set it to true, or give the real address",
                             where=item.id)
    for i, org in enumerate(data.organisations):
        if org.name_placeholder and not org.email_placeholder:
            problems.add(source.location(("organisations", i, "email")), f"organisation '{org.id}' is an invented "
                         "example (name_placeholder: true) but its address is not marked as a placeholder: an "
                         "invented organisation has no real address; set email_placeholder: true", where=org.id)
    return PartyBook(data.parties, data.kommunalforbund, shown, data.organisations)


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
    elif data.deadline < add_months(data.sent, MIN_MONTHS):
        own.add(source.location(("deadline",)), f"deadline {data.deadline} gives less than {MIN_MONTHS} months "
                f"from {data.sent}: practice is at least {add_months(data.sent, MIN_MONTHS)}", severity="warning")
    for i, contact in enumerate(data.contacts):
        if _is_example(contact.email) and not contact.placeholder:
            own.add(source.location(("contacts", i, "email")), f"contact '{contact.name}' has the address "
                    f"'{contact.email}' in the reserved .example domain but is not marked as invented: set "
                    "`placeholder: true` (name and phone are then invented too), or give the real contact")
    recipients: tuple[Party, ...] = ()
    others: tuple[Kommunalforbund | Organisation, ...] = ()
    if book is not None:
        other_ids = [x.id for x in book.others()]
        party_ids = {p.id for p in book.parties}
        seen_other: set[str] = set()
        for i, oid in enumerate(data.other_recipients):
            if oid in party_ids:
                own.add(source.location(("other_recipients", i)), f"'{oid}' is a party: parties go under "
                        "`recipients:` (default all); other_recipients lists kommunalförbund and organisations")
            elif oid not in other_ids:
                own.add(source.location(("other_recipients", i)), f"unknown remissinstans '{oid}'"
                        f"{_guess(oid, other_ids)}: expected the id of a kommunalförbund or organisation in "
                        f"{book.file}")
            elif oid in seen_other:
                own.add(source.location(("other_recipients", i)), f"remissinstans '{oid}' is listed twice")
            seen_other.add(oid)
        others = tuple(x for x in book.others() if x.id in seen_other)
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
    if book is not None:
        answerers = [x.id for x in (*book.parties, *book.others())]
        for answerer, until in data.extensions.items():
            if answerer not in answerers:
                own.add(source.location(("extensions", answerer)), f"unknown party or remissinstans '{answerer}'"
                        f"{_guess(answerer, answerers)}: expected an id from {book.file}", where=answerer)
            elif until <= data.deadline:
                own.add(source.location(("extensions", answerer)), f"extension for '{answerer}' to {until} is not "
                        f"after the round's deadline {data.deadline}: expected a later date", where=answerer)
    documents = data.documents or (corpus.package.documents if corpus else _package_documents(sources, data.version))
    if corpus is not None and data.documents:
        for i, doc in enumerate(data.documents):
            if doc not in corpus.package.documents:
                own.add(source.location(("documents", i)), f"unknown document '{doc}'"
                        f"{_guess(doc, corpus.package.documents)}: expected one of {', '.join(corpus.package.documents)}")
    if book is None or any(p.severity == "error" for p in own.items[start:]):
        raise SourceError(Problems(own.items[start:]))
    return RoundInfo(data, shown, sources / REMISS_DIR / round_id, recipients, tuple(documents), book, others)


def _is_example(email: str) -> bool:
    """An address in the reserved .example domain (RFC 2606): invented, never delivered."""
    return email.lower().endswith(".example")


def load_assessment(info: RoundInfo, comments: set[str] | frozenset[str], clauses: set[str] | frozenset[str],
                    problems: Problems) -> Assessment | None:
    """Read and check the round's bedomning.yaml (None when it does not exist or does not validate).

    Every question of the missiv needs exactly one summary; comment and clause ids must be the round's.
    """
    path = info.folder / ASSESSMENT_FILE
    if not path.exists():
        return None
    shown = relative(path)
    source = read_yaml(path, shown, problems)
    data = validate(Assessment, source, problems) if source else None
    if data is None or source is None:
        return None
    if data.round != info.id:
        problems.add(source.location(("round",)), f"round '{data.round}' differs from the folder's round: expected "
                     f"'{info.id}'")
    asked = len(info.source.letter.questions)
    seen: dict[int, int] = {}
    for i, q in enumerate(data.questions):
        if q.question > asked:
            problems.add(source.location(("questions", i, "question")), f"question {q.question} does not exist: "
                         f"the missiv of {info.id} asks {asked} question(s) (letter.questions in {info.file})")
        elif q.question in seen:
            problems.add(source.location(("questions", i, "question")), f"question {q.question} is summarised "
                         f"twice (first at questions[{seen[q.question]}]): one summary per question")
        seen.setdefault(q.question, i)
        for j, cid in enumerate(q.comments):
            if cid not in comments:
                problems.add(source.location(("questions", i, "comments", j)), f"unknown comment '{cid}'"
                             f"{_guess(cid, comments)}: expected a comment id from the round's answers", where=cid)
    missing = [n for n in range(1, asked + 1) if n not in seen]
    if missing:
        problems.add(source.location(("questions",)) if data.questions else Location(shown),
                     f"no summary for question(s) {', '.join(map(str, missing))} of the missiv: the "
                     "remissammanställning summarises the answers to every question", severity="warning")
    for i, theme in enumerate(data.themes):
        for j, cid in enumerate(theme.clauses):
            if cid not in clauses:
                problems.add(source.location(("themes", i, "clauses", j)), f"unknown clause '{cid}'"
                             f"{_guess(cid, clauses)}: expected a clause id of version '{info.source.version}'",
                             where=cid)
        for j, cid in enumerate(theme.comments):
            if cid not in comments:
                problems.add(source.location(("themes", i, "comments", j)), f"unknown comment '{cid}'"
                             f"{_guess(cid, comments)}: expected a comment id from the round's answers", where=cid)
        if not theme.clauses and not theme.comments:
            problems.add(source.location(("themes", i)), f"theme '{theme.title}' names no clauses and no comments: "
                         "expected `clauses:` or `comments:` so its answers can be counted")
    return data


def _package_documents(sources: Path, version: str) -> tuple[str, ...]:
    """The document ids of a frozen version's package (the round's default documents)."""
    from .versions import versions_dir
    from .yamlfile import read_yaml

    source = read_yaml(versions_dir(sources) / version / "avtal.yaml", version, Problems())  # bounded
    try:
        return tuple(source.data["documents"])
    except (AttributeError, KeyError, TypeError):
        return ()  # reported where the version itself is checked


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved on `months` calendar months (the last day of a shorter month: 31 jan + 1 → 28 or 29 feb)."""
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
