"""The dashboard: this period's completion, schedule counts, visits per month, open
warnings and sync health per tablet, each saying as of when."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from server import context
from server.console.blueprint import bp
from server.console.dashboard import charts
from server.console.due.views import STATE_LABELS
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.households import schedule
from server.services.overview import dashboard as figures
from server.services.warnings import queue as warning_queue


@bp.get("/")
@roles_required()
def dashboard():
    """The area in scope at a glance."""
    now, today, tz = context.now(), context.today(), context.tz()
    summary = schedule.summary(db.session, actor(), schedule.DueQuery(on=today), tz=tz)
    months = figures.visits_per_month(db.session, actor(), today=today, tz=tz)
    tablets = figures.sync_health(db.session, actor(), now)
    return render_template(
        "console/dashboard.html",
        now=now,
        summary=summary,
        states=STATE_LABELS,
        warnings=figures.open_warnings_by_level(db.session, actor()),
        warning_counts=warning_queue.counts(db.session, actor(), now),
        tablets=tablets,
        unsent=sum(t.device.pending_count or 0 for t in tablets),
        completion_chart=charts.completion(
            _("Visited this period, per community"), summary["communities"]
        ),
        months_chart=charts.per_month(_("Visits per month (last 12 months)"), months),
    )
