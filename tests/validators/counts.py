"""Figures for an issue note: openxml-audit errors per file kind and words lost in LibreOffice.

    .venv/bin/python -m tests.validators.counts DIST

DIST is a dist/ folder holding what `make`, `avtal remiss pack remiss-2025` and
`avtal remiss export remiss-2025` write (tests/test_conformance.py builds the same).
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from ..clients import openxml_errors
from ..test_conformance import FROM, TO, Outputs, _NUMBER, body_words, libreoffice_texts, lost


def kind(path: Path, outputs: Outputs) -> str:
    name = path.name
    if path.parent == outputs.redline:
        return "ändringsförteckning" if path.stem == "andringsforteckning" else f"redline {path.suffix}"
    for prefix, label in (("Missiv", "missiv"), ("Svarsformulär", "svarsformulär"),
                          ("remissammanstallning", "remissammanställning"), ("stallningstaganden", "positions")):
        if name.startswith(prefix):
            return f"{label} {path.suffix}"
    return f"document {path.suffix}"


def main() -> None:
    outputs = Outputs(Path(sys.argv[1]))
    errors: Counter = Counter()
    files: Counter = Counter()
    for path in outputs.files("docx") + outputs.files("xlsx"):
        files[kind(path, outputs)] += 1
        errors[kind(path, outputs)] += len(openxml_errors(path))
    for label in sorted(files):
        print(f"openxml-audit errors\t{label}\t{errors[label]} in {files[label]} file(s)")
    with tempfile.TemporaryDirectory() as tmp:
        redlines, plain, texts = libreoffice_texts(outputs, Path(tmp))
        for path in redlines:
            text = texts[path.resolve()]
            accepted = lost(body_words(texts[plain[(TO, path.stem)]]["accept"]), body_words(text["accept"]))
            rejected = lost([w for w in body_words(texts[plain[(FROM, path.stem)]]["accept"]) if not _NUMBER.match(w)],
                            [w for w in body_words(text["reject"]) if not _NUMBER.match(w)])
            print(f"words lost in LibreOffice\t{path.name}\taccept all: {sum(accepted.values())}"
                  f"\treject all: {sum(rejected.values())}\t{' '.join(sorted(accepted.elements()))[:200]}")


if __name__ == "__main__":
    main()
