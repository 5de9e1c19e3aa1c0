import functools

from pypinyin import Style, lazy_pinyin


@functools.lru_cache(maxsize=65536)
def pinyin_initials(name: str) -> str:
    """Upper-case pinyin initials of a Chinese name, for search: 张三 -> ZS."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).upper()
