"""ISBN-13 normalisation and check-digit validation."""
from __future__ import annotations


def normalize(raw: str) -> str:
    """Digits only: '978-0-13-468599-1' -> '9780134685991'."""
    return "".join(ch for ch in raw if ch.isdigit())


def check_digit(first12: str) -> str:
    """The ISBN-13 check digit for the first twelve digits."""
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid(isbn: str) -> bool:
    """True for a 13-digit string starting 978/979 with a correct check digit."""
    return len(isbn) == 13 and isbn.isdigit() and isbn[:3] in {"978", "979"} and check_digit(isbn[:12]) == isbn[12]
