"""ID-number and name cells: what is folded, and a specific Chinese message for the rest."""

from __future__ import annotations

import re
import unicodedata

from stdnum.cn import ric

from sync.fields import region_existed

NUMBER_CELL = "该单元格是数字，Excel 已丢失末几位：请把整列设为文本后重新输入身份证号。"
GBK_LOSS = "含有“?”：多半是文件转成 GBK 时丢失了字符。请用 CSV UTF-8 或 XLSX 另存后重新导入。"
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
# Excel's ways of keeping a number as text: a leading apostrophe, a ="…" formula.
_WRAPPED = re.compile(r'^=\s*"(.*)"$')
# 17 digits and a digit or X, nothing around them: nothing to fold.
_PLAIN_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]")
# Separators a clerk puts between digit groups: unambiguous to remove.
_GROUPING = re.compile(r"[\s\-]+")
# Middle dots of minority names (阿依古丽·买买提) in their usual look-alikes.
_DOTS = "·•‧・･"


def fold_id_number(raw: object) -> tuple[str | None, str | None]:
    """The cell as an ID number to check, or the reason it cannot be one.

    A number cell is never an ID number (Excel keeps 15 significant digits: converting it
    would store someone else's number), nor is its text ``4.40100196804137E+17``. A
    leading apostrophe, ``="…"``, spaces and hyphens between digit groups and full-width
    digits are folded.
    """
    if raw is None:
        return None, None
    if type(raw) is str and _PLAIN_NUMBER.fullmatch(raw):
        return raw, None  # nothing to fold (most cells): the steps below would keep it
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return None, NUMBER_CELL
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if _SCIENTIFIC.match(text):
        return None, NUMBER_CELL
    if match := _WRAPPED.match(text):
        text = match.group(1)
    text = _GROUPING.sub("", text.lstrip("'‘’"))
    return text or None, None


def explain_id_number(text: str) -> str:
    """Why ``text`` (already folded) is not a valid ID number, in Chinese."""
    number = text.upper()
    if "?" in number:
        return GBK_LOSS
    if len(number) == 15 and number.isdigit():
        return "这是 15 位的旧身份证号：请填写 18 位号码。"
    if len(number) != 18:
        return f"身份证号应为 18 位，这里是 {len(number)} 位。"
    if not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        return "身份证号只能是 17 位数字加最后一位数字或 X。"
    try:
        ric.get_birth_date(number)
    except Exception:  # noqa: BLE001 - stdnum raises its own InvalidComponent
        return f"号码中的出生日期 {number[6:10]}-{number[10:12]}-{number[12:14]} 不存在。"
    if number[17] != ric.calc_check_digit(number):
        return "校验位不符：请核对号码，可能有数字输错或顺序颠倒。"
    if not region_existed(number[:6]):
        return f"号码的地区代码 {number[:6]} 不存在。"
    return "不是有效的居民身份证号（请检查位数、出生日期和校验位）。"


# A name of only these (the common ideographs: CJK Unified and Extension A, middle dots,
# spaces, ASCII letters and digits) passes without a look at each character's name.
_PLAIN_NAME = re.compile(f"[\u3400-\u4dbf\u4e00-\u9ffc{_DOTS} A-Za-z0-9]*")


def _plausible(char: str) -> bool:
    if char in _DOTS or char == " " or (char.isascii() and char.isalnum()):
        return True
    return unicodedata.name(char, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH"))


def name_problem(name: str, encoding: str) -> str | None:
    """Why ``name`` is not a plausible Chinese or minority name (ideographs, a middle dot,
    Latin letters), or None: control and private-use characters, ``?`` or ``�`` left by
    a lost character, and the Greek, Latin-1 and symbol ranges GBK read as UTF-8 makes
    (魏梅 → “κ÷”)."""
    if "?" in name or "？" in name:
        return GBK_LOSS
    if _PLAIN_NAME.fullmatch(name):
        return None
    odd = [c for c in name if not _plausible(c)]
    if not odd:
        return None
    shown = "、".join(f"“{c}”(U+{ord(c):04X})" for c in dict.fromkeys(odd))
    how = f"本文件按 {encoding} 读取，" if encoding and encoding != "xlsx" else ""
    return (
        f"姓名含有不像姓名的字符 {shown}：{how}可能是文件编码识别错了或粘贴时带入了"
        "特殊字符。请核对后用 CSV UTF-8 或 XLSX 另存再导入。"
    )
