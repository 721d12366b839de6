"""The confusables skeleton of an e-mail address (Unicode TS #39): addresses that look alike share one.

``ʟookalike@example.com`` (a small capital L), ``аре@example.com`` (all Cyrillic) and ``b0b@example.com``
are different addresses that a reader takes for ``lookalike@``, ``ape@`` and ``bob@``: each has the same
skeleton as the one it imitates. The skeleton is stored beside the address, so that a new or changed
address is refused with one index lookup when it looks like another account's. The mappings are Unicode's
``confusables.txt`` for the Unicode version of this Python (14.0.0), vendored beside this module, plus
one rule of ours: addresses ignore case, so a small capital (ʟ, ᴀ) is its letter (Unicode maps
characters *to* ʟ, not ʟ to l).
"""

import unicodedata
from functools import lru_cache
from importlib.resources import files
from itertools import chain


@lru_cache(maxsize=1)
def _prototypes() -> dict[int, str]:
    """Code point -> the prototype it is confused with (a few letters map to two: m -> rn)."""
    table: dict[int, str] = {}
    for line in files("auth_service").joinpath("confusables.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            source, prototype = line.split(";")
            table[int(source, 16)] = "".join(chr(int(code, 16)) for code in prototype.split())
    # The blocks holding Latin small capitals: IPA Extensions, Phonetic Extensions, Latin Extended-D.
    for code in chain(range(0x0250, 0x02B0), range(0x1D00, 0x1DC0), range(0xA720, 0xA800)):
        name = unicodedata.name(chr(code), "")
        if name.startswith("LATIN LETTER SMALL CAPITAL ") and len(name) == 28 and code not in table:
            table[code] = name[-1].lower()
    return table


def skeleton(text: str) -> str:
    """UTS #39's skeleton: NFD, every character replaced by its prototype, NFD again."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(_prototypes()))


def email_skeleton(email: str) -> str:
    """The skeleton of a stored (case-folded) address, case-folded and taken again: some prototypes
    are capitals (ʟ -> L, 0 -> O) that a reader does not tell from the small letter."""
    return skeleton(skeleton(email).casefold())
