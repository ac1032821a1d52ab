"""`avtal redline FROM TO`: write dist/redline/FROM--TO/ with the ändringsförteckning and every changed document.

The folder is written into a temporary sibling and swapped in whole, so a
failed or interrupted run leaves the previous redline as it was.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Callable

from ..fsutil import atomic_write_bytes, replace_folder
from ..render import ast, publication, wording
from ..render.build import Once, build_time
from ..render.docx import document_publication
from ..render.publication import Publication, Web
from ..render.site import static_assets
from ..render.web import document_web, search_index
from .diff import META_LABEL, ChangeSet, DocumentChange
from .render import RedlineBuilder, kinds_label, version_names

Notes = dict[str, str]  # clause id → the note on its change

SUMMARY = "andringsforteckning"
SUMMARY_TITLE = "Ändringsförteckning"
HOME = "../../web/index.html"  # the published edition, beside dist/redline/


def folder_name(changes: ChangeSet) -> str:
    return changes.folder


def summary_table(change: DocumentChange, link: bool) -> ast.Node:
    """One row per changed clause: new number, old number, heading, what changed."""
    rows = []
    if change.meta:
        fields = ", ".join(META_LABEL[f] for f in change.meta)
        rows.append([[ast.plain(ast.text("–"))], [ast.plain(ast.text("–"))],
                     [ast.plain(ast.text(f"Dokumentuppgifter ({fields})"))], [ast.plain(ast.text("Ändrad"))]])
    if change.preamble_changed:
        rows.append([[ast.plain(ast.text("–"))], [ast.plain(ast.text("–"))], [ast.plain(ast.text("Inledande text"))],
                     [ast.plain(ast.text("Ändrad"))]])
    for c in change.changes:
        number = ast.text(c.new_number or "–")
        if link:
            number = [ast.link(number, f"#{c.id}")]
        rows.append([[ast.plain(number)], [ast.plain(ast.text(c.old_number or "–"))], [ast.plain(ast.text(c.title))],
                     [ast.plain(ast.text(kinds_label(c.kinds)))]])
    header = [[ast.plain(ast.text(h))] for h in ("Avsnitt", "Tidigare", "Rubrik", "Ändring")]
    return ast.table(ast.text(f"Ändringar i {(change.new or change.old).title}"), header, rows)  # type: ignore[union-attr]


def summary_blocks(changes: ChangeSet, link_docs: str | None) -> list[ast.Node]:
    """The ändringsförteckning: per document its changed clauses, then glossary changes."""
    from_name, to_name = version_names(changes)
    out = [ast.para(ast.text(f"Ändringar i {to_name} jämfört med {from_name}. Avsnitt som bara "
                             "fått nytt nummer anges med både gammalt och nytt nummer."))]
    for change in changes.documents:
        doc = change.new or change.old
        title = ast.text(doc.title)  # type: ignore[union-attr]
        if link_docs is not None and change.changes:
            title = [ast.link(title, f"{doc.id}.{link_docs}")]  # type: ignore[union-attr]
        out.append(ast.header(1, title, ast.attr(f"andringar-{doc.id}", ["unnumbered"])))  # type: ignore[union-attr]
        if not change.touched:
            out.append(ast.para(ast.text("Inga ändringar.")))
        else:
            counts = {}
            for c in change.changes:
                label = kinds_label(c.kinds)
                counts[label] = counts.get(label, 0) + 1
            out.append(ast.para(ast.text("; ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + ".")))
            out.append(summary_table(change, link=False))
    if changes.terms:
        out.append(ast.header(1, ast.text("Termer och begrepp"), ast.attr("andringar-termer", ["unnumbered"])))
        words = {"new": "Ny term", "deleted": "Borttagen term", "renamed": "Ny benämning", "changed": "Ändrad definition"}
        items = []
        for t in changes.terms:
            text = f"{words[t.kind]}: {t.new or t.old}" + (f" (tidigare {t.old})" if t.kind == "renamed" else "")
            items.append([ast.plain(ast.text(text))])
        out.append(ast.bullet_list(items))
    return out


class _RedlineBody(RedlineBuilder):
    """PDF and web show this document's change summary first; Word does not (it would be untracked text)."""

    summary = True

    def body(self) -> list[ast.Node]:
        out: list[ast.Node] = []
        if self.summary and self.fmt != "docx" and self.change.touched:
            out.append(ast.header(1, ast.text("Ändringar i detta dokument"), ast.attr("andringar", ["unnumbered"])))
            out.append(summary_table(self.change, link=True))
        if out and self.fmt is None:
            out = [ast.only(out, "typst", "html")]
        return out + super().body()


