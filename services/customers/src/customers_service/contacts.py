"""A customer's contacts: a phone written the Brazilian ways (stored in E.164), an e-mail, and the
WhatsApp link of the phone. Parsing only: no I/O, and nothing here logs what it reads."""

import re

MAX_PHONE_INPUT = 40
MAX_EMAIL_LENGTH = 254
_SEPARATORS = re.compile(r"[\s().\-/]")
# Brazilian area codes (DDD) are 11 to 99 with no zero digit.
_AREA_CODE = re.compile(r"[1-9][1-9]")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"[^@\s\x00-\x1f]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")


class ContactError(ValueError):
    """The text is not a phone number or e-mail address we can store; the message says how to write one."""


def phone_e164(text: str) -> str:
    """``+5511987654321`` from "(11) 98765-4321", "11 98765 4321", "011 98765-4321", "0xx11...",
    "+55 11 98765-4321", "55 11 98765-4321"; another country's number in international form ("+351
    912 345 678") is kept as such. A Brazilian number needs its area code: 10 digits (landline) or 11
    (mobile, starting with 9)."""
    if len(text) > MAX_PHONE_INPUT:
        raise ContactError(f"at most {MAX_PHONE_INPUT} characters")
    compact = _SEPARATORS.sub("", text.strip())
    international = compact.startswith("+")
    digits = compact.removeprefix("+")
    if digits.lower().startswith("0xx"):
        digits = digits[3:]
    if not digits.isdigit():
        raise ContactError("only digits, spaces, brackets, dots and dashes, e.g. (11) 98765-4321")
    if international and not digits.startswith("55"):
        if not 8 <= len(digits) <= 15:
            raise ContactError("an international number has 8 to 15 digits after the +")
        return "+" + digits
    if digits.startswith("55") and len(digits) in (12, 13):
        national = digits[2:]
    elif digits.startswith("0"):
        # A trunk 0, and possibly a carrier code of two digits (0 15 11 98765-4321).
        national = digits[1:]
        if len(national) in (12, 13):
            national = national[2:]
    else:
        national = digits
    if len(national) not in (10, 11) or not _AREA_CODE.fullmatch(national[:2]):
        raise ContactError("write the area code and the number, e.g. (11) 98765-4321")
    if len(national) == 11 and national[2] != "9":
        raise ContactError("a mobile number has 9 digits after the area code, starting with 9")
    return "+55" + national


def email_address(text: str) -> str:
    """The address trimmed, its domain in lower case; one @, a domain with a dot, no spaces."""
    address = text.strip()
    if len(address) > MAX_EMAIL_LENGTH:
        raise ContactError(f"at most {MAX_EMAIL_LENGTH} characters")
    if not _EMAIL.fullmatch(address):
        raise ContactError("not an e-mail address, e.g. maria@example.com")
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def whatsapp_url(phone: str | None) -> str | None:
    """The wa.me link that opens a chat with the phone (E.164 without the +)."""
    return None if phone is None else "https://wa.me/" + phone.removeprefix("+")
