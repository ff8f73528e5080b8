"""The household file (一户一档) page."""

from __future__ import annotations

import uuid

from flask import render_template

from server import context
from server.console.blueprint import bp
from server.console.labels import lang
from server.console.security import actor, roles_required
from server.extensions import db
from server.services import household_file


@bp.get("/households/<uuid:household_id>")
@roles_required()
def household(household_id: uuid.UUID):
    """Members (ID numbers as the role may see them), level, cycle and why, both streets
    of a 人户分离 household, and the timeline."""
    file = household_file.household_file(
        db.session, actor(), household_id, today=context.today(), lang=lang()
    )
    return render_template("console/household.html", file=file)
