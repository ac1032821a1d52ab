"""Word, written directly from the document tree (pandoc reads our files in tests, it no longer writes them).

One walk of the tree writes the body (`ooxml.body`); the package around it takes the house style
from templates/reference.docx (`ooxml.package`). Same tree, same bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Mapping

from .ast import Node
from .house import REFERENCE_DOCX
from .ooxml import fill_page_numbers
from .ooxml.body import BodyWriter
from .ooxml.package import package


def write_docx(tree: Node, *, header: str, properties: dict[str, str], custom: dict[str, str] | None,
               when: dt.datetime, tracked: bool = False,
               pages: Mapping[str, int] | Callable[[], Mapping[str, int]] | None = None) -> bytes:
    """The .docx of a pandoc-JSON tree: page-header text, core and custom properties, contents' pages filled in
    (`pages` a function: called after the body is written, see `publication.docx`).

    With `tracked` (a redline), wholly inserted or deleted paragraphs and rows have their marks tracked,
    so accepting or rejecting every change leaves no empty paragraph or row behind.
    """
    writer = BodyWriter(tracked=tracked)
    xml = writer.blocks(tree["blocks"])
    body = fill_page_numbers(xml, dict((pages() if callable(pages) else pages) or {}))
    return package(writer, body, REFERENCE_DOCX, header=header, properties=properties, custom=custom, when=when)
