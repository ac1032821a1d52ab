"""The web edition's frame: the page template around every page's text, its tables made to reflow, its files.

Works offline straight from the folder: no CDN, fonts and scripts alongside,
the search index loaded as a script (file:// pages cannot fetch JSON).
"""

from __future__ import annotations

import itertools
import re
from html import escape
from pathlib import Path
from string import Template

from . import wording
from .house import WEB_TEMPLATES
from .typeset import font_paths

FONTS = ("Lato-Regular.ttf", "Lato-Italic.ttf", "Lato-Bold.ttf", "Lato-BoldItalic.ttf")
SEARCH_LABEL = "Sök i avtalstexten"


def page(package: str, *, title: str, main: str, toc: str, banner: str = "", body_class: str = "",
         home: str = "index.html", assets: str = "assets", search_label: str = SEARCH_LABEL) -> str:
    """A whole page of the edition `package`; `assets` is where its stylesheet and scripts are, from the page."""
    template = Template((WEB_TEMPLATES / "page.html").read_text(encoding="utf-8"))
    html = template.substitute(
        page_title=escape(f"{title} – {package}" if title != package else package),
        description=escape(title),
        package_title=escape(package),
        status_banner=banner,
        toc=toc,
        main=scrolling_tables(main),
        footer=escape(f"{wording.GROUP}. Webbversion genererad från avtalets källtext."),
        body_class=body_class,
        home=home,
    )
    # A page beside other files (the remissammanställning in a round's folder) keeps its own in `assets`,
    # and its search box may search something else than the agreement's text.
    swaps = [(f'{kind}="assets/{name}"', f'{kind}="{assets}/{name}"') for kind, name in
             (("href", "style.css"), ("src", "search-index.js"), ("src", "search.js"))] if assets != "assets" else []
    if search_label != SEARCH_LABEL:
        swaps.append((f">{SEARCH_LABEL}</label>", f">{search_label}</label>"))
    for old, new in swaps:
        assert html.count(old) == 1, f"templates/web/page.html no longer has {old}"
        html = html.replace(old, new)
    return html


_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_CAPTION = re.compile(r"<caption\b([^>]*)>")
_ID = re.compile(r'\bid="([^"]*)"')


def scrolling_tables(html: str) -> str:
    """Each table in its own focusable region labelled by its caption, which scrolls sideways when the table is
    wider than the screen, so the page itself never does (WCAG 1.4.10 Reflow) and a keyboard can scroll it."""
    numbers = itertools.count(1)

    def wrap(match: re.Match[str]) -> str:
        table, number = match.group(0), next(numbers)
        caption = _CAPTION.search(table)
        if caption is None:
            label = 'aria-label="Tabell"'
        else:
            known = _ID.search(caption.group(1))
            ident = known.group(1) if known else f"tabell:{number}"
            if not known:
                table = f'{table[:caption.start()]}<caption id="{ident}"{caption.group(1)}>{table[caption.end():]}'
            label = f'aria-labelledby="{ident}"'
        return f'<div class="table-scroll" role="region" tabindex="0" {label}>\n{table}\n</div>'

    return _TABLE.sub(wrap, html)


def static_assets() -> dict[str, bytes]:
    """Files copied as they are: stylesheet, search script, fonts."""
    assets = {
        "assets/style.css": (WEB_TEMPLATES / "style.css").read_bytes(),
        "assets/search.js": (WEB_TEMPLATES / "search.js").read_bytes(),
    }
    for folder in font_paths():
        for name in FONTS:
            assets[f"assets/fonts/{name}"] = (Path(folder) / name).read_bytes()
    return assets
