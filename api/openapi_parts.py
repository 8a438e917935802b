"""Building blocks of the OpenAPI document, shared by its modules."""

from __future__ import annotations

from typing import Any

PROBLEM = {"$ref": "#/components/responses/Problem"}
ADMIN: list[dict[str, list[str]]] = [{"adminToken": []}]
LINK_TOKEN: list[dict[str, list[str]]] = [{"linkToken": []}]


def op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": responses, **extra}


def json_response(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def query_param(
    name: str, description: str, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def static_asset(summary: str, names: str) -> dict[str, Any]:
    """A path item for one of our static files: GET and HEAD, revalidated by ETag."""
    revalidate = {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "The ETag of the copy the browser keeps: 304 while it is current",
        "schema": {"type": "string"},
    }
    responses = {
        "200": {
            "description": "The file, with a strong ETag (SHA-256 of its bytes) and "
            "Cache-Control: no-cache",
        },
        "304": {"description": "Not modified: the browser's copy is current"},
        "404": PROBLEM,
    }
    return {
        "parameters": [path_param("asset", names)],
        "get": op(summary, responses, parameters=[revalidate]),
        "head": op("The headers GET would answer with", responses, parameters=[revalidate]),
    }
