"""Line-level edits of a YAML source through the line-aware loader: only edited values change.

`model.yamlfile` records where every key and value starts and ends; an edit replaces
exactly one value's characters (a title, a cell, a `text` block) or whole lines (a table
row), so comments, key order, quoting and the layout of everything else stay as written.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field

import yaml

from ..model.problems import Problems
from ..model.text import _BULLET, _NUMBERED, parse_blocks
from ..model.yamlfile import KeyPath, YamlFile, load_yaml


@dataclass
class Edits:
    """Pending replacements in one file's text: (start, end, new text), applied together."""

    file: YamlFile
    changes: list[tuple[int, int, str]] = field(default_factory=list)

    def result(self) -> str:
        text = self.file.text
        for start, end, new in sorted(self.changes, key=lambda c: (c[0], c[1]), reverse=True):
            text = text[:start] + new + text[end:]
        return text

    # -- scalars --

    def set_line(self, path: KeyPath, value: str) -> None:
        """A one-line value (title, caption, header, cell) in the quoting it had, or the quoting it needs."""
        node = self.file.values[path]
        self.changes.append((node.start_mark.index, node.end_mark.index, scalar(value, node.style)))

    def set_text(self, path: KeyPath, value: str) -> None:
        """A `text` value: a literal block with the original header and indentation."""
        node = self.file.values[path]
        start, end = node.start_mark.index, node.end_mark.index
        src = self.file.text
        if node.style == "|":
            header = src[start:src.index("\n", start)]
            indent = _indent_of(src, start, end)
            original = src[start:end]
            trailing = original[len(original.rstrip(" \n")):]  # the line end and blank lines after the text
            body = "\n".join(f"{indent}{line}" if line else "" for line in value.rstrip("\n").split("\n"))
            self.changes.append((start, end, f"{header}\n{body}{trailing}"))
            return
        if "\n" not in value.strip("\n"):
            self.changes.append((start, end, scalar(value.strip("\n"), node.style)))
            return
        key = self.file.keys[path]
        indent = " " * (key.start_mark.column + 2)
        body = "".join(f"{indent}{line}\n" if line else "\n" for line in value.rstrip("\n").split("\n"))
        self.changes.append((start, end, "|\n" + body.rstrip("\n")))

    def add_text(self, clause: KeyPath, value: str) -> None:
        """A `text` key for a clause that had none, right after its title."""
        title = self.file.values[clause + ("title",)]
        key = self.file.keys[clause + ("title",)]
        indent = " " * key.start_mark.column
        end = self.file.text.index("\n", title.end_mark.index)
        body = "".join(f"{indent}  {line}\n" if line else "\n" for line in value.rstrip("\n").split("\n"))
        self.changes.append((end + 1, end + 1, f"{indent}text: |\n{body}"))

    # -- table rows --

    def delete_item(self, path: KeyPath) -> None:
        """Remove a sequence item ('- [...]' line or lines) whole."""
        node = self.file.values[path]
        src = self.file.text
        start = src.rfind("\n", 0, node.start_mark.index) + 1
        end = src.find("\n", node.end_mark.index - 1 if src[node.end_mark.index - 1:node.end_mark.index] == "\n"
                       else node.end_mark.index)
        self.changes.append((start, len(src) if end < 0 else end + 1, ""))

    def delete_entry(self, path: KeyPath) -> None:
        """Remove a block sequence item (a clause with everything under it) up to the next item or key.

        The lines after it up to that next item go too (its blank separator), except comments right
        above the next item, which belong to that item.
        """
        node = self.file.values[path]
        src = self.file.text
        start = src.rfind("\n", 0, node.start_mark.index) + 1
        end = len(src) if node.end_mark.index >= len(src) else src.rfind("\n", 0, node.end_mark.index) + 1
        while end > start:
            previous = src.rfind("\n", 0, end - 1) + 1
            if not src[previous:end].strip().startswith("#"):
                break
            end = previous
        self.changes.append((start, end, ""))

    def add_row_after(self, path: KeyPath, cells: list[str]) -> None:
        """A new table row after the row at `path`, written like it (flow sequence on one line)."""
        node = self.file.values[path]
        src = self.file.text
        line_start = src.rfind("\n", 0, node.start_mark.index) + 1
        end = src.find("\n", node.end_mark.index)
        prefix = src[line_start:node.start_mark.index]
        row = "[" + ", ".join(scalar(c, '"') for c in cells) + "]"
        self.changes.append((end + 1, end + 1, f"{prefix}{row}\n"))


def _indent_of(src: str, start: int, end: int) -> str:
    for line in src[start:end].split("\n")[1:]:
        if line.strip():
            return line[:len(line) - len(line.lstrip())]
    return "  "


