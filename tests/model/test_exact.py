"""The fast path of validation (`validate.exact`) never accepts what pydantic refuses, and builds what it builds.

`exact` builds a source file that fits the schema without pydantic; anything it refuses goes to
pydantic. So it must never be more lenient than pydantic, and what it builds must be what pydantic
builds, down to the type of every value (`repr`: True is not 1, 3.0 not 3, a datetime not a date).
Checked on every sample source and on each one-place change of the smaller ones.
"""

from __future__ import annotations

import copy
import datetime as dt
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from pydantic import ValidationError

from avtal.model import schema
from avtal.model.validate import _constrained, _reader, adapter, exact
from avtal.model.problems import Problems
from avtal.model.yamlfile import load_yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "sources"
MODELS = {"avtal.yaml": schema.Package, "terms.yaml": schema.Glossary, "statutes.yaml": schema.Statutes}
FILES = sorted([*MODELS, *(f"documents/{p.name}" for p in (SOURCES / "documents").glob("*.yaml"))])


def model_of(name: str) -> type:
    return MODELS.get(name, schema.Document)


def data_of(name: str):
    problems = Problems()
    source = load_yaml((SOURCES / name).read_text(encoding="utf-8"), name, problems)
    assert source is not None and not problems.items, [str(p) for p in problems.items]
    return source.data


def by_pydantic(model: type, data):
    try:
        return adapter(model).validate_python(data)
    except ValidationError:
        return None


def agrees(model: type, data) -> bool:
    """`exact` refused, or built exactly what pydantic builds."""
    fast = exact(model, data)
    return fast is None or repr(fast) == repr(by_pydantic(model, data))


@pytest.mark.parametrize("name", FILES)
def test_every_sample_source_is_built_without_pydantic_and_as_pydantic_builds_it(name):
    data = data_of(name)
    fast = exact(model_of(name), data)
    assert fast is not None, f"{name} fits the schema, so the fast path must take it"
    assert repr(fast) == repr(by_pydantic(model_of(name), data))


ODD_VALUES = [None, "", " ", "x", "ä", "3", "8 a", "8 a\n", "x\n", "١٢", 0, 1, -1, 3.0, 2.5, True, False, [], ["x"],
              {}, {"id": "x"}, dt.date(2027, 1, 1), dt.datetime(2027, 1, 1), dt.datetime(2027, 1, 1, 12), b"x",
              ("x",)]


def variants(value):
    """Values to put where `value` was: the odd ones, and close relatives of it."""
    yield from ODD_VALUES
    if isinstance(value, str):
        yield from (value + "\n", value.upper(), value + " ", value + "-", "\n" + value, value.replace("-", "å"))
    if isinstance(value, int) and not isinstance(value, bool):
        yield from (value + 1, str(value), float(value))
    if isinstance(value, list):
        yield from ([], value[:1], value + value[:1], tuple(value))


def one_place_changes(data):
    """`data` changed in one place: each value replaced, each key removed, an unknown key added."""
    def walk(node, path):
        yield path, node
        if isinstance(node, dict):
            for key, child in node.items():
                yield from walk(child, (*path, key))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                yield from walk(child, (*path, i))

    def changed(path, how):
        copied = copy.deepcopy(data)
        parent = copied
        for part in path[:-1]:
            parent = parent[part]
        how(parent, path[-1])
        return copied

    for path, value in list(walk(data, ())):
        if not path:
            continue
        for new in variants(value):
            yield changed(path, lambda parent, key, new=new: parent.__setitem__(key, new))
        if isinstance(value, dict):
            yield changed(path, lambda parent, key: parent[key].__setitem__("unknown", 1))
            yield changed(path, lambda parent, key: parent[key].__setitem__(1, "x"))
            for inner in value:
                yield changed(path, lambda parent, key, inner=inner: parent[key].pop(inner))


@pytest.mark.parametrize("name", ["avtal.yaml", "statutes.yaml", "terms.yaml", "documents/munhalsa.yaml"])
def test_on_each_one_place_change_the_fast_path_refuses_or_builds_what_pydantic_builds(name):
    model, data = model_of(name), data_of(name)
    checked = refused = 0
    for mutated in one_place_changes(data):
        assert agrees(model, mutated), f"exact and pydantic differ on a change of {name}"
        checked += 1
        refused += exact(model, mutated) is None
    assert checked > 200 and refused > checked // 2, (checked, refused)


def test_every_field_of_every_source_model_has_a_reader():
    """A type or rule added to the schema that `exact` does not know fails here, not in a drafter's load."""
    seen, todo = set(), list(schema.SCHEMAS.values())
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in schema.fields_of(model):
            assert callable(_constrained(_reader(field.annotation), list(field.rules))), (model, field.name)
            inner = [t for t in _members(field.annotation) if isinstance(t, type) and issubclass(t, schema.Node)]
            todo.extend(inner)
    assert {schema.Clause, schema.Table, schema.StatuteRef, schema.Term, schema.Statute} <= seen


def _members(annotation):
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _members(arg)


@pytest.mark.parametrize("value, fits", [
    ("vard-i-hemmet.beslut", True), ("vard-i-hemmet\n", False), ("Vard", False), ("vård", False), ("", False),
])
def test_an_id_fits_exactly_when_pydantic_takes_it(value, fits):
    package = {"title": "Avtal", "documents": [value]}
    assert (exact(schema.Package, package) is not None) is fits
    assert (by_pydantic(schema.Package, package) is not None) is fits


def test_a_load_from_scratch_of_valid_sources_does_not_import_pydantic(tmp_path):
    """What the fast path is for: pydantic's import and set-up are ~80 ms of a load from scratch."""
    code = ("import sys; from pathlib import Path; from avtal.model import load; "
            "corpus, problems = load(Path(sys.argv[1])); assert corpus is not None, problems; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))")
    sources = tmp_path / "sources"
    subprocess.run(["cp", "-r", str(SOURCES), str(sources)], check=True)
    out = subprocess.run([sys.executable, "-c", code, str(sources)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