def write_redline(changes: ChangeSet, dist: Path, notes: Notes | Callable[[], Notes] | None = None, *,
                  version: str | None = None) -> Path:
    """Write the whole redline folder; returns it.

    `notes` (clause id → text) annotate changed clauses: a Word comment, a note in PDF and web. Given as a
    function (a future's result), they are asked for only when a document's tree is built: the
    ändringsförteckning, which needs none, runs first, so reading the remiss record behind them overlaps
    typst instead of going before everything.
    `version` names the frozen TO version in the Word files' properties: with every change accepted they
    read as it, so `avtal apply` knows which version an edited redline was made from.
    """
    target = dist / "redline" / folder_name(changes)
    with replace_folder(target) as staging:
        _write_all(changes, staging, notes if callable(notes) else lambda: notes or {}, version)
    return target


def _write_all(changes: ChangeSet, out: Path, notes: Callable[[], Notes], version: str | None) -> None:
    when = build_time(changes.new)
    changed = [c for c in changes.documents if c.touched]
    arrow = " → ".join(version_names(changes))
    jobs: list[Callable[[], None]] = [lambda: _write_summary(changes, out, when)]  # needs no notes: first
    for change in changed:
        doc = change.new or change.old
        corpus = changes.new if change.new else changes.old
        title = f"{doc.title}: ändringar {arrow}"  # type: ignore[union-attr]
        header = f"{doc.source.short_title} · ÄNDRINGAR {arrow}"  # type: ignore[union-attr]
        stem = out / doc.id  # type: ignore[union-attr]

        web = document_web(corpus, doc, files="", glossary="../../web/begrepp.html", home=HOME)  # type: ignore[arg-type]
        pub = Once(lambda change=change, doc=doc, corpus=corpus, title=title, header=header, web=web: _publication(
            changes, change, corpus, doc, when, notes, title=title, header=header, version=version, web=web))

        def word(pub=pub, stem=stem) -> None:
            atomic_write_bytes(stem.with_suffix(".docx"), publication.docx(pub(), publication.pages(pub())))

        def pdf(pub=pub, stem=stem) -> None:
            atomic_write_bytes(stem.with_suffix(".pdf"), publication.pdf(pub()))

        def web_page(pub=pub, stem=stem) -> None:
            atomic_write_bytes(stem.with_suffix(".html"), publication.html_page(pub()))

        jobs.extend([pdf, word, web_page])
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda job: job(), jobs))  # list() re-raises the first failure
    notes()  # notes that failed stop the redline here too, before it replaces the last one
    only = {c.id for c in changed}
    atomic_write_bytes(out / "assets" / "search-index.js", search_index(changes.new, only).encode("utf-8"))
    for name, data in static_assets().items():
        atomic_write_bytes(out / name, data)


def _publication(changes: ChangeSet, change: DocumentChange, corpus, doc, when: dt.datetime, notes: Callable[[], Notes],
                 *, title: str, header: str, version: str | None, web: Web) -> Publication:
    """One changed document, its tree built once: Word with tracked changes (its contents' pages from a typst
    layout of the text Word holds), the PDF and web page with the change summary first and notes."""
    builder = _RedlineBody(changes, change, None, when, notes())
    arrow = " → ".join(version_names(changes))
    return document_publication(corpus, doc, when, builder.body(), title=title, header=header, version=version,
                                web=web, spell=builder.spell, tracked=True, status=f"ÄNDRINGAR {arrow}", dated="",
                                draft=False)


def _write_summary(changes: ChangeSet, out: Path, when: dt.datetime) -> None:
    """Word and PDF show the same pages: title page, contents, the summary (so the PDF's pages fill Word's contents)."""
    from_name, to_name = version_names(changes)
    arrow = f"{from_name} → {to_name}"
    title = f"{SUMMARY_TITLE} {arrow}"
    toc = "<ol>" + "".join(f'<li><a href="#andringar-{escape((c.new or c.old).id)}">'  # type: ignore[union-attr]
                           f'{escape((c.new or c.old).source.short_title)}</a></li>'  # type: ignore[union-attr]
                           for c in changes.documents) + "</ol>"
    blocks = summary_blocks(changes, "docx")
    entries = tuple((b["c"][0], b["c"][1][0], ast.stringify(b["c"][2])) for b in blocks if b["t"] == "Header")
    pub = Publication(
        title, summary_blocks(changes, "pdf"), when, kind=SUMMARY_TITLE, info=(("Från", from_name), ("Till", to_name)),
        contents=entries, header=title, short_title=SUMMARY_TITLE, status=arrow, keywords=(from_name, to_name),
        properties={"title": title, "language": "sv-SE", "creator": wording.GROUP, "lastModifiedBy": wording.GROUP,
                    "subject": "Ändringsförteckning"},
        web=Web(changes.new.package.title, toc, body_class="summary", home=HOME, masthead=False))
    pdf, pages = publication.pdf_and_pages(pub)
    atomic_write_bytes(out / f"{SUMMARY}.pdf", pdf)
    atomic_write_bytes(out / f"{SUMMARY}.docx", publication.docx(replace(pub, blocks=blocks), pages))
    atomic_write_bytes(out / f"{SUMMARY}.html", publication.html_page(replace(pub, blocks=summary_blocks(changes, "html"))))
