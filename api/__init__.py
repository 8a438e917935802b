"""Inlet's HTTP API (Falcon)."""
