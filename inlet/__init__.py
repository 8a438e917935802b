"""The domain: Inlet's rules, without their backends.

Links and their quotas, tokens, senders, what an acceptable image is, ingest,
deletion, metadata extraction and location removal, the outcomes they return; and
the settings and the log format every process shares. The rules use Redis and the
object store only through the Protocols of `inlet/ports.py`; the adapters live in
`inlet/stores/`. Shared by the web layer (`api`) and the workers (`tasks`); imports
neither, nor any backend client.
"""
