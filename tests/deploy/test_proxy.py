"""nginx in front of the server, with deploy/nginx/waitwell.conf as shipped: HTTPS and WSS through it."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.processes import REPO, Process, free_port

from .certs import self_signed


SNIPPET = REPO / "deploy" / "nginx" / "waitwell.conf"


@pytest.fixture
def nginx_port(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    """(nginx's port, the server's port to run behind it, the certificate) with nginx running."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is absent: `bash .ci/run` installs it (apt-get install nginx-light)")
    cert, key = self_signed(tmp_path)
    port, backend = free_port(), free_port()
    snippet = (SNIPPET.read_text(encoding="utf-8")
               .replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
               .replace("/etc/waitwell/tls/cert.pem", str(cert)).replace("/etc/waitwell/tls/key.pem", str(key))
               .replace("http://127.0.0.1:8080", f"http://127.0.0.1:{backend}"))
    assert str(backend) in snippet and str(port) in snippet and str(key) in snippet
    (tmp_path / "logs").mkdir()
    (tmp_path / "waitwell.conf").write_text(snippet, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        "worker_processes 1;\nerror_log logs/error.log;\npid logs/nginx.pid;\nevents {}\n"
        "http {\n  access_log off;\n  client_body_temp_path tmp-body;\n  proxy_temp_path tmp-proxy;\n"
        "  include waitwell.conf;\n}\n", encoding="utf-8")
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(["ss", "-ltn", f"sport = :{port}"], capture_output=True, text=True).stdout.count("LISTEN") == 0:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "nginx did not listen"
            time.sleep(0.05)
        yield port, backend, cert
    finally:
        proc.terminate()
        proc.wait(15)
        if proc.stderr is not None:
            proc.stderr.close()


async def test_tablets_and_screens_through_nginx(nginx_port: tuple[int, int, Path], tmp_path: Path) -> None:
    port, backend, cert = nginx_port
    server = Process(["serve", "--host", "127.0.0.1", "--port", str(backend), "--data-dir", str(tmp_path / "data"),
                      "--queue-token", "q", "--staff-token", "s"], f"http://127.0.0.1:{backend}", tmp_path / "serve.log")
    await server.start()
    trust = ssl.create_default_context(cafile=str(cert))
    base = f"https://localhost:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/healthz", ssl=trust) as resp:
                assert resp.status == 200 and (await resp.json())["status"] == "ok"
            async with session.post(base + "/api/staff/login", json={"pin": "1357"}, ssl=trust) as resp:
                assert resp.status == 200 and (await resp.json()) == {"token": "s", "name": "李明 Li Ming"}
            async with session.ws_connect(f"wss://localhost:{port}/ws/display", ssl=trust) as screen:
                assert (await screen.receive_json(timeout=10))["type"] == "display.state"
                # A queue event through the proxy reaches the screen live.
                async with session.ws_connect(f"wss://localhost:{port}/ws/queue?token=q", ssl=trust) as queue:
                    await queue.send_json({"id": "p1", "type": "window.opened", "at": "2026-12-08T09:00:00+08:00",
                                           "window": "1"})
                    assert await queue.receive_json(timeout=10) == {"type": "ack", "id": "p1"}
                for _ in range(20):
                    state = await screen.receive_json(timeout=10)
                    if state.get("open_windows"):
                        break
                assert state.get("open_windows") == 1, state
    finally:
        server.stop()
