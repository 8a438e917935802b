"""The client: the terminal uploader, `python -m uploader LINK PATH...`.

A client of the HTTP API like any other: it imports nothing of Inlet's server side
(`inlet/`, `api/`, `tasks/`, `search/`; `tests/test_layout.py` checks), so it could
ship on its own.

Hashes every file first, offers the store the known ones by hash (no bytes sent),
then streams the rest in batches up to the server's per-request limit, retrying
network errors, 429 and 503 with backoff. Talks to the API over HTTP only.
"""
