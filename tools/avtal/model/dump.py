"""Writing the source format back: validated models in, YAML text out.

Tools that rewrite sources (migrations, renames of ids, imports from Word)
must produce files a drafter would have written by hand, or every diff in
review drowns in noise. So the output is canonical: keys in the order the
schema classes declare them, absent and default values left out, multi-line
text as `|` literal blocks, dates as YYYY-MM-DD, å/ä/ö kept as they are, and
the `$schema` comment editors need as the first line. Dumping what `load`
returned and loading it again gives an equal corpus; dumping twice gives the
same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from . import schema
from .corpus import DOCUMENTS_DIR, PACKAGE_FILE, STATUTES_FILE, TERMS_FILE, Corpus

# Short, fixed-shape values are written on one line, as people write them:
# `{law: hsl, chapter: 16, section: 4}`, `header: [Insats, Regionen, Kommunen]`.
_FLOW_MODELS: tuple[type, ...] = (schema.StatuteRef,)
_FLOW_LISTS = {(schema.Table, "header"), (schema.Term, "replaces")}

_SINGLES = (schema.Package, schema.Glossary, schema.Statutes)  # one of each per tree
_NAMES = {model: name for name, model in schema.SCHEMAS.items()}
_CODE = re.compile(r"\d[\d:. a-z-]*")


class _FlowList(list):
    """A sequence to be written in flow style: `[a, b, c]`."""


class _FlowMap(dict):
    """A mapping to be written in flow style: `{law: hsl, chapter: 16}`."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper with the house style; safe, so no Python tags can leak into sources."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as the hand-written sources do.
        return super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        # Double quotes where quotes are needed, as the hand-written sources use.
        style = super().choose_scalar_style()
        return '"' if style == "'" else style

    def ignore_aliases(self, data: Any) -> bool:
        # Never `&id001`/`*id001`: one value shared by two fields is written twice.
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Literal blocks keep clause text readable and diffable line by line. PyYAML
    # falls back to quoting by itself when a block cannot hold the text exactly
    # (trailing spaces, tabs, or inside a flow collection).
    # Codes that start with a digit ("2017:30", "8 a") are quoted even where YAML
    # would read them as text, so no reader (YAML 1.1 or 1.2) takes them for numbers.
    style = "|" if "\n" in value else ('"' if _CODE.fullmatch(value) else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _flow_list(dumper: yaml.SafeDumper, value: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


def _flow_map(dumper: yaml.SafeDumper, value: _FlowMap) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_FlowList, _flow_list)
_Dumper.add_representer(_FlowMap, _flow_map)


def _one_line(values: Iterable[Any]) -> bool:
    return all(not isinstance(v, str) or "\n" not in v for v in values)


def _plain(model: Any) -> dict[str, Any]:
    """A source node or remiss record as plain data in field order, without absent or default values."""
    out: dict[str, Any] = {}
    cls = type(model)
    for f in schema.fields_of(cls):
        name, value = f.name, getattr(model, f.name)
        if not f.required and value == f.default:
            continue
        if (cls, name) in _FLOW_LISTS and _one_line(value):
            out[name] = _FlowList(value)
        elif cls is schema.Table and name == "rows":
            out[name] = [_FlowList(row) if _one_line(row) else list(row) for row in value]
        else:
            out[name] = _value(value)
    return _FlowMap(out) if isinstance(model, _FLOW_MODELS) else out


def _value(value: Any) -> Any:
    if schema.is_model(value):
        return _plain(value)
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    return value


def schema_comment(model: schema.Node) -> str:
    """The `$schema` line for the file this model is stored in (paths relative to that file)."""
    name = _NAMES[type(model)]
    folder = "../schema/" if isinstance(model, schema.Document) else "schema/"
    return f"# yaml-language-server: $schema={folder}{name}.schema.json\n"


def _yaml(data: Any) -> str:
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=1_000_000, indent=2)
    # After a kept block (`|+`) PyYAML ends the document with a `...` line; a
    # file holds one document, and `...` in the middle of one would end it early.
    # (Text lines are always indented, so a `...` line at column 1 is the marker.)
    return text[:-4] if text.endswith("\n...\n") else text


