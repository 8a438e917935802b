"""Inlet's core: settings, the blob store, the dedup index and image rules.

Shared by the web layer (`api`) and the workers (`tasks`); imports neither.
"""
