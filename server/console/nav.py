"""The console's navigation: which pages the bar offers, to which roles, in which order."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from server.console.blueprint import bp


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy gettext string
    roles: frozenset[str] = frozenset({"supervisor", "admin"})
    group: str = "main"  # "main" in the bar, "admin" in the 系统管理 menu


ADMIN = frozenset({"admin"})
# A page joins the bar by its endpoint; an endpoint not (yet) registered is left out.
NAV = (
    NavItem("console.dashboard", _l("Dashboard")),
    NavItem("console.review_queue", _l("Review queue")),
    NavItem("console.due_list", _l("Due and overdue")),
    NavItem("console.caseloads", _l("Caseloads")),
    NavItem("console.warnings", _l("Warnings")),
    NavItem("console.leads", _l("Leads")),
    NavItem("console.roster", _l("Roster import")),
    NavItem("console.admin_users", _l("Users"), ADMIN, "admin"),
    NavItem("console.admin_devices", _l("Devices"), ADMIN, "admin"),
    NavItem("console.admin_areas", _l("Areas"), ADMIN, "admin"),
    NavItem("console.admin_policy", _l("Schedule policy"), ADMIN, "admin"),
    NavItem("console.admin_audit", _l("Audit log"), ADMIN, "admin"),
    NavItem("console.admin_jobs", _l("Periodic jobs"), ADMIN, "admin"),
)


def nav_items(group: str) -> list[NavItem]:
    """The entries of ``group`` the signed-in user may open."""
    if not current_user.is_authenticated:
        return []
    return [
        item
        for item in NAV
        if item.group == group
        and current_user.role in item.roles
        and item.endpoint in current_app.view_functions
    ]


@bp.app_context_processor
def _nav() -> dict:
    return {"nav_items": nav_items}
