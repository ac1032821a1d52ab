"""The local server: dist/ over HTTP on loopback, file watching, and events to the open pages.

Served: the files of dist/ (nothing outside it, no hidden files), each web page with one script
added in the response only (never in the file), the round views (`?runda`), and an event stream
(Server-Sent Events) that tells pages to update and carries the current `avtal check` errors.
"""

from __future__ import annotations

import json
import mimetypes
import queue
import signal
import sys
import threading
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import watchfiles

from ..model.problems import SourceError
from ..render.house import TEMPLATES
from .preview import Preview
from .views import ROUND_VIEW, Round, latest_round, problem_json, round_page, status_page

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
LIVE = b'<script src="/__avtal/live.js"></script>\n'
ASSETS = {"/__avtal/live.js": ("live.js", "text/javascript; charset=utf-8"),
          "/__avtal/live.css": ("live.css", "text/css; charset=utf-8")}
KEEPALIVE = 10.0  # seconds between comments on an idle event stream (finds closed pages)
WATCH_STEP_MS = 5  # how long the watcher waits for more changes before reporting them: the latency it adds
SETTLE = 0.06  # seconds to wait before showing errors: an editor may still be writing the file


class Hub:
    """The open pages' event streams; each gets every event published, and the errors on connecting."""

    def __init__(self) -> None:
        self._streams: set[queue.Queue] = set()
        self._lock = threading.Lock()
        self.closing = threading.Event()
        self.problems: list[dict] = []

    def subscribe(self) -> queue.Queue:
        stream: queue.Queue = queue.Queue()
        stream.put(_event("problems", {"problems": self.problems}))
        with self._lock:
            self._streams.add(stream)
        return stream

    def unsubscribe(self, stream: queue.Queue) -> None:
        with self._lock:
            self._streams.discard(stream)

    def publish(self, name: str, data: dict) -> None:
        message = _event(name, data)
        with self._lock:
            for stream in self._streams:
                stream.put(message)

    def show_problems(self, problems: list[dict]) -> None:
        """Publish the errors when they differ from those the pages already show."""
        if problems != self.problems:
            self.problems = problems
            self.publish("problems", {"problems": problems})


