"""A self-signed certificate for the TLS tests, made with the openssl command line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


HOSTS = ("localhost", "hall.test")
"""Names the certificate is good for, with 127.0.0.1; the browser test maps hall.test to 127.0.0.1."""


def self_signed(folder: Path) -> tuple[Path, Path]:
    """``(cert.pem, key.pem)`` in ``folder``, valid two days for HOSTS and 127.0.0.1."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is absent (apt-get install openssl)")
    cert, key = folder / "cert.pem", folder / "key.pem"
    names = ",".join([*(f"DNS:{h}" for h in HOSTS), "IP:127.0.0.1"])
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=hall.test",
                    "-addext", f"subjectAltName={names}"], check=True, capture_output=True, timeout=60)
    return cert, key
