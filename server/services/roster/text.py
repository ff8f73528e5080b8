"""Reading a CSV roster: the encoding detected, the delimiter told, stray quotes refused."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator

from server.services.core.errors import Invalid

# The encodings a roster file comes in (Excel's "CSV UTF-8" and the GBK of "CSV" on a
# Chinese Windows; GB18030 is GBK's superset and decodes everything Excel writes).
_CANDIDATES = ["utf_8", "gb18030"]
_NAMES = {"utf_8": "utf-8", "gb18030": "gb18030"}
# No roster cell is longer (备注 holds up to 2000 characters): a longer field is a stray
# quote that swallowed the rows after it.
MAX_FIELD = 4000
_FOREIGN = re.compile("[^\x00-\x7f·\u3000-\u9fff\uf900-\uffef\U00020000-\U0003ffff]")


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in.

    A BOM means UTF-8. Otherwise the whole file goes to a real detector (charset-normalizer)
    choosing between UTF-8 and GB18030: GBK bytes are sometimes valid UTF-8 (English
    headers, short names: 魏梅 reads as “κ÷”), and the detector scores the mess each
    reading makes. The dry run shows the encoding with sample names to be confirmed, and
    the name check refuses what still reads as mojibake.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_CANDIDATES).best()
    if best is None:
        raise Invalid(
            "The file is neither UTF-8 nor GBK text.",
            {"file": ["文件既不是 UTF-8 也不是 GBK 编码的文本，请另存为 CSV UTF-8 或 XLSX。"]},
        )
    encoding = _NAMES.get(best.encoding, best.encoding)
    content = data.decode(encoding)
    if encoding == "utf-8" and not content.isascii():
        # Short GBK text can pass for UTF-8 and fool the detector: the reading with fewer
        # characters foreign to a Chinese file (Greek, Latin-1 symbols …) wins.
        try:
            other = data.decode("gb18030")
        except UnicodeDecodeError:
            return content, encoding
        if _foreign(other) < _foreign(content):
            return other, "gb18030"
    return content, encoding


def _foreign(content: str) -> int:
    """How many characters a Chinese roster would not hold: non-ASCII characters outside
    the CJK ideographs, CJK and full-width punctuation and the middle dot."""
    return len(_FOREIGN.findall(content))


def delimiter_of(text: str) -> str:
    """A tab when the first non-blank line has tabs and no commas (a TSV named .csv)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if "\t" in first and "," not in first and "，" not in first else ","


def _refuse_field(row: int, first: int, last: int, why: str) -> Invalid:
    lines = f"文件第 {first} 行" if first == last else f"文件第 {first}–{last} 行"
    return Invalid(
        "A field spans lines or is too long.",
        {
            "file": [
                f'第 {row} 行（{lines}）{why}：多半是某个单元格以引号（"）开头而没有'
                "闭合，把后面的行并了进去。请去掉该引号或把整个单元格用引号括起来后重新导入。"
            ]
        },
    )


def csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    """The records of ``text``; a field that spans lines or runs past :data:`MAX_FIELD`
    refuses the file naming its row (never folded into one note with the rows after it)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last_line = 0
    row = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # The field limit (128 KiB) or a malformed quote: the row it began in.
            raise _refuse_field(row + 1, last_line + 1, reader.line_num, "无法读取") from error
        row += 1
        first, last_line = last_line + 1, reader.line_num
        # Only a record read from more than one line can hold a line break, and only a
        # long record a long field: the common record is let through without a look.
        if last_line > first or sum(map(len, record)) > MAX_FIELD:
            _check_fields(record, row, first, last_line)
        yield record


def _check_fields(record: list[str], row: int, first: int, last: int) -> None:
    for value in record:
        if "\n" in value or "\r" in value:
            raise _refuse_field(row, first, last, "有单元格跨行")
        if len(value) > MAX_FIELD:
            raise _refuse_field(row, first, last, f"有单元格超过 {MAX_FIELD} 字")


def physical_rows(text: str) -> int:
    """The file's own count of non-blank lines (beside the rows read, in the report)."""
    return sum(1 for line in text.splitlines() if line.strip())
