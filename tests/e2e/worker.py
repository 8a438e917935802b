"""The worker the end-to-end tests run: Inlet's own app with the test extractor and
decoder (`celery --app tests.e2e.worker worker`)."""

from __future__ import annotations

import tasks.verify
from tasks.worker import build_app
from tests.e2e.extractors import controlled, controlled_verify

# The decoder is no collaborator of the task context, as the extractor is: the tests'
# one takes the place of the real one in the module that calls it.
tasks.verify.verify = controlled_verify  # type: ignore[attr-defined]  # imported there, not exported
app = build_app(controlled)