def _event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: Hub
    preview: Preview
    dist: Path
    sources: Path
    round_id: str | None

    def handle_error(self, request, client_address) -> None:
        """One line on the terminal for a request that failed, not a traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, (BrokenPipeError, ConnectionResetError)):
            _say(f"request failed: {type(error).__name__}: {error}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "avtal-serve"

    def log_message(self, format: str, *args) -> None:  # quiet: the terminal shows edits, not requests
        pass

    def do_HEAD(self) -> None:
        self.do_GET(body=False)

    def do_GET(self, body: bool = True) -> None:
        url = urlsplit(self.path)
        if url.path == "/__avtal/events":
            return self._events()
        if url.path in ASSETS:
            name, kind = ASSETS[url.path]
            return self._send(HTTPStatus.OK, kind, (HERE / name).read_bytes(), body)
        if url.path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/web/index.html")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if url.query == ROUND_VIEW:
            return self._round_view(url.path, body)
        target = self._dist_file(url.path)
        if target is None:
            return self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", _missing(url.path), body)
        data = target.read_bytes()
        kind = _content_type(target)
        if kind.startswith("text/html"):
            data = _with_live(data)
        self._send(HTTPStatus.OK, kind, data, body)

    def _dist_file(self, path: str) -> Path | None:
        """The file of dist/ a URL path names; None for anything outside dist/, hidden, or not a file."""
        parts = [p for p in unquote(path).split("/") if p]
        if any(p.startswith(".") or "\\" in p or "\0" in p for p in parts):
            return None  # "..", hidden files such as the build manifest
        root = self.server.dist.resolve()
        target = root.joinpath(*parts).resolve()
        if target != root and root not in target.parents:
            return None  # a symbolic link pointing out of dist/
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def _round_view(self, path: str, body: bool) -> None:
        preview, server = self.server.preview, self.server
        name = unquote(path).removeprefix("/web/").removesuffix(".html")
        corpus = preview.corpus
        if corpus is None or server.round_id is None or not path.startswith("/web/") or "/" in name:
            why = "no remiss round in sources/remiss/" if server.round_id is None else "the sources have errors"
            return self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", _missing(path, why), body)
        try:
            round = Round.read(server.sources, server.round_id)
        except SourceError as exc:
            return self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8",
                              _missing(path, f"the round {server.round_id} has errors: {exc}"), body)
        if name == "index":
            html = status_page(corpus, round)
        elif name in {d.id for d in corpus.documents}:
            html = round_page(corpus, corpus.document(name), round)
        else:
            return self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", _missing(path), body)
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", _with_live(html.encode("utf-8")), body)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, body: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # a preview: always the file as it is now
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self) -> None:
        hub = self.server.hub
        stream = hub.subscribe()
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            idle = 0.0
            while not hub.closing.is_set():
                try:
                    message = stream.get(timeout=0.5)
                    idle = 0.0
                except queue.Empty:
                    idle += 0.5
                    if idle < KEEPALIVE:
                        continue
                    message, idle = b": keepalive\n\n", 0.0
                self.wfile.write(message)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded
        finally:
            hub.unsubscribe(stream)


def _content_type(path: Path) -> str:
    kind = {".js": "text/javascript", ".html": "text/html", ".css": "text/css"}.get(path.suffix) \
        or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def _with_live(html: bytes) -> bytes:
    """The page with the live-update script before </body>: in what is served, never in the file."""
    at = html.rfind(b"</body>")
    return html[:at] + LIVE + html[at:] if at >= 0 else html + LIVE


def _missing(path: str, why: str = "") -> bytes:
    reason = f" ({escape(why)})" if why else ""
    return (f'<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Saknas: {escape(path)}</title></head>'
            f'<body data-avtal-missing="1"><main>'
            f"<h1>Sidan finns inte</h1><p>{escape(path)} finns inte i dist/{reason}.</p>"
            f'<p><a href="/web/index.html">Till startsidan</a></p></main>').encode("utf-8") + LIVE + b"</body></html>"


def _watch(preview: Preview, hub: Hub, paths: list[Path], remiss: list[Path], stop: threading.Event) -> None:
    """Refresh the preview after every change to the sources or templates, and tell the pages."""
    for changes in watchfiles.watch(*paths, step=WATCH_STEP_MS, stop_event=stop, raise_interrupt=False,
                                    rust_timeout=500, yield_on_timeout=False):
        try:
            _update(preview, hub, changes, remiss, stop)
        except Exception as error:  # a failure to write one page must not end the preview
            _say(f"not updated: {type(error).__name__}: {error}")


def _update(preview: Preview, hub: Hub, changes: set, remiss: list[Path], stop: threading.Event) -> None:
    """One refresh after a batch of file changes; the pages are told before the slower checks run."""
    update = preview.refresh()
    if update.errors:  # perhaps a file caught half-written: look again before showing errors
        if stop.wait(SETTLE):
            return
        update = preview.refresh()
    pages = update.pages
    if any(Path(p).is_relative_to(r) for _, p in changes for r in remiss):
        pages = [*pages, f"?{ROUND_VIEW}"]  # answers or parties changed: every round view
    if update.errors:
        hub.show_problems([problem_json(p, preview.root) for p in update.errors])
        _say(f"{len(update.errors)} error(s): {update.errors[0]}")
        return
    if pages:
        hub.publish("reload", {"pages": pages})
        _say(f"updated {', '.join(pages)}")
    further = preview.further_errors()  # remiss and frozen versions: after the page, they are slower
    hub.show_problems([problem_json(p, preview.root) for p in further])  # none: the overlay closes


def _say(message: str) -> None:
    print(f"avtal serve: {message}", file=sys.stderr, flush=True)


def serve(sources: Path, dist: Path, port: int = 8000, round_id: str | None = None) -> int:
    """Serve dist/ on 127.0.0.1:`port` and keep it current until Ctrl-C; returns the exit code."""
    if not sources.is_dir():
        print(f"avtal serve: no folder {sources}/: expected the project's sources (run it in the project folder, "
              "or give --sources)", file=sys.stderr)
        return 1
    if round_id is not None:
        Round.read(sources, round_id)  # an unknown round is a clear error now, not a missing page later
    try:
        server = _Server((HOST, port), _Handler)
    except OSError as exc:
        print(f"avtal serve: cannot listen on {HOST}:{port}: {exc.strerror or exc}; expected a free port "
              "(choose another with --port)", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    hub = Hub()
    preview = Preview(sources, dist, Path.cwd())
    server.hub, server.preview, server.dist, server.sources = hub, preview, dist, sources
    server.round_id = round_id or latest_round(sources)
    update = preview.refresh()
    errors = update.errors or preview.further_errors()
    hub.problems = [problem_json(p, preview.root) for p in errors]
    for problem in errors:
        print(problem, file=sys.stderr)
    threads = [threading.Thread(target=server.serve_forever, name="avtal-http", daemon=True),
               threading.Thread(target=_watch, name="avtal-watch", daemon=True,
                                args=(preview, hub, [sources.resolve(), TEMPLATES],
                                      [(sources / "remiss").resolve(), (sources / "parter.yaml").resolve()], stop))]
    for thread in threads:
        thread.start()
    host, bound = server.server_address[:2]
    print(f"serving http://{host}:{bound}/web/index.html", flush=True)
    if server.round_id:
        print(f"round {server.round_id}: http://{host}:{bound}/web/index.html?{ROUND_VIEW}", flush=True)
    print("watching sources/ and templates/; Ctrl-C stops", flush=True)
    while not stop.wait(0.5):
        pass
    hub.closing.set()
    server.shutdown()
    server.server_close()
    for thread in threads:
        thread.join(timeout=5)
    preview.close()
    print("stopped", flush=True)
    return 0
