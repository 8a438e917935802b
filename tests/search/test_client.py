"""The client against osmem-server, and the flavour handling against two tiny stubs
that behave as real Elasticsearch and real OpenSearch do where they differ: media
types and the product header."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from devstack import servers
from inlet.settings import Settings
from search.client import Flavour, Server, make_client, plain_media_type, server_from_root
from search.errors import SearchUnavailable
from search.service import ping

ES_ROOT = {"version": {"number": "9.1.0", "build_flavor": "default"}, "tagline": "You Know"}
ES8_ROOT = {"version": {"number": "8.17.2", "build_flavor": "default"}}
OS_ROOT = {"version": {"number": "2.19.0", "distribution": "opensearch"}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/vnd.elasticsearch+json; compatible-with=9", "application/json"),
        ("application/vnd.elasticsearch+json;compatible-with=8", "application/json"),
        ("application/vnd.elasticsearch+x-ndjson; compatible-with=9", "application/x-ndjson"),
        ("application/json", "application/json"),
        ("text/plain", "text/plain"),
    ],
)
def test_plain_media_type(value: str, expected: str) -> None:
    assert plain_media_type(value) == expected


def test_server_from_root() -> None:
    assert server_from_root(OS_ROOT) == Server(Flavour.OPENSEARCH)
    assert server_from_root(ES_ROOT) == Server(Flavour.ELASTICSEARCH, 9)
    assert server_from_root(ES8_ROOT) == Server(Flavour.ELASTICSEARCH, 8)
    assert server_from_root({"version": {"number": "x"}}) == Server(Flavour.ELASTICSEARCH)
    assert server_from_root({}) == Server(Flavour.ELASTICSEARCH)
    assert server_from_root([]) == Server(Flavour.ELASTICSEARCH)


def test_media_types_per_server() -> None:
    compat = "application/vnd.elasticsearch+x-ndjson; compatible-with=9"
    assert Server(Flavour.OPENSEARCH).media_type(compat) == "application/x-ndjson"
    assert Server(Flavour.ELASTICSEARCH, 9).media_type(compat) == compat
    assert Server(Flavour.ELASTICSEARCH, 8).media_type(compat) == compat.replace("=9", "=8")
    assert Server(Flavour.ELASTICSEARCH).media_type(compat) == compat


def test_osmem_is_opensearch_and_speaks_json_and_ndjson(es: Elasticsearch) -> None:
    assert es.info()["version"]["distribution"] == "opensearch"
    # msearch is ndjson; its compatible media type is rejected by OpenSearch too.
    response = es.msearch(searches=[{"index": "*"}, {"size": 0}])
    assert "responses" in response
    # Copies made by options() (the bulk helpers use them) work as well.
    assert es.options(request_timeout=5).info()["version"]["distribution"] == "opensearch"


def test_construction_makes_no_request_and_ping_reports_down(settings: Settings) -> None:
    down = settings.replace(elasticsearch_url=f"http://127.0.0.1:{servers.free_port()}")
    client = make_client(down)
    with pytest.raises(SearchUnavailable) as caught:
        ping(client)
    assert isinstance(caught.value, ConnectionError)


def test_flavour_is_detected_once_the_server_is_up(settings: Settings, tmp_path: Path) -> None:
    port = servers.free_port()
    client = make_client(settings.replace(elasticsearch_url=f"http://127.0.0.1:{port}"))
    with pytest.raises(SearchUnavailable):
        ping(client)
    service = servers.search_service(tmp_path, port).start()
    try:
        ping(client)
        assert not client.indices.exists(index="nothing-here")
    finally:
        service.stop()
        client.close()


@dataclass
class Stub:
    root: dict[str, Any]
    product_header: bool
    rejects_compat: bool
    root_status: int = 200
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def stub_server() -> Iterator[tuple[Stub, Any]]:
    stub = Stub(OS_ROOT, product_header=False, rejects_compat=True)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            stub.seen.append({"method": self.command, "path": self.path} | headers)
            media = headers.get("accept", "") + headers.get("content-type", "")
            body: dict[str, Any]
            if stub.rejects_compat and "vnd.elasticsearch" in media:
                status, body = 406, {"error": "Content-Type header is not supported"}
            elif self.path == "/":
                status, body = stub.root_status, stub.root
            else:
                status, body = 200, {"acknowledged": True}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            if stub.product_header:
                self.send_header("X-Elastic-Product", "Elasticsearch")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    for verb in ("GET", "PUT", "POST"):
        setattr(Handler, f"do_{verb}", Handler._answer)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stub, server
    finally:
        server.shutdown()
        server.server_close()


def _client_for(server: Any, **changes: object) -> Elasticsearch:
    host, port = server.server_address
    return make_client(Settings(elasticsearch_url=f"http://{host}:{port}").replace(**changes))


def test_opensearch_without_product_header(stub_server: tuple[Stub, Any]) -> None:
    stub, server = stub_server
    client = _client_for(server, elasticsearch_username="inlet", elasticsearch_password="pw")
    assert client.info()["version"]["distribution"] == "opensearch"
    assert client.options(request_timeout=3).indices.create(index="x")["acknowledged"]
    requests = [seen for seen in stub.seen if seen["path"] != "/"]
    assert requests
    for seen in requests:
        assert seen["accept"] == "application/json"
        assert seen.get("content-type", "application/json") == "application/json"
    # The detection probe carried the credentials too.
    assert all(seen["authorization"].startswith("Basic ") for seen in stub.seen)
    assert sum(1 for seen in stub.seen if seen["path"] == "/") == 2  # probe + info()


def test_elasticsearch_keeps_compatible_media_types(stub_server: tuple[Stub, Any]) -> None:
    stub, server = stub_server
    stub.root, stub.product_header, stub.rejects_compat = ES_ROOT, True, False
    client = _client_for(server)
    client.indices.create(index="x")
    created = [seen for seen in stub.seen if seen["method"] == "PUT"]
    assert created[0]["accept"] == "application/vnd.elasticsearch+json; compatible-with=9"


def test_elasticsearch_8_is_asked_for_its_own_version(stub_server: tuple[Stub, Any]) -> None:
    stub, server = stub_server
    stub.root, stub.product_header, stub.rejects_compat = ES8_ROOT, True, False
    _client_for(server).msearch(searches=[{}, {}])
    sent = next(seen for seen in stub.seen if seen["method"] == "POST")
    assert sent["accept"] == "application/vnd.elasticsearch+json; compatible-with=8"
    assert sent["content-type"] == "application/vnd.elasticsearch+x-ndjson; compatible-with=8"


def test_opensearch_that_hides_its_root_is_found_by_its_406(
    stub_server: tuple[Stub, Any],
) -> None:
    # A user without the monitor privilege gets 403 for GET /.
    stub, server = stub_server
    stub.root_status, stub.root = 403, {"error": "no permissions for [cluster:monitor/main]"}
    client = _client_for(server)
    assert client.indices.create(index="x")["acknowledged"]
    assert client.indices.create(index="y")["acknowledged"]
    methods = [(seen["method"], seen["accept"]) for seen in stub.seen]
    assert methods == [
        ("GET", "application/json"),  # the probe
        ("PUT", "application/vnd.elasticsearch+json; compatible-with=9"),  # 406
        ("PUT", "application/json"),
        ("PUT", "application/json"),
    ]


def test_elasticsearch_without_product_header_is_refused(stub_server: tuple[Stub, Any]) -> None:
    # Vouching for the server is only for OpenSearch: an unknown product that claims
    # to be Elasticsearch still fails the client's check.
    stub, server = stub_server
    stub.root, stub.product_header, stub.rejects_compat = ES_ROOT, False, False
    from elasticsearch import UnsupportedProductError

    with pytest.raises(UnsupportedProductError):
        _client_for(server).info()
