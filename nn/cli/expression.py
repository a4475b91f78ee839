"""A small arithmetic-expression parser that builds Values (for ``chainrule graph``); never eval.

Grammar (Python's precedence; ``**`` binds tighter than unary minus and is right-associative)::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("-" | "+") unary | power
    power  := atom ("**" unary)?
    atom   := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Each rule calls the next, so nesting (parentheses, calls, signs, powers) uses Python's stack:
more than ``MAX_DEPTH`` levels is refused with the column where it goes too deep, rather than
running out of stack. A number must be a finite float (``1e400`` is refused, as ``--set`` does).
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from autograd import RULES, Value

from ..messages import shown

__all__ = ["parse_expression", "ExpressionError", "FUNCTIONS", "MAX_DEPTH"]

MAX_DEPTH = 100  # nesting levels; each takes about five Python frames of the ~1000 allowed
_SHOWN = 70  # characters of the expression an error shows around its column

def _functions() -> dict[str, tuple[int, Callable[..., Value]]]:
    """name: (number of arguments, the Value method): every op of ``autograd.RULES`` that a
    Value method of the same name computes, so a new op can be written here at once."""
    table = {}
    for name in RULES:
        method = getattr(Value, name, None) if name.isidentifier() else None
        if callable(method):
            params = inspect.signature(method).parameters.values()
            table[name] = (sum(p.default is p.empty for p in params), method)
    return table


FUNCTIONS: dict[str, tuple[int, Callable[..., Value]]] = _functions()


_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|[-+*/(),])|(?P<bad>\S))"
)


class ExpressionError(ValueError):
    """A syntax error in an expression, with the 1-based column it points at.

    The expression is shown with unprintable characters escaped and, when long, only the part
    around the column.

    >>> print(ExpressionError("unexpected '^'", "x ^ 2", 3))
    unexpected '^' at column 3
      x ^ 2
        ^
    """

    def __init__(self, message: str, text: str, column: int) -> None:
        self.column = column
        line, offset = _excerpt(text, column)
        pointer = " " * offset + "^"
        super().__init__(f"{message} at column {column}\n  {line}\n  {pointer}")


def _excerpt(text: str, column: int) -> tuple[str, int]:
    """The part of ``text`` shown under an error, and the caret's offset in it: at most about
    ``_SHOWN`` characters around ``column``, unprintable characters escaped (``\\x1b``).

    >>> _excerpt("x\\x1b+1", 3)
    ('x\\\\x1b+1', 5)
    >>> line, offset = _excerpt("a" * 500 + "?", 501); len(line) < 80, line[offset]
    (True, '?')
    """
    start = max(0, column - 1 - _SHOWN // 2)
    end = min(len(text), start + _SHOWN)
    pieces = [c if c.isprintable() else repr(c)[1:-1] for c in text[start:end]]
    head = "..." if start > 0 else ""
    offset = len(head) + sum(len(piece) for piece in pieces[: column - 1 - start])
    return head + "".join(pieces) + ("..." if end < len(text) else ""), offset


def _cut(name: str, limit: int = 40) -> str:
    """A variable's name as a message shows it: the first ``limit`` characters."""
    return name if len(name) <= limit else name[:limit] + "..."


