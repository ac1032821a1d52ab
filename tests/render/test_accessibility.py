"""Every HTML page the tool writes meets WCAG 2.2 AA on a desktop and on a phone, judged by axe-core in Chromium.

The pages are the real ones, written as `make` and `avtal remiss pack` write them: the web edition (documents,
index, glossary), the redline pages and the ändringsförteckning, the remissammanställning and the sändlista.
axe-core judges them at 1280 and 320 CSS px, and the laid-out width shows whether they reflow (WCAG 1.4.10).
To see the figures: `CI=true .venv/bin/pytest -q -s tests/render/test_accessibility.py`.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from avtal.cli import main
from avtal.render.site import scrolling_tables

from ..clients import AXE_WIDTHS, axe
from ..remiss.forms import packed
from .conftest import ROOT, SOURCES

ROUND, NEXT = "remiss-2025", "forslag-2025-08"
REDLINE = f"redline/{ROUND}--{NEXT}"


@pytest.fixture(scope="session")
def site(dist: Path, corpus, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every HTML page, by its path under dist/: the web edition, a redline, the report, the sändlista and remisslista."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(dist / "web", root / "web")
    for argv in (["redline", ROUND, NEXT, "--round", ROUND], ["remiss", "report", ROUND, "--against", NEXT]):
        assert main(["--sources", str(SOURCES), *argv, "--dist", str(root)]) == 0, argv
    for name in ("sandlista.html", "remisslista.html"):  # the pack's own pages
        shutil.copy(packed(ROUND).dist / "remiss" / ROUND / name, root / "remiss" / ROUND / name)
    pages = {p.relative_to(root).as_posix(): p for p in sorted(root.glob("**/*.html"))}
    changed = [d for d in corpus.documents if (root / REDLINE / f"{d.id}.html").is_file()]
    expected = {"web/index.html", "web/begrepp.html", *(f"web/{d.id}.html" for d in corpus.documents),
                *(f"{REDLINE}/{d.id}.html" for d in changed), f"{REDLINE}/andringsforteckning.html",
                f"remiss/{ROUND}/remissammanstallning.html", f"remiss/{ROUND}/sandlista.html",
                f"remiss/{ROUND}/remisslista.html"}
    assert changed and set(pages) == expected, sorted(set(pages) ^ expected)
    return pages


@pytest.fixture(scope="session")
def judged(site: dict[str, Path]) -> dict[tuple[str, int], dict]:
    """axe-core's verdict and the laid-out width of every page at every width (one browser for all)."""
    names = {p.resolve().as_uri(): name for name, p in site.items()}
    records = {(names[r["url"]], r["width"]): r for r in axe(list(site.values()), AXE_WIDTHS)}
    assert set(records) == {(name, w) for name in site for w in AXE_WIDTHS}
    for (name, width), r in sorted(records.items()):
        print(f"{name:60} {width:5} px  scrollWidth {r['scrollWidth']:5}  violations "
              f"{sum(len(v['nodes']) for v in r['violations'])}")
    return records


@pytest.mark.client
def test_axe_core_finds_no_wcag_2_2_aa_violation_on_any_page_at_any_width(judged):
    found = [f"{name} at {width} px: {v['id']} ({v['help']}) on {v['nodes'][:3]}"
             for (name, width), r in sorted(judged.items()) for v in r["violations"]]
    assert found == []


@pytest.mark.client
def test_no_page_is_wider_than_a_320_px_phone(judged):
    """WCAG 1.4.10 Reflow: nothing needs sideways scrolling of the page at 320 CSS px (nor at 1280)."""
    too_wide = {(name, width): r["scrollWidth"] for (name, width), r in judged.items() if r["scrollWidth"] > width}
    assert too_wide == {}


