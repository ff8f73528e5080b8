"""One catalog: every kv text goes through it, every key exists in zh and en."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mobile.i18n import label, tr
from mobile.i18n.catalog import CATALOG
from sync.enums import Outcome

KV_FILES = sorted((Path(__file__).parents[2] / "mobile").rglob("*.kv"))
TEXT_LITERAL = re.compile(r"^\s*(text|hint_text)\s*:\s*['\"][^'\"]+['\"]\s*$", re.M)


@pytest.mark.parametrize("path", KV_FILES, ids=lambda p: p.name)
def test_kv_files_use_only_catalog_keys(path):
    source = path.read_text(encoding="utf-8")
    assert not TEXT_LITERAL.findall(source)
    for key in re.findall(r"tr\('([\w.]+)'", source):
        assert key in CATALOG, key
    assert not re.search(r"[\u4e00-\u9fff]", source), "Chinese belongs in the catalog"


def test_every_entry_has_both_languages():
    assert all(zh and en for zh, en in CATALOG.values())


def test_code_labels_come_from_sync_enums():
    assert label(Outcome, "completed", "zh") == "见面走访"
    assert label(Outcome, "completed", "en") == Outcome.completed.label("en")
    assert tr("tab.overdue", "en") == "Overdue"


@pytest.mark.parametrize(
    ("text", "zh"),
    [
        ("Must be between 5 and 20 characters long.", "长度应为 5–20 个字符"),
        ("Must be at most 50 characters long.", "最多 50 个字符"),
        ("Missing data for required field.", "必填项"),
        ("Something else.", "无效：Something else."),
    ],
)
def test_shared_schema_messages_read_in_chinese(text, zh):
    from mobile.i18n import message

    assert message(text, "zh") == zh
