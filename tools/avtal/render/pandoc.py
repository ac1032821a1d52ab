"""Running pandoc (shipped by pypandoc-binary) on a JSON tree."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

from .ast import Node


class PandocError(RuntimeError):
    pass


@cache
def pandoc_path() -> str:
    """The pandoc binary inside pypandoc-binary, else one on PATH."""
    spec = importlib.util.find_spec("pypandoc")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "files" / "pandoc"
            if candidate.exists():
                return str(candidate)
    found = shutil.which("pandoc")
    if not found:
        raise PandocError("pandoc not found: install the project (pip install -e .) to get pypandoc-binary")
    return found


def convert(tree: Node, to: str, *args: str, env: dict[str, str] | None = None) -> bytes:
    """Write a pandoc JSON tree to format `to`; returns the output bytes."""
    command = [pandoc_path(), "--from=json", f"--to={to}", "--output=-", *args]
    result = subprocess.run(command, input=json.dumps(tree, ensure_ascii=False).encode("utf-8"),
                            capture_output=True, env=env)
    if result.returncode != 0:
        raise PandocError(f"pandoc --to={to} failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout


def read_docx(data: bytes) -> Node:
    """pandoc's docx reader on a Word file: the pandoc JSON tree (a Word template's text, for its PDF)."""
    result = subprocess.run([pandoc_path(), "--from=docx", "--to=json"], input=data, capture_output=True)
    if result.returncode != 0:
        raise PandocError(f"pandoc --from=docx failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return json.loads(result.stdout)
