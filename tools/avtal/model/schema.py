"""The source format as typed, frozen dataclasses.

These classes are the single definition of what a source file may contain:
a load validates against them (`validate`) and `avtal schema` turns them into
the JSON Schema that editors use to validate and complete while a person types.

They are stdlib dataclasses, not pydantic models, and their constraints are
`Rule`s: `validate.exact` reads them to build a file that fits, and pydantic
only for a file that does not (to say what is wrong). So neither a kept load
nor a load of valid sources imports pydantic, ~60 ms of a start-up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import typing
from typing import Annotated, Any, Literal, Optional, Union


class Rule:
    """Constraints and description of a value, in pydantic's `Field` terms: `validate.exact` checks them on a
    file that fits, pydantic on one that does not (and writes them into the JSON Schema).

    Rules nest (`Annotated[Id, Rule(description=…)]`); the outer one's description wins, as with `Field`."""

    def __init__(self, **constraints: Any):
        self.constraints = constraints

    @property
    def description(self) -> str | None:
        return self.constraints.get("description")

    def __repr__(self) -> str:
        return f"Rule({', '.join(f'{k}={v!r}' for k, v in self.constraints.items())})"

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic import Field

        # The rules inside `source` are applied after this one, so that the outermost description is the last word.
        base, *inner = typing.get_args(source) if typing.get_origin(source) is Annotated else (source,)
        return handler(Annotated[(base, Field(**self.constraints), *inner)])


class Node:
    """Base of every source model: a frozen, keyword-only dataclass (`@node`); unknown keys are errors."""

    __pydantic_config__ = {"extra": "forbid"}  # pydantic's ConfigDict, a plain dict: read only when validating


N = typing.TypeVar("N", bound=type)


