"""`avtal serve` as a server: what it serves (dist/ only), where it listens, how it stops."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
from pathlib import Path

from .conftest import AVTAL, start


def get(served, path: str, method: str = "GET") -> tuple[int, bytes, dict]:
    """One request with the path sent exactly as given (no client-side normalising of '..')."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def test_it_serves_the_files_of_dist_and_adds_its_script_only_to_what_it_sends(served):
    page = served.folder / "dist" / "web" / "huvudavtal.html"
    status, body, headers = get(served, "/web/huvudavtal.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    on_disk = page.read_bytes()
    assert b"/__avtal/" not in on_disk  # never written into dist/
    assert body == on_disk.replace(b"</body>", b'<script src="/__avtal/live.js"></script>\n</body>')
    served.documents_written()  # PDFs follow the pages in the background
    status, body, _ = get(served, "/huvudavtal.pdf")
    assert status == 200 and body[:5] == b"%PDF-"
    status, body, headers = get(served, "/web/assets/style.css", "HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == (
        served.folder / "dist" / "web" / "assets" / "style.css").stat().st_size


def test_nothing_outside_dist_is_served(served):
    secret = served.folder / "sources" / "avtal.yaml"
    (served.folder / "dist" / "web" / "leak.html").symlink_to(secret)
    (served.folder / "dist" / "web" / "leak-folder").symlink_to(served.folder / "sources", target_is_directory=True)
    for path in ("/../sources/avtal.yaml", "/web/../../sources/avtal.yaml", "/%2e%2e/sources/avtal.yaml",
                 "/web/%2e%2e/%2e%2e/sources/avtal.yaml", "/web/..%2f..%2fsources%2favtal.yaml",
                 "/web/..%5c..%5csources%5cavtal.yaml", "/%2fetc%2fpasswd", "//etc/passwd", "/web/leak.html",
                 "/web/leak-folder/avtal.yaml", "/.avtal-build.json", "/web/%00.html", "/sources/avtal.yaml"):
        status, body, _ = get(served, path)
        assert status == 404, path
        assert secret.read_bytes() not in body, path


def listening(port: int) -> list[str]:
    """The local addresses listening on `port`, from the kernel's own table (hex, e.g. 0100007F)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if os.path.exists(table):
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and local.endswith(f":{port:04X}"):  # 0A: LISTEN
                    found.append(local.split(":")[0])
    return found


def test_it_listens_on_loopback_only(served):
    assert listening(served.port) == ["0100007F"]  # 127.0.0.1, and no other address


def test_ctrl_c_stops_it_cleanly_and_frees_the_port(served):
    status, _, _ = get(served, "/web/index.html")
    assert status == 200
    events = socket.create_connection(("127.0.0.1", served.port))  # an open page keeps an event stream open
    events.sendall(b"GET /__avtal/events HTTP/1.1\r\nHost: x\r\n\r\n")
    events.settimeout(30)
    received = b""
    while b"event: problems" not in received:  # the headers and the first event may come in separate packets
        chunk = events.recv(4096)
        assert chunk, received
        received += chunk
    assert served.stop() == 0
    out, err = served.output()
    assert "Traceback" not in err and "Traceback" not in out
    assert out.rstrip().endswith("stopped")
    assert listening(served.port) == []
    with socket.socket() as again:  # the port is free at once for the next server (which, like any, reuses
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the address of closed connections)
        again.bind(("127.0.0.1", served.port))
        again.listen()
    events.close()


def test_a_port_in_use_is_a_clear_error(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([str(AVTAL), "serve", "--port", str(port)], cwd=project, capture_output=True,
                                text=True, timeout=120)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_round_is_a_clear_error(project):
    result = subprocess.run([str(AVTAL), "serve", "--port", "0", "--round", "remiss-2052"], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "unknown remiss round 'remiss-2052'" in result.stderr and "remiss-2025" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_first_run_builds_what_is_missing_and_avtal_build_then_has_nothing_to_do(served):
    served.documents_written()
    assert served.stop() == 0
    result = subprocess.run([str(AVTAL), "build"], cwd=served.folder, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("built 0 file(s), ")


def test_start_in_a_folder_with_errors_still_serves_and_reports_them(project):
    path = project / "sources" / "documents" / "munhalsa.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("title:", "title: [", 1), encoding="utf-8")
    served = start(project)
    try:
        status, body, _ = get(served, "/web/index.html")
        assert status == 404 and b"/__avtal/live.js" in body  # no page yet, but the overlay can show why
    finally:
        assert served.stop() == 0
    out, err = served.output()
    assert "sources/documents/munhalsa.yaml:" in err and "YAML syntax error" in err


def test_without_a_sources_folder_it_says_where_it_looked(tmp_path):
    result = subprocess.run([str(AVTAL), "serve", "--port", "0"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert "no folder sources/" in result.stderr and "Traceback" not in result.stderr
