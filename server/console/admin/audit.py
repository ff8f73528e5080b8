"""Administration: the audit log — filters, pages newest first, and the filtered log as CSV
(UTF-8 with BOM, so Excel reads the Chinese)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import Response, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from server import context
from server.console.admin import audit_labels
from server.console.admin.common import any_label, page_number, pages_of, put_errors
from server.console.admin.forms import AuditFilterForm
from server.console.blueprint import bp
from server.console.labels import local
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.admin import audit_log, audit_names
from server.services.core import cells
from server.services.core.errors import Invalid

PAGE_SIZE = 50


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.action.choices = [("", any_label())] + [
        (code, str(text)) for code, text in audit_labels.ACTIONS.items()
    ]
    form.entity.choices = [("", any_label())] + [
        (code, str(text)) for code, text in audit_labels.ENTITIES.items()
    ]
    return form


def _filters(form: AuditFilterForm) -> audit_log.AuditFilter | None:
    """The filters, or None with the messages on the form."""
    if not form.validate():
        return None
    actor_id = None
    if form.who.data:
        who = audit_log.find_actor(db.session, form.who.data.strip())
        if who is None:
            form.who.errors = [_("No such user.")]
            return None
        actor_id = who.id
    filters = audit_log.AuditFilter(
        actor_id=actor_id,
        action=form.action.data or None,
        entity=form.entity.data or None,
        entity_id=(form.entity_id.data or "").strip() or None,
        since=form.since.data,
        until=form.until.data,
    )
    try:
        audit_log.check(filters)
    except Invalid as refusal:
        put_errors(form, refusal)
        return None
    return filters


@bp.get("/admin/audit")
@roles_required("admin")
def admin_audit():
    """Who did what to which record, newest first; secrets show as ***."""
    form = _form()
    filters = _filters(form)
    args = {k: v for k, v in request.args.items() if k != "page"}
    if filters is None:
        return render_template("console/admin_audit.html", form=form, page=None, args=args), 422
    page = audit_log.search(
        db.session, actor(), filters, tz=context.tz(), page=page_number(), page_size=PAGE_SIZE
    )
    names = audit_names.record_names(db.session, [entry.event for entry in page.items])
    return render_template(
        "console/admin_audit.html",
        form=form,
        page=page,
        pages=pages_of(page),
        args=args,
        first=audit_labels.FIRST,
        records={key: _record(key, named) for key, named in names.items()},
        refs=audit_names.referenced_names(db.session, [entry.diff for entry in page.items]),
    )


def _record(key: tuple[str, str], named: audit_names.Named) -> tuple[str, str]:
    """A record as people read it (入户走访 · 户主 · 日期) and the page that shows it."""
    entity, entity_id = key
    words = [audit_labels.entity_label(entity), named.name]
    if named.at is not None:
        words.append(local(named.at, "%Y-%m-%d"))
    if entity in ("visit", "interview"):
        url = url_for("console.review_record", entity=entity, record_id=entity_id)
    elif named.household_id is not None:
        url = url_for("console.household", household_id=named.household_id)
    elif entity == "user":
        url = url_for("console.admin_user", user_id=int(entity_id))
    else:
        url = url_for("console.admin_area", area_id=int(entity_id))
    return " · ".join(words), url


def _cell(value: str) -> str:
    return cells.as_text(value)


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([_cell(v) for v in values])
    return out.getvalue()


def _lines(filters: audit_log.AuditFilter) -> Iterator[bytes]:
    header = [_("When"), _("Who"), _("Tablet"), _("Action"), _("Record type"), _("Record id")]
    yield ("\ufeff" + _csv_line([*header, _("Changes")])).encode("utf-8")
    for entry in audit_log.every(db.session, actor(), filters, tz=context.tz()):
        event, who = entry.event, entry.actor
        changes = "; ".join(
            f"{name}: {old} → {new}"
            for name, old, new in audit_labels.changes(entry.diff, None, event.entity)
        )
        yield _csv_line(
            [
                local(event.at, "%Y-%m-%d %H:%M:%S"),
                f"{who.display_name} ({who.username})" if who else _("System"),
                event.device_id or "",
                audit_labels.action_label(event.action),
                audit_labels.entity_label(event.entity),
                event.entity_id,
                changes,
            ]
        ).encode("utf-8")


@bp.get("/admin/audit.csv")
@roles_required("admin")
def admin_audit_export():
    """The whole filtered log, streamed in batches (a long log is never held in memory)."""
    form = _form()
    filters = _filters(form)
    if filters is None:
        return render_template("console/admin_audit.html", form=form, page=None, args={}), 422
    name = f"audit-{context.today().isoformat()}.csv"
    return Response(
        stream_with_context(_lines(filters)),
        mimetype="text/csv",  # Flask adds "; charset=utf-8"
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
