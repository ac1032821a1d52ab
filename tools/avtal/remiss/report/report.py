"""`avtal remiss report ROUND [--against VERSION]`: the remissammanställning in Word, PDF, web and Excel.

One pandoc tree is built from the round, its answers and the working group's
positions, and handed to the publisher (`render.publication`) as the agreement
itself is: Word with templates/reference.docx, PDF/UA-1 with templates/document.typ,
the web page in the edition's frame. The xlsx has one row per comment for
sorting and filtering.

The report is complete by construction: every comment of every answer is
placed under its clause (in the draft's order) or among the general
comments, and a comment without a position is shown as open, never left out.

Its parts: `collect` (what the report shows), `builder` (the one tree) with `pieces`
(its small parts), `xlsx` (the sheet); here, the tree lowered per format and handed to the
publisher, and the files swapped in.

Only this report's own files in dist/remiss/ROUND/ are written (the folder
is shared with `avtal remiss pack`): remissammanstallning.{docx,pdf,html,xlsx}
and remissammanstallning-filer/ (charts, stylesheet, fonts, search index).
"""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from html import escape
from pathlib import Path

from ...fsutil import link_entries, replace_folder
from ...render import ast, publication, wording
from ...render import typst as typst_writer
from ...render.house import WEB_TEMPLATES
from ...render.publication import Publication, Web
from ...render.site import static_assets
from ..record.lock import writes_round
from . import charts
from .builder import Builder
from .collect import FILES_DIR, HOME, KIND, Report, ReportResult, STEM, collect
from .xlsx import _xlsx


# -- lowering the one tree per format --

def _lower(blocks: list[ast.Node], fmt: str, builder: Builder) -> list[ast.Node]:
    """The one tree made ready for a format.

    Charts (top-level figures): PNG data for Word, an SVG file beside the page for the web, a typst figure
    with the SVG inline and its alt text (PDF/UA-1 requires it) for the PDF. A comment's wrapper (a Div,
    for the web page's stylesheet) is dropped for Word and PDF, where it shows nothing: in typst each would
    be one more block to lay out.
    """
    out: list[ast.Node] = []
    for block in blocks:
        if block["t"] == "Figure":
            out.append(_chart_for(block, fmt, builder))
        elif block["t"] == "Div" and fmt != "html" and "comment" in block["c"][0][1]:
            out.extend(block["c"][1])
        else:
            out.append(block)
    return out


def _chart_for(figure: ast.Node, fmt: str, builder: Builder) -> ast.Node:
    (ident, classes, kv), (short, caption), body = figure["c"]
    image = body[0]["c"][0]
    name = image["c"][2][0].split(":", 1)[1]
    if fmt == "html":
        image = {"t": "Image", "c": [image["c"][0], image["c"][1], [f"{FILES_DIR}/{name}.svg", ""]]}
        return {"t": "Figure", "c": [[ident, classes, kv], [short, caption], [ast.plain([image])]]}
    chart = builder.charts[name]
    if fmt == "typst":
        svg = chart.svg.decode("utf-8")
        return ast.raw_block("typst", f"#figure(image(bytes({typst_writer.string(svg)}), format: \"svg\", "
                             f"alt: {typst_writer.string(chart.alt)}, width: 100%), "
                             f"caption: [{typst_writer.blocks(caption).strip()}])<{ident}>")
    src = "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
    (img_id, img_classes, _), alt = image["c"][0], image["c"][1]
    image = {"t": "Image", "c": [[img_id, img_classes, [["width", f"{charts.WIDTH_CM}cm"]]], alt, [src, ""]]}
    return {"t": "Figure", "c": [[ident, classes, kv], [short, caption], [ast.plain([image])]]}


# -- writers --

def _info(report: Report) -> list[tuple[str, str]]:
    src = report.info.source
    info = [("Diarienummer", src.diarienummer), ("Version", report.version_name),
            ("Skickad", wording.long_date(src.sent)), ("Sista svarsdag", wording.long_date(src.deadline))]
    if report.against_name:
        info.append(("Jämförd med", report.against_name))
    return info


def _publication(report: Report, blocks: list[ast.Node], toc: list[tuple[int, str, str]]) -> Publication:
    """The report as the publisher sees it: the documents' title page and design with the round's facts."""
    src = report.info.source
    items = "".join(f'<li><a href="#{escape(ident)}">{escape(text)}</a></li>' for level, ident, text in toc
                    if level == 1)
    downloads = (("Word", f"{STEM}.docx"), ("PDF", f"{STEM}.pdf"), ("Excel (en rad per synpunkt)", f"{STEM}.xlsx"))
    # The page's files live in FILES_DIR (the round's folder is shared with `avtal remiss pack`), and its
    # search box searches the comments (the index is the report's own).
    web = Web(report.corpus.package.title, f"<ol>{items}</ol>", downloads, body_class="report", home=HOME,
              assets=FILES_DIR, search_label="Sök bland synpunkterna")
    return Publication(
        report.title, blocks, report.when, kind=KIND, info=tuple(_info(report)), contents=tuple(toc),
        header=f"{KIND} · {src.diarienummer}", short_title=KIND, status=wording.round_name(src).upper(),
        footer=src.diarienummer, keywords=(src.diarienummer, wording.round_name(src), KIND), web=web,
        properties={"title": report.title, "subject": KIND, "creator": wording.GROUP, "lastModifiedBy": wording.GROUP,
                    "language": "sv-SE", "identifier": src.diarienummer,
                    "keywords": f"{src.diarienummer}; {wording.round_name(src)}; {KIND}",
                    "version": report.version_name, "category": KIND})


