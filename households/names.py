import functools
import re

from pypinyin import Style, lazy_pinyin

PINYIN_QUERY = re.compile(
    r"[A-Za-z][A-Za-z '’]*"
)  # letters, with the spaces or apostrophes people type between syllables


@functools.lru_cache(maxsize=65536)
def pinyin_initials(name: str) -> str:
    """Upper-case pinyin initials of a Chinese name, for search: 张三 -> ZS."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).upper()


@functools.lru_cache(maxsize=65536)
def pinyin_full(name: str) -> str:
    """Lower-case full pinyin of a Chinese name without tones or spaces, for search: 马成明 -> machengming (ü as v)."""
    return "".join(lazy_pinyin(name, style=Style.NORMAL, errors="ignore")).lower()


def pinyin_query(query: str) -> str | None:
    """A search typed in pinyin, as the stored columns hold it ("Ma Cheng" -> "macheng"); None for anything else."""
    if not PINYIN_QUERY.fullmatch(query.strip()):
        return None
    return re.sub(r"[ '’]", "", query).lower()
