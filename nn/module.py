"""Module: the base of every model; finds parameters, switches train/eval, saves and loads.

A Module finds its parts from its attributes: an attribute holding a ``Value`` (or a list of
Values) is a parameter, one holding a ``Module`` (or a list of Modules) is a submodule.
Attributes whose name starts with ``_`` are private and skipped. Names are the attribute path,
with list positions as numbers: ``layers.0.neurons.3.w.1``.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from autograd import Value

from .files import MAX_MODEL_BYTES, read_bounded, save_target, write_atomically
from .messages import shown, unquoted

__all__ = ["Module", "IncompatibleKeys", "load_model", "read_model_file", "architecture_field",
           "save_target", "FILE_FORMAT", "FILE_VERSION"]

FILE_FORMAT = "chainrule.model"
FILE_VERSION = 1
_MAX_LISTED = 10  # error messages list at most this many names of each kind
_REGISTRY: dict[str, type[Module]] = {}  # classes load_model can rebuild, by class name


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped, as in PyTorch.

    >>> from nn import Neuron
    >>> Neuron(2, seed=0).load_state_dict({"w.0": 0.5, "extra": 1.0}, strict=False)
    IncompatibleKeys(missing_keys=['w.1', 'b'], unexpected_keys=['extra'])
    """

    missing_keys: list[str]
    unexpected_keys: list[str]


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return shown + (f", ... and {more} more" if more > 0 else "")


