"""Thin Falcon resources: parse the request, call domain code, set the response."""
