"""The dependency rule (DESIGN §2): sync imports neither flask nor kivy; server and mobile
never import each other; server services and models are free of Flask and of the API."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What the web stack is: a service or model must run (CLI, console, tests) without it.
FLASK_SIDE = {
    "flask",
    "flask_sqlalchemy",
    "flask_smorest",
    "flask_migrate",
    "server.api",
    "server.app",
    "server.cli",
    "server.context",
    "server.errors",
    "server.extensions",
}
FORBIDDEN = {
    "sync": {
        "flask",
        "flask_sqlalchemy",
        "flask_smorest",
        "kivy",
        "sqlalchemy",
        "server",
        "mobile",
    },
    "server": {"mobile", "kivy"},
    "server/services": FLASK_SIDE | {"mobile", "kivy"},
    "server/models": FLASK_SIDE | {"server.services", "mobile", "kivy"},
    "mobile": {"server", "flask", "flask_sqlalchemy", "flask_smorest", "sqlalchemy"},
}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, dotted (``from a import b`` gives ``a`` and ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offending(names: set[str], forbidden: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_dependency_rule(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    rule = FORBIDDEN[package]
    offences = {str(f.relative_to(ROOT)): _offending(_imports(f), rule) for f in files}
    assert {f: bad for f, bad in offences.items() if bad} == {}


@pytest.mark.parametrize(
    ("names", "forbidden", "expected"),
    [
        ({"enum"}, {"enum"}, ["enum"]),
        ({"server.api.security"}, {"server.api"}, ["server.api.security"]),
        ({"server", "server.errors"}, {"server.errors"}, ["server.errors"]),
        ({"server.apiary"}, {"server.api"}, []),
        ({"flask_smorest"}, {"flask"}, []),
    ],
)
def test_the_rule_check_matches_whole_module_names(names, forbidden, expected):
    """Guard the guard: a forbidden module and its submodules match, a lookalike does not."""
    assert _offending(names, forbidden) == expected


def test_the_rule_check_sees_imports():
    """The scanner notices both import forms, including ``from package import module``."""
    assert "enum" in _imports(ROOT / "sync" / "enums.py")
    assert "server.services.core.errors" in _imports(
        ROOT / "server" / "services" / "core" / "scope.py"
    )


def _loaded_after_importing(modules: list[str], roots: set[str]) -> list[str]:
    """Top-level packages among ``roots`` loaded by importing ``modules`` afresh."""
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "loaded = {n.split('.')[0] for n in sys.modules}\n"
        f"print(json.dumps(sorted(loaded & set({sorted(roots)!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout)


def _modules(package: str) -> list[str]:
    base = ROOT / package
    return sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in base.rglob("*.py")
        if p.stem != "__init__"
    )


def test_importing_sync_loads_neither_flask_nor_kivy():
    """At run time too: the tablet can load the shared core without the server stack."""
    roots = {"flask", "kivy", "sqlalchemy", "server", "mobile"}
    assert _loaded_after_importing(_modules("sync"), roots) == []


def test_importing_services_and_models_loads_no_flask():
    """The CLI, the coming console and tests can use services without the web stack."""
    roots = {"flask", "flask_sqlalchemy", "flask_smorest", "flask_migrate", "kivy", "mobile"}
    modules = _modules("server/services") + _modules("server/models")
    assert _loaded_after_importing(modules, roots) == []


def test_the_pure_sync_tests_run_without_the_server_stack():
    """tests/sync tests the tablet's core alone, so running it loads neither Flask nor
    SQLAlchemy (the tests that need the app live in tests/e2e)."""
    import subprocess
    import sys

    code = (
        "import sys, pytest\n"
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', 'tests/sync'])\n"
        "print('loaded:', sorted(n for n in sys.modules if n.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'server', 'kivy', 'mobile'}))\n"
        "sys.exit(code)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert " passed" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "loaded: []"