class Module:
    """Base class of models: subclass it, set parameters/submodules as attributes, write forward.

    >>> from autograd import Value
    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = [Value(2.0), Value(-1.0)]
    ...         self.b = Value(0.5)
    ...     def forward(self, x):
    ...         return self.w[0] * x[0] + self.w[1] * x[1] + self.b
    >>> m = Affine()
    >>> m([1.0, 3.0]).data
    -0.5
    >>> [name for name, _ in m.named_parameters()]
    ['w.0', 'w.1', 'b']
    >>> m.state_dict()
    {'w.0': 2.0, 'w.1': -1.0, 'b': 0.5}
    """

    training: bool = True  # a class default, so subclasses that skip __init__ still work
    name: str = ""  # the qualified name the building parent gave it ("layers.0.neurons.3")

    def __init__(self) -> None:
        self.training = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "from_architecture" in cls.__dict__:
            _REGISTRY[cls.__name__] = cls

    # ---- calling -------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it. Call the module, not this."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ---- finding parts ---------------------------------------------------------------------

    def _public_attributes(self) -> Iterator[tuple[str, Any]]:
        for attr, value in vars(self).items():
            if not attr.startswith("_"):
                yield attr, value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules with their names (``"layers.0"`` for item 0 of a list attribute).

        >>> class Two(Module):
        ...     def __init__(self):
        ...         super().__init__(); self.parts = [Module(), Module()]
        >>> [name for name, _ in Two().named_children()]
        ['parts.0', 'parts.1']
        """
        for attr, value in self._public_attributes():
            if isinstance(value, Module):
                yield attr, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{attr}.{i}", item

    def children(self) -> Iterator[Module]:
        """Direct submodules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``, "" by default) and every submodule, depth first.

        Each module is yielded once, even if it is reachable twice, as in PyTorch.

        >>> class Two(Module):
        ...     def __init__(self):
        ...         super().__init__(); self.parts = [Module(), Module()]
        >>> [name for name, _ in Two().named_modules()]
        ['', 'parts.0', 'parts.1']
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and every submodule."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """Every parameter with its dotted name, in the order the attributes were set.

        A parameter shared by two modules is yielded once, under its first name. A ``prefix``
        is joined to each name with a dot, as in PyTorch and ``named_modules``.

        >>> from autograd import Value
        >>> class One(Module):
        ...     def __init__(self):
        ...         super().__init__(); self.w = [Value(1.0)]
        >>> [name for name, _ in One().named_parameters(prefix="enc")]
        ['enc.w.0']
        """
        seen: set[Value] = set()
        start = f"{prefix}." if prefix else ""  # _walk_parameters glues names on directly
        for name, p in self._walk_parameters(start, set()):
            if p not in seen:
                seen.add(p)
                yield name, p

    def _walk_parameters(self, prefix: str, visiting: set[int]) -> Iterator[tuple[str, Value]]:
        if id(self) in visiting:  # a module that contains itself: stop, do not loop
            return
        visiting.add(id(self))
        for attr, value in self._public_attributes():
            if isinstance(value, Value):
                yield prefix + attr, value
            elif isinstance(value, Module):
                yield from value._walk_parameters(f"{prefix}{attr}.", visiting)
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Value):
                        yield f"{prefix}{attr}.{i}", item
                    elif isinstance(item, Module):
                        yield from item._walk_parameters(f"{prefix}{attr}.{i}.", visiting)

    def parameters(self) -> list[Value]:
        """Every parameter (the Values training changes), as a list."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0 (gradients accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0

    # ---- train / eval ------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Put this module and all submodules in training mode (``mode=False``: evaluation).

        Only some modules behave differently (Dropout). Returns self.
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be a bool, got {type(mode).__name__}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode, the same as ``train(False)``: Dropout is the identity. Returns self."""
        return self.train(False)

    # ---- description ---------------------------------------------------------------------------

    _repr_children = True  # False: show as one line, without listing submodules

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (sizes, settings)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = self._child_repr_lines() if self._repr_children else []
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = ([extra] if extra else []) + lines
        return type(self).__name__ + "(\n" + "\n".join("  " + ln for ln in body) + "\n)"

    def _child_repr_lines(self) -> list[str]:
        lines: list[str] = []
        for attr, value in self._public_attributes():
            if isinstance(value, Module):
                lines.extend(_indent_after_first(f"({attr}): {value!r}"))
            elif isinstance(value, (list, tuple)) and any(isinstance(v, Module) for v in value):
                lines.append(f"({attr}): [")
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        lines.extend("  " + ln for ln in _indent_after_first(f"({i}): {item!r}"))
                lines.append("]")
        return lines

    def architecture(self) -> dict[str, Any]:
        """What defines the function this model computes (sizes, activations), JSON-able.

        ``save`` writes it and ``load`` refuses a file whose architecture differs.
        Subclasses that can be rebuilt by ``load_model`` also define ``from_architecture``.
        """
        return {}

    @classmethod
    def parameter_count(cls, architecture: Mapping[str, Any]) -> int | None:
        """How many parameters a model of this architecture has, found without building it
        (``load_model`` compares it with the weights in the file first); None: cannot tell.
        A bad architecture raises a ValueError naming the field (``architecture_field``).
        """
        return None

    # ---- state -------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by name: a plain dict of str -> float."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Set parameter values from a dict of name -> number; on any error, change nothing.

        Every value must be a finite real number (not a bool). With ``strict=True`` the names
        must be exactly this model's; with ``strict=False`` missing and unexpected names are
        skipped and returned. Problems are all reported together in one ``ValueError``.

        >>> from autograd import Value
        >>> class One(Module):
        ...     def __init__(self):
        ...         super().__init__(); self.w = Value(1.0)
        >>> m = One()
        >>> m.load_state_dict({"w": 3.0})
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> m.w.data
        3.0
        >>> m.load_state_dict({"v": 2.0})
        Traceback (most recent call last):
        ...
        ValueError: One.load_state_dict: 2 problem(s): missing key(s): w; unexpected key(s): v
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{where}: expected a dict of name -> float, got {type(state_dict).__name__}"
            )
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state_dict]
        unexpected = [unquoted(k) for k in state_dict if k not in params]
        bad = []
        updates: list[tuple[Value, float]] = []
        for name, p in params.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                bad.append(f"{name}={shown(value, 40)} ({type(value).__name__}, expected a float)")
                continue
            try:
                number = float(value)
            except OverflowError:  # an int or Fraction beyond float's range (~1.8e308)
                bad.append(f"{name}={shown(value, 40)} (too large for a float)")
                continue
            if not math.isfinite(number):
                bad.append(f"{name}={value!r} (not finite)")
            else:
                updates.append((p, number))
        problems = []
        if strict and missing:
            problems.append(f"missing key(s): {_listed(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected key(s): {_listed(unexpected)}")
        if bad:
            problems.append(f"bad value(s): {_listed(bad)}")
        if problems:
            n = (len(missing) + len(unexpected) if strict else 0) + len(bad)
            raise ValueError(f"{where}: {n} problem(s): " + "; ".join(problems))
        for p, value in updates:  # only now, when everything is known to be valid
            p.data = value
        return IncompatibleKeys(missing, unexpected)

    # ---- files -------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], extra: dict[str, Any] | None = None) -> None:
        """Write the model to a JSON file, atomically (never pickle: a model file runs no code).

        The file holds a header (format, version, class, architecture) and the state dict,
        plus the JSON-able entries of ``extra`` (what a tool needs beside the weights; ``load``
        ignores them). It is written to a temporary file in the same folder and then renamed
        over ``path``, so an interrupted save leaves any previous file intact. As with
        ``open(path, "w")``, a new file gets the usual permissions (0o666 minus the umask), a
        replaced file keeps its own, and a symlink is written through to its target; so is a
        device or a FIFO (``os.devnull`` stays the null device: it is never renamed over).
        Non-finite weights are refused; so is a path that is a folder or lies in a missing
        folder (``nn.files`` has the details).

        >>> import json, os, tempfile
        >>> from nn import Neuron
        >>> path = os.path.join(tempfile.mkdtemp(), "neuron.json")
        >>> Neuron(2, seed=0).save(path, extra={"note": "hello"})
        >>> json.load(open(path))["note"]
        'hello'
        >>> Neuron(2).load(path).w[0].data == Neuron(2, seed=0).w[0].data
        True
        """
        state = self.state_dict()
        bad = [name for name, v in state.items() if not math.isfinite(v)]
        if bad:
            raise ValueError(
                f"save({os.fspath(path)!r}): {len(bad)} parameter(s) are not finite "
                f"(did training diverge?): {_listed(bad)}"
            )
        document = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "class": type(self).__name__,
            "architecture": self.architecture(),
            "num_parameters": len(state),
            "state_dict": state,
        }
        clash = sorted(set(extra or {}) & set(document))
        if clash:
            raise ValueError(f"save: extra may not replace the file's own key(s) {clash}")
        document.update(extra or {})
        text = json.dumps(document, indent=1, allow_nan=False)
        write_atomically(os.fspath(path), text + "\n", f"save({os.fspath(path)!r})")

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Load weights saved by ``save`` into this model; refuse (changing nothing) a bad file.

        Refused with a ``ValueError``: invalid JSON, NaN/Infinity, another format or a newer
        version, another class or architecture, missing/unexpected/non-numeric weights.
        Returns self.
        """
        document = read_model_file(path)
        where = f"load({os.fspath(path)!r})"
        cls = type(self).__name__
        if document["class"] != cls:
            raise ValueError(
                f"{where}: the file holds a {unquoted(document['class'])}, this model is a {cls}"
            )
        _check_architecture(where, document["architecture"], self.architecture())
        try:
            self.load_state_dict(document["state_dict"], strict=True)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where}: {exc}") from None
        return self


