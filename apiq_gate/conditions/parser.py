"""A recursive-descent parser from tokens to nodes.

Precedence, loosest first: `or`, `and`, `not`, then one predicate (a comparison, `in`,
`matches`, `contains`, `exists`, or a bare operand). What can be known from the text alone
is an error here, at load time: unknown functions, bad regular expressions, wildcards
outside all()/any(), conditions that read no fact; `checks.py` adds the comparisons that
cannot mean what was meant.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, NoReturn

from apiq_gate.conditions import nodes as n
from apiq_gate.conditions.checks import check_comparison
from apiq_gate.conditions.lexer import ExpectationError, Token, tokenize

MAX_DEPTH = 32  # nested parentheses and nots

# name -> what its argument is: an operand, a string literal or a number literal.
FUNCTIONS = {
    "accepts": "string",
    "all": "operand",
    "any": "operand",
    "exists": "operand",
    "header": "string",
    "json": "string",
    "len": "operand",
    "lower": "operand",
    "p": "number",
}
FUNCTION_LIST = "all(), any(), accepts(), exists(), header(), json(), len(), lower(), p()"


def parse_condition(text: str) -> n.Condition:
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0

    # --- helpers ------------------------------------------------------------------

    @property
    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        return self.peek.kind == kind and (text is None or self.peek.text == text)

    def expect(self, kind: str, what: str) -> Token:
        if not self.at(kind):
            self.fail(f"expected {what}, found {self.found()}", self.peek)
        return self.take()

    def found(self) -> str:
        return "the end" if self.at("end") else f"'{self.peek.text}'"

    def fail(self, message: str, where: Token | int, hint: str = "") -> NoReturn:
        column = where if isinstance(where, int) else where.column
        raise ExpectationError(message, column, hint=hint)

    def source(self, start: Token) -> str:
        end = self.tokens[self.pos - 1].end
        return self.text[start.column - 1 : end - 1]

    def nest(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(
                f"nested more than {MAX_DEPTH} levels deep",
                token,
                "split it into several expectations",
            )

    # --- conditions ---------------------------------------------------------------

    def parse(self) -> n.Condition:
        if self.at("end"):
            self.fail("the expectation is empty", self.peek, "write e.g. status == 200")
        condition = self.or_()
        if not self.at("end"):
            hint = "join conditions with and / or" if self.peek.kind != ")" else "remove it, or add the matching '('"
            self.fail(f"unexpected {self.found()} after a complete condition", self.peek, hint)
        return condition

    def or_(self) -> n.Condition:
        parts = [self.and_()]
        while self.at("keyword", "or"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else n.Or(tuple(parts))

    def and_(self) -> n.Condition:
        parts = [self.not_()]
        while self.at("keyword", "and"):
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else n.And(tuple(parts))

    def not_(self) -> n.Condition:
        if not self.at("keyword", "not"):
            return self.predicate()
        self.nest(self.take())
        inner = self.not_()
        self.depth -= 1
        return n.Not(inner)

    def predicate(self) -> n.Condition:
        start = self.peek
        if self.at("("):
            self.nest(self.take())
            inner = self.or_()
            self.expect(")", f"')' to close the '(' at column {start.column}")
            self.depth -= 1
            return inner
        if self.at("keyword", "exists") and self.tokens[self.pos + 1].kind == "(":
            self.take()
            self.take()
            operand = self.operand(quantifier_allowed=False)
            self.expect(")", "')' after the argument of exists()")
            predicate: n.Predicate = n.Exists(operand, negated=False, call_form=True)
        else:
            predicate = self.rest_of_predicate(self.operand(quantifier_allowed=True))
        operands = [getattr(predicate, name, None) for name in ("left", "right", "operand")]
        if not any(isinstance(o, n.Path | n.Call | n.Quantifier) for o in operands):
            self.fail(
                "this condition reads no fact, so it never changes",
                start,
                "compare a fact, e.g. status == 200",
            )
        return predicate

    def rest_of_predicate(self, left: n.Operand) -> n.Predicate:
        if self.at("op"):
            op = self.take()
            right = self.operand(quantifier_allowed=False)
            check_comparison(op, left, right)
            if self.at("op"):
                self.fail(
                    "comparisons cannot be chained",
                    self.peek,
                    "join them with and: a < b and b < c",
                )
            return n.Compare(op.text, left, right)
        negated = self.at("keyword", "not")
        if negated:
            self.take()
        keyword = self.peek
        if self.at("keyword", "in"):
            self.take()
            return n.Member(left, self.operand(quantifier_allowed=False), negated)
        if self.at("keyword", "matches"):
            self.take()
            pattern = self.expect("string", 'a quoted regular expression after matches, e.g. "^ok"')
            return n.Matches(left, n.Literal(pattern.value, pattern.text), self.regex(pattern), negated)
        if self.at("keyword", "contains"):
            self.take()
            return n.Contains(left, self.operand(quantifier_allowed=False), negated)
        if self.at("keyword", "exists"):
            self.take()
            return n.Exists(left, negated, call_form=False)
        if negated:
            self.fail(
                f"expected in, matches, contains or exists after 'not', found {self.found()}",
                keyword,
            )
        return n.Truthy(left)

    # --- operands -----------------------------------------------------------------

    def operand(self, *, quantifier_allowed: bool) -> n.Operand:
        token = self.peek
        if self.at("literal") or self.at("number") or self.at("string"):
            self.take()
            return n.Literal(token.value, token.text)
        if self.at("["):
            return self.list_literal()
        if self.at("path"):
            self.take()
            if self.at("("):
                return self.call(token, quantifier_allowed)
            return self.path(token, wildcard_allowed=False)
        if self.at("keyword", "exists") and self.tokens[self.pos + 1].kind == "(":
            self.fail(
                "exists() is a condition, not a value",
                token,
                "write x exists, or exists(x) on its own",
            )
        self.fail(
            f"expected a value, found {self.found()}",
            token,
            'e.g. status, json.id, 200, "text", 300ms, [2xx, 304]',
        )

    def path(self, token: Token, *, wildcard_allowed: bool) -> n.Path:
        segments: tuple[str, ...] = token.value
        if "*" in segments and not wildcard_allowed:
            self.fail(
                f"the wildcard in {token.text} needs all() or any()",
                token,
                f'write e.g. all({token.text}) == "ok"',
            )
        if len(segments) == 1 and segments[0] in FUNCTIONS and segments[0] != "json":
            self.fail(f"{token.text} is a function", token, f"call it: {token.text}(…)")
        return n.Path(segments, token.text)

    def call(self, name_token: Token, quantifier_allowed: bool) -> n.Operand:
        name = name_token.text
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            hint = f"did you mean {close[0]}()? " if close else ""
            self.fail(f"unknown function '{name}'", name_token, f"{hint}the functions are {FUNCTION_LIST}")
        if name == "exists":
            self.fail(
                "exists() is a condition, not a value",
                name_token,
                "write x exists, or exists(x) on its own",
            )
        self.nest(self.take())
        arg = self.argument(name)
        self.expect(")", f"')' after the argument of {name}()")
        self.depth -= 1
        source = self.source(name_token)
        if name in ("all", "any"):
            if not quantifier_allowed:
                self.fail(
                    f"{name}() only starts a condition",
                    name_token,
                    f'write e.g. {name}(json.checks.*) == "ok"',
                )
            return n.Quantifier(name == "all", arg, source)
        return n.Call(name, (arg,), source)

    def argument(self, name: str) -> Any:
        token = self.peek
        kind = FUNCTIONS[name]
        if kind == "string":
            value: str = self.expect("string", f'a quoted name in {name}(), e.g. {name}("{_EXAMPLES[name]}")').value
            if not value.strip():
                self.fail(f"{name}() needs a name, not empty text", token)
            return value
        if kind == "number":
            value_token = self.expect("number", f"a number in {name}(), e.g. p(95)")
            if not 0 < value_token.value <= 100:
                self.fail(
                    f"p({value_token.text}) is not a percentile",
                    value_token,
                    "use a number above 0, up to 100",
                )
            return float(value_token.value)
        if self.at("path"):
            path_token = self.take()
            if self.at("("):
                return self.call(path_token, quantifier_allowed=False)
            return self.path(path_token, wildcard_allowed=name in ("all", "any"))
        return self.fail(
            f"{name}() needs a path or a function call, found {self.found()}",
            token,
            f"e.g. {name}(json.items)",
        )

    def list_literal(self) -> n.ListLiteral:
        start = self.take()
        items = []
        while not self.at("]"):
            token = self.peek
            if not (self.at("literal") or self.at("number") or self.at("string")):
                self.fail(
                    f"expected a value in the list, found {self.found()}",
                    token,
                    'list items are literals: [200, 2xx, "ok"]',
                )
            items.append(n.Literal(self.take().value, token.text))
            if not self.at("]"):
                self.expect(",", "',' or ']' in the list")
        self.take()
        if not items:
            self.fail("the list is empty", start, "an empty list matches nothing; list the values")
        return n.ListLiteral(tuple(items), self.source(start))

    def regex(self, token: Token) -> re.Pattern[str]:
        try:
            return re.compile(token.value)
        except (re.error, RecursionError, OverflowError, ValueError) as exc:
            position = getattr(exc, "pos", None)
            column = token.column + 1 + position if isinstance(position, int) else token.column
            message = getattr(exc, "msg", None) or str(exc)
            self.fail(
                f"invalid regular expression: {message}",
                column,
                "escape special characters such as . ( [ with \\",
            )


_EXAMPLES = {"accepts": "TLSv1.1", "header": "Content-Type", "json": "data.id"}