def _search_index(report: Report) -> bytes:
    """The page's search runs over the comments: one entry per clause (and per general section) with their text."""
    entries: dict[str, dict[str, str]] = {}
    for e in report.entries:
        if e.clause is not None:
            key, number, title = e.clause.id, e.clause.label, e.clause.title
            doc = e.document.source.short_title  # type: ignore[union-attr]
        elif e.document is not None:
            key, number, title = f"rs-helhet-{e.document.id}", "", "Dokumentet som helhet"
            doc = e.document.source.short_title
        else:
            key, number, title, doc = f"rs-allmant-{e.answer.party}", "", e.answerer, "Allmänna synpunkter"
        entry = entries.setdefault(key, {"d": STEM, "s": doc, "i": key, "n": number, "t": title, "x": ""})
        entry["x"] = (entry["x"] + " " + f"{e.answerer}: {' '.join(e.comment.text.split())} "
                      f"{' '.join((e.comment.proposal or '').split())}").strip()
    return ("window.AVTAL_INDEX = " + json.dumps(list(entries.values()), ensure_ascii=False, separators=(",", ":"))
            + ";\n").encode("utf-8")


def _web_files(report: Report, builder: Builder) -> dict[str, bytes]:
    """What the web page needs beside it: charts, stylesheet (+ the report's rules), script, fonts, index."""
    files: dict[str, bytes] = {}
    for name, data in static_assets().items():
        files[name.removeprefix("assets/")] = data
    files["style.css"] += b"\n" + (WEB_TEMPLATES / "remissammanstallning.css").read_bytes()
    files["search-index.js"] = _search_index(report)
    for chart in builder.charts.values():
        files[f"{chart.name}.svg"] = chart.svg
    return files


def _write_report_files(folder: Path, files: dict[str, bytes]) -> None:
    """Swap the report's files into dist/remiss/ROUND/ as one set (a kill leaves the old set or the new one).

    The folder is rebuilt beside itself from hard links to everything that is not
    the report's (the pack's files, the positions workbook) plus the new report,
    then replaced whole; the round's lock keeps other writers out meanwhile.
    """
    with replace_folder(folder) as staging:
        if folder.exists():
            link_entries(folder, staging, [e.name for e in sorted(folder.iterdir())
                                           if not e.name.startswith((STEM, "."))])
        for name, data in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)  # open() applies the umask, as for any file the user creates


def render(report: Report) -> dict[str, bytes]:
    """Every output file of the report, by path relative to dist/remiss/ROUND/ (nothing written yet).

    Ordered for two cores, the PDF first (typst is the longest single step and runs outside the GIL): the
    summary, its charts (SVG) and the comments, then typst starts; the web page is written meanwhile and,
    once the PNGs are rendered and the PDF's pages known, the Word file, while the xlsx is written here.
    """
    builder = Builder(report)
    blocks = builder.summary()
    builder.draw_charts()  # SVG: what the PDF needs
    blocks += builder.comments()
    pub = _publication(report, blocks, builder.toc)
    with ThreadPoolExecutor(max_workers=3) as pool:
        laid = pool.submit(publication.pdf_and_pages, replace(pub, blocks=_lower(blocks, "typst", builder)))
        html = pool.submit(publication.html_page, replace(pub, blocks=_lower(blocks, "html", builder)))
        list(pool.map(lambda chart: chart.png, builder.charts.values()))  # typst, outside the GIL
        docx_blocks = _lower(blocks, "docx", builder)
        word = pool.submit(lambda: publication.docx(replace(pub, blocks=docx_blocks), laid.result()[1]))
        out = {f"{STEM}.xlsx": _xlsx(report)}
        out.update({f"{STEM}.html": html.result(), f"{STEM}.pdf": laid.result()[0], f"{STEM}.docx": word.result()})
    for name, data in _web_files(report, builder).items():
        out[f"{FILES_DIR}/{name}"] = data
    return out


@writes_round("report")
def write_report(sources: Path, round_id: str, dist: Path, *, against: str | None = None) -> ReportResult:
    """Write dist/remiss/ROUND/remissammanstallning.{docx,pdf,html,xlsx} and its files folder."""
    started = time.perf_counter()
    report = collect(sources, round_id, against=against)
    files = render(report)
    folder = dist / "remiss" / round_id
    _write_report_files(folder, files)
    written = [folder / FILES_DIR] + [folder / f"{STEM}.{ext}" for ext in ("xlsx", "docx", "pdf", "html")]
    notes = []
    if report.trace is not None and not (dist / report.trace.folder).is_dir():
        notes.append(f"the redline the report links to is not built: run `{report.trace.redline_command}`")
    counts = report.status_counts()
    return ReportResult(round_id, tuple(written), len(report.entries), counts[None], report.answers,
                        time.perf_counter() - started, tuple(notes))