def _indent_after_first(text: str) -> list[str]:
    first, *rest = text.split("\n")
    return [first] + ["  " + ln for ln in rest]


# settings recorded in the architecture that do not change the function, so loading ignores them
_TRAINING_ONLY = ("dropout",)


def _check_architecture(where: str, saved: Any, mine: dict[str, Any]) -> None:
    if not isinstance(saved, dict):
        raise ValueError(f"{where}: 'architecture' must be an object, got {type(saved).__name__}")
    keys = (set(saved) | set(mine)) - set(_TRAINING_ONLY)
    diffs = [
        f"{unquoted(k, 30)}: file {shown(saved.get(k, '<absent>'))}, "
        f"model {shown(mine.get(k, '<absent>'))}"
        for k in sorted(keys)
        if saved.get(k, "<absent>") != mine.get(k, "<absent>")
    ]
    if diffs:
        raise ValueError(f"{where}: another architecture ({_listed(diffs)})")


def architecture_field(architecture: Mapping[str, Any], key: str, kind: str) -> Any:
    """``architecture[key]`` from a model file, checked: ``kind`` is "size" (an int >= 1),
    "sizes" (a non-empty list of them) or "flag" (a bool). A ValueError names the field.

    >>> architecture_field({"nin": 2, "nouts": [3, 1]}, "nouts", "sizes")
    [3, 1]
    >>> architecture_field({"nin": "2"}, "nin", "size")
    Traceback (most recent call last):
    ...
    ValueError: 'nin' must be an int >= 1, got '2'
    """
    if key not in architecture:
        raise ValueError(f"{key!r} is missing")
    value = architecture[key]
    if kind == "flag":
        if not isinstance(value, bool):
            raise ValueError(f"{key!r} must be true or false, got {shown(value)}")
        return value
    values = value if kind == "sizes" else [value]
    if (not isinstance(values, list) or not values
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values)):
        what = "a non-empty list of ints >= 1" if kind == "sizes" else "an int >= 1"
        raise ValueError(f"{key!r} must be {what}, got {shown(value)}")
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in a model file")


