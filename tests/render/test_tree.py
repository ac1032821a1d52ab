"""TreeBuilder on the minimal sources tree (tests/conftest.py): links, wording and structure per format."""

from __future__ import annotations

import pytest

from avtal.render.tree import TreeBuilder

FORMATS = ("docx", "typst", "html")
EXTENSION = {"docx": "docx", "typst": "pdf", "html": "html"}


@pytest.fixture
def corpus(tree):
    corpus, problems = tree.load()
    assert corpus is not None, [str(p) for p in problems]
    return corpus


def build_tree(corpus, doc_id: str, fmt: str) -> dict:
    return TreeBuilder(corpus, corpus.document(doc_id), fmt).tree()


def text_of(nodes) -> str:
    out: list[str] = []

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("t") == "Str":
                out.append(node["c"])
            elif node.get("t") in ("Space", "SoftBreak"):
                out.append(" ")
            elif node.get("t") == "Link":
                walk(node["c"][1])
            elif node.get("t") in ("Span", "Div"):
                walk(node["c"][1])
            elif node.get("t") == "Header":
                walk(node["c"][2])
            elif "c" in node:
                walk(node["c"])

    walk(nodes)
    return "".join(out)


def find(node, kind: str) -> list[dict]:
    """Every node of one kind, depth first."""
    found = []
    if isinstance(node, list):
        for item in node:
            found.extend(find(item, kind))
    elif isinstance(node, dict):
        if node.get("t") == kind:
            found.append(node)
        for value in node.values():
            found.extend(find(value, kind))
    return found


def links(tree: dict) -> list[tuple[str, str, tuple[str, ...]]]:
    """(url, text, classes) of every Link."""
    return [(n["c"][2][0], text_of(n["c"][1]), tuple(n["c"][0][1])) for n in find(tree["blocks"], "Link")]


