"""The domain's adapters: Redis and S3 behind the interfaces the rules in `inlet/` use.

Every Redis key is named in :mod:`inlet.stores.keys` (its type, writer, reader and
lifetime, listed in docs/state.md); the stores here are the only code that reads or
writes Redis keys or objects (the processes hold the clients and pass them in). They
may import the domain's types, never `api/`, `tasks/` or `search/`.
"""
