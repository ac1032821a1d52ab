"""Layers import downward only and no module imports itself round a circle.

Every module's imports are read with `ast` (nothing is imported), lazy ones inside functions
included: a cycle closed by a function-level import is still a cycle. The table below is the
whole rule; a module outside it fails the test until it is given a layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tools" / "avtal"

# Lowest first. A module may import its own layer and the layers before it, never one after it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("fsutil", "archive", "gcpause"),
    ("model",),
    ("render",),
    ("redline",),
    ("remiss",),
    ("apply",),
    ("cli", "serve", "__main__"),
)


def module_name(path: Path, root: Path) -> str:
    parts = ["avtal", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """The avtal modules `source` (module `name`) imports, anywhere in the file."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from pkg import module` imports that module; `from module import name` the module itself
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import avtal.model.remiss` → that module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def module_graph(root: Path) -> dict[str, set[str]]:
    """avtal module → the avtal modules it imports, for every .py file under `root` (the avtal package)."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    modules = set(files)
    return {name: imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", modules)
            for name, path in files.items()}


def layer_of(module: str) -> int | None:
    top = module.split(".")[1] if module.count(".") else ""
    if not top:
        return None  # the avtal package itself
    return next((i for i, names in enumerate(LAYERS) if top in names), -1)


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a lower layer into a higher one, and every module the table does not place."""
    out = []
    for module, targets in sorted(graph.items()):
        layer = layer_of(module)
        if layer == -1:
            out.append(f"{module} is in no layer: add its top-level name to LAYERS in tests/test_layers.py")
            continue
        for target in sorted(targets):
            target_layer = layer_of(target)
            if layer is not None and target_layer is not None and target_layer > layer:
                out.append(f"{module} (layer {LAYERS[layer]}) imports {target} (layer {LAYERS[target_layer]})")
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_no_module_imports_a_higher_layer():
    assert upward_imports(module_graph(PACKAGE)) == []


def test_no_import_cycles():
    assert cycles(module_graph(PACKAGE)) == []


def test_every_import_is_seen_even_lazy_relative_and_from_package(tmp_path):
    root = tmp_path / "avtal"
    files = {
        "__init__.py": "",
        "fsutil.py": "",
        "model/__init__.py": "from .corpus import Corpus\n",
        "model/corpus.py": "import os\nfrom ..fsutil import x\n",
        "model/dump.py": "def f():\n    from . import corpus\n    import avtal.render.tree\n",
        "render/__init__.py": "",
        "render/tree.py": "from ..model.corpus import Corpus\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    graph = module_graph(root)
    assert graph["avtal.model"] == {"avtal.model.corpus"}
    assert graph["avtal.model.corpus"] == {"avtal.fsutil"}
    assert graph["avtal.model.dump"] == {"avtal.model.corpus", "avtal.render.tree"}
    assert upward_imports(graph) == ["avtal.model.dump (layer ('model',)) imports avtal.render.tree "
                                     "(layer ('render',))"]
    assert cycles(graph) == []


@pytest.mark.parametrize("edges, expected", [
    ({"avtal.model.dump": {"avtal.model.jsonschema"}, "avtal.model.jsonschema": {"avtal.model.remiss"},
      "avtal.model.remiss": {"avtal.model.versions"}, "avtal.model.versions": {"avtal.model.dump"}},
     [["avtal.model.dump", "avtal.model.jsonschema", "avtal.model.remiss", "avtal.model.versions"]]),
    ({"avtal.remiss.a": {"avtal.remiss.b"}, "avtal.remiss.b": {"avtal.remiss.a"}, "avtal.remiss.c": {"avtal.remiss.a"}},
     [["avtal.remiss.a", "avtal.remiss.b"]]),
    ({"avtal.remiss.a": {"avtal.remiss.b"}, "avtal.remiss.b": {"avtal.model.x"}}, []),
])
def test_the_cycle_check_finds_exactly_the_circles(edges, expected):
    assert cycles(edges) == expected


def test_the_layer_check_names_an_upward_import_and_an_unplaced_module():
    graph = {"avtal.render.tree": {"avtal.model.corpus"}, "avtal.model.corpus": {"avtal.remiss.record.answers"},
             "avtal.apply.engine": {"avtal.remiss.incoming.readers", "avtal.cli"}, "avtal.gadget": set(),
             "avtal.cli": {"avtal.apply.engine"}}
    assert upward_imports(graph) == [
        "avtal.apply.engine (layer ('apply',)) imports avtal.cli (layer ('cli', 'serve', '__main__'))",
        "avtal.gadget is in no layer: add its top-level name to LAYERS in tests/test_layers.py",
        "avtal.model.corpus (layer ('model',)) imports avtal.remiss.record.answers (layer ('remiss',))",
    ]
