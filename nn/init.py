"""Weight initialisation: fill lists of Values in place, as torch.nn.init does for tensors.

Each function takes the weights (a list of ``Value``), the sizes it needs and ``rng``: a
``random.Random``, an int seed, or None for Python's global ``random`` module (what micrograd
uses, so ``random.seed(1337)`` before building a model reproduces micrograd's weights).

>>> import random
>>> from autograd import Value
>>> w = [Value(0.0) for _ in range(3)]
>>> _ = xavier_uniform_(w, fan_in=3, fan_out=2, rng=0)
>>> all(abs(v.data) <= (6 / 5) ** 0.5 for v in w)
True
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value

__all__ = [
    "make_rng",
    "calculate_gain",
    "uniform_",
    "normal_",
    "zeros_",
    "constant_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "get_initializer",
    "INITIALIZERS",
]

RNG = random.Random | int | None


def make_rng(rng: Any = None, name: str = "rng/seed") -> Any:
    """A random number generator from a ``random.Random``, an int seed or None.

    None gives Python's global ``random`` module (seeded by ``random.seed``), like micrograd.
    Any integer type is a seed (numpy's ``np.int64`` too); bools are not. ``name`` is what the
    TypeError calls the argument.

    >>> make_rng(0).random() == make_rng(0).random()
    True
    >>> make_rng(None) is random
    True
    >>> make_rng("zero", name="choice.rvs: random_state")
    Traceback (most recent call last):
    ...
    TypeError: choice.rvs: random_state must be a random.Random, an int or None, got str 'zero'
    """
    if rng is None or rng is random:
        return random
    if isinstance(rng, random.Random):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"{name} must be a random.Random, an int or None, got {type(rng).__name__} {rng!r}"
        )
    return random.Random(int(rng))


def _check_fan(name: str, fan: Any) -> int:
    if isinstance(fan, bool) or not isinstance(fan, int) or fan < 1:
        raise ValueError(f"{name} must be an int >= 1, got {fan!r}")
    return fan


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.

    linear / identity / sigmoid: 1, tanh: 5/3, relu: sqrt(2),
    leaky_relu: sqrt(2 / (1 + negative_slope^2)) (slope ``param``, default 0.01), selu: 3/4.

    >>> calculate_gain("relu") == 2 ** 0.5
    True
    >>> calculate_gain("tanh")
    1.6666666666666667
    """
    if nonlinearity in ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope must be a number, got {slope!r}")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; choose one of linear, "
        "identity, sigmoid, tanh, relu, leaky_relu, selu"
    )


def uniform_(values: Sequence[Value], a: float = -1.0, b: float = 1.0, rng: RNG = None) -> Any:
    """Fill with U(a, b); the default U(-1, 1) is micrograd's initialisation.

    >>> w = uniform_([Value(0.0), Value(0.0)], rng=1)
    >>> all(-1 <= v.data <= 1 for v in w)
    True
    """
    if not a <= b:
        raise ValueError(f"uniform_: need a <= b, got a={a!r}, b={b!r}")
    gen = make_rng(rng)
    for v in values:
        v.data = gen.uniform(a, b)
    return values


def normal_(values: Sequence[Value], mean: float = 0.0, std: float = 1.0, rng: RNG = None) -> Any:
    """Fill with N(mean, std^2).

    >>> w = normal_([Value(0.0)], std=0.0, mean=2.0, rng=0); w[0].data
    2.0
    """
    if not std >= 0:
        raise ValueError(f"normal_: std must be >= 0, got {std!r}")
    gen = make_rng(rng)
    for v in values:
        v.data = gen.gauss(mean, std) if std > 0 else float(mean)
    return values


def constant_(values: Sequence[Value], val: float) -> Any:
    """Fill with ``val``.

    >>> constant_([Value(1.0)], 0.5)[0].data
    0.5
    """
    for v in values:
        v.data = float(val)
    return values


def zeros_(values: Sequence[Value], rng: RNG = None) -> Any:
    """Fill with 0.0 (how biases start). ``rng`` is accepted and ignored, for a uniform call.

    >>> zeros_([Value(3.0)])[0].data
    0.0
    """
    return constant_(values, 0.0)


