"""The architecture, checked: where code lives, how big it grows, what it may import.

Each rule here is one a reviewer would otherwise have to remember (docs/architecture.md,
"Packages and the data path"): HTTP stays in api/, the domain imports no web or worker framework,
nothing imports the web layer but the web layer, and no module or function grows
past what one reading can hold.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from inlet.stores.keys import PATTERNS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "inlet", "tasks", "search", "uploader")
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50
NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)$")
NOQA_WITH_REASON = re.compile(r":\s*[A-Z]+[0-9]+(?:,\s*[A-Z]+[0-9]+)*\s+-\s+\S")


def modules(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return {name.split(".")[0] for name in names}


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", list(modules(*PACKAGES)), ids=rel)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES


@pytest.mark.parametrize("path", list(modules(*PACKAGES)), ids=rel)
def test_functions_stay_short(path: Path) -> None:
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


FRAMEWORKS = {"falcon", "gunicorn", "celery", "billiard", "kombu", "api", "tasks", "search"}
# The clients of the backends: only the adapters (inlet/stores/, search/) hold them.
CLIENTS = {"redis", "minio", "urllib3", "elasticsearch", "elastic_transport", "requests"}
STORES = ROOT / "inlet" / "stores"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, dotted in full."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def domain_modules() -> list[Path]:
    return [p for p in modules("inlet") if not p.is_relative_to(STORES)]


@pytest.mark.parametrize("path", domain_modules(), ids=rel)
def test_the_domain_imports_no_framework_no_client_and_no_store(path: Path) -> None:
    assert imported(path) & (FRAMEWORKS | CLIENTS) == set()
    stores = {name for name in imported_modules(path) if name.startswith("inlet.stores")}
    assert stores == set(), "the domain uses its stores through inlet/ports.py"


@pytest.mark.parametrize("path", sorted(STORES.glob("*.py")), ids=rel)
def test_the_stores_import_no_framework(path: Path) -> None:
    # The adapters may use the domain's types and their clients, nothing above them.
    assert imported(path) & FRAMEWORKS == set()


@pytest.mark.parametrize("path", list(modules("tasks", "search")), ids=rel)
def test_only_the_api_imports_the_api(path: Path) -> None:
    assert "api" not in imported(path)
    assert "falcon" not in imported(path)


@pytest.mark.parametrize("path", list(modules("uploader")), ids=rel)
def test_the_client_imports_nothing_of_the_server(path: Path) -> None:
    assert imported(path) & (first_party() - {"uploader"}) == set()


@pytest.mark.parametrize("path", list(modules("inlet")), ids=rel)
def test_the_domain_speaks_no_http(path: Path) -> None:
    text = path.read_text()
    assert "/v1/" not in text, "URLs are built in api/"
    assert not re.search(r"\bstatus\s*=\s*[1-5][0-9][0-9]\b", text), "statuses belong in api/"


# A Redis key spelled out: the prefix followed by `:` (a key) or `.` (Celery's queue).
REDIS_KEY = re.compile(r"prefix\}[:.]")
KEYS_MODULE = ROOT / "inlet" / "stores" / "keys.py"


# The first part of each declared key after the prefix (":hashes", ":link"...).
KEY_HEADS = {":" + row.pattern.split(":")[1] for row in PATTERNS}


def key_literals(source: str) -> list[str]:
    """Strings (f-string pieces too) that spell a Redis key: the prefix and a `:`, or
    the start of a declared key after the prefix."""
    found = [match.group() for match in REDIS_KEY.finditer(source)]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            head = (
                node.value if node.value.count(":") < 2 else node.value[: node.value.index(":", 1)]
            )
            if head in KEY_HEADS:
                found.append(node.value)
    return found


@pytest.mark.parametrize("path", list(modules(*PACKAGES, "devstack", "bench")), ids=rel)
def test_only_the_keys_module_names_redis_keys(path: Path) -> None:
    # One map of state (docs/state.md): a key built elsewhere is a key nobody listed.
    if path != KEYS_MODULE:
        assert key_literals(path.read_text()) == [], "build it in inlet/stores/keys.py"


def test_the_redis_key_check_sees_a_key() -> None:
    assert key_literals('f"{self.prefix}:link:{link_id}"')
    assert key_literals('f"{settings.redis_prefix}.default"')
    assert key_literals('key = prefix + ":hashes"')
    assert key_literals('f"{p}:outbox:times"')
    assert not key_literals('f"{prefix}-images"')
    assert not key_literals('"ready: the image was decoded"')


@pytest.mark.parametrize("path", list(modules(*PACKAGES, "devstack", "tests", "bench")), ids=rel)
def test_every_noqa_gives_a_reason(path: Path) -> None:
    bare = [
        f"line {number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if (match := NOQA.search(line)) and not NOQA_WITH_REASON.match(match["rest"])
    ]
    assert bare == []


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "e2e").glob("test_*.py")), ids=rel)
def test_every_end_to_end_module_is_marked(path: Path) -> None:
    assert "pytestmark = pytest.mark.e2e" in path.read_text()


def first_party() -> set[str]:
    return {path.parent.name for path in ROOT.glob("*/__init__.py")}


# typeshed's types for annotations (imported under TYPE_CHECKING only): public by
# typeshed's own documentation despite the underscore.
PUBLIC_DESPITE_UNDERSCORE = {"_typeshed"}


def private_imports(path: Path, ours: set[str]) -> list[str]:
    """Imports of a `_`-prefixed module (or name) of another project: its private API,
    free to change in any release."""

    def private(dotted: str) -> bool:
        return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))

    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [
            f"line {node.lineno}: {name}"
            for name in modules
            if name.split(".")[0] not in ours | PUBLIC_DESPITE_UNDERSCORE and private(name)
        ]
    return found


@pytest.mark.parametrize("path", list(modules(*PACKAGES, "devstack", "bench", "tests")), ids=rel)
def test_no_private_module_of_a_dependency_is_imported(path: Path) -> None:
    assert private_imports(path, first_party()) == []


def test_the_private_import_check_sees_each_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import elastic_transport._node\n"
        "from elastic_transport._node import NodeApiResponse\n"
        "from elastic_transport import _node, HttpHeaders\n"
        "from __future__ import annotations\n"
        "from inlet._private import thing\n"
        "from elastic_transport.client_utils import DEFAULT\n"
        "from _typeshed import WriteableBuffer\n"
    )
    assert private_imports(sample, {"inlet"}) == [
        "line 1: elastic_transport._node",
        "line 2: elastic_transport._node.NodeApiResponse",
        "line 3: elastic_transport._node",
    ]
