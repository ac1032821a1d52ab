"""What a position says changed: clauses, glossary terms and documents' general text, as one list.

A position's identity (status, motivering, what changed) and the spreadsheet's "Ändrade avsnitt"
column hold the three kinds in one list: clause ids as they are, a term as `begrepp:ID`, a
document's general text (preamble, title) as `text:DOC`.
"""

from __future__ import annotations

from typing import Iterable

from ...model.remiss import Position

TERM, TEXT = "begrepp:", "text:"


def changed_of(position: Position) -> tuple[str, ...]:
    """The position's clauses, terms and general texts as one list (clauses first)."""
    return (*position.clauses, *(TERM + t for t in position.terms), *(TEXT + d for d in position.general))


def split_changed(items: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(clauses, terms, general) of a list made by `changed_of` (or typed into the spreadsheet)."""
    items = tuple(dict.fromkeys(items))
    terms = tuple(i[len(TERM):] for i in items if i.startswith(TERM))
    general = tuple(i[len(TEXT):] for i in items if i.startswith(TEXT))
    clauses = tuple(i for i in items if not i.startswith((TERM, TEXT)))
    return clauses, terms, general


def unknown_changed(items: Iterable[str], clauses: Iterable[str], terms: Iterable[str],
                    documents: Iterable[str]) -> list[tuple[str, str]]:
    """(item, what was expected) for each item that names no known clause, term or document."""
    known = {"": set(clauses), TERM: set(terms), TEXT: set(documents)}
    what = {"": "a clause id", TERM: "a term id of the glossary (begrepp:ID)", TEXT: "a document id (text:DOC)"}
    out = []
    for item in items:
        prefix = TERM if item.startswith(TERM) else TEXT if item.startswith(TEXT) else ""
        if item[len(prefix):] not in known[prefix]:
            out.append((item, what[prefix]))
    return out
