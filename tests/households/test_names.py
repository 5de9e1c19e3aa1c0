"""The search columns of a name (households/names.py) read once, as pypinyin's own styles give them."""

import random

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from households.names import pinyin_full, pinyin_initials


def reference_initials(name: str) -> str:
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).upper()


def test_initials_are_pypinyins_first_letters_for_every_character_and_phrase():
    characters = [chr(code) for code in PINYIN_DICT]
    names = random.Random(7).sample(characters, 3000)
    mixed = ["马成明", "吕律", "王a三", "张·三", "李 四", "Ａ张", "重阳", "长江", "单田芳", "", "abc"]
    for name in [*characters, *PHRASES_DICT, *mixed, *("".join(names[i : i + 3]) for i in range(0, 3000, 3))]:
        assert pinyin_initials(name) == reference_initials(name), name


def test_full_pinyin_and_initials_of_a_name():
    assert (pinyin_initials("马成明"), pinyin_full("马成明")) == ("MCM", "machengming")
    assert (pinyin_initials("吕律"), pinyin_full("吕律")) == ("LL", "lvlv")
    assert (pinyin_initials(""), pinyin_full("")) == ("", "")
