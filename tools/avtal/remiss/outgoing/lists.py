"""The round's lists beside the packages: manifest.csv, the sändlista and the remisslista (CSV, and HTML to read).

The remisslista is also what the missiv prints (`remisslista_context`).
"""

from __future__ import annotations

import csv
import html
import io
from typing import Any, Callable

from ...model.remiss import Addressee, RoundInfo
from ...render import wording
from ...render.web import scrolling_tables

MANIFEST = "manifest.csv"
MANIFEST_HEADER = ("party", "name", "email", "email_placeholder", "file", "bytes", "sha256")
SANDLISTA = "sandlista"
SANDLISTA_HEADER = ("party", "name", "email", "email_placeholder", "zip", "bytes", "sha256")
REMISSLISTA = "remisslista"
REMISSLISTA_HEADER = ("id", "name", "group", "party", "name_placeholder", "email", "email_placeholder")
# How each kind of non-party remissinstans is grouped in the remisslista.
OTHER_GROUP = {"samverkansorgan": "Kommunernas samverkansorgan",
               "brukarorganisation": "Brukar- och anhörigorganisationer (16 kap. 3 § hälso- och sjukvårdslagen)",
               "anhörigorganisation": "Brukar- och anhörigorganisationer (16 kap. 3 § hälso- och sjukvårdslagen)"}

def remisslista(info: RoundInfo) -> list[tuple[str, bool, list[Addressee]]]:
    """Who the remiss goes to, as the missiv and remisslista.html list it: (group heading, parties?, members).

    The region, the municipalities per kommunalförbund, then the remissinstanser that are not parties:
    the kommunalförbund, VästKom, the brukar- and anhörigorganisationer.
    """
    book = info.book
    out: list[tuple[str, bool, list[Addressee]]] = []
    outside = [p for p in info.recipients if not p.kommunalforbund]
    if outside:
        out.append(("Region" if all(p.kind == "region" for p in outside) else "Parter utan kommunalförbund", True,
                    list(outside)))
    for g in book.groups:
        members = [p for p in info.recipients if p.kommunalforbund == g.id]
        if members:
            out.append((f"Kommuner i {g.name}", True, members))
    groups = [x for x in info.others if x in book.groups]
    if groups:
        out.append(("Kommunalförbund", False, groups))
    for heading in dict.fromkeys(OTHER_GROUP.values()):
        members = [x for x in info.others if x not in book.groups and OTHER_GROUP[x.kind] == heading]  # type: ignore
        if members:
            out.append((heading, False, members))
    return out


def remisslista_context(info: RoundInfo) -> list[dict[str, Any]]:
    """The remisslista for the templates: one entry per group, its members' names joined (examples marked)."""
    return [{"group": heading, "party": parties,
             "members": ", ".join(x.name + (" (exempel)" if getattr(x, "name_placeholder", False) else "")
                                  for x in members)}
            for heading, parties, members in remisslista(info)]

