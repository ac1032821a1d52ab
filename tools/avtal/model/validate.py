"""Schema validation with messages a drafter can act on.

A file that fits the schema exactly is built by `exact`, without pydantic
(its import and validator set-up are ~80 ms of a load from scratch). For
anything else pydantic decides: it finds what is wrong, and this module says
where (file:line:column, clause id), what was expected, and suggests the key
that was probably meant.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import types
import typing
from difflib import get_close_matches
from typing import TYPE_CHECKING, Annotated, Any, Callable, Literal, TypeVar, Union

from .problems import Problems
from .schema import ID_EXAMPLE, ID_PATTERN, FieldSpec, Node, Rule, fields_of, is_model, is_model_class
from .yamlfile import KeyPath, YamlFile, path_str

if TYPE_CHECKING:
    from pydantic import TypeAdapter

M = TypeVar("M")

# A source node is a dataclass, a remiss record a pydantic model: their errors are the same, named differently.
_SAME_AS = {"unexpected_keyword_argument": "extra_forbidden", "missing_argument": "missing",
            "dataclass_type": "model_type", "dataclass_exact_type": "model_type"}

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD) without a time",
    "tuple_type": "a list",
    "list_type": "a list",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
    "greater_than_equal": "a number of at least {ge}",
}


@functools.cache
def adapter(model: Any) -> TypeAdapter:
    """pydantic's validator of a model or type, built once per process."""
    from pydantic import TypeAdapter

    return TypeAdapter(model)


def validate(model: type[M], source: YamlFile, problems: Problems) -> M | None:
    """Validate a loaded file against a model; report each error with its place."""
    if isinstance(model, type) and issubclass(model, Node):
        built = exact(model, source.data)
        if built is not None:
            return built
    from pydantic import ValidationError

    try:
        return adapter(model).validate_python(source.data)
    except ValidationError as exc:
        seen: set[tuple[str, str]] = set()
        for error in exc.errors(include_url=False):
            _report(model, source, error, problems, seen)
        return None


def _report(model: type, source: YamlFile, error: Any, problems: Problems, seen: set) -> None:
    loc: tuple = error["loc"]
    kind: str = _SAME_AS.get(error["type"], error["type"])
    path, value = _data_path(source.data, loc)
    where = _clause_id(source.data, path) or path_str(path)
    location = source.location(path, key=(kind == "extra_forbidden"))
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = [f.name for f in fields_of(_model_at(model, loc[:-1]))]
        guess = get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        message = f"unknown key '{key}': {hint}expected one of: {', '.join(allowed)}"
    elif kind == "missing":
        field = str(loc[-1])
        parent = _model_at(model, loc[:-1])
        info = _field(parent, field)
        hint = f" ({info.description})" if info is not None and info.description else ""
        message = f"missing required field '{field}'{hint}"
    elif kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        if pattern == ID_PATTERN:
            message = (f"malformed id '{error['input']}': expected lowercase a-z, 0-9, hyphens and dots, "
                       f"like '{ID_EXAMPLE}' (no å/ä/ö, spaces, capitals or leading/trailing hyphens)")
        else:
            message = f"'{error['input']}' has the wrong form: expected text matching {pattern}"
    elif kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        message = f"'{error['input']}' is not allowed here: expected {expected}"
    elif kind == "too_short":
        message = "must not be empty: expected at least one item"
    elif kind == "string_too_short":
        message = "empty text: expected at least one character"
    elif kind in _EXPECTED:
        expected = _EXPECTED[kind].format(**error.get("ctx", {}))
        message = f"wrong type: expected {expected}, got {_yaml_type(error['input'])}"
    else:
        message = f"{error['msg']} (got {_yaml_type(error['input'])})"
    key = (str(location), message)
    if key not in seen:
        seen.add(key)
        problems.add(location, message, where=where)


