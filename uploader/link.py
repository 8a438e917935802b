"""Where a link points: the API base URL and the token, from either form of a link."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit


class BadLink(ValueError):
    pass


def parse_link(text: str) -> tuple[str, str]:
    """(base URL, token) from `…/u/#<token>` (page_url) or `…/v1/uploads/<token>` (url)."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadLink("the link must start with http:// or https://")
    path = parts.path
    if parts.fragment and path.rstrip("/").endswith("/u"):
        base_path, token = path.rstrip("/")[: -len("/u")], parts.fragment
    elif "/v1/uploads/" in path:
        base_path, _, token = path.rpartition("/v1/uploads/")
    else:
        raise BadLink("not an upload link: expected …/u/#<token> or …/v1/uploads/<token>")
    token = unquote(token).strip("/")
    if not token or "/" in token:
        raise BadLink("the link has no token; copy the whole link")
    return urlunsplit((parts.scheme, parts.netloc, base_path, "", "")), token