class Tables(HTMLParser):
    """Each <table> with the element around it, and every element id with its tag."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.tables: list[dict[str, str | None]] = []  # the attributes of each table's parent
        self.ids: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids[a["id"]] = tag
        if tag == "table":
            self.tables.append(self.stack[-1][1] if self.stack else {})
        if tag not in ("br", "col", "img", "input", "meta", "link", "hr", "wbr"):
            self.stack.append((tag, a))

    def handle_startendtag(self, tag, attrs):  # <col ... />: no content, nothing to close
        a = dict(attrs)
        if a.get("id"):
            self.ids[a["id"]] = tag

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass


def test_every_table_scrolls_in_its_own_focusable_region_labelled_by_its_caption(site):
    count = 0
    for name, path in site.items():
        page = Tables(path.read_text(encoding="utf-8"))
        for parent in page.tables:
            count += 1
            assert parent.get("role") == "region" and parent.get("tabindex") == "0", (name, parent)
            assert page.ids.get(parent.get("aria-labelledby") or "") == "caption", (name, parent)
    assert count >= 20  # the documents' tables, the redline's, the report's and the sändlista's


def test_a_table_without_a_caption_is_still_a_named_region_and_a_caption_keeps_its_own_id():
    html = ('<table><tr><td>a</td></tr></table>'
            '<table class="x"><caption class="c" id="egen">Egen</caption><tr><td>b</td></tr></table>'
            '<table><caption>Tredje</caption><tr><td>c</td></tr></table>')
    page = Tables(scrolling_tables(html))
    assert [(t.get("role"), t.get("tabindex"), t.get("aria-label"), t.get("aria-labelledby")) for t in page.tables] \
        == [("region", "0", "Tabell", None), ("region", "0", None, "egen"), ("region", "0", None, "tabell:3")]
    assert page.ids == {"egen": "caption", "tabell:3": "caption"}


def test_the_style_sheet_lets_a_wide_table_scroll_and_not_the_page():
    css = (ROOT / "templates" / "web" / "style.css").read_text(encoding="utf-8")
    assert re.search(r"\.table-scroll\s*\{[^}]*overflow-x:\s*auto", css)


@pytest.mark.client
def test_the_contents_are_folded_on_a_phone_and_open_beside_the_text_on_a_desktop(site, chromium):
    for name in ("web/huvudavtal.html", "web/begrepp.html", f"{REDLINE}/huvudavtal.html",
                 f"remiss/{ROUND}/remissammanstallning.html"):
        url = site[name].as_uri()
        for width, is_open in ((320, False), (1280, True)):
            dom = chromium.run(f"--window-size={width},900", "--dump-dom", url).stdout.decode("utf-8")
            details = re.search(r'<nav class="toc"[^>]*>\s*<details\b([^>]*)>\s*<summary>Innehåll</summary>', dom)
            assert details, f"{name}: no <details> with a summary inside the contents"
            assert ("open" in details.group(1)) == is_open, (name, width)


class Outside(HTMLParser):
    """The text of a page that is in no landmark (header, nav, main, footer), scripts and the skip link aside."""

    LANDMARKS = ("header", "nav", "main", "footer", "script", "style", "title")

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = False
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in self.LANDMARKS:
            self.depth += 1
        self.skip = "skip-link" in (dict(attrs).get("class") or "")

    def handle_endtag(self, tag):
        if tag in self.LANDMARKS:
            self.depth -= 1
        self.skip = False

    def handle_data(self, data):
        if not self.depth and not self.skip and data.strip():
            self.text.append(data.strip())


def test_all_text_is_inside_a_landmark_the_draft_banner_too(site):
    """axe's `region` rule (a best practice, outside the WCAG tags): a screen reader's landmark list reaches it all."""
    assert "web/huvudavtal.html" in site and "texten är inte beslutad" in site["web/huvudavtal.html"].read_text()
    outside = {name: Outside(path.read_text(encoding="utf-8")).text for name, path in site.items()}
    assert {name: text for name, text in outside.items() if text} == {}


# ---- focus indicator contrast (WCAG 2.4.7 / 1.4.11: at least 3:1 against what is next to it) ----

def luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of #rgb or #rrggbb."""
    hex_ = colour.lstrip("#")
    if len(hex_) == 3:
        hex_ = "".join(c * 2 for c in hex_)
    channels = [int(hex_[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#767676", "#fff") == pytest.approx(4.54, abs=0.01)  # the known lightest AA grey on white
    assert contrast("#f2a900", "#fff") == pytest.approx(2.0, abs=0.05)  # the old focus colour: too faint


def rgb(colour: str) -> str:
    """A computed colour, "rgb(158, 79, 0)", as #9e4f00."""
    r, g, b = (int(c) for c in re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, 1)?\)", colour).groups())
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.mark.client
def test_every_element_reached_with_tab_shows_an_outline_with_3_to_1_in_chromium(judged):
    """The first elements Tab reaches on every page at both widths, as Chromium draws them: 5.88:1 on white."""
    seen, faint = 0, []
    for (name, width), r in sorted(judged.items()):
        stops = [f for f in r["focus"] if f["element"] != "body"]  # past the last stop the focus leaves the page
        assert stops, f"{name} at {width} px: nothing to reach with Tab"
        for f in stops:
            seen += 1
            ratio = contrast(rgb(f["outlineColor"]), rgb(f["background"]))
            if f["outlineStyle"] == "none" or float(f["outlineWidth"].removesuffix("px")) < 2 or ratio < 3:
                faint.append((name, width, f["element"], f["outlineStyle"], f["outlineWidth"], round(ratio, 2)))
    assert seen >= 2 * len(judged) and faint == []


def style_sheets(site: dict[str, Path]) -> dict[str, str]:
    """The CSS of every page kind: the web edition's (plus the report's rules) and the sändlista's own."""
    report = site[f"remiss/{ROUND}/remissammanstallning.html"].parent / "remissammanstallning-filer" / "style.css"
    sandlista = site[f"remiss/{ROUND}/sandlista.html"].read_text(encoding="utf-8")
    return {"web": (site["web/index.html"].parent / "assets" / "style.css").read_text(encoding="utf-8"),
            "remissammanställning": report.read_text(encoding="utf-8"),
            "sändlista": re.search(r"<style>(.*?)</style>", sandlista, re.S).group(1)}


def resolve(css: str, value: str) -> str:
    """A colour value with var(--name) replaced by the custom property's value in the same sheet."""
    var = re.fullmatch(r"var\((--[\w-]+)\)", value.strip())
    if var:
        value = re.search(rf"{var.group(1)}:\s*([^;}}]+)", css).group(1)
    return value.strip()


def test_the_focus_outline_has_at_least_3_to_1_against_every_background_on_every_page(site):
    """Computed from the style sheets: the outline (#9e4f00) against each background a focused control can be on.

    web edition and remissammanställning: 5.88:1 on #fff (page, search results, buttons), 5.27:1 on #eef3f8 (table
    headings), 5.03:1 on #fbe9eb (draft banner, deletions), 5.24:1 on #e8f5ec (insertions), 5.23:1 on #fff3b0
    (search marks), 5.47:1 on #f4f7fa (proposals); sändlista: 5.88:1 on white, 4.65:1 on #dce6f0 (headings).
    The old outline, #f2a900, had 2.01:1 on white.
    """
    ratios = {}
    for sheet, css in style_sheets(site).items():
        outlines = re.findall(r":focus-visible\s*\{[^}]*outline:\s*\d+px\s+solid\s+([^;}]+)", css)
        assert outlines, f"{sheet}: no focus outline"
        backgrounds = set(re.findall(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})\b", css)) | {"#fff"}
        for outline in outlines:
            for background in backgrounds:
                ratios[(sheet, resolve(css, outline), background.lower())] = round(contrast(resolve(css, outline),
                                                                                           background), 2)
    print("\n".join(f"{sheet}: {fg} on {bg}: {ratio}:1" for (sheet, fg, bg), ratio in sorted(ratios.items())))
    assert len(ratios) >= 8
    assert {key: ratio for key, ratio in ratios.items() if ratio < 3} == {}
