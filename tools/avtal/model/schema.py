"""The source format as typed, frozen pydantic models.

These classes are the single definition of what a source file may contain:
`avtal check` validates against them and `avtal schema` turns them into the
JSON Schema that editors use to validate and complete while a person types.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)*$"
ID_EXAMPLE = "vard-i-hemmet.beslut"

Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        description="Stable, human-readable id: lowercase a-z, 0-9, hyphens, dots (e.g. 'vard-i-hemmet.beslut'). "
        "Never a position: numbers are computed.",
    ),
]
Line = Annotated[str, Field(min_length=1, description="One line of text.")]
Text = Annotated[
    str,
    Field(
        description="Paragraphs separated by blank lines; '- ' bullets, '1. ' numbered items; inline "
        "*emphasis*, **strong**, {ref:ID}, {ref:DOC:ID}, {doc:DOC}, {term:ID}, {term:ID|form}, "
        "{lag:LAW 16 kap. 4 §}, [text](https://…)."
    ),
]

Status = Literal["arbetsutkast", "remissversion", "förslag", "beslutad"]
Kind = Literal["huvudavtal", "ramavtal", "överenskommelse"]


class Node(BaseModel):
    """Base of every source model: frozen, and unknown keys are errors.

    Each class builds its validator on first use, not at import (`defer_build`): a command that reads no
    source of a kind, or gets its Corpus unpickled, never pays for building it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False, defer_build=True)


class StatuteRef(Node):
    """A structured reference to a statute: law, and optionally chapter and section."""

    law: Id = Field(description="Statute id from sources/statutes.yaml, e.g. 'hsl'.")
    chapter: Optional[int] = Field(None, ge=1, description="Chapter (kap.), for laws divided into chapters.")
    section: Optional[Union[int, Annotated[str, Field(pattern=r"^\d+( ?[a-z])?$")]]] = Field(
        None, description="Section (§), e.g. 4 or '8 a'."
    )


class Table(Node):
    """A simple table with one header row: accessible in every format."""

    caption: Optional[Line] = Field(None, description="Shown above the table and used as its accessible name.")
    header: tuple[Line, ...] = Field(min_length=1, description="Column headings.")
    rows: tuple[tuple[Text, ...], ...] = Field(min_length=1, description="Rows of cells, as many as header.")


class Clause(Node):
    """An avsnitt, clause or sub-clause: an id, a heading, text and children."""

    id: Id
    title: Line = Field(description="Heading without number; the number is computed.")
    text: Optional[Text] = None
    table: Optional[Table] = None
    clauses: tuple["Clause", ...] = Field((), description="Sub-clauses (at most three levels in all).")


class Document(Node):
    """One agreement: the huvudavtal or one of its överenskommelser."""

    id: Id = Field(description="Document id; also the file name.")
    title: Line
    subtitle: Optional[Line] = None
    short_title: Line = Field(description="Shown in page headers.")
    kind: Kind
    legal_basis: tuple[StatuteRef, ...] = ()
    valid_from: dt.date
    valid_to: Optional[dt.date] = None
    status: Status
    version_date: dt.date
    diarienummer: Line
    preamble: Optional[Text] = None
    sections: tuple[Clause, ...] = Field(min_length=1, description="The avsnitt, numbered 1, 2, 3 …")


class Term(Node):
    """A defined term of the shared glossary (Termer och begrepp)."""

    id: Id
    term: Line = Field(description="The term as normally written, e.g. 'vård i hemmet'.")
    abbreviation: Optional[Line] = None
    definition: Text
    replaces: tuple[Line, ...] = Field((), description="Earlier words this term replaces, e.g. 'hemsjukvård'.")
    source: Optional[Line] = Field(None, description="Where the definition comes from, e.g. Socialstyrelsens termbank.")


class Glossary(Node):
    """sources/terms.yaml."""

    terms: tuple[Term, ...] = Field(min_length=1)


class Statute(Node):
    """A statute that text may cite with {lag:ID …}."""

    id: Id
    name: Line = Field(description="Name as used in running text, e.g. 'hälso- och sjukvårdslagen'.")
    sfs: Annotated[str, Field(pattern=r"^\d{4}:\d+$", description="SFS number, e.g. '2017:30'.")]
    abbreviation: Optional[Line] = None
    chapters: bool = Field(description="Whether the statute is divided into chapters (kap.).")
    url: Optional[Annotated[str, Field(pattern=r"^https?://")]] = None
    unchecked: Optional[Line] = Field(
        None, description="Why sources/lagar/ has no snapshot of this statute, so that its citations cannot be "
        "checked (without a reason, `avtal check` warns).")


class Statutes(Node):
    """sources/statutes.yaml."""

    statutes: tuple[Statute, ...] = Field(min_length=1)


class Package(Node):
    """sources/avtal.yaml: the agreement package and the order of its documents."""

    title: Line
    documents: tuple[Id, ...] = Field(min_length=1, description="Document ids in order; each is documents/<id>.yaml.")


SCHEMAS: dict[str, type[Node]] = {
    "document": Document,
    "terms": Glossary,
    "statutes": Statutes,
    "package": Package,
}