@dataclass
class _Token:
    kind: str  # number, name, op, end
    text: str
    column: int


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:  # only trailing white space is left
            break
        kind = match.lastgroup or "end"
        value = match.group(kind)
        column = match.start(kind) + 1
        if kind == "bad":
            hint = " (use ** for powers)" if value == "^" else ""
            raise ExpressionError(f"unexpected character {value!r}{hint}", text, column)
        tokens.append(_Token(kind, value, column))
        pos = match.end()
    tokens.append(_Token("end", "", len(text.rstrip()) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str, variables: Mapping[str, Value]) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.variables = variables
        self.used: dict[str, Value] = {}
        self.depth = 0  # how deeply unary() calls are nested: every kind of nesting goes through it

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def error(self, message: str, token: _Token) -> ExpressionError:
        return ExpressionError(message, self.text, token.column)

    def expect(self, op: str) -> None:
        token = self.take()
        if token.text != op:
            found = "the end" if token.kind == "end" else shown(token.text, 20)
            raise self.error(f"expected {op!r} but found {found}", token)

    def expr(self) -> Value:
        value = self.term()
        while self.peek().text in ("+", "-"):
            op = self.take().text
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self) -> Value:
        value = self.unary()
        while self.peek().text in ("*", "/"):
            token = self.take()
            right = self.unary()
            if token.text == "*":
                value = value * right
            else:
                try:
                    value = value / right
                except ZeroDivisionError as exc:
                    raise self.error(str(exc), token) from None
        return value

    def unary(self) -> Value:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested too deeply (more than {MAX_DEPTH} levels)", self.peek())
        try:
            if self.peek().text in ("-", "+"):
                op = self.take().text
                value = self.unary()
                return -value if op == "-" else value
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> Value:
        base = self.atom()
        if self.peek().text == "**":
            token = self.take()
            exponent = self.unary()
            try:
                # a plain number exponent stays a constant, as in x ** 2
                constant = exponent.data if not exponent._children and not exponent.label else None
                return base ** (constant if constant is not None else exponent)
            except (ValueError, ZeroDivisionError) as exc:
                raise self.error(str(exc), token) from None
        return base

    def atom(self) -> Value:
        token = self.take()
        if token.kind == "number":
            number = float(token.text)
            if not math.isfinite(number):
                raise self.error(f"the number {shown(token.text, 20)} is too large for a float "
                                 "(it must be finite)", token)
            return Value(number)
        if token.text == "(":
            value = self.expr()
            self.expect(")")
            return value
        if token.kind == "name":
            if self.peek().text == "(":
                return self.call(token)
            if token.text in FUNCTIONS:
                raise self.error(f"function {token.text!r} needs arguments in parentheses", token)
            name = shown(token.text, 40)
            if token.text in ("pi", "e") and token.text not in self.variables:
                return Value(math.pi if token.text == "pi" else math.e)
            if token.text not in self.variables:
                known = ", ".join(_cut(v) for v in sorted(self.variables)[:10])
                more = ", ..." if len(self.variables) > 10 else ""
                raise self.error(
                    f"unknown variable {name} (set it with --set {_cut(token.text)}=...; "
                    f"set: {known + more or 'none'})",
                    token,
                )
            self.used[token.text] = self.variables[token.text]
            return self.variables[token.text]
        found = "the end of the expression" if token.kind == "end" else shown(token.text, 20)
        raise self.error(f"expected a number, a variable or '(' but found {found}", token)

    def call(self, name: _Token) -> Value:
        if name.text not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.error(f"unknown function {shown(name.text, 40)} (known: {known})", name)
        arity, fn = FUNCTIONS[name.text]
        self.expect("(")
        args = [self.expr()]
        while self.peek().text == ",":
            self.take()
            args.append(self.expr())
        self.expect(")")
        if len(args) != arity:
            raise self.error(
                f"{name.text}() takes {arity} argument{'s' * (arity > 1)}, got {len(args)}", name
            )
        try:
            return fn(*args)
        except (ValueError, ZeroDivisionError) as exc:
            raise self.error(str(exc), name) from None


def parse_expression(text: str, variables: Mapping[str, float | Value]) -> tuple[Value, dict]:
    """Build the Value graph of ``text``; returns (output, the variables it used, as Values).

    >>> out, used = parse_expression("tanh(x*w + b)", {"x": 1.0, "w": -3.0, "b": 2.0})
    >>> round(out.data, 4), sorted(used)
    (-0.7616, ['b', 'w', 'x'])
    >>> parse_expression("2 ** -x", {"x": 1})[0].data
    0.5
    >>> try:
    ...     parse_expression("x +* 2", {"x": 1.0})
    ... except ExpressionError as exc:  # a ValueError whose message points at the column
    ...     print(exc)
    expected a number, a variable or '(' but found '*' at column 4
      x +* 2
         ^
    """
    if not text.strip():
        raise ExpressionError("the expression is empty", text, 1)
    leaves = {
        name: v if isinstance(v, Value) else Value(v, label=name) for name, v in variables.items()
    }
    parser = _Parser(text, leaves)
    out = parser.expr()
    if parser.peek().kind != "end":
        token = parser.peek()
        raise parser.error(f"unexpected {shown(token.text, 20)} after a complete expression", token)
    return out, parser.used
