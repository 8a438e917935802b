"""The WSGI entry point (`gunicorn api.wsgi:app`): settings from the environment,
backends prepared once, then the app."""

from __future__ import annotations

from api.app import create_app, prepare_backends
from inlet.settings import Settings
from inlet.stores.clients import make_blob_store, make_redis
from search.client import make_client

settings = Settings.from_env()
_blobs = make_blob_store(settings)
_es = make_client(settings)
prepare_backends(settings, _blobs, _es)
app = create_app(settings, redis=make_redis(settings), blobs=_blobs, es=_es)
