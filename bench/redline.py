"""Benchmark the Word redline against a peer: python-redlines (Docxodus) comparing two .docx files.

For every version pair of the test corpus (tests/redline/pairs.py) and for the
real pair remiss-2025 → working sources, each changed document (the huvudavtal
where nothing changed) is rendered as FROM.docx and TO.docx by our ordinary
Word renderer. Then, medians of N runs each:
  ours  - `compare` of the two versions + the Word redline (render_docx with the
          redline builder, tracked paragraph marks), in process
  peer  - python-redlines' DocxodusEngine comparing FROM.docx with TO.docx
          (its own .NET program, started once per comparison, as the library does)
and the revision marks each wrote (w:ins + w:del elements in word/document.xml).
Goals: the whole huvudavtal (real pair) in <= 0.3 s, and >= 5x faster than the peer.
Writes bench/results/redline.json. Needs the bench extra: pip install -e '.[test,bench]'.
Run: .venv/bin/python bench/redline.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the pair corpus lives with the tests

from avtal.fsutil import atomic_write_text  # noqa: E402
from avtal.model import Corpus  # noqa: E402
from avtal.model.versions import list_versions, load_version  # noqa: E402
from avtal.redline.diff import compare  # noqa: E402
from avtal.redline.render import RedlineBuilder  # noqa: E402
from avtal.render import wording  # noqa: E402
from avtal.render.build import build_time  # noqa: E402
from avtal.render.docx import render_docx  # noqa: E402
from tests.redline.pairs import ALL_KINDS, PAIRS  # noqa: E402

SOURCES = ROOT / "sources"
RESULTS = ROOT / "bench" / "results" / "redline.json"
REAL_FROM, REAL_TO = "remiss-2025", "working"
GOAL_S = 0.3
GOAL_RATIO = 5.0
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def our_redline(old: Corpus, new: Corpus, doc_id: str) -> bytes:
    """What `avtal redline` does for one document's Word file, from the two loaded versions."""
    changes = compare(old, new, "fore", "efter")
    change = next(d for d in changes.documents if d.id == doc_id)
    when = build_time(new)
    corpus = new if change.new else old
    doc = change.new or change.old
    return render_docx(corpus, doc, when, RedlineBuilder(changes, change, "docx", when),  # type: ignore[arg-type]
                       header=f"{doc.source.short_title} · ÄNDRINGAR", title=f"{doc.title}: ändringar",  # type: ignore[union-attr]
                       tracked=True)


def marks(data: bytes) -> dict[str, int]:
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    root = etree.fromstring(xml, parser=etree.XMLParser(huge_tree=True))
    counts = {kind: sum(1 for _ in root.iter(f"{{{W}}}{kind}")) for kind in ("ins", "del", "moveFrom", "moveTo")}
    counts["marks"] = counts["ins"] + counts["del"]
    return counts


def timed(make: Callable[[], bytes], runs: int) -> tuple[list[float], bytes]:
    make()  # warm-up: imports, caches, the peer's binary unpacked
    times, out = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        out = make()
        times.append(time.perf_counter() - started)
    return times, out


def measure(name: str, doc_id: str, old: Corpus, new: Corpus, work: Path, engine, runs: int) -> dict:
    before = work / f"{name}.{doc_id}.FROM.docx"
    after = work / f"{name}.{doc_id}.TO.docx"
    before.write_bytes(render_docx(old, old.document(doc_id), build_time(old)))
    after.write_bytes(render_docx(new, new.document(doc_id), build_time(new)))
    ours_t, ours = timed(lambda: our_redline(old, new, doc_id), runs)
    row = {"pair": name, "document": doc_id, "ours_s": statistics.median(ours_t), "ours_marks": marks(ours)["marks"],
           "ours_samples": ours_t}
    if engine is not None:
        peer_t, peer = timed(lambda: engine.run_redline(wording.GROUP, before, after)[0], runs)
        counted = marks(peer)
        row.update({"peer_s": statistics.median(peer_t), "peer_marks": counted["marks"],
                    "peer_moves": counted["moveFrom"] + counted["moveTo"], "peer_samples": peer_t,
                    "ratio": statistics.median(peer_t) / statistics.median(ours_t)})
    return row


