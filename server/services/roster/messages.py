"""Chinese report messages for the shared schemas' (English) validation messages."""

from __future__ import annotations

import re

from server.services.households.identity import ENROLLED_ELSEWHERE

# (pattern of the schema's message, Chinese message with the pattern's groups).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), zh)
    for p, zh in (
        (r"^Must be between (\d+) and (\d+) characters long\.$", r"长度须在 \1 到 \2 个字符之间。"),
        (r"^Must be at most (\d+) characters long\.$", r"最多 \1 个字符。"),
        (r"^Must not contain NUL characters\.$", "不得包含 NUL 字符。"),
        (r"^Must be valid Unicode text\.$", "含有无效字符。"),
        (r"^May contain only digits, spaces, '\+' and '-'\.$", "只能包含数字、空格、+ 和 -。"),
        (
            r"^Not a valid resident ID number",
            "不是有效的居民身份证号（请检查位数、出生日期和校验位）。",
        ),
        (r"^Must not be before (\S+)\.$", r"不得早于 \1。"),
        (r"^Must not be in the future\.$", "不得晚于今天。"),
        (r"^Field may not be null\.$", "必填。"),
        (r"^Missing data for required field\.$", "必填。"),
        (r"^Not a valid date\.$", "不是有效的日期（格式 YYYY-MM-DD）。"),
        (r"^Contains duplicates: (.*)\.$", r"重复：\1。"),
        (r"^Choose at least one\.$", "至少填写一项。"),
        (r"^Must be one of", "不是可选的值。"),
        (rf"^{re.escape(ENROLLED_ELSEWHERE)}$", "此人已是另一在册户的成员。"),
    )
)


def zh(message: str) -> str:
    """The Chinese text of a schema message (the English one if it is not known here)."""
    for pattern, text in _PATTERNS:
        if pattern.search(message):
            return pattern.sub(text, message) if "\\" in text else text
    return message
