"""Split an expectation into tokens, each with the column it starts at (1-based).

A dotted path (`json.data.items.0.id`, `headers.content-type`, `json.checks.*`) is one
token, so list indexes are never mistaken for decimals. A number glued to letters is a
unit (`300ms`, `1MB`) or a status class (`2xx`); a bare `A+`…`F` is a letter grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apiq_gate.conditions.values import GRADES, DurationLiteral, Grade, SizeLiteral, StatusClass
from apiq_gate.config_types import parse_duration, parse_size
from apiq_gate.errors import GateError

MAX_LENGTH = 2000  # characters; a real expectation is one line

KEYWORDS = frozenset({"and", "or", "not", "in", "matches", "contains", "exists", "true", "false", "null"})
_LITERAL_KEYWORDS = {"true": True, "false": False, "null": None}
# Spellings from other languages, answered with ours.
_FOREIGN = {"none": "null", "nil": "null", "&&": "and", "||": "or", "!": "not (or !=)", "=": "=="}

_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.(?:\*|[A-Za-z0-9_][A-Za-z0-9_-]*))*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")  # ASCII digits only, unlike \d
_DIGITS = "0123456789"
_SUFFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STATUS_CLASS = re.compile(r"[1-5]xx")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_PUNCTUATION = {"(": "(", ")": ")", "[": "[", "]": "]", ",": ","}
DURATION_UNITS = "ms, s, m, h, d"
SIZE_UNITS = "B, KB (kB), MB, GB, KiB, MiB, GiB"


class ExpectationError(GateError, ValueError):
    """An expectation that cannot be parsed: what is wrong, where, and how to fix it."""

    def __init__(self, message: str, column: int, *, hint: str = "", text: str = "") -> None:
        self.message = message
        self.column = column  # 1-based, inside the expectation
        self.hint = hint
        self.text = text  # the expectation, when known
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f'"{_clip(self.text)}": ' if self.text else ""
        return f"{where}{self.message} (column {self.column})"


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # path, number, string, literal, keyword, op, ( ) [ ] , end
    text: str  # as written
    column: int  # 1-based
    value: Any = None

    @property
    def end(self) -> int:
        """The column just after the token, 1-based."""
        return self.column + len(self.text)


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExpectationError(
            f"the expectation is longer than {MAX_LENGTH} characters",
            MAX_LENGTH,
            hint="split it into several expectations",
        )
    tokens = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        token = _token(text, pos)
        tokens.append(token)
        pos += len(token.text)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _token(text: str, pos: int) -> Token:
    char, column = text[pos], pos + 1
    if char in "\"'":
        return _string(text, pos)
    if _is_digit(char) or (char == "-" and _is_digit(text[pos + 1 : pos + 2])):
        return _number(text, pos)
    if match := _PATH.match(text, pos):
        return _word(text, match.group(), pos)
    for op in _OPERATORS:
        if text.startswith(op, pos):
            return Token("op", op, column, op)
    if char in _PUNCTUATION:
        return Token(char, char, column)
    for foreign, ours in _FOREIGN.items():
        if text.startswith(foreign, pos) and not foreign.isalpha():
            raise ExpectationError(f"unexpected '{foreign}'", column, hint=f"write {ours}")
    shown = char if char.isprintable() else repr(char)
    raise ExpectationError(f"unexpected character '{shown}'", column, hint="quote text with \"…\" or '…'")


def _is_digit(char: str) -> bool:
    return len(char) == 1 and char in _DIGITS


def _string(text: str, pos: int) -> Token:
    """'…' or "…". A backslash escapes only the quote and itself, so that a regex's
    `\\d` can be written as it is: `"max-age=\\d{8}"`."""
    quote, chars, end = text[pos], [], pos + 1
    while end < len(text) and text[end] != quote:
        if text[end] == "\\" and end + 1 < len(text) and text[end + 1] in (quote, "\\"):
            end += 1
        chars.append(text[end])
        end += 1
    if end >= len(text):
        raise ExpectationError(f"unterminated string, no closing {quote}", pos + 1, hint=f"end the text with {quote}")
    return Token("string", text[pos : end + 1], pos + 1, "".join(chars))


def _number(text: str, pos: int) -> Token:
    match = _NUMBER.match(text, pos)
    assert match  # the caller saw a digit
    digits, column = match.group(), pos + 1
    suffix = _SUFFIX.match(text, match.end())
    if not suffix:
        value = float(digits) if "." in digits else int(digits)
        return Token("number", digits, column, value)
    written = digits + suffix.group()
    if digits.startswith("-"):
        raise ExpectationError(f"{written} is negative", column, hint="durations and sizes are never negative")
    if _STATUS_CLASS.fullmatch(written):
        return Token("literal", written, column, StatusClass(int(written[0])))
    try:
        return Token("literal", written, column, DurationLiteral(parse_duration(written)))
    except ValueError:
        pass
    try:
        return Token("literal", written, column, SizeLiteral(parse_size(written)))
    except ValueError:
        pass
    raise ExpectationError(
        f"unknown unit '{suffix.group()}' in {written}",
        column,
        hint=f"durations: {DURATION_UNITS}; sizes: {SIZE_UNITS}; status classes: 1xx to 5xx",
    )


def _word(text: str, word: str, pos: int) -> Token:
    column = pos + 1
    if word in ("A", "B", "C", "D") and text.startswith("+", pos + len(word)):
        return Token("literal", word + "+", column, Grade(word + "+"))
    if word in GRADES:
        return Token("literal", word, column, Grade(word))
    if word in _LITERAL_KEYWORDS:
        return Token("literal", word, column, _LITERAL_KEYWORDS[word])
    if word in KEYWORDS:
        return Token("keyword", word, column, word)
    lowered = word.lower()
    if lowered in KEYWORDS or lowered in _FOREIGN:
        ours = _FOREIGN.get(lowered, lowered)
        raise ExpectationError(f"unknown name '{word}'", column, hint=f"write {ours} (lower case)")
    if text.startswith(".", pos + len(word)):
        dot = pos + len(word) + 1
        raise ExpectationError(
            f"expected a name after '{word}.'",
            dot + 1,
            hint="a path is names joined by dots, e.g. json.data.id",
        )
    return Token("path", word, column, tuple(word.split(".")))
