"""The worker the end-to-end tests run: Inlet's own app with the test extractor
(`celery --app tests.e2e.worker worker`)."""

from __future__ import annotations

from tasks.worker import build_app
from tests.e2e.extractors import controlled

app = build_app(controlled)
