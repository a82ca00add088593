"""Is a secret strong? Judged without the value ever leaving this module."""

from __future__ import annotations

import math
import re
from collections import Counter

# Lower-case fragments that mark a value someone meant to replace.
PLACEHOLDERS = (
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "password",
    "passw0rd",
    "secret",
    "example",
    "sample",
    "dummy",
    "placeholder",
    "todo",
    "fixme",
    "xxx",
    "your-",
    "your_",
    "<",
    "${",
    "12345",
    "qwerty",
    "letmein",
    "default",
    "test",
    "insecure",
    "notset",
    "none",
    "null",
    "undefined",
)


# A long fragment marks a placeholder wherever it stands; a short one only as a word of its
# own, or one random secret in a few hundred would contain "test", "xxx" or "null" by chance.
_LONG = 7
_PLACEHOLDER = re.compile(
    "|".join(
        re.escape(f) if len(f) >= _LONG or not f.isalnum() else rf"(?<![a-z0-9]){re.escape(f)}(?![a-z0-9])"
        for f in PLACEHOLDERS
    )
)


def entropy_bits(value: str) -> float:
    """Estimated entropy: Shannon entropy per character times length.

    It underestimates truly random strings a little and scores repetitive ones low
    (`aaaaaaaa` has none), which is the direction a gate should err in.
    """
    if not value:
        return 0.0
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_char * len(value)


def weakness(value: str, *, min_length: int, min_entropy_bits: float) -> str | None:
    """Why `value` is not a strong secret, in words that never include the value; None if strong."""
    if len(value) < min_length:
        return f"is {len(value)} character{'s' if len(value) != 1 else ''}; needs at least {min_length}"
    lowered = value.casefold()
    if _PLACEHOLDER.search(lowered):
        return "looks like a placeholder or a dictionary word; generate a random value (e.g. `openssl rand -base64 48`)"
    bits = entropy_bits(value)
    if bits < min_entropy_bits:
        return f"has about {bits:.0f} bits of entropy; needs at least {min_entropy_bits:.0f}"
    return None
