"""Reading a rendered console form: the messages shown beside one field."""

from __future__ import annotations

import re


def field_errors(page: str, field: str) -> list[str]:
    """The invalid-feedback messages of the form group holding the input named ``field``
    (empty if the field shows none, or is not on the page)."""
    for group in re.split(r'(?=<div class="mb-3)|(?=<fieldset)', page):
        if re.search(rf'name="{re.escape(field)}"', group):
            return re.findall(r'<div class="invalid-feedback[^"]*">\s*([^<]+?)\s*</div>', group)
    return []