def _data_path(data: Any, loc: tuple) -> tuple[KeyPath, Any]:
    """The longest prefix of a pydantic loc that exists in the YAML data."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            break
        path.append(part)
    return tuple(path), current


def _clause_id(data: Any, path: KeyPath) -> str:
    """The id of the innermost mapping on `path` that has one (the clause a problem is in)."""
    found = ""
    current = data
    for part in (None, *path):
        if part is not None:
            try:
                current = current[part]
            except (KeyError, IndexError, TypeError):
                break
        if isinstance(current, dict) and isinstance(current.get("id"), str):
            found = current["id"]
    return found


def _model_at(model: type, loc: tuple) -> type:
    """The model class that validates the value at `loc` (for listing its fields)."""
    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = _field(current, str(part))
        if field is None:
            break
        inner = _inner_model(field.annotation)
        if inner is None:
            break
        current = inner
    return current


def _field(model: type, name: str) -> FieldSpec | None:
    return next((f for f in fields_of(model) if f.name == name), None)


def _inner_model(annotation: Any) -> type | None:
    if is_model_class(annotation):
        return annotation
    if isinstance(annotation, (typing._GenericAlias, types.GenericAlias, types.UnionType)) or typing.get_origin(annotation):  # type: ignore[attr-defined]
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _yaml_type(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"true/false ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (dt.date, dt.datetime)):
        return f"a date ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    text = str(value)
    return f"text '{text[:40]}{'…' if len(text) > 40 else ''}'"


# ---- salvage: check the rest of a file whose schema errors were already reported ----

def salvage(model: type[M], data: Any, salvaged: set[int]) -> M | None:
    """The valid parts of `data` as a `model` built without validation; None when nothing is usable.

    A schema error in one clause must not hide the reference errors, duplicate ids and
    short table rows in the rest of the file (`avtal check` reports every problem in one
    run): each field keeps its value when it validates on its own, lists keep the items
    that do, and an invalid text keeps its text. The id of every object built this way
    goes into `salvaged`, so checks can tell a field that was dropped from one left out.
    """
    if not isinstance(data, dict):
        return None
    from pydantic import ValidationError

    try:
        return adapter(model).validate_python(data)
    except ValidationError:
        pass
    values: dict[str, Any] = {}
    for f in fields_of(model):
        values[f.name] = _salvage_value(f.annotation, data[f.name], salvaged) if f.name in data else f.default
    built = model(**values) if dataclasses.is_dataclass(model) else model.model_construct(**values)  # type: ignore
    salvaged.add(id(built))
    return built


def _salvage_value(annotation: Any, value: Any, salvaged: set[int]) -> Any:
    inner = _inner_model(annotation)
    origin = typing.get_origin(annotation)
    if origin is tuple:
        args = typing.get_args(annotation)
        if not isinstance(value, list):
            return ()
        items = [_salvage_value(args[0], item, salvaged) for item in value]
        return tuple(i for i in items if i is not None and _usable(i))
    if inner is not None and (annotation is inner or origin in (typing.Union, types.UnionType)) \
            and isinstance(value, dict):
        return salvage(inner, value, salvaged)
    from pydantic import ValidationError

    try:
        return adapter(annotation).validate_python(value)
    except ValidationError:
        return value if isinstance(value, str) else None


def _usable(item: Any) -> bool:
    """A salvaged list item worth checking: one with an id, or (without ids) every required field."""
    if not is_model(item):
        return True
    fields = fields_of(type(item))
    if any(f.name == "id" for f in fields):
        return isinstance(getattr(item, "id"), str)
    return all(getattr(item, f.name) is not None for f in fields if f.required)


# ---- exact: the fast path for a source file that fits the schema ----

class _Misfit(Exception):
    """The value is not exactly what the schema declares: pydantic is asked instead."""


def exact(model: type[M], data: Any) -> M | None:
    """`data` built as a `model` (a source node) when it fits the schema exactly, else None.

    Stricter than pydantic, never more lenient: only the types YAML gives for a
    valid file are taken (no `"3"` for 3, no 3.0, no bytes), a tuple comes only from a
    list, and a pattern-checked text has no line break (Python's `$` matches before a
    final one, pydantic's does not). Whatever is refused here, pydantic then accepts,
    converts or reports, so results and messages are pydantic's; tests/model/test_exact.py
    checks both agree on every sample source and on each mutation of them."""
    try:
        return _reader(model)(data)
    except _Misfit:
        return None


@functools.cache
def _reader(annotation: Any) -> Callable[[Any], Any]:
    """A function that returns the value read as `annotation`, or raises `_Misfit`; built once per type."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _constrained(_reader(args[0]), [rule for rule in args[1:] if isinstance(rule, Rule)])
    if origin in (Union, types.UnionType):
        return _union(args)
    if origin is Literal:
        return _literal(args)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple(_reader(args[0]))
    if isinstance(annotation, type) and issubclass(annotation, Node):
        return _node(annotation)
    if annotation in (str, int, bool, dt.date):
        return _exact_type(annotation)
    raise TypeError(f"exact: no reader for {annotation!r}; teach validate._reader this type")


def _exact_type(kind: type) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if type(value) is not kind:  # bool is not an int, a datetime not a date
            raise _Misfit
        return value
    return read


def _constrained(inner: Callable[[Any], Any], rules: list[Rule]) -> Callable[[Any], Any]:
    checks: list[Callable[[Any], bool]] = []
    for rule in rules:
        for name, limit in rule.constraints.items():
            if name == "pattern":
                search = re.compile(limit).search
                checks.append(lambda v, search=search: "\n" not in v and search(v) is not None)
            elif name == "min_length":
                checks.append(lambda v, limit=limit: len(v) >= limit)
            elif name == "ge":
                checks.append(lambda v, limit=limit: v >= limit)
            elif name != "description":
                raise TypeError(f"exact: no check for the rule {name}={limit!r}; teach validate._constrained it")

    def read(value: Any) -> Any:
        value = inner(value)
        try:
            fits = value is None or all(check(value) for check in checks)
        except TypeError:  # a rule for text met a number: pydantic says what that means
            fits = False
        if not fits:
            raise _Misfit
        return value
    return read


def _union(args: tuple) -> Callable[[Any], Any]:
    # The members' readers take disjoint types (int or str, a node or None), so the first that fits is the one
    # pydantic's smart union picks too.
    optional = type(None) in args
    readers = [_reader(arg) for arg in args if arg is not type(None)]

    def read(value: Any) -> Any:
        if value is None and optional:
            return None
        for member in readers:
            try:
                return member(value)
            except _Misfit:
                pass
        raise _Misfit
    return read


def _literal(allowed: tuple) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if type(value) is not str or value not in allowed:
            raise _Misfit
        return value
    return read


def _tuple(item: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if type(value) is not list:
            raise _Misfit
        return tuple(map(item, value))
    return read


def _node(model: type) -> Callable[[Any], Any]:
    fields = {f.name: _Lazy(f.annotation, f.rules) for f in fields_of(model)}
    required = frozenset(f.name for f in fields_of(model) if f.required)

    def read(value: Any) -> Any:
        if type(value) is not dict or not required.issubset(value) or not fields.keys() >= value.keys():
            raise _Misfit
        return model(**{name: fields[name](given) for name, given in value.items()})
    return read


class _Lazy:
    """A field's reader, made on first use: a node may contain itself (a clause its sub-clauses)."""

    __slots__ = ("annotation", "rules", "reader")

    def __init__(self, annotation: Any, rules: tuple[Rule, ...]):
        self.annotation, self.rules, self.reader = annotation, list(rules), None

    def __call__(self, value: Any) -> Any:
        if self.reader is None:
            self.reader = _constrained(_reader(self.annotation), self.rules) if self.rules else _reader(self.annotation)
        return self.reader(value)
