"""Benchmark `avtal build` (issue: Word, PDF and web of all five documents).

Measured in one run, medians of N runs each:
  cold     - `avtal build` into an empty dist/ (subprocess wall time, includes Python start-up)
  edit     - `avtal build` after changing one clause's text (incremental)
  noop     - `avtal build` with nothing changed
  peer     - the usual document-assembly route for the PDFs: our five .docx converted to PDF
             by headless LibreOffice, one document after another (one soffice start each)
The ratio peer / (our PDF-producing build) is reported; goal >= 10x.
Run: .venv/bin/python bench/build.py [--runs 5] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AVTAL = str(Path(sys.executable).with_name("avtal"))
EDIT_FILE = "documents/munhalsa.yaml"


def timed(command: list[str], **kw) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - started


def edit_one_clause(sources: Path, n: int) -> None:
    """Append a word to the first text of munhalsa.yaml: one clause changes, no number does."""
    path = sources / EDIT_FILE
    text = path.read_text(encoding="utf-8")
    marker = "    text: |\n"
    at = text.index(marker) + len(marker)
    line_end = text.index("\n", at)
    path.write_text(text[:line_end] + f" Ändring {n}." + text[line_end:], encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["CI"] = "1"  # no progress line
    results: dict[str, object] = {"runs": args.runs, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = work / "sources"
        shutil.copytree(ROOT / "sources", sources)
        dist = work / "dist"
        build = [AVTAL, "--sources", str(sources), "build", "--dist", str(dist)]
        cold = []
        for _ in range(args.runs):
            shutil.rmtree(dist, ignore_errors=True)
            cold.append(timed(build, env=env, cwd=work))
        edit, noop = [], []
        for i in range(args.runs):
            edit_one_clause(sources, i)
            edit.append(timed(build, env=env, cwd=work))
            noop.append(timed(build, env=env, cwd=work))
        # Our PDFs alone, the same way the build makes them, for a like-for-like ratio.
        pdf_only = []
        code = ("import sys,time;from pathlib import Path;from avtal.model import load;"
                "from avtal.render.build import build_time;from avtal.render.pdf import render_pdf;"
                "from concurrent.futures import ThreadPoolExecutor as P;t=time.perf_counter();"
                f"c,_=load(Path({str(sources)!r}));w=build_time(c);"
                "list(P(2).map(lambda d: render_pdf(c,d,w), c.documents));print(time.perf_counter()-t)")
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
            pdf_only.append(time.perf_counter() - started)
        results.update({
            "cold_build_s": statistics.median(cold),
            "edit_one_clause_s": statistics.median(edit),
            "noop_s": statistics.median(noop),
            "pdf_only_s": statistics.median(pdf_only),
            "samples": {"cold": cold, "edit": edit, "noop": noop, "pdf_only": pdf_only},
        })
        soffice = shutil.which("soffice")
        if soffice and not args.no_peer:
            docx = sorted(dist.glob("*.docx"))
            peer = []
            for _ in range(max(3, args.runs // 2 + 1)):
                out = work / "lo"
                shutil.rmtree(out, ignore_errors=True)
                started = time.perf_counter()
                for file in docx:  # one after another, as assembly systems do
                    subprocess.run([soffice, f"-env:UserInstallation=file://{work}/lo-profile", "--headless",
                                    "--convert-to", "pdf", "--outdir", str(out), str(file)],
                                   check=True, capture_output=True)
                peer.append(time.perf_counter() - started)
            results["peer_libreoffice_pdf_s"] = statistics.median(peer)
            results["samples"]["peer"] = peer  # type: ignore[index]
            results["ratio_peer_over_pdf_only"] = results["peer_libreoffice_pdf_s"] / results["pdf_only_s"]
            results["ratio_peer_over_full_build"] = results["peer_libreoffice_pdf_s"] / results["cold_build_s"]
    rows = [
        ("cold build, 5 docs x docx+pdf+web (goal <= 1.5 s)", results["cold_build_s"]),
        ("after editing one clause (goal <= 0.4 s)", results["edit_one_clause_s"]),
        ("nothing changed", results["noop_s"]),
        ("our 5 PDFs only (typst route)", results["pdf_only_s"]),
    ]
    if "peer_libreoffice_pdf_s" in results:
        rows.append(("peer: 5 docx -> PDF via LibreOffice, sequential", results["peer_libreoffice_pdf_s"]))
    print(f"avtal build benchmark: median of {args.runs} runs, {os.cpu_count()} cores")
    for label, value in rows:
        print(f"  {label:<52} {value:7.3f} s")
    if "ratio_peer_over_pdf_only" in results:
        print(f"  PDFs: LibreOffice / avtal = {results['ratio_peer_over_pdf_only']:.1f}x (goal >= 10x); "
              f"LibreOffice PDFs / our whole build = {results['ratio_peer_over_full_build']:.1f}x")
    out = ROOT / "bench" / "results" / "build.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
