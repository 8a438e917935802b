"""The terminal uploader: `python -m inlet.upload LINK PATH...`.

Hashes every file first, offers the store the known ones by hash (no bytes sent),
then streams the rest in batches up to the server's per-request limit, retrying
network errors, 429 and 503 with backoff. Talks to the API over HTTP only.
"""