def xavier_uniform_(
    values: Sequence[Value], fan_in: int, fan_out: int, gain: float = 1.0, rng: RNG = None
) -> Any:
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    >>> w = xavier_uniform_([Value(0.0) for _ in range(4)], fan_in=2, fan_out=2, rng=0)
    >>> all(abs(v.data) <= 6 ** 0.5 / 2 for v in w)
    True
    """
    std = gain * math.sqrt(2.0 / (_check_fan("fan_in", fan_in) + _check_fan("fan_out", fan_out)))
    a = math.sqrt(3.0) * std  # U(-a, a) has standard deviation a / sqrt(3)
    return uniform_(values, -a, a, rng)


def xavier_normal_(
    values: Sequence[Value], fan_in: int, fan_out: int, gain: float = 1.0, rng: RNG = None
) -> Any:
    """Glorot & Bengio (2010): N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    >>> len(xavier_normal_([Value(0.0), Value(0.0)], fan_in=2, fan_out=1, rng=0))
    2
    """
    std = gain * math.sqrt(2.0 / (_check_fan("fan_in", fan_in) + _check_fan("fan_out", fan_out)))
    return normal_(values, 0.0, std, rng)


def _kaiming_std(fan_in: int, fan_out: int | None, a: float, mode: str, nonlinearity: str) -> float:
    if mode == "fan_in":
        fan = _check_fan("fan_in", fan_in)
    elif mode == "fan_out":
        fan = _check_fan("fan_out", fan_out)
    else:
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    values: Sequence[Value],
    fan_in: int,
    fan_out: int | None = None,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: RNG = None,
) -> Any:
    """He et al. (2015): U(-bound, bound), bound = gain * sqrt(3 / fan), as PyTorch.

    ``a`` is the leaky_relu slope (0 makes the gain ReLU's sqrt(2)); ``fan`` is ``fan_in`` or
    ``fan_out`` by ``mode``.

    >>> w = kaiming_uniform_([Value(0.0) for _ in range(8)], fan_in=6, rng=0)
    >>> all(abs(v.data) <= 1.0 for v in w)   # bound = sqrt(2) * sqrt(3 / 6) = 1
    True
    """
    bound = math.sqrt(3.0) * _kaiming_std(fan_in, fan_out, a, mode, nonlinearity)
    return uniform_(values, -bound, bound, rng)


def kaiming_normal_(
    values: Sequence[Value],
    fan_in: int,
    fan_out: int | None = None,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: RNG = None,
) -> Any:
    """He et al. (2015): N(0, std^2), std = gain / sqrt(fan), as PyTorch.

    >>> len(kaiming_normal_([Value(0.0) for _ in range(3)], fan_in=3, nonlinearity="relu", rng=0))
    3
    """
    return normal_(values, 0.0, _kaiming_std(fan_in, fan_out, a, mode, nonlinearity), rng)


# ---- by name, for Neuron(init="...") ---------------------------------------------------------
# An initializer by name is called as f(weights, fan_in, fan_out, activation, rng): the layer
# knows its sizes and its activation, so the gain follows the activation (He for ReLU, ...).


def _gain_name(activation: str) -> tuple[str, float | None]:
    # softplus is a smooth ReLU, so it gets ReLU's gain; callables and unknown names get 1
    if activation in ("relu", "softplus"):
        return "relu", None
    if activation in ("tanh", "sigmoid", "linear", "leaky_relu"):
        return activation, None
    return "linear", None


def _by_name_uniform(w: Sequence[Value], fan_in: int, fan_out: int, act: str, rng: Any) -> None:
    uniform_(w, -1.0, 1.0, rng)


def _by_name_zeros(w: Sequence[Value], fan_in: int, fan_out: int, act: str, rng: Any) -> None:
    zeros_(w)


def _by_name_xavier_uniform(
    w: Sequence[Value], fan_in: int, fan_out: int, act: str, rng: Any
) -> None:
    xavier_uniform_(w, fan_in, fan_out, calculate_gain(*_gain_name(act)), rng)


def _by_name_xavier_normal(
    w: Sequence[Value], fan_in: int, fan_out: int, act: str, rng: Any
) -> None:
    xavier_normal_(w, fan_in, fan_out, calculate_gain(*_gain_name(act)), rng)


def _by_name_kaiming_uniform(
    w: Sequence[Value], fan_in: int, fan_out: int, act: str, rng: Any
) -> None:
    kaiming_uniform_(w, fan_in, fan_out, nonlinearity=_gain_name(act)[0], rng=rng)


def _by_name_kaiming_normal(
    w: Sequence[Value], fan_in: int, fan_out: int, act: str, rng: Any
) -> None:
    kaiming_normal_(w, fan_in, fan_out, nonlinearity=_gain_name(act)[0], rng=rng)


INITIALIZERS: dict[str, Callable[..., None]] = {
    "uniform": _by_name_uniform,
    "zeros": _by_name_zeros,
    "xavier_uniform": _by_name_xavier_uniform,
    "xavier_normal": _by_name_xavier_normal,
    "kaiming_uniform": _by_name_kaiming_uniform,
    "kaiming_normal": _by_name_kaiming_normal,
    "glorot_uniform": _by_name_xavier_uniform,
    "glorot_normal": _by_name_xavier_normal,
    "he_uniform": _by_name_kaiming_uniform,
    "he_normal": _by_name_kaiming_normal,
}
"""Initializers by name, called as ``f(weights, fan_in, fan_out, activation_name, rng)``."""


def get_initializer(init: str | Callable[..., Any]) -> Callable[..., None]:
    """The by-name initializer, or wrap a callable ``init(weights, rng=rng)``.

    >>> w = [Value(5.0)]
    >>> get_initializer("zeros")(w, 1, 1, "relu", None); w[0].data
    0.0
    >>> get_initializer(lambda ws, rng: constant_(ws, 0.1))(w, 1, 1, "relu", None); w[0].data
    0.1
    """
    if isinstance(init, str):
        key = init[:-1] if init.endswith("_") else init
        if key not in INITIALIZERS:
            raise ValueError(
                f"unknown init {init!r}; choose one of {', '.join(INITIALIZERS)} "
                "or pass a callable init(weights, rng=rng)"
            )
        return INITIALIZERS[key]
    if callable(init):
        user = init

        def call_user(w: Sequence[Value], fan_in: int, fan_out: int, act: str, rng: Any) -> None:
            user(w, rng=rng)

        return call_user
    raise TypeError(f"init must be a name or a callable, got {type(init).__name__} {init!r}")
