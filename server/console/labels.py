"""Code values as the reader's language says them (labels from sync.enums), for templates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import get_locale

from server.console.blueprint import bp
from sync import enums


def lang() -> str:
    """The page's language code ("zh" or "en")."""
    return str(get_locale() or "zh")


def label(enum_name: str, code: str | None) -> str:
    """The label of ``code`` in the enumeration ``enum_name`` of :mod:`sync.enums`."""
    if code is None or code == "":
        return ""
    enum = getattr(enums, enum_name)
    try:
        return enum(code).label(lang())
    except ValueError:
        return code


def joined(items) -> str:
    """Several words, joined the way the language lists them (、 in Chinese)."""
    sep = "、" if lang() == "zh" else ", "
    return sep.join(str(i) for i in items or ())


def labels(enum_name: str, codes) -> str:
    """Several labels, joined the way the language lists them."""
    return joined(label(enum_name, c) for c in codes or ())


def choices(enum_name: str, blank: str = "") -> list[tuple[str, str]]:
    """Select options for every code of ``enum_name`` (with a blank "any" first)."""
    enum = getattr(enums, enum_name)
    return [("", blank)] + [(c, enum(c).label(lang())) for c in enum.codes()]


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant shown in the deployment's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def zone_name() -> str:
    """The deployment's time zone as readers name it (北京时间 for Asia/Shanghai)."""
    from flask_babel import gettext as _

    zone = current_app.config["TIMEZONE"]
    return _("Beijing time") if zone in ("Asia/Shanghai", "Asia/Chongqing") else zone


@bp.app_context_processor
def _helpers():
    return {
        "label": label,
        "labels": labels,
        "joined": joined,
        "local": local,
        "lang": lang,
        "zone_name": zone_name,
    }
