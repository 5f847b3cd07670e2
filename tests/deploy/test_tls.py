"""`waitwell serve --tls-cert --tls-key`: HTTPS and WSS for tablets and screens, with a self-signed
certificate made in the test."""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.processes import REPO, Process, free_port

from .certs import self_signed
from .test_doctor import doctor


class TLSHall:
    def __init__(self, port: int, cert: Path, server: Process) -> None:
        self.port, self.cert, self.server = port, cert, server
        self.trust = ssl.create_default_context(cafile=str(cert))


@pytest.fixture
async def tls_hall(tmp_path: Path) -> AsyncIterator[TLSHall]:
    cert, key = self_signed(tmp_path)
    port = free_port()
    hall = TLSHall(port, cert, Process(
        ["serve", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--queue-token", "q",
         "--staff-token", "s", "--tls-cert", str(cert), "--tls-key", str(key)],
        f"https://localhost:{port}", tmp_path / "serve.log", ssl.create_default_context(cafile=str(cert))))
    await hall.server.start()
    try:
        yield hall
    finally:
        hall.server.stop()


async def test_https_and_wss_answer_and_plain_http_does_not(tls_hall: TLSHall, tmp_path: Path) -> None:
    port = tls_hall.port
    async with aiohttp.ClientSession() as session:
        async with session.post(f"https://localhost:{port}/api/staff/login", json={"pin": "2468"},
                                ssl=tls_hall.trust) as resp:
            assert resp.status == 200 and (await resp.json())["name"] == "王芳 Wang Fang"
        async with session.ws_connect(f"wss://localhost:{port}/ws/display", ssl=tls_hall.trust) as ws:
            message = await ws.receive_json(timeout=10)
            assert message["type"] == "display.state"
        with pytest.raises(aiohttp.ClientError):
            async with session.get(f"http://localhost:{port}/healthz") as resp:
                await resp.read()
        # A client that does not trust the certificate is refused: nothing is sent in the clear.
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            async with session.get(f"https://localhost:{port}/healthz") as resp:
                await resp.read()
    log = (tmp_path / "serve.log").read_text()
    assert f"lobby screens: wss://127.0.0.1:{port}/ws/display" in log
    assert f"staff tablets: https://127.0.0.1:{port}/staff" in log


async def test_a_lobby_screen_follows_the_hall_over_wss(tls_hall: TLSHall, tmp_path: Path) -> None:
    """The pygame screen, trusting the hall's certificate (SSL_CERT_FILE), presents a state over wss."""
    trace = tmp_path / "trace.txt"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "display", "--server", f"wss://localhost:{tls_hall.port}",
        "--screenshot", str(tmp_path / "shot.png"), "--trace", str(trace), cwd=REPO,
        env={**os.environ, "SSL_CERT_FILE": str(tls_hall.cert)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, out.decode()
    assert trace.read_text().split(), out.decode()  # a display.state arrived and was drawn
    assert (tmp_path / "shot.png").stat().st_size > 0


async def test_doctor_over_https_trusted_and_not(tls_hall: TLSHall) -> None:
    code, lines = await doctor("--server", f"wss://localhost:{tls_hall.port}", SSL_CERT_FILE=str(tls_hall.cert))
    assert code == 0 and lines["server"].startswith("ok") and lines["clock"].startswith("ok"), lines
    code, lines = await doctor("--server", f"wss://localhost:{tls_hall.port}",
                               SSL_CERT_FILE=str(REPO / "nonexistent.pem"))
    assert code == 1
    assert lines["server"].startswith("FAIL  server: https://localhost:") and "certificate not trusted" in lines["server"]
    assert "update-ca-certificates" in lines["server"]


@pytest.mark.parametrize("flags, says", [
    (["--tls-cert", "CERT"], "--tls-cert and --tls-key go together"),
    (["--tls-cert", "CERT", "--tls-key", "MISSING"], "--tls-key MISSING: no such file"),
    (["--tls-cert", "CERT", "--tls-key", "CERT"], "not a matching PEM certificate and key"),
])
async def test_a_bad_certificate_setting_is_one_line_and_exit_2(tmp_path: Path, flags: list[str], says: str) -> None:
    cert, _key = self_signed(tmp_path)
    args = [str(cert) if f == "CERT" else str(tmp_path / f) if f == "MISSING" else f for f in flags]
    says = says.replace("MISSING", str(tmp_path / "MISSING"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"),
        *args, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2, (out, err)
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines


def test_trusted_network_in_hall_yaml(tmp_path: Path) -> None:
    from server.config_file import load_config
    from server.errors import ConfigError

    sample = (REPO / "content" / "hall.yaml").read_text(encoding="utf-8")
    assert load_config(None).trusted_network is False
    path = tmp_path / "hall.yaml"
    path.write_text(sample + "\ntrusted_network: true\n", encoding="utf-8")
    assert load_config(path).trusted_network is True
    path.write_text(sample + '\ntrusted_network: "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"trusted_network.*must be true or false"):
        load_config(path)
