from __future__ import annotations

import re

from falcon import inspect, testing

from api.openapi import DOCUMENT

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head"}


def routes_of(app: object) -> set[tuple[str, str]]:
    found = set()
    for route in inspect.inspect_routes(app):  # type: ignore[arg-type]
        path = re.sub(r"{(\w+)(:[^}]*)?}", r"{\1}", route.path)
        for method in route.methods:
            if method.internal:
                continue
            found.add((path, method.method.lower()))
    return found


def test_openapi_documents_exactly_the_routes(client: testing.TestClient) -> None:
    served = client.simulate_get("/openapi.json").json
    assert served["openapi"].startswith("3.1")
    documented = {
        (path, method)
        for path, item in served["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    routed = {(p, m) for p, m in routes_of(client.app) if m in HTTP_METHODS}
    assert documented == routed


def test_openapi_document_is_valid() -> None:
    from openapi_spec_validator import validate

    validate(DOCUMENT)
