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
        ("Something else.", "输入无效"),
    ],
)
def test_shared_schema_messages_read_in_chinese(text, zh):
    from mobile.i18n import message

    assert message(text, "zh") == zh


ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def _failures():
    """Every transport and auth failure the sync client raises, as the app meets them."""
    from sync import wire

    kinds = [wire.SyncError, *_subclasses(wire.SyncError)]
    for kind in kinds:
        for status in (None, 400, 401, 403, 404, 413, 422, 429, 500, 502, 503):
            yield kind(f"GET https://x/api -> {status}", status=status)
    yield OSError("Connection refused")
    yield ConnectionResetError()
    yield TimeoutError()
    yield ValueError("garbled")


def _subclasses(kind):
    for sub in kind.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_transport_and_auth_failure_reads_in_chinese_and_says_what_is_safe():
    from mobile.syncer import failure_kind
    from mobile.viewmodels.auth import SignInViewModel

    shown = set()
    for error in _failures():
        shown.add(tr(f"failure.{failure_kind(error)}", "zh"))
        vm = SignInViewModel.__new__(SignInViewModel)  # only its error text is read
        SignInViewModel._bad(vm, error)
        shown.add(vm.error)
    assert {text for text in shown if ENGLISH_WORD.search(text)} == set()
    assert "无法连接服务器：记录已保存在本机，联网后自动上传" in shown
    assert all("本机" in tr(key, "zh") for key in CATALOG if key.startswith("failure."))


def test_every_schema_message_on_the_tablet_reads_in_chinese():
    from mobile.i18n import message
    from tests.sync.test_messages import every_message

    assert {m for m in every_message() if ENGLISH_WORD.search(message(m, "zh"))} == set()
