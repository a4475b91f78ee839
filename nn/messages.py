"""Showing a user's input inside an error message: short, on one line, nothing raw.

A message that echoes a CSV cell, a variable name or a value from a model file must stay
readable when that input is hostile: a 100 KB cell, a name of 100,000 characters, a terminal
escape sequence (ESC) or a right-to-left override (U+202E) that would rewrite what the
terminal shows. ``shown`` cuts and escapes; every message that quotes input goes through it.
"""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = ["shown", "unquoted", "LIMIT"]

LIMIT = 60  # characters of an echoed value that a message shows


def shown(value: Any, limit: int = LIMIT) -> str:
    """``repr(value)`` for a message: at most about ``limit`` characters of it, with control,
    format and other unprintable characters escaped (as ``repr`` escapes them).

    >>> shown("1;2;0")
    "'1;2;0'"
    >>> shown("x" * 1000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (1,000 characters)"
    >>> print(shown("red\\x1b[31m\\u202e"))
    'red\\x1b[31m\\u202e'
    >>> shown([[[[[[1]]]]]]), shown(10 ** 5000)
    ('[[[[...]]]]', 'an integer of about 5001 digits')
    """
    if isinstance(value, str):
        text = repr(value[:limit])  # repr escapes what str.isprintable() refuses
        return text + (f"... ({len(value):,} characters)" if len(value) > limit else "")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4000:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother = 3, limit, limit
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 6
    try:
        return short.repr(value)
    except Exception:  # a repr that fails (an int too long to print, a broken object)
        return f"a {type(value).__name__}"


def unquoted(text: str, limit: int = LIMIT) -> str:
    """A name as a message shows it, without quotes: cut to ``limit`` characters, escaped.

    >>> unquoted("layers.0.w.1"), unquoted("w" * 100, 10), unquoted("a\\x1bb")
    ('layers.0.w.1', 'wwwwwwwwww...', 'a\\\\x1bb')
    """
    text = str(text)
    escaped = repr(text[:limit])[1:-1] if not text[:limit].isprintable() else text[:limit]
    return escaped + ("..." if len(text) > limit else "")
