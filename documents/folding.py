"""Accent folding of Vietnamese text for search: lower case, đ → d, diacritics stripped, so that
"quyet dinh ve phong chong dich" and "Quyết định về phòng, chống dịch" fold to the same words."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[0-9a-z]+")


def fold(text: str) -> str:
    """Folded text keeping its punctuation (used for codes such as `123/qd-ubnd`)."""
    lowered = text.lower().replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of `text`, punctuation dropped."""
    return _WORD.findall(fold(text))


def folded_words(text: str) -> str:
    return " ".join(words(text))
