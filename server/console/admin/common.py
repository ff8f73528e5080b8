"""What the administration pages share: service messages in the reader's language, field
errors onto forms, area and role choices, the page number."""

from __future__ import annotations

import re

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form

from server.console.labels import label, lang
from server.extensions import db
from server.services.admin import areas
from server.services.core import paging
from server.services.core.errors import ServiceError
from sync.enums import Role

# The services' refusals (English, as the API answers them) → the console's catalog.
MESSAGES = {
    "This username is taken.": _l("This username is taken."),
    "1 to 64 characters.": _l("1 to 64 characters."),
    "1 to 100 characters.": _l("1 to 100 characters."),
    "At least 8 characters.": _l("At least 8 characters."),
    "At most 256 characters.": _l("At most 256 characters."),
    "Not your own deactivate.": _l("You cannot deactivate your own account."),
    "Not your own reset.": _l("Change your own password on the password page."),
    "Not your own role.": _l("You cannot change your own role."),
    "Hand over this advisor's caseload first.": _l("Hand over this advisor's caseload first."),
    "Some of this advisor's households lie outside it.": _l(
        "Some of this advisor's households lie outside this area."
    ),
    "1 to 32 letters, digits, - or _.": _l("1 to 32 letters, digits, - or _."),
    "This code is taken.": _l("This code is taken."),
    "Before the start date.": _l("Before the start date."),
    "No such date in the log.": _l("No such date in the log."),
    "Between 2000 and 2099.": _l("Between 2000 and 2099."),
    "Missing data for required field.": _l("Required."),
    "Must not be blank.": _l("Required."),
    "Not a valid choice.": _l("Not a valid choice."),
}
# Messages that name codes (the role, the kind) are put by field instead.
BY_FIELD = {
    "area": _l("This role cannot belong to an area of this kind."),
    "parent": _l("This kind of area cannot belong there."),
}


# marshmallow's own messages (the API's schemas) carry numbers: matched, then worded.
PATTERNS = (
    (r"Length must be between (\S+) and (\S+)\.", _l("Between %(a)s and %(b)s characters.")),
    (r"Shorter than minimum length (\S+)\.", _l("At least %(a)s characters.")),
    (r"Longer than maximum length (\S+)\.", _l("At most %(a)s characters.")),
    (
        r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
        _l("From %(a)s to %(b)s."),
    ),
    (r"Must be greater than or equal to (\S+)\.", _l("At least %(a)s.")),
    (r"Must be less than or equal to (\S+)\.", _l("At most %(a)s.")),
    (r"Not a valid integer\.", _l("Not a whole number.")),
    (r"Not a valid (?:date|datetime)\.", _l("Not a valid date.")),
    (r"Field may not be null\.", _l("Required.")),
    (r"Unknown field\.", _l("Not a field of this form.")),
    (r"Must be one of: .*\.", _l("Not a valid choice.")),
)


def message(text: str, field: str | None = None) -> str:
    """A service's message as the reader's language says it."""
    if text in MESSAGES:
        return str(MESSAGES[text])
    if field in BY_FIELD:
        return str(BY_FIELD[field])
    for pattern, words in PATTERNS:
        found = re.fullmatch(pattern, text)
        if found:
            values = dict(zip(("a", "b"), found.groups(), strict=False))
            return str(words) % values if values else str(words)
    return text


def put_errors(form: Form, error: ServiceError) -> None:
    """Show a refusal's field errors beside the form's fields (the rest above the form)."""
    for name, texts in (error.errors or {}).items():
        translated = [message(t, name) for t in texts]
        field = form._fields.get(name)
        if field is not None:
            field.errors = list(field.errors or ()) + translated
        else:
            form.form_errors.extend(translated)
    if not error.errors:
        form.form_errors.append(message(error.message))


def area_choices(actor, blank: str | None = None) -> list[tuple[str, str]]:
    """Every area as a select option, "district › street › community", in tree order."""
    options = [("", blank)] if blank is not None else []

    def walk(nodes, prefix: str) -> None:
        for node in nodes:
            name = f"{prefix}{node.area.name}"
            kind = label("AreaKind", node.area.kind)
            shown = f"{name}（{kind}）" if lang() == "zh" else f"{name} ({kind})"
            options.append((str(node.area.id), shown))
            walk(node.children, f"{name} › ")

    walk(areas.tree(db.session, actor), "")
    return options


def chosen_area(actor, value: str | None):
    """The area a select named (None for the blank option)."""
    number = paging.whole_number(value)
    return areas.get_area(db.session, actor, number) if number is not None else None


def role_choices(blank: str | None = None) -> list[tuple[str, str]]:
    head = [("", blank)] if blank is not None else []
    return head + [(code, label("Role", code)) for code in Role.codes()]


def page_number() -> int:
    """The ``page`` query argument (1 if absent or not a number)."""
    return paging.page_number(request.args.get("page"))


def pages_of(page) -> int:
    """How many pages a :class:`~server.services.core.paging.Page`'s list has."""
    return max(1, -(-page.total // page.page_size))


def any_label() -> str:
    return _("Any")
