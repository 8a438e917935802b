"""Celery workers: extract metadata and index it. Never imports the web layer."""
