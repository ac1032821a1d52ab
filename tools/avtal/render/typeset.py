"""Typst as a typesetter: compiling a typst source to PDF/UA-1 + PDF/A-2b, and the page of every heading.

Only the publisher (`render.publication`) calls this; what a source says is written by `render.typst`.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import tempfile
import threading
from functools import cache
from pathlib import Path

import typst

PDF_STANDARDS = ["a-2b", "ua-1"]


@cache
def font_paths() -> list[str]:
    """Lato from the font-lato package: shipped with the project, so PDFs are identical on every machine."""
    spec = importlib.util.find_spec("font_lato")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [str(Path(next(iter(spec.submodule_search_locations))) / "files")]


_COMPILERS = threading.local()


def _write_pdf(compiler: typst.Compiler, when: dt.datetime, **source: bytes) -> bytes:
    """Our one kind of PDF (PDF/UA-1 + PDF/A-2b, dated `when`), from whatever the compiler lays out."""
    return compiler.compile(format="pdf", pdf_standards=PDF_STANDARDS, timestamp=int(when.timestamp()), **source)


def compile_pdf(source: bytes, when: dt.datetime) -> bytes:
    """The PDF of a typst source, with the fonts loaded once per thread instead of once per call: ~8 ms a
    one-page letter instead of ~11.5 (measured on the missiv). The same bytes as a fresh compile."""
    compiler = getattr(_COMPILERS, "compiler", None)
    if compiler is None:
        compiler = _COMPILERS.compiler = typst.Compiler(font_paths=font_paths(), ignore_system_fonts=True)
    return _write_pdf(compiler, when, input=source)


# Appended to the source: the page of every labelled heading, read back by a query on the laid-out document.
_PAGES_PROBE = (b'\n#context [#metadata(query(heading).filter(h => h.has("label"))'
                b'.map(h => (str(h.label), h.location().page())))<avtal-heading-pages>]\n')


def _compiler(folder: str, source: bytes) -> typst.Compiler:
    main = Path(folder) / "main.typ"
    main.write_bytes(source + _PAGES_PROBE)
    return typst.Compiler(str(main), root=folder, font_paths=font_paths(), ignore_system_fonts=True)


def _pages(compiler: typst.Compiler) -> dict[str, int]:
    return {label: page for label, page in json.loads(compiler.query("<avtal-heading-pages>", field="value", one=True))}


def layout_pages(source: bytes) -> dict[str, int]:
    """The page of each labelled heading of a typst source, from its layout alone (no PDF is written).

    For a Word file whose text no PDF shows as it is (a redline's: its PDF opens with a change summary).
    """
    with tempfile.TemporaryDirectory(prefix="avtal-typst-") as folder:
        return _pages(_compiler(folder, source))


class Layout:
    """A typst source laid out once: the page of each labelled heading (clause id → page) at once, for the
    Word file of the same document to show in its table of contents, and the PDF when asked.

    typst reuses the layout for the PDF; writing it is the last ~20 % of a compile (~30 ms of the
    huvudavtal's), during which a build fills in the Word file's contents.
    """

    def __init__(self, source: bytes, when: dt.datetime):
        self._folder = tempfile.TemporaryDirectory(prefix="avtal-typst-")
        try:
            self._compiler = _compiler(self._folder.name, source)
            self.pages = _pages(self._compiler)
        except BaseException:
            self._folder.cleanup()
            raise
        self._when = when

    def pdf(self) -> bytes:
        """The PDF/UA-1 + PDF/A-2b of this layout (once: the layout's folder goes with it)."""
        try:
            return _write_pdf(self._compiler, self._when)
        finally:
            self._folder.cleanup()


def rasterise(svg: bytes, ppi: int) -> bytes:
    """An SVG drawing as PNG at `ppi`, on white: the charts of the Word file."""
    from .typst import string

    source = ('#set page(width: auto, height: auto, margin: 0pt, fill: white)\n'
              f'#image(bytes({string(svg.decode("utf-8"))}), format: "svg")\n')
    return typst.compile(source.encode("utf-8"), format="png", ppi=ppi, ignore_system_fonts=True)


class KeptLayouts:
    """One typst compiler per document, kept between layouts (`avtal serve`).

    typst reuses what an edit did not touch, so laying out an edited document again takes a
    fraction of a fresh compile; the PDF is byte for byte the one a `Layout` writes. Not thread-safe:
    one thread lays out.
    """

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="avtal-typst-")
        self._compilers: dict[str, typst.Compiler] = {}

    def laid_out(self, key: str, source: bytes, when: dt.datetime) -> tuple[bytes, dict[str, int]]:
        """The PDF and its headings' pages, as a `Layout` gives them, for the document `key` (a document id)."""
        folder = Path(self._folder.name) / key
        compiler = self._compilers.get(key)
        if compiler is None:
            folder.mkdir(exist_ok=True)
            compiler = self._compilers[key] = _compiler(str(folder), source)
        else:
            (folder / "main.typ").write_bytes(source + _PAGES_PROBE)
        return _write_pdf(compiler, when), _pages(compiler)

    def close(self) -> None:
        self._compilers.clear()
        self._folder.cleanup()
