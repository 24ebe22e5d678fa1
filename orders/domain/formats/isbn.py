"""ISBN-13 normalisation and check-digit validation."""
from __future__ import annotations

_ASCII_DIGITS = frozenset("0123456789")


def normalize(raw: str) -> str:
    """Digits only: '978-0-13-468599-1' -> '9780134685991'."""
    return "".join(ch for ch in raw if ch in _ASCII_DIGITS)  # str.isdigit() would keep '²', which int() refuses


def check_digit(first12: str) -> str:
    """The ISBN-13 check digit for the first twelve digits."""
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid(isbn: str) -> bool:
    """True for a 13-digit string starting 978/979 with a correct check digit."""
    return (
        len(isbn) == 13
        and isbn.isascii()
        and isbn.isdigit()
        and isbn[:3] in {"978", "979"}
        and check_digit(isbn[:12]) == isbn[12]
    )


def _isbn10_valid(code: str) -> bool:
    """ISBN-10: nine digits and a check character (0-9 or X), weighted sum divisible by 11."""
    if len(code) != 10 or not code.isascii() or not code[:9].isdigit() or not (code[9].isdigit() or code[9] == "X"):
        return False
    total = sum((10 - i) * int(d) for i, d in enumerate(code[:9])) + (10 if code[9] == "X" else int(code[9]))
    return total % 11 == 0


def to_isbn13(raw: str) -> str | None:
    """A valid ISBN-10 or ISBN-13 (hyphens and spaces allowed) as ISBN-13 digits, else None."""
    cleaned = "".join(ch for ch in raw.upper() if ch not in " -")
    if not cleaned.isascii():
        return None
    if len(cleaned) == 13:
        return cleaned if is_valid(cleaned) else None
    if _isbn10_valid(cleaned):
        first12 = "978" + cleaned[:9]
        return first12 + check_digit(first12)
    return None


def search_digits(query: str) -> str | None:
    """The ISBN digits a catalog search looks for: a whole ISBN-10 becomes its ISBN-13 (catalogs store
    ISBN-13 only); another run of digits, hyphens and spaces is searched as its digits. None when the
    query is not ISBN-like."""
    cleaned = "".join(ch for ch in query.upper() if ch not in " -")
    if not cleaned or not cleaned.isascii():
        return None
    if len(cleaned) == 10 and (converted := to_isbn13(cleaned)):
        return converted
    return cleaned if cleaned.isdigit() else None
