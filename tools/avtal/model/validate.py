"""Schema validation with messages a drafter can act on.

pydantic finds what is wrong; this module says where (file:line:column,
clause id), what was expected, and suggests the key that was probably meant.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from difflib import get_close_matches
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from .problems import Problems
from .schema import ID_EXAMPLE, ID_PATTERN, FieldSpec, fields_of, is_model, is_model_class
from .yamlfile import KeyPath, YamlFile, path_str

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
    return TypeAdapter(model)


def validate(model: type[M], source: YamlFile, problems: Problems) -> M | None:
    """Validate a loaded file against a model; report each error with its place."""
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
