"""The docs, checked against what they describe: the settings table against `Settings`,
the compose table against `.env.example`, the API page against `/openapi.json`, the
metrics table against what the processes export, and every relative link against the
files it points to. A setting added without its row, or a row left behind for one that
is gone, fails here rather than in a reader's deployment."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from api.openapi import DOCUMENT
from inlet.settings import SECRET_FIELDS, Settings, parse_quantity
from inlet.stores.keys import PATTERNS

ROOT = Path(__file__).resolve().parents[1]
CONFIGURATION = ROOT / "docs" / "configuration.md"
PAGES = sorted(
    {ROOT / "README.md", ROOT / "BENCHMARKS.md", *ROOT.glob("*.md"), *ROOT.glob("docs/*.md")}
)
FIELDS = {field.name.upper(): field for field in dataclasses.fields(Settings)}

# Rows of the Settings table that are not `Settings` fields, and the file that reads
# each: gunicorn's configuration, Flower's own variables, prometheus_client's directory.
# Should one become a field, the field answers for it.
READ_ELSEWHERE = {
    "FLOWER_PORT": "docker-compose.yml",
    "FLOWER_BASIC_AUTH": "docker-compose.yml",
}
# Defaults the table states in words, where the field's value means the same.
DEFAULTS_IN_WORDS = {
    "SECRET_KEY": "none: required",  # the field holds the development key, refused in production
    "BROKER_URL": "`REDIS_URL`",
    "PUBLIC_BASE_URL": "the request's host",
    "WORKER_CONCURRENCY": "CPU count",
    "GUNICORN_BIND": "`0.0.0.0:$PORT`",  # empty: bind every interface on PORT
    "PROMETHEUS_MULTIPROC_DIR": "API: a new temporary directory",  # empty: made at start
}
NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")
ENV_READ = re.compile(r"""os\.environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]*)["']""")


