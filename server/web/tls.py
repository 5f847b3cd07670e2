"""HTTPS and WSS straight from `waitwell serve`: staff PINs and tokens cross the hall's Wi-Fi."""

from __future__ import annotations

import ssl
from pathlib import Path


__all__ = ["TLSError", "server_context"]


class TLSError(Exception):
    """The certificate or key cannot be used; ``str()`` is one line naming the file."""


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context for ``cert`` (PEM, the chain after the certificate) and its ``key``."""
    for flag, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not path.is_file():
            raise TLSError(f"{flag} {path}: no such file")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except PermissionError:
        raise TLSError(f"cannot read {cert} or {key}: the service user needs read access "
                       "(e.g. chgrp waitwell, chmod 0640 on the key)") from None
    except ssl.SSLError as exc:
        raise TLSError(f"--tls-cert {cert} / --tls-key {key}: not a matching PEM certificate and key "
                       f"({exc.reason or exc})") from None
    return context
