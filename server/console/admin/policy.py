"""Administration: the visit-cycle policy editor (the default cycle per hardship level and
the raising rules), validated by sync.policy and saved like the API's PUT."""

from __future__ import annotations

import hashlib

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import context
from server.console.admin.common import message
from server.console.admin.forms import PolicyForm
from server.console.blueprint import bp
from server.console.labels import choices, label
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.admin import policy as policy_admin
from server.services.core.errors import Invalid
from server.services.core.transaction import unit_of_work
from server.services.households import schedule
from sync.policy import dump_policy
from sync.protocol import canonical_json

LEVELS = ("high", "medium", "low")
CONDITIONS = {
    "categories_any": "Category",
    "member_health_any": "Health",
    "member_labour_any": "LabourCapacity",
    "levels_any": "HardshipLevel",
}


def _choose(form: PolicyForm) -> None:
    cycles = choices("VisitCycle")[1:]
    for level in LEVELS:
        form[level].choices = cycles
        form[level].label.text = label("HardshipLevel", level)
    for entry in form.rules:
        entry.form.cycle.choices = cycles
        for name, enum in CONDITIONS.items():
            entry.form[name].choices = choices(enum)[1:]


def _blank_rule() -> dict:
    return {"name": "", "name_en": "", "cycle": "monthly", **{c: [] for c in CONDITIONS}}


def _form_of_policy() -> PolicyForm:
    data = dump_policy(schedule.get_policy(db.session))
    rules = data["rules"] + [_blank_rule()]  # one empty rule to add a new one
    form = PolicyForm(formdata=None, rules=rules, **data["default"])
    _choose(form)
    return form


def _is_blank(rule) -> bool:
    texts = (rule.name.data or "") + (rule.name_en.data or "")
    return not texts.strip() and not any(rule[c].data for c in CONDITIONS)


def _policy_data(form: PolicyForm) -> tuple[dict, list]:
    """The policy's JSON form from the page, and which form entry each rule came from."""
    # A sub-form's own fields (the FormField's ``name`` is its prefix, not the rule's).
    kept = [e.form for e in form.rules if not e.form.remove.data and not _is_blank(e.form)]
    rules = [
        {
            "name": r.name.data or "",
            "name_en": r.name_en.data or "",
            "cycle": r.cycle.data,
            **{c: list(r[c].data or ()) for c in CONDITIONS},
        }
        for r in kept
    ]
    return {"default": {level: form[level].data for level in LEVELS}, "rules": rules}, kept


def _rule_message(text: str) -> str:
    # The schema's whole-rule and whole-list messages name codes; say them in words.
    if text.startswith("A rule needs at least one of"):
        return _("A rule needs at least one condition.")
    if text.startswith("Duplicate rule names"):
        return _("Two rules have the same name.")
    return message(text)


def _put_errors(form: PolicyForm, errors: dict, kept: list) -> None:
    for level, texts in (errors.get("default") or {}).items():
        if level in LEVELS:
            form[level].errors = [message(t) for t in texts]
    rules = errors.get("rules") or {}
    if isinstance(rules, list):
        form.form_errors.extend(_rule_message(t) for t in rules)
        rules = {}
    for index, fields in rules.items():
        rule = kept[int(index)]
        for name, texts in fields.items():
            texts = texts if isinstance(texts, list) else [str(texts)]
            if name in rule._fields:
                rule[name].errors = [_rule_message(str(t)) for t in texts]
            else:
                rule.form_errors.extend(_rule_message(str(t)) for t in texts)
    form.form_errors.extend(_rule_message(str(t)) for t in errors.get("_schema", ()))


def _token(data: dict) -> str:
    """Names the policy a preview showed: a save goes ahead only with the same policy."""
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()[:32]


def _preview(form: PolicyForm, data: dict):
    preview = policy_admin.preview_policy_data(
        db.session, actor=actor(), data=data, today=context.today(), tz=context.tz()
    )
    db.session.rollback()  # the preview only read
    return render_template(
        "console/admin_policy.html", form=form, preview=preview, confirm=_token(data)
    )


@bp.route("/admin/policy", methods=["GET", "POST"])
@roles_required("admin")
def admin_policy():
    """Edit the policy: a first submit previews what saving would change, the confirmed one
    (same policy) saves; on a refusal the previous one stays and the messages show."""
    if request.method == "GET":
        return render_template("console/admin_policy.html", form=_form_of_policy())
    form = PolicyForm()
    _choose(form)
    if form.validate_on_submit():
        data, kept = _policy_data(form)
        try:
            if request.form.get("confirm") != _token(data):
                return _preview(form, data)
            with unit_of_work(db.session):
                _policy, changed = policy_admin.save_policy_data(
                    db.session, actor=actor(), data=data, today=context.today(), now=context.now()
                )
        except Invalid as refusal:
            _put_errors(form, refusal.errors, kept)
        else:
            flash(_("The policy was saved; %(n)s households changed cycle.", n=changed), "success")
            return redirect(url_for("console.admin_policy"))
    if not form.form_errors:
        form.form_errors.append(_("The policy was not saved; see the messages below."))
    return render_template("console/admin_policy.html", form=form), 422
