"""The layout inside `server`: services by domain with a one-way dependency rule between the
domains, a console that does not reach into the API, and no private helper borrowed across
packages (docs/architecture.md, "Domains")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "server" / "services"

# Which service domains each domain may import (besides itself). Acyclic by construction:
# a test below checks it, so a circle between domains cannot be added by widening a row.
DOMAIN_DEPENDENCIES: dict[str, set[str]] = {
    "core": set(),
    "auth": {"core"},
    "caseload": {"core"},
    "households": {"core", "caseload"},
    "review": {"core"},
    "leads": {"core", "households"},
    "overview": {"core", "households"},
    "warnings": {"core", "households"},
    "sync": {"core", "auth", "caseload", "households", "leads", "review", "warnings"},
    "admin": {"core", "auth", "households", "overview"},
    "roster": {"core", "caseload", "households", "sync", "warnings"},
    "jobs": {"core", "households", "sync", "warnings"},
}


def _imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in _imports(path):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["server", "services"] else None


def test_every_service_lives_in_a_domain_package():
    """No loose module at the top of server/services: a newcomer finds each by its domain."""
    loose = sorted(p.name for p in SERVICES.glob("*.py") if p.name != "__init__.py")
    assert loose == []
    domains = {p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists()}
    assert domains == set(DOMAIN_DEPENDENCIES)


@pytest.mark.parametrize("domain", sorted(DOMAIN_DEPENDENCIES))
def test_a_domain_imports_only_the_domains_it_may(domain):
    allowed = DOMAIN_DEPENDENCIES[domain] | {domain}
    offences = {}
    for path in sorted((SERVICES / domain).rglob("*.py")):
        used = {_domain_of(m) for m in _imported_modules(path)} - {None}
        if used - allowed:
            offences[str(path.relative_to(ROOT))] = sorted(used - allowed)
    assert offences == {}


def test_each_domain_has_a_one_line_docstring():
    for init in sorted(SERVICES.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "\n" not in doc.strip(), init


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a path of nodes, or None (depth-first, three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_domain_rule_has_no_circle():
    assert _cycle(DOMAIN_DEPENDENCIES) is None


def test_the_cycle_finder_finds_a_cycle():
    """Guard the guard."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_console_does_not_import_the_api():
    """Schemas both need live below both (server/services/households/edits.py)."""
    offences = {
        str(p.relative_to(ROOT)): sorted(
            m for m in _imported_modules(p) if m == "server.api" or m.startswith("server.api.")
        )
        for p in sorted((ROOT / "server" / "console").rglob("*.py"))
    }
    assert {p: m for p, m in offences.items() if m} == {}


def _package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])


@pytest.mark.parametrize("top", ["server", "sync", "mobile", "bench"])
def test_no_private_name_is_imported_from_another_package(top):
    """A helper two packages need gets a public name where it belongs."""
    offences = []
    for path in sorted((ROOT / top).rglob("*.py")):
        for node in _imports(path):
            if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
                continue
            home = node.module.rsplit(".", 1)[0]
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and home != _package_of(path):
                    offences.append(f"{path.relative_to(ROOT)}: {node.module}.{alias.name}")
    assert offences == []


def _named_in_the_docs(text: str) -> tuple[set[str], set[str]]:
    """The directories and modules the code blocks' layout trees name, as paths (a tree's
    first line is a root such as ``server/`` or ``server/console/``; two spaces a level)."""
    dirs: set[str] = set()
    modules: set[str] = set()
    for block in text.split("```")[1::2]:
        stack: list[tuple[int, str]] = []
        for line in block.splitlines():
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip(" "))
            token = line.split()[0].rstrip(",")
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else ""
            if token.endswith("/") and "{" not in token:
                path = f"{parent}/{token[:-1]}" if parent else token[:-1]
                dirs.add(path)
                stack.append((indent, path))
            elif token.endswith(".py") and parent:
                modules.add(f"{parent}/{token}")
                if "/" in token:  # ``testing/driver.py`` names its directory too
                    dirs.add(f"{parent}/{token.rsplit('/', 1)[0]}")
    return dirs, modules


def test_the_architecture_page_names_every_package_and_nothing_gone():
    """docs/architecture.md's layout trees stay true: every package of server/, sync/ and
    mobile/ is named, and every directory or module they name exists."""
    dirs, modules = _named_in_the_docs((ROOT / "docs" / "architecture.md").read_text("utf-8"))
    packages = {
        str(init.parent.relative_to(ROOT))
        for top in ("server", "sync", "mobile")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert sorted(packages - dirs) == []
    mine = ("server", "sync", "mobile", "tests", "bench")
    gone = sorted(p for p in dirs | modules if p.startswith(mine) and not (ROOT / p).exists())
    assert gone == []


def test_the_tree_reader_follows_indentation():
    """Guard the guard."""
    text = "```\nserver/   x\n  api/     y\n    a.py  z\n  b.py\nsync/\n  c.py, d.py\n```"
    assert _named_in_the_docs(text) == (
        {"server", "server/api", "sync"},
        {"server/api/a.py", "server/b.py", "sync/c.py"},
    )


@pytest.mark.parametrize("top", ["server", "sync", "mobile", "bench"])
def test_no_module_is_over_400_lines(top):
    """Small modules a newcomer can read (migrations aside: Alembic writes them)."""
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted((ROOT / top).rglob("*.py"))
        if "versions" not in p.parts and (n := len(p.read_text("utf-8").splitlines())) > 400
    }
    assert long == {}