def dump(model: schema.Node) -> str:
    """Any top-level source model (Document, Glossary, Statutes, Package) as the text of its file."""
    if type(model) not in _NAMES:
        raise TypeError(f"cannot dump {type(model).__name__}: expected one of "
                        f"{', '.join(m.__name__ for m in _NAMES)}")
    data = _plain(model)
    if not isinstance(model, schema.Document):
        return schema_comment(model) + _yaml(data)
    # A blank line before `sections:` and between avsnitt, as drafters write
    # them. Each avsnitt is emitted on its own so the blank line is never inside
    # a text block; after a kept block (`|+`), which already ends blank, none is
    # added, since that block would take the line as part of its text.
    sections = data.pop("sections")
    out = _yaml(data)
    for i, section in enumerate(sections):
        item = _yaml({"sections": [section]}).partition("\n")[2]
        out += ("" if out.endswith("\n\n") else "\n") + ("sections:\n" if i == 0 else "") + item
    return schema_comment(model) + out


# Typed names for callers that write one kind of file; all are `dump`.

def dump_document(doc: schema.Document) -> str:
    return dump(doc)


def dump_glossary(glossary: schema.Glossary) -> str:
    return dump(glossary)


def dump_statutes(statutes: schema.Statutes) -> str:
    return dump(statutes)


def dump_package(package: schema.Package) -> str:
    return dump(package)


def _parts(source: Corpus | Iterable[schema.Node]):
    if isinstance(source, Corpus):
        return (source.package, schema.Glossary(terms=tuple(t.source for t in source.terms)),
                schema.Statutes(statutes=source.statutes), [d.source for d in source.documents])
    singles: dict[type, schema.Node] = {}
    documents: list[schema.Document] = []
    for model in source:
        if isinstance(model, schema.Document):
            documents.append(model)
        elif type(model) in _SINGLES and type(model) not in singles:
            singles[type(model)] = model
        else:
            raise TypeError(f"unexpected {type(model).__name__}: expected one Package, Glossary and Statutes "
                            "and any number of Documents")
    missing = [m.__name__ for m in _SINGLES if m not in singles]
    if missing:
        raise ValueError(f"a sources tree needs {', '.join(missing)}")
    return singles[schema.Package], singles[schema.Glossary], singles[schema.Statutes], documents


def dump_sources(source: Corpus | Iterable[schema.Node], folder: Path, *, schemas: bool = True) -> list[Path]:
    """Write a complete sources tree that `load(folder)` reads back; returns the paths written.

    Takes a loaded Corpus, or the models themselves (one Package, Glossary and
    Statutes, and the Documents). The documents must be exactly those the
    package lists, since `load` would reject anything else. Existing files
    that are not rewritten are left alone. With `schemas`, the JSON Schemas the
    `$schema` lines point to are written too, so editors can use the tree.
    """
    from ..fsutil import atomic_write_text
    from .jsonschema import write_schemas

    package, glossary, statutes, documents = _parts(source)
    given = [d.id for d in documents]
    if sorted(given) != sorted(package.documents) or len(set(given)) != len(given):
        raise ValueError(f"documents {given} do not match those listed in {PACKAGE_FILE}: "
                         f"{list(package.documents)}")
    by_id = {d.id: d for d in documents}
    written = []
    for model, path in [(package, folder / PACKAGE_FILE), (glossary, folder / TERMS_FILE),
                        (statutes, folder / STATUTES_FILE),
                        *[(by_id[i], folder / DOCUMENTS_DIR / f"{i}.yaml") for i in package.documents]]:
        atomic_write_text(path, dump(model))
        written.append(path)
    if schemas:
        written.extend(write_schemas(folder / "schema"))
    return written
