"""Adapters from queue systems a hall already runs: pure translators (core, generic, qminder) in a
thin aiohttp shell (shell, spool, cli)."""
