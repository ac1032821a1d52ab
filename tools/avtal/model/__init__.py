"""The model layer: sources in, a frozen and resolved Corpus out. No rendering here.

The names below are imported on first use (PEP 562): `avtal --help` and the light
modules (problems, fsutil) must not pay for pydantic and the YAML loader.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .corpus import Clause, Corpus, Document, Term, load
    from .problems import Location, Problem, Problems

_HOME = {"Clause": "corpus", "Corpus": "corpus", "Document": "corpus", "Term": "corpus", "load": "corpus",
         "Location": "problems", "Problem": "problems", "Problems": "problems"}

__all__ = ["Clause", "Corpus", "Document", "Location", "Problem", "Problems", "Term", "load"]
assert sorted(__all__) == sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value
