"""Vietnamese without its accents, the one way the system folds text: `strip_accents` keeps the case
(for screens whose fonts have no Vietnamese letters), `fold` also lowers it for search, so that
"quyet dinh ve phong chong dich" and "Quyết định về phòng, chống dịch" fold to the same words."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[0-9a-z]+")


def strip_accents(text: str) -> str:
    """The text with its diacritics dropped and đ/Đ written d/D, case and punctuation kept."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Folded text keeping its punctuation (used for codes such as `123/qd-ubnd`)."""
    return strip_accents(text).lower()


def words(text: str) -> list[str]:
    """The folded words of `text`, punctuation dropped."""
    return _WORD.findall(fold(text))


def folded_words(text: str) -> str:
    return " ".join(words(text))
