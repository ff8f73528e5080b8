"""The due and overdue list, on the page and as CSV / XLSX downloads."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, abort, render_template, request
from flask_babel import lazy_gettext as _l

from server import context
from server.console import exports
from server.console.admin.common import pages_of
from server.console.blueprint import bp
from server.console.forms import DueFilterForm
from server.console.labels import lang
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.core import areas_in_scope, paging
from server.services.households import schedule

PAGE_SIZE = 50
EXPORT_BATCH = 500  # the due list's largest page
STATE_LABELS = {
    "overdue": _l("Overdue"),
    "due": _l("Due this period"),
    "new": _l("Newly enrolled"),
    "done": _l("Visited this period"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query() -> tuple[DueFilterForm, schedule.DueQuery]:
    form = DueFilterForm(request.args)
    form.community.choices = [("", _l("Any"))] + [
        (str(a.id), a.name) for a in areas_in_scope.communities(db.session, actor())
    ]
    form.advisor.choices = [("", _l("Any"))] + [
        (str(u.id), u.display_name) for u in areas_in_scope.advisors(db.session, actor())
    ]
    form.state.choices = [("", _l("Any"))] + list(STATE_LABELS.items())
    if not form.validate():
        abort(400)
    community, advisor = form.community.data, form.advisor.data
    query = schedule.DueQuery(
        on=context.today(),
        community_id=int(community) if community else None,
        advisor_id=int(advisor) if advisor else None,
        states=frozenset([form.state.data] if form.state.data else ()),
    )
    return form, query


def _page() -> int:
    return paging.page_number(request.args.get("page"))


@bp.get("/due")
@roles_required()
def due_list():
    """Overdue first, then fewest days left; visited households last."""
    form, query = _query()
    page = schedule.due_list(
        db.session, actor(), query, tz=context.tz(), page=_page(), page_size=PAGE_SIZE, lang=lang()
    )
    export_args = {k: v for k, v in request.args.items() if k != "page"}
    advisors = areas_in_scope.display_names(
        db.session, (i.household.assigned_advisor_id for i in page.items)
    )
    return render_template(
        "console/due.html",
        form=form,
        page=page,
        pages=pages_of(page),
        states=STATE_LABELS,
        export_args=export_args,
        advisors=advisors,
    )


def _all_rows(query: schedule.DueQuery) -> Iterator[list]:
    number = 1
    while True:
        page = schedule.due_list(
            db.session,
            actor(),
            query,
            tz=context.tz(),
            page=number,
            page_size=EXPORT_BATCH,
            lang=lang(),
        )
        for item in page.items:
            yield exports.row(item, str(STATE_LABELS[item.status.state.value]))
        if number * EXPORT_BATCH >= page.total:
            return
        number += 1


@bp.get("/due.<any(csv, xlsx):fmt>")
@roles_required()
def due_export(fmt: str):
    """The whole filtered list as a file to open in Excel or WPS."""
    _form, query = _query()
    rows = list(_all_rows(query))
    name = f"due-{query.on.isoformat()}.{fmt}"
    if fmt == "csv":
        body, mimetype = exports.to_csv(rows), "text/csv"  # Flask adds "; charset=utf-8"
    else:
        body, mimetype = exports.to_xlsx(rows), XLSX
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )
