"""axe-core (from the axe-playwright-python package) on a Playwright page: the a11y check."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

# The issue asks for no serious violations; critical ones are worse still.
BLOCKING = frozenset({"serious", "critical"})

_axe = Axe()


def violations(page, impacts: frozenset[str] = BLOCKING) -> list[dict]:
    """axe-core's violations on the page as it is now, those of the given impacts only."""
    found = _axe.run(page).response["violations"]
    return [v for v in found if v.get("impact") in impacts]


def describe(found: list[dict]) -> str:
    """One line per rule (id, impact, help) and the first few offending elements."""
    lines = []
    for v in found:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"][:5]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return "\n".join(lines)


def assert_accessible(page, impacts: frozenset[str] = BLOCKING) -> None:
    """Fail with a readable list if axe-core finds serious or critical violations."""
    found = violations(page, impacts)
    assert not found, f"axe-core on {page.url}:\n{describe(found)}"
