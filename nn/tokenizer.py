"""CharTokenizer: text to token ids and back, one id per character plus a BOS token."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["CharTokenizer"]


class CharTokenizer:
    """One token per distinct character, and one more, BOS, that begins and ends a text.

    Characters get ids 0 .. n-1 in the order given (``from_texts`` sorts them); BOS is ``n``,
    so ``vocab_size`` is n + 1, as in microgpt. ``encode`` wraps a text in BOS on both sides:
    the model reads BOS as "a name starts here" and predicts BOS for "the name ends here".

    >>> tok = CharTokenizer.from_texts(["emma", "ava"])
    >>> tok.chars, tok.bos, tok.vocab_size
    ('aemv', 4, 5)
    >>> tok.encode("ava")
    [4, 0, 3, 0, 4]
    >>> tok.decode([4, 0, 3, 0, 4])
    'ava'
    """

    def __init__(self, chars: str | Sequence[str]) -> None:
        chars = "".join(chars) if not isinstance(chars, str) else chars
        if not chars:
            raise ValueError("CharTokenizer: needs at least one character")
        repeated = sorted({c for c in chars if chars.count(c) > 1})
        if repeated:
            raise ValueError(f"CharTokenizer: characters must be distinct, repeated: {repeated}")
        self.chars = chars
        self.bos = len(chars)
        self._ids = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CharTokenizer:
        """The tokenizer of every character that occurs in ``texts``, sorted.

        >>> CharTokenizer.from_texts(["bob", "al"]).chars
        'ablo'
        """
        if isinstance(texts, str):
            raise TypeError("CharTokenizer.from_texts: pass a list of texts, not one string")
        return cls(sorted(set("".join(texts))))

    @property
    def vocab_size(self) -> int:
        """How many token ids there are: the characters and BOS."""
        return len(self.chars) + 1

    def __len__(self) -> int:
        return self.vocab_size

    def encode(self, text: str, bos: bool = True) -> list[int]:
        """The ids of ``text``'s characters, between two BOS tokens (``bos=False``: without).

        >>> CharTokenizer("ab").encode("ba", bos=False)
        [1, 0]
        """
        if not isinstance(text, str):
            raise TypeError(f"encode: text must be a str, got {type(text).__name__}")
        try:
            ids = [self._ids[c] for c in text]
        except KeyError as exc:
            raise ValueError(
                f"encode: {exc.args[0]!r} in {text!r} is not one of the tokenizer's "
                f"characters {self.chars!r}"
            ) from None
        return [self.bos, *ids, self.bos] if bos else ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of token ids; BOS tokens are left out.

        >>> CharTokenizer("ab").decode([2, 1, 0, 2])
        'ba'
        """
        out = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i <= self.bos:
                raise ValueError(f"decode: {i!r} is not a token id (0 .. {self.bos})")
            if i != self.bos:
                out.append(self.chars[i])
        return "".join(out)

    def to_dict(self) -> dict[str, Any]:
        """What ``from_dict`` needs to rebuild it, JSON-able (kept beside a saved model)."""
        return {"chars": self.chars}

    @classmethod
    def from_dict(cls, record: Any) -> CharTokenizer:
        """The tokenizer ``to_dict`` described.

        >>> tok = CharTokenizer("xyz"); CharTokenizer.from_dict(tok.to_dict()) == tok
        True
        """
        if not isinstance(record, dict) or not isinstance(record.get("chars"), str):
            raise ValueError(
                f"CharTokenizer.from_dict: expected {{'chars': str}}, got {record!r:.60}"
            )
        return cls(record["chars"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharTokenizer) and other.chars == self.chars

    def __hash__(self) -> int:
        return hash(self.chars)

    def __repr__(self) -> str:
        return f"CharTokenizer({self.chars!r})"