def node(cls: N) -> N:
    """Make a `Node` subclass a frozen, keyword-only dataclass (required fields may follow optional ones)."""
    return dataclasses.dataclass(frozen=True, kw_only=True)(cls)


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One declared field of a model: what validation messages and the YAML writer need to know of it."""

    name: str
    annotation: Any  # the type without its outermost rules
    description: str | None
    required: bool
    default: Any  # None when required
    rules: tuple[Rule, ...] = ()  # the outermost rules of a source node's field (what `annotation` is without)


@functools.cache
def fields_of(model: type) -> tuple[FieldSpec, ...]:
    """The fields a model declares, in order: of a source node (a dataclass) or a remiss record (pydantic)."""
    if not dataclasses.is_dataclass(model):
        return tuple(FieldSpec(name, info.annotation, info.description or _description(info.metadata),
                               info.is_required(), None if info.is_required() else info.get_default(
                                   call_default_factory=True)) for name, info in model.model_fields.items())
    hints = typing.get_type_hints(model, include_extras=True)
    found = []
    for f in dataclasses.fields(model):
        annotation, rules = hints[f.name], []
        if typing.get_origin(annotation) is Annotated:
            annotation, *rules = typing.get_args(annotation)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        found.append(FieldSpec(f.name, annotation, _description(rules), required, None if required else f.default,
                               tuple(r for r in rules if isinstance(r, Rule))))
    return tuple(found)


def _description(rules: list) -> str | None:
    described = [r.description for r in rules if isinstance(r, Rule) and r.description]
    return described[-1] if described else None


def is_model_class(cls: Any) -> bool:
    """Whether `cls` is a source node or a remiss record class: something `fields_of` describes."""
    return isinstance(cls, type) and (issubclass(cls, Node) or hasattr(cls, "model_fields"))


def is_model(value: Any) -> bool:
    return is_model_class(type(value))


ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)*$"
ID_EXAMPLE = "vard-i-hemmet.beslut"

Id = Annotated[
    str,
    Rule(
        pattern=ID_PATTERN,
        description="Stable, human-readable id: lowercase a-z, 0-9, hyphens, dots (e.g. 'vard-i-hemmet.beslut'). "
        "Never a position: numbers are computed.",
    ),
]
Line = Annotated[str, Rule(min_length=1, description="One line of text.")]
Text = Annotated[
    str,
    Rule(
        description="Paragraphs separated by blank lines; '- ' bullets, '1. ' numbered items; inline "
        "*emphasis*, **strong**, {ref:ID}, {ref:DOC:ID}, {doc:DOC}, {term:ID}, {term:ID|form}, "
        "{lag:LAW 16 kap. 4 §}, [text](https://…)."
    ),
]

Status = Literal["arbetsutkast", "remissversion", "förslag", "beslutad"]
Kind = Literal["huvudavtal", "ramavtal", "överenskommelse"]


@node
class StatuteRef(Node):
    """A structured reference to a statute: law, and optionally chapter and section."""

    law: Annotated[Id, Rule(description="Statute id from sources/statutes.yaml, e.g. 'hsl'.")]
    chapter: Annotated[Optional[int], Rule(ge=1, description="Chapter (kap.), for laws divided into chapters.")] = None
    section: Annotated[Optional[Union[int, Annotated[str, Rule(pattern=r"^\d+( ?[a-z])?$")]]],
                       Rule(description="Section (§), e.g. 4 or '8 a'.")] = None


@node
class Table(Node):
    """A simple table with one header row: accessible in every format."""

    caption: Annotated[Optional[Line], Rule(description="Shown above the table and used as its accessible name.")] = None
    header: Annotated[tuple[Line, ...], Rule(min_length=1, description="Column headings.")]
    rows: Annotated[tuple[tuple[Text, ...], ...], Rule(min_length=1, description="Rows of cells, as many as header.")]


@node
class Clause(Node):
    """An avsnitt, clause or sub-clause: an id, a heading, text and children."""

    id: Id
    title: Annotated[Line, Rule(description="Heading without number; the number is computed.")]
    text: Optional[Text] = None
    table: Optional[Table] = None
    clauses: Annotated[tuple[Clause, ...], Rule(description="Sub-clauses (at most three levels in all).")] = ()


@node
class Document(Node):
    """One agreement: the huvudavtal or one of its överenskommelser."""

    id: Annotated[Id, Rule(description="Document id; also the file name.")]
    title: Line
    subtitle: Optional[Line] = None
    short_title: Annotated[Line, Rule(description="Shown in page headers.")]
    kind: Kind
    legal_basis: tuple[StatuteRef, ...] = ()
    valid_from: dt.date
    valid_to: Optional[dt.date] = None
    status: Status
    version_date: dt.date
    diarienummer: Line
    preamble: Optional[Text] = None
    sections: Annotated[tuple[Clause, ...], Rule(min_length=1, description="The avsnitt, numbered 1, 2, 3 …")]


@node
class Term(Node):
    """A defined term of the shared glossary (Termer och begrepp)."""

    id: Id
    term: Annotated[Line, Rule(description="The term as normally written, e.g. 'vård i hemmet'.")]
    abbreviation: Optional[Line] = None
    definition: Text
    replaces: Annotated[tuple[Line, ...], Rule(description="Earlier words this term replaces, e.g. 'hemsjukvård'.")] = ()
    source: Annotated[Optional[Line], Rule(description="Where the definition comes from, e.g. Socialstyrelsens "
                                                       "termbank.")] = None


@node
class Glossary(Node):
    """sources/terms.yaml."""

    terms: Annotated[tuple[Term, ...], Rule(min_length=1)]


@node
class Statute(Node):
    """A statute that text may cite with {lag:ID …}."""

    id: Id
    name: Annotated[Line, Rule(description="Name as used in running text, e.g. 'hälso- och sjukvårdslagen'.")]
    sfs: Annotated[str, Rule(pattern=r"^\d{4}:\d+$", description="SFS number, e.g. '2017:30'.")]
    abbreviation: Optional[Line] = None
    chapters: Annotated[bool, Rule(description="Whether the statute is divided into chapters (kap.).")]
    url: Optional[Annotated[str, Rule(pattern=r"^https?://")]] = None
    unchecked: Annotated[Optional[Line], Rule(
        description="Why sources/lagar/ has no snapshot of this statute, so that its citations cannot be "
        "checked (without a reason, `avtal check` warns).")] = None


@node
class Statutes(Node):
    """sources/statutes.yaml."""

    statutes: Annotated[tuple[Statute, ...], Rule(min_length=1)]


@node
class Package(Node):
    """sources/avtal.yaml: the agreement package and the order of its documents."""

    title: Line
    documents: Annotated[tuple[Id, ...], Rule(min_length=1, description="Document ids in order; each is "
                                                                         "documents/<id>.yaml.")]


SCHEMAS: dict[str, type[Node]] = {
    "document": Document,
    "terms": Glossary,
    "statutes": Statutes,
    "package": Package,
}
