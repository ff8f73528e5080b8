"""The one string catalog: ``tr(key)`` for the app's words, ``label(enum, code)`` for codes."""

from __future__ import annotations

from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import OptionProperty

from mobile.i18n.catalog import CATALOG
from sync.messages import translate

LANGUAGES = ("zh", "en")


class Language(EventDispatcher):
    """The current language; kv rules bind to ``lang`` so a switch redraws every label."""

    lang = OptionProperty("zh", options=list(LANGUAGES))


language = Language()


def tr(key: str, lang: str | None = None, **values: Any) -> str:
    """The catalog text for ``key`` in ``lang`` (default: the current one), formatted."""
    zh, en = CATALOG[key]
    text = en if (lang or language.lang) == "en" else zh
    return text.format(**values) if values else text


def label(enum: Any, code: str | None, lang: str | None = None) -> str:
    """The label of a code value from ``sync.enums`` (empty for None)."""
    if not code:
        return ""
    return enum(code).label(lang or language.lang)


def message(text: str, lang: str | None = None) -> str:
    """A validation message from the shared schemas, in the current language (the one
    translation the console uses too: :mod:`sync.messages`)."""
    return translate(text, lang or language.lang)
