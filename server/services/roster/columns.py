"""The roster's columns: one header map (Chinese and English names) for files and template."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A roster column: its field key, Chinese header, what it holds (for the docs)."""

    key: str
    zh: str
    required: bool
    help: str
    aliases: tuple[str, ...] = ()
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "家庭编号",
        True,
        "低收入人口数据库中的家庭编号（唯一）",
        ("户编号", "家庭编码"),
        "YX-2026-000001",
    ),
    Column("head_name", "户主姓名", True, "户主姓名", ("户主",), "张伟"),
    Column(
        "head_id_number",
        "户主身份证号",
        True,
        "18 位居民身份证号（单元格设为文本）",
        (
            "身份证号",
            "身份证号码",
            "户主身份证号码",
            "公民身份号码",
            "户主公民身份号码",
            "证件号码",
            "户主证件号码",
        ),
        "440104195807150014",
    ),
    Column(
        "phone",
        "联系电话",
        False,
        "数字、空格、+ 和 -",
        ("电话", "联系方式", "手机号码", "手机"),
        "13800138000",
    ),
    Column(
        "residence_address",
        "居住地址",
        True,
        "现居住地址",
        ("住址", "家庭住址", "现住址"),
        "盐运西社区西湖路 12 号",
    ),
    Column("registration_street", "户籍街道", True, "街道名称或区划代码", (), "北京街道"),
    Column("registration_community", "户籍社区", True, "社区名称或区划代码", (), "盐运西社区"),
    Column(
        "residence_street",
        "居住街道",
        False,
        "空白表示同户籍街道（人户分离时填写）",
        (),
        "北京街道",
    ),
    Column("residence_community", "居住社区", False, "空白表示同户籍社区", (), "盐运西社区"),
    Column(
        "categories",
        "救助类别",
        True,
        "类别名称或代码，多个用、或 , 分隔",
        ("类别", "对象类别", "救助类型", "保障类别"),
        "低保对象、特困人员",
    ),
    Column(
        "hardship_level",
        "困难程度",
        True,
        "重点 / 一般 / 稳定（或 high / medium / low）",
        ("困难等级",),
        "重点",
    ),
    Column(
        "enrolled_on",
        "纳入日期",
        True,
        "YYYY-MM-DD（或 Excel 日期）",
        ("纳入监测日期",),
        "2024-03-01",
    ),
    Column("head_health", "户主健康状况", False, "健康 / 慢性病 / 大重病 / 重度残疾", (), "慢性病"),
    Column(
        "head_labour_capacity",
        "户主劳动能力",
        False,
        "有劳动能力 / 部分劳动能力 / 无劳动能力",
        (),
        "部分劳动能力",
    ),
    Column(
        "head_employment",
        "户主就业状况",
        False,
        "在业 / 灵活就业 / 失业 / 在校学生 / 退休 / 不适用",
        (),
        "退休",
    ),
    Column("status", "状态", False, "在册 / 已销户（空白为在册）", (), "在册"),
    Column("notes", "备注", False, "最多 2000 字", (), ""),
    Column(
        "last_visit_on",
        "最近走访日期",
        False,
        "新建户：此日所在周期算已走访，周期从下一期起算（空白：从导入之日起算）",
        ("最近走访",),
        "",
    ),
)
BY_KEY = {c.key: c for c in COLUMNS}


def normalize(header: object) -> str:
    """A header as compared: NFKC (full-width letters), no spaces, lower case, no ``*``."""
    text = unicodedata.normalize("NFKC", "" if header is None else str(header))
    return "".join(text.split()).replace("*", "").lower()


# Every accepted spelling of every header → the column key.
HEADER_MAP: dict[str, str] = {
    normalize(name): c.key for c in COLUMNS for name in (c.key, c.zh, *c.aliases)
}


def header_label(key: str, lang: str = "zh") -> str:
    """The column as a report names it."""
    return BY_KEY[key].zh if lang == "zh" and key in BY_KEY else key
