"""What the import changes in a cell before reading it, counted: never a silent change.

Files typed in WPS or exported elsewhere carry full-width digits and letters, spaces before,
after or inside a number, a lowercase x at the end of an ID number, a leading apostrophe (typed
to keep a number as text), numbers in number cells and dates as text. Each is read as what the
clerk meant, and each kind of change is counted per column with an example row (Changes), so
the preview lists them.
"""

import re
from dataclasses import dataclass, field

# Full-width ASCII (Ａ-Ｚ, ａ-ｚ, ０-９) and the ideographic space: what input methods type.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}
_FULL_WIDTH.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)})
_FULL_WIDTH.update({code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)})
FULL_WIDTH = str.maketrans({**_FULL_WIDTH, 0x3000: 0x20, 0xA0: 0x20})
_APOSTROPHES = ("'", "‘", "’", "`")
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
# Spaces a clerk types or pastes; control characters (\x0b…) are not spaces: core/text.py reports them.
SPACE_CHARACTERS = " \t\u3000\xa0"
OUTER_SPACE = SPACE_CHARACTERS + "\r\n"
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<={_CJK})[{SPACE_CHARACTERS}]+|[{SPACE_CHARACTERS}]+(?={_CJK})")
_SPACES = re.compile(rf"[{SPACE_CHARACTERS}]{{2,}}")
_ANY_SPACE = re.compile(rf"[{SPACE_CHARACTERS}]+")

# Kinds of change, as the preview names them.
FULL_WIDTH_CHANGE = "全角数字或字母改为半角"
SPACES_CHANGE = "去掉了多余的空格"
LOWER_X_CHANGE = "末位小写x改为大写X"
APOSTROPHE_CHANGE = "去掉了开头的单引号"
NUMBER_CELL_CHANGE = "数字单元格按文本读取（数值精确）"
CODE_NUMBER_CHANGE = "以数字填写的代码按代码读取"
TEXT_DATE_CHANGE = "文本格式的日期按日期读取"


@dataclass
class Changes:
    """Per (sheet, column header as in the file, kind): how many cells and the first row."""

    counts: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)

    def add(self, sheet: str, column: str, kind: str, row: int) -> None:
        entry = self.counts.get((sheet, column, kind))
        if entry is None:
            self.counts[(sheet, column, kind)] = [1, row]
        else:
            entry[0] += 1

    def as_list(self) -> list[dict]:
        return [
            {"sheet": sheet, "column": column, "change": kind, "cells": count, "example_row": row}
            for (sheet, column, kind), (count, row) in self.counts.items()
        ]


def clean_text(text: str, *, compact: bool) -> tuple[str, list[str]]:
    """`text` as meant, and the kinds of change made. `compact` (numbers: ID, phone, 户编号, codes)
    drops every space; other text keeps one space between words but none next to a Chinese
    character ("马 成" is 马成)."""
    kinds = []
    if not text.isascii():
        translated = text.translate(FULL_WIDTH)
        if translated != text and any(0xFF10 <= ord(char) <= 0xFF5A for char in text):
            kinds.append(FULL_WIDTH_CHANGE)
        text = translated
    stripped = text.strip(OUTER_SPACE)
    spaces = stripped != text
    if stripped.startswith(_APOSTROPHES):
        kinds.append(APOSTROPHE_CHANGE)
        unquoted = stripped[1:]
        stripped = unquoted.strip(OUTER_SPACE)
        spaces = spaces or stripped != unquoted
    if compact:
        cleaned = stripped if stripped.isalnum() else _ANY_SPACE.sub("", stripped)
    elif stripped.isascii():
        cleaned = _SPACES.sub(" ", stripped)
    else:
        cleaned = _SPACES.sub(" ", _SPACE_NEXT_TO_CJK.sub("", stripped))
    if spaces or cleaned != stripped:
        kinds.append(SPACES_CHANGE)
    return cleaned, kinds
