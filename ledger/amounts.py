"""Token amounts (18 decimals) as people read and write them."""

from __future__ import annotations

UNIT = 10**18


def format_tokens(amount: int) -> str:
    """An 18-decimal amount in whole units, without trailing zeros (7.2 * 10**18 -> '7.2')."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), UNIT)
    return sign + f"{whole}.{frac:018d}".rstrip("0").rstrip(".")


def parse_tokens(text: str) -> int:
    """'1.5' -> 1.5 * 10**18; anything but a plain decimal number is a `ValueError`."""
    whole, _, frac = text.strip().partition(".")
    if not (whole or frac).isdigit() or (whole and not whole.isdigit()) or (frac and not frac.isdigit()):
        raise ValueError(f"not an amount: {text!r}")
    if len(frac) > 18:
        raise ValueError(f"not an amount: {text!r} (at most 18 decimals)")
    return int(whole or "0") * UNIT + int((frac or "0").ljust(18, "0"))
