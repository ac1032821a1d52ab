"""YAML that remembers where everything came from.

PyYAML's constructors forget positions and silently keep the last of two
duplicate keys. We compose the node graph with the libyaml C loader (fast)
and build plain Python values ourselves, recording the line and column of
every key and value, and reporting duplicate keys as problems.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..fsutil import FileRefused, read_limited
from .problems import Location, Problems

try:  # the C loader is ~10x faster; fall back so a missing libyaml only costs speed
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

KeyPath = tuple[str | int, ...]


def path_str(path: KeyPath) -> str:
    """`("sections", 2, "title")` → `sections[2].title`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class YamlFile:
    """A loaded YAML file: its data plus the position of every key and value."""

    file: str  # as shown to users
    text: str
    data: Any = None
    values: dict[KeyPath, yaml.Node] = field(default_factory=dict)
    keys: dict[KeyPath, yaml.Node] = field(default_factory=dict)
    line_starts: list[int] | None = field(default=None, repr=False)
    parsed: bool = field(default=True, repr=False)  # False: data and positions are parsed on first use

    @classmethod
    def unparsed(cls, file: str, text: str) -> YamlFile:
        """A file known to be valid (its model kept from an earlier load), parsed again only if a location is asked."""
        return cls(file=file, text=text, parsed=False)

    def location(self, path: KeyPath, *, key: bool = False, needle: str | None = None) -> Location:
        """Where the value (or key) at `path` is; with `needle`, where that text is inside it."""
        if not self.parsed:
            again = load_yaml(self.text, self.file, Problems())
            if again is not None:
                self.data, self.values, self.keys = again.data, again.values, again.keys
            self.parsed = True
        node = (self.keys if key else self.values).get(path)
        while node is None and path:
            path = path[:-1]
            node = self.values.get(path)
        if node is None:
            return Location(self.file, 1, 1)
        index = node.start_mark.index
        if needle:
            found = self.text.find(needle, index, max(node.end_mark.index, index + len(needle)))
            if found >= 0:
                index = found
            else:
                return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)
        line = bisect_right(self._line_starts(), index)
        return Location(self.file, line, index - self._line_starts()[line - 1] + 1)

    def _line_starts(self) -> list[int]:
        """The offset where each line begins, built once: a location is a bisect, not a count from the start."""
        if self.line_starts is None:
            self.line_starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        return self.line_starts


def load_yaml(text: str, file: str, problems: Problems) -> YamlFile | None:
    """Parse `text`; on a syntax error record it and return None."""
    doc = YamlFile(file=file, text=text)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        problems.add(
            Location(file, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1),
            f"YAML syntax error: {what}{context}; expected valid YAML (check indentation, "
            "quotes and a space after ':' and '-')",
        )
        return None
    except yaml.YAMLError as exc:
        problems.add(Location(file, 1, 1), f"cannot read YAML: {exc}")
        return None
    # A constructor per file: SafeConstructor caches every node it has built
    # until construct_document() resets it, which we never call.
    constructor = yaml.constructor.SafeConstructor()
    budget = _Budget(max(MAX_VALUES, VALUES_PER_BYTE * len(text)))
    try:
        doc.data = _build(doc, root, (), problems, constructor, budget) if root is not None else None
    except _TooBig as exc:
        mark = exc.node.start_mark
        problems.add(Location(file, mark.line + 1, mark.column + 1), exc.message)
        return None
    return doc


# Bounds on what a small file may cost to build. Sources nest about 12 levels (document, sections,
# clauses, tables); libyaml itself stops at 1000, deeper than Python's stack allows us to walk.
# Aliases (*name) repeat what an anchor (&name) holds, so a few lines can stand for billions of
# values: building stops at a generous multiple of what the text could spell out itself.
MAX_DEPTH = 64
MAX_BYTES = 25 * 2**20  # the largest source is under 1 MB; a hand-written answer is far smaller
MAX_VALUES = 100_000
VALUES_PER_BYTE = 2


@dataclass
class _Budget:
    left: int


class _TooBig(Exception):
    def __init__(self, node: yaml.Node, message: str):
        super().__init__(message)
        self.node, self.message = node, message


def _scalar(doc: YamlFile, node: yaml.ScalarNode, path: KeyPath, problems: Problems,
            constructor: yaml.constructor.SafeConstructor) -> Any:
    """A scalar's value; values YAML cannot build are problems, not exceptions."""
    try:
        return constructor.construct_object(node, deep=True)
    except ValueError:
        # A recognised form with an impossible value (2027-13-01): keep the text
        # and let the schema say what was expected.
        return node.value
    except yaml.YAMLError:
        problems.add(Location(doc.file, node.start_mark.line + 1, node.start_mark.column + 1),
                     f"unsupported YAML tag '{node.tag}': expected plain values (no '!' tags, anchors "
                     "merged with '<<' or other YAML extensions)", where=path_str(path))
        return node.value


def _build(doc: YamlFile, node: yaml.Node, path: KeyPath, problems: Problems,
           constructor: yaml.constructor.SafeConstructor, budget: _Budget) -> Any:
    if len(path) > MAX_DEPTH:
        raise _TooBig(node, f"nested more than {MAX_DEPTH} levels deep: expected at most {MAX_DEPTH} levels of "
                      "mappings and lists")
    budget.left -= 1
    if budget.left < 0:
        raise _TooBig(node, "aliases (*name) expand this file to too many values: write the values out, without "
                      "anchors (&) and aliases (*)")
    doc.values[path] = node
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.add(doc.location(path), "a mapping key must be a plain word", where=path_str(path))
                continue
            key = _scalar(doc, key_node, path, problems, constructor)
            key = str(key) if not isinstance(key, str) else key
            sub = path + (key,)
            if key in result:
                first = doc.keys[sub].start_mark.line + 1
                problems.add(
                    Location(doc.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                    f"duplicate key '{key}' (first defined at line {first}); YAML would silently "
                    "keep only the last one: remove or rename one of them",
                    where=path_str(sub),
                )
                continue
            doc.keys[sub] = key_node
            result[key] = _build(doc, value_node, sub, problems, constructor, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(doc, item, path + (i,), problems, constructor, budget) for i, item in enumerate(node.value)]
    return _scalar(doc, node, path, problems, constructor)


def read_yaml(path: Path, shown_as: str, problems: Problems, raw: bytes | None = None) -> YamlFile | None:
    """Read and parse a file (or its bytes `raw`, already read from it); unreadable, oversized, special (a FIFO)
    or non-UTF-8 files are problems too."""
    try:
        raw = read_limited(path, MAX_BYTES) if raw is None else raw
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        problems.add(Location(shown_as), f"not UTF-8 text (byte {exc.start}); expected a UTF-8 YAML file")
        return None
    except FileRefused as exc:
        problems.add(Location(shown_as), f"not read: {exc.reason}; expected a YAML file of at most "
                     f"{MAX_BYTES // 2**20} MB")
        return None
    except OSError as exc:
        problems.add(Location(shown_as), f"cannot read file: {exc.strerror or exc}")
        return None
    return load_yaml(text, shown_as, problems)
