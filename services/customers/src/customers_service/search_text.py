"""One normalisation for stored names and search queries: no accents, no case, no punctuation.

The embedded PostgreSQL has neither ``unaccent`` nor ``pg_trgm``, so the application writes the
normalised name into ``customer.search_name`` (full-text indexed) and normalises queries the same way.
"""

import re
import unicodedata

# Letters that NFKD does not split into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"})
_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> list[str]:
    """The words of ``text`` without accents, case-folded: "Conceição-Sá" -> ["conceicao", "sa"]."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(bare)


def search_text(text: str) -> str:
    """What ``customer.search_name`` holds for a name."""
    return " ".join(search_words(text))