def _csv(rows: list[tuple]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def round_lists(info: RoundInfo, zip_name: Callable[[Addressee], str],
                per_party: list[list[tuple[str, int, str]]]) -> dict[str, bytes]:
    """File name → bytes of every list, from each addressee's (file, bytes, sha256) rows."""
    manifest: list[tuple] = [MANIFEST_HEADER]
    sandlista: list[tuple] = [SANDLISTA_HEADER]
    for party, rows in zip(info.addressees, per_party):
        flag = "true" if party.email_placeholder else "false"
        for file, size, sha in rows:
            manifest.append((party.id, party.name, party.email, flag, file, size, sha))
        zip_row = next(r for r in rows if r[0] == zip_name(party))
        sandlista.append((party.id, party.name, party.email, flag, zip_row[0], zip_row[1], zip_row[2]))
    out = {MANIFEST: _csv(manifest), f"{SANDLISTA}.csv": _csv(sandlista),
           f"{SANDLISTA}.html": _sandlista_html(info, sandlista[1:]).encode("utf-8")}
    rows: list[tuple] = [REMISSLISTA_HEADER]
    for heading, parties, members in remisslista(info):
        for x in members:
            rows.append((x.id, x.name, heading, "true" if parties else "false",
                         "true" if getattr(x, "name_placeholder", False) else "false", x.email,
                         "true" if x.email_placeholder else "false"))
    out[f"{REMISSLISTA}.csv"] = _csv(rows)
    out[f"{REMISSLISTA}.html"] = _remisslista_html(info).encode("utf-8")
    return out


def _remisslista_html(info: RoundInfo) -> str:
    """The remisslista to publish beside the documents: who is asked, parties and other remissinstanser apart."""
    r = info.source
    e = html.escape
    groups = remisslista(info)
    sections = []
    for parties in (True, False):
        chosen = [(h, m) for h, p, m in groups if p == parties]
        if not chosen:
            continue
        count = sum(len(m) for _, m in chosen)
        title = "Parter" if parties else "Övriga remissinstanser"
        lead = (f"De {count} parterna i avtalet." if parties else
                f"{count} remissinstanser som inte är parter. De kan lämna synpunkter och redovisas för sig i "
                "remissammanställningen.")
        tables = []
        for heading, members in chosen:
            body = "".join(
                f"<tr><th scope=\"row\">{e(x.name)}"
                + (" <strong class=placeholder>(exempel, bekräftas)</strong>" if getattr(x, "name_placeholder", False)
                   else "")
                + f"</th><td>{e(getattr(x, 'represents', None) or _KIND_LABEL.get(getattr(x, 'kind', ''), 'Kommunalförbund'))}"
                + f"</td><td>{e(x.email)}"
                + (" <span class=placeholder>(platshållare)</span>" if x.email_placeholder else "")
                + "</td></tr>\n" for x in members)
            tables.append(f"""<table>
<caption>{e(heading)} ({len(members)})</caption>
<thead><tr><th scope="col">Remissinstans</th><th scope="col">Företräder</th><th scope="col">E-post</th></tr></thead>
<tbody>
{body}</tbody>
</table>""")
        sections.append(f'<section aria-labelledby="{"parter" if parties else "ovriga"}">\n'
                        f'<h2 id="{"parter" if parties else "ovriga"}">{title} ({count})</h2>\n<p>{lead}</p>\n'
                        + "\n".join(tables) + "\n</section>")
    examples = sum(1 for x in info.addressees if getattr(x, "name_placeholder", False))
    note = (f"<p><strong>{examples} organisationer är exempel</strong> som arbetsgruppen ska bekräfta eller ersätta "
            "innan remissen skickas.</p>\n" if examples else "")
    main = f"""<h1>Remisslista</h1>
<p>{e(r.title)}. Remissen skickades den {e(wording.long_date(r.sent))}; sista svarsdag är den
{e(wording.long_date(r.deadline))}. Den går till {len(info.recipients)} parter och {len(info.others)} övriga
remissinstanser.</p>
{note}{chr(10).join(sections)}"""
    header = f"<header><p>{e(r.sender.organisation)} · Diarienummer {e(r.diarienummer)}</p></header>\n"
    return _list_page(f"Remisslista – {r.title}", header, main)


_KIND_LABEL = {"region": "Part (region)", "kommun": "Part (kommun)", "samverkansorgan": "Samverkansorgan"}


def _sandlista_html(info: RoundInfo, rows: list[tuple]) -> str:
    """The sändlista to read and print: who gets which package, placeholder addresses marked."""
    r = info.source
    e = html.escape
    placeholders = sum(1 for row in rows if row[3] == "true")
    def size(n: int) -> str:
        return f"{n:,}".replace(",", "\u00a0")

    body = "".join(
        f"<tr><td>{e(row[1])}</td><td><code>{e(row[0])}</code></td><td>{e(row[2])}"
        + (" <strong class=placeholder>(platshållare)</strong>" if row[3] == "true" else "")
        + f"</td><td><code>{e(row[4])}</code></td><td class=num>{size(row[5])}</td>"
        f"<td><code class=sha>{e(row[6])}</code></td></tr>\n" for row in rows)
    note = (f"<p><strong>{placeholders} av {len(rows)} adresser är platshållare</strong> (domänen .example) och "
            "måste ersättas med registratorernas riktiga adresser i sources/parter.yaml innan remissen skickas.</p>"
            if placeholders else "")
    table = f"""<table>
<caption>{len(rows)} mottagare och deras paket</caption>
<thead><tr><th scope="col">Part</th><th scope="col">Id</th><th scope="col">E-post</th><th scope="col">Paket</th>
<th scope="col">Byte</th><th scope="col">SHA-256</th></tr></thead>
<tbody>
{body}</tbody>
</table>"""
    main = f"""<h1>Sändlista {e(wording.round_name(r))}</h1>
<p>{e(r.title)}<br>Diarienummer {e(r.diarienummer)} · skickas {e(wording.long_date(r.sent))} · svar senast
{e(wording.long_date(r.deadline))}</p>
{note}
{table}"""
    return _list_page(f"Sändlista {wording.round_name(r)}", "", main)


# The web edition's reflow and focus rules (templates/web/style.css) for the round's own list pages:
# tables scroll in their own focusable region, not the page; focus outline 5.9:1 on white.
_LIST_STYLE = """body{font-family:Lato,Arial,sans-serif;margin:2em;color:#1a1a1a;max-width:60em;overflow-wrap:break-word}
h1,h2{color:#003a6e}@media (max-width:30em){body{margin:1em}}
:focus-visible{outline:3px solid #9e4f00;outline-offset:2px}.table-scroll{overflow-x:auto;margin:0 0 1.5em}
@media print{.table-scroll{overflow:visible}}
table{border-collapse:collapse}caption{text-align:left;font-weight:bold;padding:.3em 0}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}thead th{background:#dce6f0}
tbody th{font-weight:normal}.num{text-align:right}.sha{display:block;min-width:14em;font-size:.75em;word-break:break-all}
.placeholder{color:#a30d22}"""


def _list_page(title: str, header: str, main: str) -> str:
    """A standalone page of the round (sändlista, remisslista): lang, landmarks, tables in scrolling regions."""
    return f"""<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_LIST_STYLE}</style></head>
<body>
{header}<main>
{scrolling_tables(main)}
</main>
</body>
</html>
"""
