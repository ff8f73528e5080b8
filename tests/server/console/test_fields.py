"""A record's fields as the review diff shows them: labelled, codes in words, times local."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from server.console.fields import NAMES, field_name, field_value


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("income_change", "down", "减少"),
        ("findings", ["job_loss", "income_drop"], "失业、收入下降"),
        ("findings", [], "—"),
        ("situation", "changed", "家庭情况发生变化"),
        ("suggested_level", "high", "重点"),
        ("estimated_monthly_income", "1500.00", "1500.00"),
        ("estimated_monthly_income", None, "—"),
        ("urgent", True, "是"),
        ("urgent", False, "否"),
        ("visited_at", "2026-11-23T02:00:00+00:00", "2026-11-23 10:00"),
        ("persons_met", ["a", "b"], "2 人"),
        ("notes", "", "—"),
        ("corroborates", "partly", "部分属实"),
    ],
)
def test_values_in_chinese(app, name, value, shown):
    with app.test_request_context("/console/"), force_locale("zh"):
        assert field_value(name, value) == shown


def test_every_field_has_a_chinese_label_and_english_msgid(app):
    with app.test_request_context("/console/"), force_locale("zh"):
        chinese = {name: field_name(name) for name in NAMES}
    assert all(label != name and not label.isascii() for name, label in chinese.items())
    with app.test_request_context("/console/"), force_locale("en"):
        assert field_name("income_change") == "Income change"
        assert field_name("unheard_of") == "unheard_of"