# ---- references -------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_reference_within_the_document_links_to_the_clause_anchor(corpus, fmt):
    """{ref:mun.inledning} in munhalsa: section 1 of the same document."""
    assert ("#mun.inledning", "avsnitt 1", ("ref",)) in links(build_tree(corpus, "munhalsa", fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_reference_within_the_huvudavtal_names_the_computed_number(corpus, fmt):
    """{ref:ansvar} from clause 1.1.1: 'avsnitt 2'."""
    assert ("#ansvar", "avsnitt 2", ("ref",)) in links(build_tree(corpus, "huvudavtal", fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_reference_to_another_document_links_to_that_documents_file_in_the_same_format(corpus, fmt):
    """{ref:huvudavtal:inledning.syfte} in munhalsa: clause 1.1 of the Huvudavtal."""
    url = f"huvudavtal.{EXTENSION[fmt]}#inledning.syfte"
    assert (url, "avsnitt 1.1 i Huvudavtal", ("ref",)) in links(build_tree(corpus, "munhalsa", fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_document_reference_links_to_the_file_with_the_document_title(corpus, fmt):
    url = f"huvudavtal.{EXTENSION[fmt]}"
    assert (url, "Hälso- och sjukvårdsavtal", ("docref",)) in links(build_tree(corpus, "munhalsa", fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_term_uses_link_to_the_glossary_entry(corpus, fmt):
    target = "begrepp.html#begrepp:{}" if fmt == "html" else "#begrepp:{}"
    found = links(build_tree(corpus, "huvudavtal", fmt))
    assert (target.format("vard-i-hemmet"), "vården i hemmet", ("term",)) in found  # the inflected form
    assert (target.format("vard-i-hemmet"), "vård i hemmet", ("term",)) in found  # the term itself
    assert (target.format("sip"), "samordnad individuell plan", ("term",)) in found  # in a table cell


@pytest.mark.parametrize("fmt", FORMATS)
def test_statute_citations_are_worded_in_full_and_link_to_the_law(corpus, fmt):
    tree = build_tree(corpus, "huvudavtal", fmt)
    assert ("https://www.riksdagen.se/hsl", "16 kap. 4 § hälso- och sjukvårdslagen (2017:30)", ("lag",)) in links(tree)
    # LSS has no address in statutes.yaml: worded the same, but not a link (an empty link breaks typst).
    lss = "9 § lagen (1993:387) om stöd och service till vissa funktionshindrade"
    assert lss in [text_of(span["c"][1]) for span in find(tree["blocks"], "Span") if "lag" in span["c"][0][1]]
    assert [url for url, _, _ in links(tree) if not url] == []


def test_a_chapter_citation_without_section(corpus):
    """{lag:hsl 16 kap.} in munhalsa."""
    found = links(build_tree(corpus, "munhalsa", "html"))
    assert ("https://www.riksdagen.se/hsl", "16 kap. hälso- och sjukvårdslagen (2017:30)", ("lag",)) in found


def test_external_links_and_emphasis_are_kept(corpus):
    tree = build_tree(corpus, "munhalsa", "html")
    assert ("https://example.org/handbok", "handboken", ()) in links(tree)
    emphasis = [text_of(n["c"]) for n in find(tree["blocks"], "Emph")]
    assert "stöd med vård i hemmet" in emphasis


# ---- structure --------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_every_clause_is_a_header_with_its_level_id_and_number(corpus, fmt):
    doc = corpus.document("huvudavtal")
    headers = [(h["c"][0], h["c"][1][0], text_of(h)) for h in find(build_tree(corpus, "huvudavtal", fmt)["blocks"],
                                                                     "Header")]
    clauses = [(c.level, c.id, f"{c.label} {c.title}") for c in doc.clauses()]
    assert headers[:len(clauses)] == clauses
    assert (3, "inledning.syfte.barn", "1.1.1 Barn och unga") in clauses
    assert (3, "ansvar.region.hjalpmedel", "2.1.3 Hjälpmedel") in clauses


@pytest.mark.parametrize("fmt", ["docx", "typst"])
def test_word_and_pdf_end_with_a_glossary_of_the_terms_used_in_swedish_order(corpus, fmt):
    tree = build_tree(corpus, "huvudavtal", fmt)
    last_header = find(tree["blocks"], "Header")[-1]
    assert (last_header["c"][0], text_of(last_header)) == (1, "Bilaga. Termer och begrepp")
    assert "unnumbered" in last_header["c"][1][1]
    entries = [(s["c"][0][0], text_of(s)) for s in find(tree["blocks"], "Span") if s["c"][0][0].startswith("begrepp:")]
    # huvudavtal uses both terms (sip in a table cell); 's' sorts before 'v'.
    assert entries == [("begrepp:sip", "samordnad individuell plan (SIP)"), ("begrepp:vard-i-hemmet", "vård i hemmet")]
    replaced = [text_of(n["c"]) for n in find(tree["blocks"], "Emph")]
    assert "Ersätter: hemsjukvård." in replaced


def test_the_web_page_has_no_glossary_of_its_own(corpus):
    tree = build_tree(corpus, "huvudavtal", "html")
    assert "Bilaga. Termer och begrepp" not in [text_of(h) for h in find(tree["blocks"], "Header")]
    assert not [s for s in find(tree["blocks"], "Span") if s["c"][0][0].startswith("begrepp:")]


def test_a_glossary_entry_pulls_in_the_terms_its_definition_uses(tree):
    def glossary_anchors():
        corpus, _ = tree.load()
        spans = find(build_tree(corpus, "munhalsa", "docx")["blocks"], "Span")
        return [s["c"][0][0] for s in spans if s["c"][0][0].startswith("begrepp:")]

    tree.edit("documents/munhalsa.yaml", "*stöd med {term:vard-i-hemmet}*", "*stöd i hemmet*")
    assert glossary_anchors() == ["begrepp:sip"]  # munhalsa now uses only sip
    tree.edit("terms.yaml", "Plan som region", "Plan för {term:vard-i-hemmet} som region")
    assert glossary_anchors() == ["begrepp:sip", "begrepp:vard-i-hemmet"]  # sip's definition uses vard-i-hemmet


def test_lists_and_tables(corpus):
    blocks = build_tree(corpus, "huvudavtal", "docx")["blocks"]
    bullets = find(blocks, "BulletList")
    assert [[text_of(item) for item in b["c"]] for b in bullets] == [
        ["en första punkt som fortsätter", "en andra punkt"]]
    (table,) = find(blocks, "Table")
    caption = text_of(table["c"][1][1])
    head = [text_of(cell[4]) for cell in table["c"][3][1][0][1]]
    rows = [[text_of(cell[4]) for cell in row[1]] for row in table["c"][4][0][3]]
    assert caption == "Ansvarsfördelning"
    assert head == ["Insats", "Regionen", "Kommunen"]
    assert rows == [["Bedömning", "Ansvarar", "Medverkar"], ["Planering", "Upprättar samordnad individuell plan",
                                                               "Medverkar"]]


def test_ordered_lists_in_munhalsa(corpus):
    (numbered,) = find(build_tree(corpus, "munhalsa", "html")["blocks"], "OrderedList")
    items = [text_of(item) for item in numbered["c"][1]]
    assert items == ["Den som har en samordnad individuell plan ska få stöd med vård i hemmet enligt handboken.",
                     "Andra steget"]


def test_the_glossary_page_names_the_document_of_every_reference(tree):
    """begrepp.html belongs to no document: a {ref:…} in a definition must name and link its document."""
    from avtal.render.web import render_glossary

    tree.edit("terms.yaml", "Hälso- och sjukvård som ges i den enskildes bostad.",
              "Hälso- och sjukvård som ges i den enskildes bostad, se {ref:inledning.syfte}.")
    corpus, problems = tree.load()
    assert corpus is not None, [str(p) for p in problems]
    target = corpus.clause("inledning.syfte")
    short = corpus.document(target.doc).source.short_title
    html = render_glossary(corpus)
    assert f'href="{target.doc}.html#inledning.syfte"' in html
    assert f"avsnitt {target.label} i {short}" in html