def _section(path: Path, heading: str) -> str:
    text = path.read_text()
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _rows(section: str) -> list[list[str]]:
    """The body rows of the markdown tables in ``section``, as lists of cells."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| ---"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if cells[0] != "variable":
            rows.append(cells)
    return rows


def _settings_rows() -> list[list[str]]:
    return _rows(_section(CONFIGURATION, "## Settings"))


def _documented_settings() -> set[str]:
    names: set[str] = set()
    for cells in _settings_rows():
        if not cells[0].startswith("`NAME_FILE`"):
            names.update(NAME.findall(cells[0]))
    return names


def _compose_variables() -> set[str]:
    names: set[str] = set()
    for cells in _rows(_section(CONFIGURATION, "## Compose (`.env`)")):
        names.update(NAME.findall(cells[0]))
    return names


def test_every_settings_field_has_a_row() -> None:
    missing = set(FIELDS) - _documented_settings()
    assert missing == set(), f"Settings fields without a row in {CONFIGURATION.name}"


def test_every_row_is_a_setting_or_read_where_it_says() -> None:
    documented = _documented_settings()
    unknown = documented - set(FIELDS) - set(READ_ELSEWHERE)
    assert unknown == set(), "rows for variables nothing reads"
    assert set(READ_ELSEWHERE) <= documented
    for name, path in READ_ELSEWHERE.items():
        if name not in FIELDS:
            assert re.search(rf"\b{name}\b", (ROOT / path).read_text()), f"{path} reads no {name}"


def test_every_variable_the_processes_read_has_a_row() -> None:
    read = {
        match
        for package in ("api", "inlet", "tasks", "search")
        for source in (ROOT / package).rglob("*.py")
        for match in ENV_READ.findall(source.read_text())
    }
    assert read, "the scan found nothing: has the pattern drifted?"
    assert read - _documented_settings() == set()


def test_the_file_row_names_exactly_the_secret_fields() -> None:
    (row,) = [cells for cells in _settings_rows() if cells[0].startswith("`NAME_FILE`")]
    assert set(NAME.findall(row[0])) - {"NAME_FILE"} == {name.upper() for name in SECRET_FIELDS}


def _stated_defaults(cells: list[str]) -> dict[str, str]:
    """The default a row states for each of its variables: one each (`8000`, `2`), or
    one for all."""
    names = NAME.findall(cells[0])
    parts = [part.strip() for part in cells[1].split(", ")]
    return (
        dict(zip(names, parts, strict=True))
        if len(parts) == len(names)
        else dict.fromkeys(names, cells[1])
    )


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_the_stated_default_is_the_fields(name: str) -> None:
    (cells,) = [
        c for c in _settings_rows() if name in NAME.findall(c[0]) and "NAME_FILE" not in c[0]
    ]
    stated = _stated_defaults(cells)[name]
    if name in DEFAULTS_IN_WORDS:
        assert stated == DEFAULTS_IN_WORDS[name]
        return
    default = FIELDS[name].default
    text = stated.split(" (")[0]  # a gloss may follow: `-` (stderr)
    if default == "":
        assert text in ("empty", "none"), stated
    elif isinstance(default, int):
        assert parse_quantity(text.strip("`")) == default, stated
    else:
        assert text == f"`{default}`", stated


def _env_example_variables() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, re.M))


def test_every_env_example_variable_is_documented() -> None:
    documented = _documented_settings() | _compose_variables()
    assert _env_example_variables() - documented == set()


def test_the_compose_table_states_the_defaults_of_env_example() -> None:
    example = (ROOT / ".env.example").read_text()
    shown = dict(re.findall(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", example, re.M))
    for cells in _rows(_section(CONFIGURATION, "## Compose (`.env`)")):
        for name, text in _stated_defaults(cells).items():
            value = shown[name]
            expected = (f"`{value}`",) if value else ("generated", "empty")
            assert text.split(" (")[0] in expected, f"{name}: {text} vs .env.example {value!r}"


def test_the_compose_table_lists_only_compose_variables() -> None:
    compose = _compose_variables()
    assert compose - _env_example_variables() == set(), "not in .env.example"
    assert compose & set(FIELDS) == set(), "Inlet settings belong in the Settings table"


# --- Endpoints -----------------------------------------------------------------------

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
OPERATION = re.compile(rf"`({'|'.join(METHODS)}) (/[^`?\s]*)[^`]*`(?: \(and `HEAD`\))?")


def _operation(method: str, path: str) -> str:
    # Parameter names differ between prose ({id}) and the schema ({link_id}).
    return f"{method} {re.sub(r'{[^}]*}', '{}', path.rstrip('/') or '/')}"


def _documented_operations() -> set[str]:
    found = set()
    for page in ("api.md", "front-proxy.md"):
        for match in OPERATION.finditer((ROOT / "docs" / page).read_text()):
            found.add(_operation(match[1], match[2]))
            if match[0].endswith("(and `HEAD`)"):
                found.add(_operation("HEAD", match[2]))
    return found


def _served_operations() -> set[str]:
    return {
        _operation(method.upper(), path)
        for path, operations in DOCUMENT["paths"].items()
        if "{asset}" not in path  # the pages' own files
        for method in operations
        if method.upper() in METHODS
    }


def test_every_endpoint_is_documented_and_every_documented_one_exists() -> None:
    served, documented = _served_operations(), _documented_operations()
    assert served - documented == set(), "in /openapi.json, not in docs/api.md"
    assert documented - served == set(), "in docs/api.md, not in /openapi.json"


# --- Metrics -------------------------------------------------------------------------

METRIC = re.compile(
    r"""(Counter|Gauge|Histogram|Summary)(?:MetricFamily)?\(\s*["'](inlet_\w+)["']"""
)


def test_every_metric_the_processes_export_is_explained() -> None:
    exported = {
        # prometheus_client exposes a counter as <name>_total.
        f"{name}_total" if kind == "Counter" else name
        for package in ("api", "tasks", "inlet")
        for source in (ROOT / package).rglob("*.py")
        for kind, name in METRIC.findall(source.read_text())
    }
    assert exported, "the scan found nothing: has the pattern drifted?"
    section = _section(ROOT / "docs" / "monitoring.md", "## Dashboards and metrics")
    explained = set(re.findall(r"`(inlet_\w+)", section))
    assert exported - explained == set(), "not in docs/monitoring.md"
    assert explained - exported == set(), "explained, but no process exports it"


# --- Links ---------------------------------------------------------------------------

FENCE = re.compile(r"^```.*?^```", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#+ (.+)$", re.M)


def _prose(path: Path) -> str:
    return INLINE_CODE.sub("", FENCE.sub("", path.read_text()))


def _anchors(path: Path) -> set[str]:
    """GitHub's ids for the headings of ``path``: lower case, punctuation dropped,
    spaces as hyphens, a repeated one numbered."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _links() -> list[tuple[Path, str]]:
    return [
        (page, target)
        for page in PAGES
        for target in LINK.findall(_prose(page))
        if not re.match(r"[a-z]+:", target)
    ]


@pytest.mark.parametrize(
    ("page", "target"), _links(), ids=lambda v: v.name if isinstance(v, Path) else v
)
def test_relative_links_point_at_files_and_headings_that_exist(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    assert linked.exists(), f"{page.name} links to {target}: no such file"
    assert linked.is_relative_to(ROOT)
    if anchor and linked.suffix == ".md":
        assert anchor in _anchors(linked), f"{page.name} links to {target}: no such heading"


def test_the_docs_link_to_one_another() -> None:
    # Every page is reachable from the README: a page no one links to goes stale unread.
    linked = {(page.parent / t.partition("#")[0]).resolve() for page, t in _links()}
    for page in (ROOT / "docs").glob("*.md"):
        assert page.resolve() in linked, f"nothing links to {page.relative_to(ROOT)}"


def test_the_readme_is_the_front_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 300, "move the detail to a page under docs/"
    privacy = readme[readme.index("\n## Privacy and limits\n") :]
    assert "(docs/privacy-and-limits.md)" in privacy[: privacy.index("\n## ", 1)]


def test_the_state_page_lists_every_redis_key_as_the_keys_module_does() -> None:
    rows = [cells for cells in _rows((ROOT / "docs" / "state.md").read_text()) if cells[0] != "key"]
    declared = [[f"`{p.pattern}`", p.type, p.writer, p.reader, p.lifetime] for p in PATTERNS]
    assert rows == declared
