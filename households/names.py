import functools
import re

from pypinyin import Style, lazy_pinyin

PINYIN_QUERY = re.compile(
    r"[A-Za-z][A-Za-z '’]*"
)  # letters, with the spaces or apostrophes people type between syllables


@functools.lru_cache(maxsize=65536)
def _syllables(name: str) -> tuple[str, ...]:
    # One reading serves both columns: pypinyin's FIRST_LETTER style is the first letter of its
    # NORMAL style (the same for every character and phrase of its dictionaries: tests/households/
    # test_names.py), and the reading, not the joins, is what a 采集表 of new names pays for.
    return tuple(lazy_pinyin(name, style=Style.NORMAL, errors="ignore"))


def pinyin_initials(name: str) -> str:
    """Upper-case pinyin initials of a Chinese name, for search: 张三 -> ZS."""
    return "".join(syllable[0] for syllable in _syllables(name) if syllable).upper()


def pinyin_full(name: str) -> str:
    """Lower-case full pinyin of a Chinese name without tones or spaces, for search: 马成明 -> machengming (ü as v)."""
    return "".join(_syllables(name)).lower()


def pinyin_query(query: str) -> str | None:
    """A search typed in pinyin, as the stored columns hold it ("Ma Cheng" -> "macheng"); None for anything else."""
    if not PINYIN_QUERY.fullmatch(query.strip()):
        return None
    return re.sub(r"[ '’]", "", query).lower()
