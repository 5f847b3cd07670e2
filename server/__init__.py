"""WaitWell hall server.

Modules at the root of this package are pure: they take ``now`` as an argument and
do no I/O, so the hall can be tested synchronously and replayed deterministically.
The aiohttp shell lives in :mod:`server.web`.
"""