def read_model_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON document of a model file, its header checked (format, version, class,
    architecture and state_dict present); a ValueError naming the file and the field if not.

    The weights are checked when a model loads them. A file larger than ``MAX_MODEL_BYTES``,
    a device, or JSON nested too deeply for Python's stack is "not a valid model file".

    >>> import os, tempfile
    >>> from nn import Neuron
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> Neuron(2, seed=0).save(path, extra={"note": "hi"})
    >>> document = read_model_file(path)
    >>> document["class"], document["version"], document["note"]
    ('Neuron', 1, 'hi')
    """
    where = f"load({os.fspath(path)!r})"
    try:
        text = read_bounded(path, MAX_MODEL_BYTES, where).decode("utf-8")
        document = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{where}: not a valid model file: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except RecursionError:
        raise ValueError(f"{where}: not a valid model file: JSON nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        message = str(exc).removeprefix(f"{where}: ")
        raise ValueError(f"{where}: not a valid model file: {message}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(document).__name__}")
    if document.get("format") != FILE_FORMAT:
        raise ValueError(
            f"{where}: not a chainrule model file (format {shown(document.get('format'))}, "
            f"expected {FILE_FORMAT!r})"
        )
    _check_version(where, document.get("version"))
    for key, kind in (("class", str), ("architecture", dict), ("state_dict", dict)):
        if not isinstance(document.get(key), kind):
            raise ValueError(
                f"{where}: {key!r} must be a {kind.__name__}, "
                f"got {type(document.get(key)).__name__}"
            )
    return document


def _check_version(where: str, version: Any) -> None:
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{where}: 'version' must be an int, got {shown(version)}")
    if version < 1:
        raise ValueError(f"{where}: 'version' must be >= 1 (files start at 1), got {version}")
    if version > FILE_VERSION:
        raise ValueError(
            f"{where}: file version {shown(version)} is newer than this chainrule reads "
            f"({FILE_VERSION}); upgrade chainrule"
        )


def load_model(path: str | os.PathLike[str]) -> Module:
    """Rebuild a model (Neuron, Layer, MLP) from a file written by ``save``, weights included.

    The parameter count the architecture declares must be the number of weights in the file,
    checked before anything is built (a tampered file cannot make it build a huge model).

    >>> import os, tempfile
    >>> from nn import MLP
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> MLP(2, [3, 1], seed=0).save(path)
    >>> load_model(path)
    MLP(
      nin=2, nouts=[3, 1], parameters=13
      (layers): [
        (0): Layer(nin=2, nout=3, activation='relu')
        (1): Layer(nin=3, nout=1, activation='linear')
      ]
    )
    """
    where = f"load_model({os.fspath(path)!r})"
    document = read_model_file(path)
    cls = _REGISTRY.get(document["class"])
    if cls is None:
        raise ValueError(
            f"{where}: cannot rebuild a {shown(document['class'])}; known: "
            f"{', '.join(sorted(_REGISTRY))}. Build the model yourself and call .load(path)"
        )
    architecture, weights = document["architecture"], len(document["state_dict"])
    try:
        declared = cls.parameter_count(architecture)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"{where}: bad architecture: {exc}") from None
    if declared is None:  # a class that cannot tell: no size can exceed its parameter count
        declared = max((n for n in _sizes(architecture) if n > weights), default=None)
    if declared is not None and declared != weights:
        raise ValueError(
            f"{where}: bad architecture: it declares {_count(declared)} parameters but the "
            f"file has {weights} weights"
        )
    try:
        model = cls.from_architecture(architecture)  # type: ignore[attr-defined]
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"{where}: bad architecture: {exc}") from None
    return model.load(path)


def _count(n: int) -> str:
    return str(n) if n < 10**12 else f"about 10^{int(n.bit_length() * 0.30103)}"


def _sizes(architecture: Any) -> Iterator[int]:
    """Every int (not bool) anywhere in an architecture record (without recursion)."""
    stack = [architecture]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            yield item
