"""Edits made with Track Changes off, as Word saves them: the text simply changes.

Test support beside `tests.remiss.wordlike` (which records tracked changes): it reuses that
module's editor to find a clause's text by its heading bookmark and to split runs at the
edited words, then changes the runs in place, removes or copies whole paragraphs, or moves
a paragraph (cut and paste). Output is byte-stable like wordlike's.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import docx
from lxml import etree

from avtal.render.ooxml import bookmark_name
from tests.remiss.wordlike import _Editor, _q, _visible_runs, save


def edit_untracked(src_docx: Path, out_docx: Path, *, replacements=(), deleted_paragraphs=(), new_paragraphs=(),
                   moved_paragraphs=(), deleted_rows=(), split_after=(), joined=(), new_rows=(),
                   retyped_headings=()) -> Path:
    """Write `out_docx`: `src_docx` with untracked edits.

    replacements:       (clause id, old text, new text)
    deleted_paragraphs: (clause id, text in the paragraph) - the whole paragraph removed
    new_paragraphs:     (clause id, text in the paragraph before, new text) - formatted like that paragraph
    moved_paragraphs:   (clause id, text in the paragraph, clause id, text in the paragraph to follow)
    deleted_rows:       (clause id, text in a cell of the row)
    new_rows:           (clause id, text in a cell of the row before, cell texts of the new row)
    retyped_headings:   (clause id, new heading text): the whole heading typed over, its bookmark lost with it
    split_after:        (clause id, text): Enter typed right after it (the rest becomes a new paragraph)
    joined:             (clause id, text in a paragraph): the next paragraph joined to it, a space between
    """
    document = docx.Document(str(src_docx))
    editor = _Editor(document, "Anna Berg", "2025-09-10T09:00:00Z", "AB")
    for clause, old, new in replacements:
        p, start, end = editor.find(clause, old)
        runs = editor.isolate(p, start, end)
        runs[0].find(_q("t")).text = new
        for run in runs[1:]:
            run.getparent().remove(run)
    for clause, needle in deleted_paragraphs:
        p, _, _ = editor.find(clause, needle)
        p.getparent().remove(p)
    for clause, after, text in new_paragraphs:
        p, _, _ = editor.find(clause, after)
        paragraph = copy.deepcopy(p)
        runs = [r for r, _ in _visible_runs(paragraph)]
        for run in runs[1:]:
            run.getparent().remove(run)
        for child in list(paragraph):
            if child.tag == _q("bookmarkStart") or child.tag == _q("bookmarkEnd"):
                paragraph.remove(child)
        runs[0].find(_q("t")).text = text
        p.addnext(paragraph)
    for clause, needle, to_clause, before in moved_paragraphs:
        p, _, _ = editor.find(clause, needle)
        p.getparent().remove(p)
        target, _, _ = editor.find(to_clause, before)
        target.addprevious(p)
    for clause, needle in deleted_rows:
        p, _, _ = editor.find(clause, needle)
        row = next(p.iterancestors(_q("tr")))
        row.getparent().remove(row)
    for clause, text in retyped_headings:
        p = editor.regions()[bookmark_name(clause)][0]
        runs = [r for r, _ in _visible_runs(p)]
        runs[0].find(_q("t")).text = text
        for run in runs[1:]:
            run.getparent().remove(run)
        body = p.getroottree().getroot()
        for start in body.iter(_q("bookmarkStart")):
            if start.get(_q("name")) == bookmark_name(clause):
                ident = start.get(_q("id"))
                for mark in [start, *(e for e in body.iter(_q("bookmarkEnd")) if e.get(_q("id")) == ident)]:
                    mark.getparent().remove(mark)
                break
    for clause, needle, cells in new_rows:
        p, _, _ = editor.find(clause, needle)
        row = next(p.iterancestors(_q("tr")))
        new = copy.deepcopy(row)
        for cell, text in zip(new.iter(_q("tc")), cells, strict=True):
            runs = [r for r, _ in _visible_runs(cell.find(_q("p")))]
            runs[0].find(_q("t")).text = text
            for run in runs[1:]:
                run.getparent().remove(run)
        row.addnext(new)
    for clause, needle in split_after:
        p, start, end = editor.find(clause, needle)
        last = editor.isolate(p, start, end)[-1]
        assert last.getparent() is p, "split only at plain text"
        paragraph = copy.deepcopy(p)
        for child in list(paragraph):
            if child.tag != _q("pPr"):
                paragraph.remove(child)
        for sibling in list(last.itersiblings()):
            paragraph.append(sibling)
        first = next((r for r, _ in _visible_runs(paragraph)), None)
        if first is not None and first.find(_q("t")) is not None:
            first.find(_q("t")).text = first.find(_q("t")).text.lstrip()
        p.addnext(paragraph)
    for clause, needle in joined:
        p, _, _ = editor.find(clause, needle)
        following = p.getnext()
        last = [r for r, _ in _visible_runs(p)][-1]
        space = copy.deepcopy(last)
        for child in list(space):
            if child.tag != _q("rPr"):
                space.remove(child)
        t = etree.SubElement(space, _q("t"))
        t.text = " "
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        p.append(space)
        for child in list(following):
            if child.tag != _q("pPr"):
                p.append(child)
        following.getparent().remove(following)
    return save(editor, document, out_docx)


WHEN = dt.date(2025, 9, 10)
