"""The committed JSON Schemas: never stale, and a second, independent check of the sources.

Editors validate with these files, not with pydantic. Validating the sources
with the `jsonschema` library (and PyYAML's own loader) catches a schema
export that disagrees with what `avtal check` accepts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from avtal.model.jsonschema import render
from avtal.model.jsonschema import ALL_SCHEMAS as SCHEMAS
from tests.conftest import SOURCES

SCHEMA_DIR = SOURCES / "schema"
KIND = {"avtal.yaml": "package", "terms.yaml": "terms", "statutes.yaml": "statutes", "parter.yaml": "parties"}


def kind_of(path: Path) -> str:
    if path.parent.name == "documents":
        return "document"
    if path.name == "stallningstaganden.yaml":
        return "positions"
    if path.name == "bedomning.yaml":
        return "assessment"
    if path.parent.name == "svar":
        return "answer"
    if path.parent.name == "remiss":
        return "round"
    return KIND[path.name]


def source_files(sources: Path) -> list[Path]:
    remiss = sources / "remiss"
    return sorted([*(p for p in (sources / name for name in KIND) if p.exists()), *(sources / "documents").glob("*.yaml"),
                   *remiss.glob("*.yaml"), *remiss.glob("*/svar/*.yaml"), *remiss.glob("*/stallningstaganden.yaml"),
                   *remiss.glob("*/bedomning.yaml")])


def as_json(value):
    """YAML values as an editor's YAML 1.2 reader hands them to the schema: dates are text."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def errors(path: Path, schema_dir: Path = SCHEMA_DIR) -> list[str]:
    schema = json.loads((schema_dir / f"{kind_of(path)}.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    data = as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_committed_schema_is_what_the_models_generate(name):
    committed = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == render(name), f"sources/schema/{name}.schema.json is stale: run `avtal schema`"


def test_there_is_one_committed_schema_per_source_kind():
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(f"{n}.schema.json" for n in SCHEMAS)


def test_the_schemas_are_valid_json_schema():
    for name in SCHEMAS:
        Draft202012Validator.check_schema(json.loads(render(name)))


def test_the_real_sources_satisfy_the_committed_schemas():
    files = source_files(SOURCES)
    assert len(files) >= 10
    assert {str(f.relative_to(SOURCES)): errors(f) for f in files} == {str(f.relative_to(SOURCES)): [] for f in files}


def test_each_real_source_names_its_schema_in_its_first_line():
    for path in source_files(SOURCES):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        up = "../" * (len(path.relative_to(SOURCES).parts) - 1)
        assert first == f"# yaml-language-server: $schema={up}schema/{kind_of(path)}.schema.json", path
        assert (path.parent / first.split("=", 1)[1]).resolve() == (SCHEMA_DIR / f"{kind_of(path)}.schema.json")


def test_the_fixture_tree_satisfies_the_schemas(tree):
    files = source_files(tree.sources)
    assert len(files) == 5
    for path in files:
        assert errors(path) == [], path


@pytest.mark.parametrize("name, old, new, where", [
    ("documents/munhalsa.yaml", "    title: Inledning\n", "    titel: Inledning\n", "sections/0"),
    ("documents/munhalsa.yaml", "valid_from: 2027-01-01", "valid_from: snart", "valid_from"),
    ("documents/munhalsa.yaml", "id: mun.ansvar.region", "id: Vård-i-hemmet", "sections/1/clauses/0/id"),
    ("statutes.yaml", "chapters: false", "chapters: kanske", "statutes/1/chapters"),
    ("terms.yaml", "    term: vård i hemmet\n", "", "terms/0"),
])
def test_the_schemas_reject_what_avtal_check_rejects(tree, name, old, new, where):
    tree.edit(name, old, new)
    assert any(e.startswith(f"{where}: ") for e in errors(tree.sources / name)), errors(tree.sources / name)
    assert tree.load()[0] is None
