"""Chinese for the shared schemas' validation messages (marshmallow's and our own)."""

from __future__ import annotations

import re

# One translation for the tablet and the console: English message -> 简体中文. The schemas
# keep English (the API's language); a screen shows ``zh(message)``.
EXACT: dict[str, str] = {
    "Missing data for required field.": "必填项",
    "Field may not be null.": "必填项",
    "Invalid value.": "无效的值",
    "Not a valid string.": "请输入文字",
    "Not a valid number.": "请输入有效的数字",
    "Not a valid integer.": "请输入整数",
    "Not a valid decimal.": "请输入有效的数字",
    "Special numeric values (nan or infinity) are not permitted.": "请输入有效的数字",
    "Number too large.": "数字过大",
    "Not a valid boolean.": "请选择是或否",
    "Not a valid datetime.": "请输入有效的日期和时间",
    "Not a valid date.": "请输入有效的日期",
    "Not a valid time.": "请输入有效的时间",
    "Not a valid UUID.": "编号无效",
    "Not a valid list.": "格式无效（应为列表）",
    "Not a valid mapping type.": "格式无效",
    "Invalid input type.": "格式无效",
    "Unknown field.": "不认识的项目",
    "Invalid type.": "格式无效",
    "Must include a timezone offset, e.g. +08:00.": "时间须带时区（例如 +08:00）",
    "Choose at least one.": "至少选择一项",
    "Must be at least 0 and less than 10,000,000.": "金额应不小于 0 且小于 10,000,000",
    "Must be a positive integer.": "应为正整数",
    "May contain only digits, spaces, '+' and '-'.": "只能包含数字、空格、+ 和 -",
    "Must have at most 2 decimal places.": "最多两位小数",
    "Not a valid resident ID number (居民身份证号).": "居民身份证号无效",
    "Must not be in the future.": "不能晚于今天",
    "Must not contain NUL characters.": "含有无法保存的空字符",
    "Must be valid Unicode text.": "含有无法保存的字符",
    "Must not be earlier than started_at.": "结束时间不能早于开始时间",
    "A reason is required when the disposal is 'no action'.": "处置为“无需处置”时须填写原因",
    "Must not be blank.": "不能为空",
    "Not in your caseload.": "不在本人负责的家庭中",
    "Not a valid utf-8 string.": "含有无法保存的字符",
}

# Messages that carry values: pattern -> template (groups by name). The first match wins.
PATTERNS: list[tuple[str, str]] = [
    (r"Must be between 1 and (?P<max>\d+) characters long\.", "必填项，最多 {max} 个字符"),
    (
        r"Must be between (?P<min>\d+) and (?P<max>\d+) characters long\.",
        "长度应为 {min}–{max} 个字符",
    ),
    (r"Must be at most (?P<max>\d+) characters long\.", "最多 {max} 个字符"),
    (r"Must be between (?P<min>-?[\d.]+) and (?P<max>-?[\d.]+)\.", "应在 {min} 到 {max} 之间"),
    (r"Must be at least (?P<min>-?[\d.]+)\.", "不能小于 {min}"),
    (r"Must be at most (?P<max>-?[\d.]+)\.", "不能大于 {max}"),
    (r"Must not be before (?P<date>[\d-]+)\.", "不能早于 {date}"),
    (r"Must not be after (?P<date>[\d-]+)\.", "不能晚于 {date}"),
    (r"Must be one of: .*\.", "请从给定的选项中选择"),
    (r".* cannot be formatted as an? \w+\.", "格式无效"),
    (r"Contains duplicates: .*\.", "有重复的项"),
    (
        r"Does not match the ID number, which gives (?P<date>\d{4}-\d{2}-\d{2})\.",
        "与身份证号中的出生日期（{date}）不符",
    ),
    (r"Does not match the ID number, which gives .*\.", "与身份证号中的性别不符"),
    (r"A rule needs at least one of: .*\.", "规则至少需要一个条件"),
    (r"Duplicate rule names: (?P<names>.*)\.", "规则名称重复：{names}"),
    (r"Not a valid (?:aware |naive )?(?:datetime|date|time)\.", "请输入有效的日期和时间"),
    (r"(?:Shorter|Longer) than (?:minimum|maximum) length \d+\.", "长度不符合要求"),
    (r"Length must be .*\.", "长度不符合要求"),
    (r"Must be (?:greater|less) than .*\.", "超出允许的范围"),
    (r"String does not match expected pattern\.", "格式不正确"),
]
FALLBACK = "输入无效"  # never an English sentence on a Chinese screen


def zh(message: str) -> str:
    """The Chinese for one validation message from the shared schemas."""
    if message in EXACT:
        return EXACT[message]
    for pattern, template in PATTERNS:
        if found := re.fullmatch(pattern, message):
            return template.format(**found.groupdict())
    return FALLBACK


def translate(message: str, lang: str) -> str:
    """``message`` in ``lang`` ("zh" or "en"): the schemas speak English already."""
    return message if lang == "en" else zh(message)
