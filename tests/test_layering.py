"""The dependency rule (DESIGN §2): sync imports neither flask nor kivy; server and mobile
never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

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
    "mobile": {"server", "flask", "flask_sqlalchemy", "flask_smorest"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_dependency_rule(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    offences = {str(f.relative_to(ROOT)): sorted(_imports(f) & FORBIDDEN[package]) for f in files}
    assert {f: bad for f, bad in offences.items() if bad} == {}


def test_the_rule_check_sees_imports():
    """Guard the guard: the scanner must notice a forbidden import."""
    sample = ROOT / "sync" / "enums.py"
    assert "enum" in _imports(sample)


def test_importing_sync_loads_neither_flask_nor_kivy():
    """At run time too: the tablet can load the shared core without the server stack."""
    import subprocess
    import sys

    modules = sorted(p.stem for p in (ROOT / "sync").glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module('sync.' + m)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in "
        "{'flask', 'kivy', 'sqlalchemy', 'server', 'mobile'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


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
