"""简体中文 by default, English on request; the compiled catalogs match their sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parents[3] / "server" / "console" / "translations"


def test_chinese_by_default_english_on_request(world, console):
    console.as_user(world.sup_a)
    page = console.get("/console/").get_data(as_text=True)
    assert "工作台" in page and "平板同步状况" in page
    assert console.post("/console/language", {"lang": "en", "next": "/console/"}).status_code == 302
    page = console.get("/console/").get_data(as_text=True)
    assert "Sync health per tablet" in page and "平板同步状况" not in page


def test_the_language_switch_never_leaves_the_console(world, console):
    console.as_user(world.sup_a)
    response = console.post("/console/language", {"lang": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/console/"


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_compiled_catalog_is_up_to_date(locale):
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as po, open(folder / "messages.mo", "rb") as mo:
        source = {m.id: m.string for m in read_po(po) if m.id}
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert {k: v for k, v in source.items() if v} == compiled
    if locale == "zh":
        assert all(source.values()), [k for k, v in source.items() if not v]


def test_every_message_of_the_code_is_translated():
    """Each gettext string in the console's code and templates has its Chinese text (add
    new ones with ``pybabel extract``/``update``, or by hand, then ``pybabel compile``)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = TRANSLATIONS.parents[2]
    with open(TRANSLATIONS.parent / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    used = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        root, method_map, options_map, keywords=keywords
    ):
        used.add(message[0] if isinstance(message, tuple) else message)
    assert {"Dashboard", "Review queue"} <= used  # the extraction found the pages
    with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as po:
        translated = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(po) if m.string}
    assert not used - translated, sorted(used - translated)
