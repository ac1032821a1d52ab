"""The web edition: structure read with html.parser, links and search checked in a real Chromium."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from avtal.render.wording import clause_text

from ..clients import typed_search

STRUCTURE = ("header", "nav", "main", "footer")


class Page(HTMLParser):
    """What a test needs from one HTML document: lang, headings, landmarks, ids, links, scripts, styles."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.headings: list[int] = []
        self.landmarks: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.forms: list[dict[str, str | None]] = []
        self.inputs: list[dict[str, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag in STRUCTURE:
            self.landmarks.append((tag, a))
        elif tag == "a" and a.get("href") is not None:
            self.links.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "link":
            self.stylesheets.append(a.get("href") or "")
        elif tag == "form":
            self.forms.append(a)
        elif tag == "input":
            self.inputs.append(a)


def pages(web: Path) -> list[Path]:
    return sorted(web.glob("*.html"))


@pytest.fixture(scope="session")
def web(dist: Path) -> Path:
    return dist / "web"


@pytest.fixture(scope="session")
def parsed(web: Path) -> dict[str, Page]:
    return {p.name: Page(p.read_text(encoding="utf-8")) for p in pages(web)}


@pytest.fixture(scope="session")
def browser_doms(web: Path, chromium) -> dict[str, Page]:
    """Every page as Chromium has built its DOM (after scripts ran), parsed."""
    urls = {p.name: p.as_uri() for p in pages(web)}
    doms = chromium.dump_doms(list(urls.values()))
    return {name: Page(doms[url]) for name, url in urls.items()}


def test_the_web_edition_has_an_index_the_glossary_and_one_page_per_document(corpus, web):
    expected = {"index.html", "begrepp.html", *(f"{d.id}.html" for d in corpus.documents)}
    assert {p.name for p in pages(web)} == expected


# ---- structure (html.parser on the files) ---------------------------------

def test_every_page_is_swedish_with_one_h1_and_no_skipped_heading_level(parsed):
    for name, page in parsed.items():
        assert page.lang == "sv", name
        assert page.headings.count(1) == 1 and page.headings[0] == 1, (name, page.headings[:5])
        for before, after in zip(page.headings, page.headings[1:]):
            assert after <= before + 1, f"{name}: h{before} followed by h{after}"


def test_document_pages_have_a_heading_per_clause_one_level_below_the_title(corpus, parsed):
    for doc in corpus.documents:
        page = parsed[f"{doc.id}.html"]
        assert page.headings == [1] + [c.level + 1 for c in doc.clauses()], doc.id


def test_every_page_has_the_landmarks(parsed):
    for name, page in parsed.items():
        tags = [tag for tag, _ in page.landmarks]
        for landmark in STRUCTURE:
            assert landmark in tags, f"{name}: no <{landmark}>"
        assert tags.count("main") == 1, name
        assert all(a.get("aria-label") for tag, a in page.landmarks if tag == "nav"), f"{name}: nav without aria-label"


def test_every_clause_id_is_an_element_id_and_ids_are_unique(corpus, parsed):
    for doc in corpus.documents:
        page = parsed[f"{doc.id}.html"]
        assert {c.id for c in doc.clauses()} <= set(page.ids), doc.id
    for name, page in parsed.items():
        assert len(page.ids) == len(set(page.ids)), f"{name}: duplicate ids"


def test_every_page_has_the_search_form_and_its_scripts(parsed):
    for name, page in parsed.items():
        assert any(form.get("role") == "search" for form in page.forms), name
        assert any(i.get("name") == "q" and i.get("type") == "search" for i in page.inputs), name
        assert page.scripts == ["assets/search-index.js", "assets/search.js"], name


def test_pages_work_offline_no_scripts_or_styles_from_the_network(web, parsed):
    for name, page in parsed.items():
        for ref in page.scripts + page.stylesheets:
            assert not re.match(r"(https?:)?//", ref), f"{name}: {ref} needs the network"
            assert (web / ref).is_file(), f"{name}: {ref} is missing"
    css = (web / "assets" / "style.css").read_text(encoding="utf-8")
    assert "@media print" in css
    for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
        assert not re.match(r"(https?:)?//", url), url
        assert (web / "assets" / url).is_file(), url


# ---- links, in the browser's DOM -----------------------------------------

@pytest.mark.client
def test_every_internal_link_reaches_an_existing_page_and_anchor(web, parsed, browser_doms):
    """Every href on every page (as written) against the ids in the target page's DOM (as Chromium built it)."""
    checked, broken = 0, []
    for name, page in parsed.items():
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            assert not parts.scheme and not parts.netloc, f"{name}: unexpected link {href}"
            target = (web / unquote(parts.path)).resolve() if parts.path else web / name
            checked += 1
            if target.suffix in (".docx", ".pdf"):
                if not target.is_file():
                    broken.append((name, href, "file missing"))
                continue
            if target.parent != web.resolve() and target.parent != web:
                broken.append((name, href, "outside the web folder"))
            elif target.name not in browser_doms:
                broken.append((name, href, "page missing"))
            elif parts.fragment and unquote(parts.fragment) not in browser_doms[target.name].ids:
                broken.append((name, href, "no element with that id"))
    assert checked > 100
    assert broken == []


def test_download_links_point_to_the_word_and_pdf_files(corpus, web, parsed):
    for doc in corpus.documents:
        links = parsed[f"{doc.id}.html"].links
        for ext in ("docx", "pdf"):
            assert f"../{doc.id}.{ext}" in links
            assert (web.parent / f"{doc.id}.{ext}").is_file()


@pytest.mark.client
def test_browser_dom_keeps_every_clause_id(corpus, browser_doms):
    for doc in corpus.documents:
        assert {c.id for c in doc.clauses()} <= set(browser_doms[f"{doc.id}.html"].ids)


# ---- search, typed into the search box in the browser ----------------------

def haystacks(corpus) -> dict[str, str]:
    """What a reader searches, per clause as its search result links it: 'number title text', lower case."""
    return {f"{doc.id}.html#{clause.id}": f"{clause.label} {clause.title} {clause_text(corpus, clause)}".lower()
            for doc in corpus.documents for clause in doc.clauses()}


def containing(corpus, *words: str) -> set[str]:
    """The clauses whose text has every one of `words` (lower case, as written in the sources)."""
    return {href for href, hay in haystacks(corpus).items() if all(w in hay for w in words)}


def titled(corpus, word: str) -> set[str]:
    return {f"{doc.id}.html#{c.id}" for doc in corpus.documents for c in doc.clauses() if word in c.title.lower()}


def _a_word_in_one_clause(corpus) -> tuple[str, str]:
    """A word of 8+ letters whose every prefix of at least its length - 5 (and 4) letters is in one clause only.

    Whatever ending the search takes off the word, it then finds that one clause (deterministic: the first such
    word in sorted order).
    """
    hays = haystacks(corpus)
    words = sorted({w for hay in hays.values() for w in re.findall(r"[a-zåäöé]{8,}", hay)})
    for word in words:
        found = containing(corpus, word[:max(4, len(word) - 5)])
        if len(found) == 1:
            return word, found.pop()
    raise AssertionError("no word occurs in one clause only")


@pytest.fixture(scope="module")
def searched(corpus, web) -> dict[str, dict]:
    """Queries typed into the index page's search box at phone width: what the reader sees for each."""
    word, _ = _a_word_in_one_clause(corpus)
    queries = ["EGENVARD", "egenvård", "kommunerna", f"{word.upper()} {word[:6]}", "xyzzyq"]
    return {r["query"]: r for r in typed_search(web / "index.html", queries, width=320)}


@pytest.mark.client
def test_search_ignores_case_and_accents(corpus, searched):
    expected = containing(corpus, "egenvård")
    assert 2 <= len(expected) <= 20
    for query in ("EGENVARD", "egenvård"):
        hits = searched[query]
        assert sorted(hits["all"]) == sorted(expected), query
        assert hits["count"] == hits["status"] == f"{len(expected)} träffar", query
        assert hits["button"] is None, "every hit is shown at once when there are few"
    assert searched["EGENVARD"]["hrefs"] == searched["egenvård"]["hrefs"]


@pytest.mark.client
def test_search_ranks_clauses_with_the_word_in_their_title_first(corpus, searched):
    for query, word in (("EGENVARD", "egenvård"), ("kommunerna", "kommun")):
        hits = searched[query]["all"]
        in_title = [href in titled(corpus, word) for href in hits]
        assert any(in_title) and not all(in_title), query
        assert in_title == sorted(in_title, reverse=True), f"{query}: a title hit after a text-only hit"


@pytest.mark.client
def test_search_finds_other_inflections_of_a_word(corpus, searched):
    """'kommunerna' finds 'kommunen' and 'kommunens' too; everything it finds has the stem 'kommun'."""
    hits = set(searched["kommunerna"]["all"])
    assert containing(corpus, "kommunen") | containing(corpus, "kommunens") | containing(corpus, "kommunerna") <= hits
    assert hits <= containing(corpus, "kommun")


@pytest.mark.client
def test_search_shows_every_hit_and_says_how_many(corpus, searched):
    hits = searched["kommunerna"]
    total = len(hits["all"])
    assert total > 30 and len(set(hits["all"])) == total
    assert hits["count"] == hits["status"] == f"{total} träffar"
    assert 0 < len(hits["hrefs"]) < total and hits["all"][:len(hits["hrefs"])] == hits["hrefs"]
    assert hits["button"] == f"Visa alla {total} träffar"
    assert hits["focused"] == hits["all"][len(hits["hrefs"])], "the focus goes to the first hit that was hidden"


@pytest.mark.client
def test_search_says_one_hit_and_no_hits_in_swedish(corpus, searched):
    word, href = _a_word_in_one_clause(corpus)
    one = searched[f"{word.upper()} {word[:6]}"]
    assert one["count"] == one["status"] == "1 träff"
    assert one["all"] == [href]
    none = searched["xyzzyq"]
    assert none["count"] == none["status"] == "Inga träffar" and none["all"] == []


@pytest.mark.client
def test_search_results_fit_a_phone(searched):
    assert {query: r["scrollWidth"] for query, r in searched.items() if r["scrollWidth"] > 320} == {}


@pytest.mark.client
def test_a_query_in_the_address_is_searched_on_load(corpus, web, chromium):
    dom = chromium.dump_dom(f"{(web / 'index.html').as_uri()}?q={quote('Egenvard')}")
    results = dom[dom.index('id="sokresultat"'):]
    assert f"{len(containing(corpus, 'egenvård'))} träffar" in results
    assert all(f'href="{href}"' in results for href in containing(corpus, "egenvård"))


# ---- screenshot -------------------------------------------------------------

@pytest.mark.client
def test_screenshot_of_the_huvudavtal_page(web, chromium, tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    path = chromium.screenshot((web / "huvudavtal.html").as_uri(), folder / "huvudavtal.png")
    print(f"screenshot: {path}")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000, "a page of text, not a blank image"


# ---- the cited provision's text on demand --------------------------------------------

class Details(HTMLParser):
    """Each <details class="lagtext">: its summary, its text, and whether the summary is its first child."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.found: list[dict] = []
        self.current: dict | None = None
        self.in_summary = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "details" and "lagtext" in (dict(attrs).get("class") or ""):
            self.current = {"summary": "", "text": "", "children": []}
            self.found.append(self.current)
        elif self.current is not None:
            self.current["children"].append(tag)
            self.in_summary = tag == "summary"

    def handle_endtag(self, tag: str) -> None:
        if tag == "summary":
            self.in_summary = False
        elif tag == "details":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.current["summary" if self.in_summary else "text"] += data


def test_a_cited_section_can_be_read_on_the_page_in_a_details_with_a_summary(web):
    found = Details((web / "psykisk-funktionsnedsattning.html").read_text(encoding="utf-8")).found
    summaries = [d["summary"] for d in found]
    assert "Lagtext: 16 kap. 3 § hälso- och sjukvårdslagen (2017:30)" in summaries
    hsl = found[summaries.index("Lagtext: 16 kap. 3 § hälso- och sjukvårdslagen (2017:30)")]
    # The statute's own words (HSL 16 kap. 3 § as amended by SFS 2024:90), not a paraphrase.
    assert "3. barn och unga som vårdas utanför det egna hemmet eller är placerade i ett skyddat boende." in hsl["text"]
    assert "Lydelse den 1 januari 2027" in hsl["text"]
    assert all(d["children"][0] == "summary" for d in found), "a <details> must start with its <summary>"


def test_a_details_never_sits_inside_a_paragraph(web):
    for page in pages(web):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<p>(?:(?!</p>).)*<details", html, re.S), page.name


def test_word_and_pdf_keep_only_the_citation(dist):
    import zipfile

    with zipfile.ZipFile(dist / "psykisk-funktionsnedsattning.docx") as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    assert "16 kap. 3 § hälso- och sjukvårdslagen" in xml
    assert "Lagtext:" not in xml and "placerade i ett skyddat boende. Om det är möjligt bör" not in xml


@pytest.mark.client
def test_the_opened_statute_texts_pass_axe_and_reflow(web):
    from ..clients import axe

    html = (web / "psykisk-funktionsnedsattning.html").read_text(encoding="utf-8")
    opened = web / "lagtext-oppnad.html"  # beside the page, so its stylesheet and scripts resolve
    opened.write_text(html.replace('<details class="lagtext">', '<details class="lagtext" open>'), encoding="utf-8")
    try:
        records = axe([opened, web / "psykisk-funktionsnedsattning.html"], (1280, 320))
    finally:
        opened.unlink()
    closed = {r["width"]: r["scrollWidth"] for r in records if "lagtext-oppnad" not in r["url"]}
    for record in (r for r in records if "lagtext-oppnad" in r["url"]):
        assert record["violations"] == [], record["violations"]
        # Opened texts wrap within the column: the page is no wider than with them closed (the page's
        # own reflow at 320 px is the layout's business, tested with the rest of the edition).
        assert record["scrollWidth"] <= closed[record["width"]], record
