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


# --- import circles --------------------------------------------------------------------------

GRAPH_PACKAGES = ("server", "sync", "mobile", "bench")
# Circles not broken yet, each the set of modules in it; the test tolerates exactly these.
# It stays empty: a circle is broken, not listed (a stale entry fails the test below).
KNOWN_CIRCLES: set[frozenset[str]] = set()


def _module_files(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of ``packages`` by dotted name (a package by its own name)."""
    files = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def _imported(node: ast.Import | ast.ImportFrom, module: str, package: bool, known) -> set[str]:
    """The modules of ``known`` an import statement in ``module`` names."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the module's package, one level up per extra dot
            parts = module.split(".")[: len(module.split(".")) - (0 if package else 1)]
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*parts, base] if base else parts)
        # ``from package import module`` names the submodule; ``from module import name``
        # the module itself.
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    found = set()
    for name in names:
        while name and name not in known:  # ``import a.b.c`` of a module a.b: a.b
            name = name.rpartition(".")[0]
        if name:
            found.add(name)
    return found


def import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    """Who imports whom among ``files``: every import statement, at module level or inside a
    function (a lazy import only hides a circle until the function runs).

    A package's ``__init__`` is not counted as imported by its submodules' importers: what
    counts is what the code names.
    """
    graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = path.name == "__init__.py"
        graph[module] = set().union(
            *(
                _imported(node, module, package, files)
                for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom)
            )
        )
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def circles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Each set of modules that import one another, directly or round about."""
    reach = {module: _reachable(graph, module) for module in graph}
    return {
        frozenset({m} | {other for other in reach[m] if m in reach[other]})
        for m in graph
        if m in reach[m]
    }


def _one_way_round(graph: dict[str, set[str]], circle: frozenset[str]) -> str:
    """``a -> b -> a``: the shortest way round from the circle's first module, for the
    message."""
    start = min(circle)
    paths = {start: [start]}
    todo = [start]
    while todo:
        here = todo.pop(0)
        for nxt in sorted(graph[here] & circle):
            if nxt == start:
                return " -> ".join([*paths[here], start])
            if nxt not in paths:
                paths[nxt] = [*paths[here], nxt]
                todo.append(nxt)
    raise AssertionError(f"{sorted(circle)} is not a circle")


def test_no_module_imports_itself_round_about():
    """No import circles in server, sync, mobile, bench (beyond KNOWN_CIRCLES)."""
    graph = import_graph(_module_files(ROOT, GRAPH_PACKAGES))
    assert "server.cli.group" in graph["server.cli"]  # the lazy import is seen
    new = circles(graph) - set(KNOWN_CIRCLES)  # set(): an emptied {} is a dict
    assert not new, "import circles:\n" + "\n".join(sorted(_one_way_round(graph, c) for c in new))


def test_every_known_circle_still_exists():
    """KNOWN_CIRCLES only shrinks: an entry whose circle was broken must be deleted."""
    found = circles(import_graph(_module_files(ROOT, GRAPH_PACKAGES)))
    assert {c for c in KNOWN_CIRCLES if c not in found} == set()


def test_the_circle_check_finds_a_circle(tmp_path):
    """Guard the guard: a circle made of a lazy import and ``from package import module``
    (and a relative import) is found and named; a module that only imports into it is not
    part of it."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "one.py").write_text("def later():\n    from pkg.sub import two\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "two.py").write_text("from ..three import X\n")
    (pkg / "three.py").write_text("from pkg import one\nX = 1\n")
    (pkg / "four.py").write_text("import pkg.one.later\nfrom pkg import sub\n")
    graph = import_graph(_module_files(tmp_path, ("pkg",)))
    assert graph["pkg.four"] == {"pkg.one", "pkg.sub"}
    found = circles(graph)
    assert found == {frozenset({"pkg.one", "pkg.sub.two", "pkg.three"})}
    assert _one_way_round(graph, next(iter(found))) == (
        "pkg.one -> pkg.sub.two -> pkg.three -> pkg.one"
    )
