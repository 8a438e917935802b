"""docker/kibana-dashboard.ndjson: the saved objects kibana-setup imports.

They must parse as Kibana saved objects (one JSON object per line, with id, type,
attributes and references that resolve), make up the dashboard "Inlet", and use
only fields the indices have (search/mappings.py), with the types the panels need.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.servers import REPO
from search.mappings import IMAGE_PROPERTIES, UPLOAD_PROPERTIES

NDJSON = REPO / "docker" / "kibana-dashboard.ndjson"
# kibana-setup.sh creates these data views (ids = the aliases, default prefix).
DATA_VIEWS = {"inlet-images": IMAGE_PROPERTIES, "inlet-uploads": UPLOAD_PROPERTIES}
Obj = dict[str, Any]


@pytest.fixture(scope="module")
def objects() -> dict[str, Obj]:
    found: dict[str, Obj] = {}
    for number, line in enumerate(NDJSON.read_text().splitlines(), 1):
        obj = json.loads(line)
        assert isinstance(obj, dict), f"line {number}"
        assert {"id", "type", "attributes", "references"} <= set(obj), f"line {number}"
        assert obj["id"] not in found, f"duplicate id {obj['id']}"
        found[obj["id"]] = obj
    return found


def _data_view(obj: Obj) -> str:
    views = {r["id"] for r in obj["references"] if r["type"] == "index-pattern"}
    assert len(views) == 1, obj["id"]
    return str(views.pop())


def _fields(obj: Obj) -> Iterator[str]:
    """Every index field an object uses, whatever its type."""
    attrs = obj["attributes"]
    if obj["type"] == "lens":
        for layer in attrs["state"]["datasourceStates"]["formBased"]["layers"].values():
            for column in layer["columns"].values():
                if column["sourceField"] != "___records___":
                    yield column["sourceField"]
    elif obj["type"] == "map":
        for layer in json.loads(attrs["layerListJSON"]):
            source = layer["sourceDescriptor"]
            if source["type"] == "ES_SEARCH":
                yield source["geoField"]
                yield source["sortField"]
                yield from source["tooltipProperties"]
    elif obj["type"] == "search":
        yield from attrs["columns"]
        yield from (field for field, _ in attrs["sort"])
        query = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]
        yield query["query"].split(":")[0]


def test_every_reference_resolves(objects: dict[str, Obj]) -> None:
    for obj in objects.values():
        for ref in obj["references"]:
            if ref["type"] == "index-pattern":
                assert ref["id"] in DATA_VIEWS, (obj["id"], ref)
            else:
                assert objects[ref["id"]]["type"] == ref["type"], (obj["id"], ref)


def test_the_dashboard_inlet_holds_every_other_object(objects: dict[str, Obj]) -> None:
    dashboards = [o for o in objects.values() if o["type"] == "dashboard"]
    assert [d["attributes"]["title"] for d in dashboards] == ["Inlet"]
    dashboard = dashboards[0]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    refs = {r["name"]: r for r in dashboard["references"]}
    shown = set()
    for panel in panels:
        ref = refs[f"{panel['panelIndex']}:{panel['panelRefName']}"]
        assert ref["type"] == panel["type"]
        shown.add(ref["id"])
        grid = panel["gridData"]
        assert grid["i"] == panel["panelIndex"]
        assert grid["x"] >= 0
        assert grid["x"] + grid["w"] <= 48  # Kibana's grid has 48 columns
    assert shown == set(objects) - {dashboard["id"]}


def test_objects_use_only_fields_the_indices_have(objects: dict[str, Obj]) -> None:
    for obj in objects.values():
        if obj["type"] == "dashboard":
            continue
        properties = DATA_VIEWS[_data_view(obj)]
        for field in _fields(obj):
            assert field in properties, f"{obj['id']} uses {field}, not in search/mappings.py"


def _columns(obj: Obj) -> list[Obj]:
    layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
    return [c for layer in layers.values() for c in layer["columns"].values()]


def test_the_panels_show_what_the_issue_asks_for(objects: dict[str, Obj]) -> None:
    lens = {o["id"]: o for o in objects.values() if o["type"] == "lens"}
    per_day = next(
        o for o in lens.values() if any(c["operationType"] == "date_histogram" for c in _columns(o))
    )
    histogram = next(c for c in _columns(per_day) if c["operationType"] == "date_histogram")
    assert _data_view(per_day) == "inlet-uploads"
    assert (histogram["sourceField"], histogram["params"]["interval"]) == ("uploaded_at", "d")
    assert UPLOAD_PROPERTIES["uploaded_at"]["type"] == "date"

    terms = {
        c["sourceField"]: c
        for o in lens.values()
        for c in _columns(o)
        if c["operationType"] == "terms"
    }
    assert set(terms) == {"format", "model"}
    assert terms["model"]["params"]["size"] == 10
    assert all(IMAGE_PROPERTIES[f]["type"] == "keyword" for f in terms)

    maps = [o for o in objects.values() if o["type"] == "map"]
    assert len(maps) == 1
    sources = [
        layer["sourceDescriptor"]
        for layer in json.loads(maps[0]["attributes"]["layerListJSON"])
        if layer["sourceDescriptor"]["type"] == "ES_SEARCH"
    ]
    assert [s["geoField"] for s in sources] == ["location"]
    assert IMAGE_PROPERTIES["location"]["type"] == "geo_point"
    index_refs = {r["name"] for r in maps[0]["references"]}
    assert {s["indexPatternRefName"] for s in sources} <= index_refs

    searches = [o for o in objects.values() if o["type"] == "search"]
    assert len(searches) == 1
    source = json.loads(searches[0]["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    assert source["query"]["query"] == "metadata_error:*"
    assert searches[0]["attributes"]["sort"] == [["uploaded_at", "desc"]]
    assert source["indexRefName"] in {r["name"] for r in searches[0]["references"]}
