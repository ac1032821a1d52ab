"""One process, one Word redline: what `avtal redline` does for the huvudavtal's .docx, and nothing else.

The like-for-like of python-redlines, which also starts, reads two versions and writes one .docx with
tracked changes. Run: python bench/_redline_word.py SOURCES FROM TO OUT.docx
"""

from __future__ import annotations

import sys
from pathlib import Path

from avtal.gcpause import exit_now, lives_until_exit


def main(sources: str, old_spec: str, new_spec: str, out: str) -> None:
    with lives_until_exit():  # as `avtal redline` imports and loads its versions
        from avtal.model.versions import load_version
        from avtal.redline.diff import compare
        from avtal.redline.render import RedlineBuilder
        from avtal.render.build import build_time
        from avtal.render.docx import render_docx

        old, old_name = load_version(Path(sources), old_spec)
        new, new_name = load_version(Path(sources), new_spec)
    changes = compare(old, new, old_name, new_name)
    change = next(d for d in changes.documents if d.id == "huvudavtal")
    when = build_time(new)
    doc = change.new
    data = render_docx(new, doc, when, RedlineBuilder(changes, change, "docx", when),
                       header=f"{doc.source.short_title} · ÄNDRINGAR", title=f"{doc.title}: ändringar", tracked=True)
    Path(out).write_bytes(data)


if __name__ == "__main__":
    main(*sys.argv[1:5])
    exit_now(0)  # as the installed `avtal` ends