def documents(old: Corpus, new: Corpus) -> list[str]:
    """Documents in both versions that changed; the huvudavtal when none did."""
    changes = compare(old, new, "a", "b")
    found = [d.id for d in changes.documents if d.changes and d.old is not None and d.new is not None]
    return found or ["huvudavtal"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    try:
        from python_redlines import DocxodusEngine

        engine = DocxodusEngine()
    except ImportError as exc:  # EngineNotInstalledError is an ImportError
        print(f"peer unavailable ({exc}); install the bench extra: pip install -e '.[test,bench]'", file=sys.stderr)
        engine = None
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="avtal-bench-redline-") as tmp:
        work = Path(tmp)
        for pair in (*PAIRS, ALL_KINDS):
            old, new = pair.load(work / pair.name)
            for doc_id in documents(old, new):
                rows.append(measure(pair.name, doc_id, old, new, work, engine, args.runs))
        real = None
        if REAL_FROM in {v.name for v in list_versions(SOURCES)}:
            old, _ = load_version(SOURCES, REAL_FROM)
            new, _ = load_version(SOURCES, REAL_TO)
            if compare(old, new, REAL_FROM, REAL_TO).is_empty:
                print(f"note: {REAL_FROM} and {REAL_TO} do not differ; the real pair is timed all the same")
            name = f"{REAL_FROM} → {REAL_TO}"
            ids = documents(old, new)
            for doc_id in (["huvudavtal"] + [i for i in ids if i != "huvudavtal"]):
                rows.append(measure(name, doc_id, old, new, work, engine, args.runs))
            real = next(r for r in rows if r["pair"] == name and r["document"] == "huvudavtal")
    result = {
        "benchmark": "redline",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "runs": args.runs,
        "peer": "python-redlines DocxodusEngine " + _version("python-redlines") if engine else None,
        "rows": rows,
    }
    if real is not None:
        result["huvudavtal"] = {
            "ours_s": real["ours_s"], "goal_s": GOAL_S, "goal_met": real["ours_s"] <= GOAL_S,
            "peer_s": real.get("peer_s"), "ratio": real.get("ratio"), "goal_ratio": GOAL_RATIO,
            "ratio_met": real.get("ratio", 0) >= GOAL_RATIO,
        }
    atomic_write_text(RESULTS, json.dumps(result, ensure_ascii=False, indent=2) + "\n")

    print(f"redline benchmark: medians of {args.runs} runs, {os.cpu_count()} cores; peer {result['peer']}")
    print(f"{'pair':<32}{'document':<30}{'our marks':>10}{'peer marks':>11}{'ours':>9}{'peer':>9}{'ratio':>8}")
    for r in rows:
        peer = (f"{r['peer_marks']:>11}", f"{r['peer_s']:>8.3f}s", f"{r['ratio']:>7.1f}x") if "peer_s" in r \
            else (f"{'-':>11}", f"{'-':>9}", f"{'-':>8}")
        print(f"{r['pair']:<32}{r['document']:<30}{r['ours_marks']:>10}{peer[0]}{r['ours_s']:>8.3f}s{peer[1]}{peer[2]}")
    if real is not None:
        h = result["huvudavtal"]
        print(f"whole huvudavtal ({REAL_FROM} → {REAL_TO}): diff + Word redline {h['ours_s']:.3f} s "
              f"(goal <= {GOAL_S} s: {'met' if h['goal_met'] else 'MISSED'})"
              + (f"; peer {h['peer_s']:.3f} s, {h['ratio']:.1f}x (goal >= {GOAL_RATIO:.0f}x: "
                 f"{'met' if h['ratio_met'] else 'MISSED'})" if h["peer_s"] else ""))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


if __name__ == "__main__":
    sys.exit(main())
