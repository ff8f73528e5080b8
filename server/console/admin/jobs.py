"""Administration: the worker's periodic jobs — next run, last outcome — and "run now"."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server import context
from server.console.blueprint import bp
from server.console.forms import ActionForm
from server.console.security import actor, roles_required
from server.extensions import db
from server.models import Job
from server.services.core.transaction import unit_of_work
from server.services.jobs import claims, registry

# The jobs as an admin reads them (a job without a label shows its code).
JOB_LABELS = {
    "schedule_refresh": _l("Visit cycle refresh"),
    "overdue_scan": _l("Overdue warning scan"),
    "sync_prune": _l("Sync bookkeeping clean-up"),
}
JOB_HELP = {
    "schedule_refresh": _l("Recomputes every household's visit cycle (overrides expire)."),
    "overdue_scan": _l("Raises a blue warning for each household overdue by two periods or more."),
    "sync_prune": _l("Removes push answers and deletion marks older than 90 days."),
}
# The worker looks for due jobs every 30 s by default: a job due longer than this is late.
OVERDUE_AFTER = timedelta(minutes=10)
STATUS_LABELS = {"ok": _l("Succeeded"), "failed": _l("Failed"), None: _l("Never run")}
# A job's last counts, worded (the worker keeps them as JSON: {"changed": 3}).
SUMMARIES = {
    "schedule_refresh": _l("%(changed)s households changed cycle"),
    "overdue_scan": _l("%(raised)s overdue warnings raised"),
    "sync_prune": _l("%(removed)s rows removed"),
}


def _summary(job: Job) -> str:
    """The job's last counts in the reader's language ("" before a successful run)."""
    if job.last_status != "ok" or not job.last_summary:
        return ""
    counts = json.loads(job.last_summary)
    wording = SUMMARIES.get(job.name)
    try:
        return str(wording) % counts if wording else job.last_summary
    except (KeyError, TypeError):  # counts from an older version of the job
        return job.last_summary


@bp.get("/admin/jobs")
@roles_required("admin")
def admin_jobs():
    """Every periodic job: when it runs next, how its last run ended, and who runs it now."""
    now = context.now()
    with unit_of_work(db.session):
        claims.ensure_jobs(db.session, registry.JOBS, now, context.tz())
    return render_template(
        "console/admin_jobs.html",
        rows=[(job, _summary(job)) for job in claims.statuses(db.session)],
        labels=JOB_LABELS,
        help=JOB_HELP,
        statuses=STATUS_LABELS,
        now=now,
        # A due job nobody claimed for this long: no worker is running (or all are stuck).
        late=now - OVERDUE_AFTER,
        form=ActionForm(),
    )


@bp.post("/admin/jobs/<name>/run")
@roles_required("admin")
def admin_job_run(name: str):
    """Make a job due now: the worker's next pass runs it."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if name not in {spec.name for spec in registry.JOBS}:
        abort(404)  # a known name only: an odd one (a NUL) never reaches the database
    with unit_of_work(db.session):
        found = claims.run_soon(db.session, actor=actor(), name=name, now=context.now())
    if not found:
        abort(404)
    flash(_("The worker will run it within a minute."), "success")
    return redirect(url_for("console.admin_jobs"))