def scalar(value: str, style: str | None) -> str:
    """`value` as a YAML scalar: plain when that reads back the same, else quoted as before (or double)."""
    if style in (None, "") and value and value == _reads(value):
        return value
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _reads(value: str) -> object:
    try:
        return yaml.safe_load(f"k: {value}\n")["k"]
    except (yaml.YAMLError, TypeError):
        return None


# ---- the text of a clause, block by block ------------------------------------

@dataclass
class RawBlock:
    """A paragraph or a list as written: its lines (a list: one list of lines per item)."""

    kind: str  # "para" | "list"
    lines: list[str] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)
    sep: str = "\n\n"  # what stood before it
    original: bool = True
    touched: bool = False


def raw_blocks(text: str) -> list[RawBlock] | None:
    """A `text` value split as `model.text.parse_blocks` splits it, keeping each block's lines as written.

    None when the split does not agree with the parser (then the text cannot be edited block by block).
    """
    out: list[RawBlock] = []
    chunks = re.split(r"(\n[ \t]*\n)", text.strip("\n"))
    sep = ""
    for index, chunk in enumerate(chunks):
        if index % 2:
            sep = chunk
            continue
        lines = [line.rstrip() for line in chunk.split("\n") if line.strip()]
        current: RawBlock | None = None
        for raw in lines:
            line = raw.strip()
            if _BULLET.match(line) or _NUMBERED.match(line):
                if current is None or current.kind != "list" or (
                        bool(_BULLET.match(line)) != bool(_BULLET.match(current.items[0][0].strip()))):
                    current = RawBlock("list", sep=sep if not out or current is None else "\n")
                    out.append(current)
                current.items.append([raw])
            elif current is not None and current.kind == "list" and raw[:1] in (" ", "\t"):
                current.items[-1].append(raw)
            else:
                if current is None or current.kind != "para":
                    current = RawBlock("para", sep=sep if current is None else "\n")
                    out.append(current)
                current.lines.append(raw)
        sep = ""
    parsed, _ = parse_blocks(text)
    if len(parsed) != len(out) or any((b.kind == "para") != (type(p).__name__ == "Para") or
                                      (b.kind == "list" and len(b.items) != len(p.items))
                                      for b, p in zip(out, parsed)):
        return None
    return out


def join_blocks(blocks: list[RawBlock]) -> str:
    """The `text` value again: untouched neighbours keep what stood between them, new ones a blank line."""
    out: list[str] = []
    previous: RawBlock | None = None
    adjacent = False
    last_seen: RawBlock | None = None
    for block in blocks:
        adjacent = previous is not None and previous is last_seen
        last_seen = block
        if not (block.lines if block.kind == "para" else any(block.items)):
            continue  # deleted
        if previous is not None:
            keep = adjacent and block.original and previous.original and not block.touched and not previous.touched
            out.append(block.sep if keep and block.sep else "\n\n")
        if block.kind == "para":
            out.append("\n".join(block.lines))
        else:
            out.append("\n".join("\n".join(item) for item in block.items if item))
        previous = block
    return "".join(out) + "\n"


def wrap(text: str, like: list[str], prefix: str = "") -> list[str]:
    """`text` in lines like `like`: its unchanged first and last lines kept as written, the rest wrapped.

    One long line stays one line; wrapped text is wrapped at the width it had. Markers never split.
    """
    width = max((len(line) for line in like), default=0)
    if len(like) <= 1 or width < 40:
        return [prefix + text]
    words = [line.strip() for line in like]
    words[0] = words[0][len(prefix.strip()):].strip() if prefix.strip() else words[0]
    head = 0
    while head < len(like) - 1 and text.startswith(" ".join(words[:head + 1]) + " "):
        head += 1
    tail = 0
    kept = len(" ".join(words[:head]))
    while (tail < len(like) - head - 1 and text.endswith(" " + " ".join(words[len(like) - tail - 1:]))
           and len(text) - len(" ".join(words[len(like) - tail - 1:])) - 1 > kept):
        tail += 1
    middle = text[kept + (1 if head else 0):len(text) - (len(" ".join(words[len(like) - tail:])) + 1 if tail else 0)]
    indent = " " * len(prefix)
    protected = re.sub(r"\{[^{}]*\}|\[[^\]]*\]\([^)]*\)", lambda m: m.group().replace(" ", "\0"), middle)
    lines = textwrap.wrap(protected, width=width, initial_indent=indent if head else prefix, subsequent_indent=indent,
                          break_long_words=False, break_on_hyphens=False)
    lines = [line.replace("\0", " ") for line in lines]
    return [*like[:head], *lines, *like[len(like) - tail:]]


def reload(text: str, shown: str) -> tuple[YamlFile | None, Problems]:
    """The edited text parsed again (the caller checks it still loads)."""
    problems = Problems()
    return load_yaml(text, shown, problems), problems
