"""Neuron, Layer, MLP and Dropout: micrograd's building blocks, with options.

``MLP(2, [16, 16, 1])`` is micrograd's model: hidden ReLU layers, a linear output layer,
weights from U(-1, 1), biases 0, a Value out when the last layer has one unit.

By default (``fused=True``) each neuron computes its weighted sum as ONE graph node,
``autograd.linear(w, x, b)``: the same float as micrograd's ``sum((wi*xi ...), b)`` (the same
additions in the same order), but 1 node instead of 2n, which makes training several times
faster (see benchmarks/). ``fused=False`` builds micrograd's per-multiply graph, for lessons.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value, linear, random_constant

from .init import get_initializer, make_rng
from .module import Module, architecture_field

__all__ = ["Neuron", "Layer", "MLP", "Dropout", "ACTIVATIONS", "get_activation"]

Activation = str | Callable[[Value], Value] | None


# ---- activations -----------------------------------------------------------------------------


def relu(v: Value) -> Value:
    """max(0, v).

    >>> relu(Value(-2.0)).data, relu(Value(3.0)).data
    (0.0, 3.0)
    """
    return v.relu()


def tanh(v: Value) -> Value:
    """tanh(v).

    >>> tanh(Value(0.0)).data
    0.0
    """
    return v.tanh()


def sigmoid(v: Value) -> Value:
    """1 / (1 + e^-v).

    >>> sigmoid(Value(0.0)).data
    0.5
    """
    return v.sigmoid()


def leaky_relu(v: Value) -> Value:
    """v if v > 0 else 0.01 v (PyTorch's default slope).

    >>> leaky_relu(Value(-2.0)).data, leaky_relu(Value(3.0)).data
    (-0.02, 3.0)
    """
    return v.leaky_relu(0.01)


def softplus(v: Value) -> Value:
    """log(1 + e^v).

    >>> round(softplus(Value(0.0)).data, 6)   # log 2
    0.693147
    """
    return v.softplus()


def linear_activation(v: Value) -> Value:
    """The identity: the output layer of a regression or of logits.

    >>> v = Value(1.5); linear_activation(v) is v
    True
    """
    return v


ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "leaky_relu": leaky_relu,
    "softplus": softplus,
    "linear": linear_activation,
}
"""Activations by name."""


def get_activation(activation: Activation) -> tuple[str, Callable[[Value], Value]]:
    """``(name, function)`` for an activation name, a callable, or None (linear).

    >>> get_activation("tanh")[0], get_activation(None)[0]
    ('tanh', 'linear')
    >>> get_activation("relu6")
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'relu6'; choose one of relu, tanh, sigmoid, ...
    """
    if activation is None:
        return "linear", linear_activation
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of "
                f"{', '.join(ACTIVATIONS)}, or pass a callable"
            )
        return activation, ACTIVATIONS[activation]
    if callable(activation):
        return getattr(activation, "__name__", repr(activation)), activation
    raise TypeError(
        f"activation must be a name or a callable, got {type(activation).__name__} {activation!r}"
    )


# ---- helpers -----------------------------------------------------------------------------------


def _check_size(what: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{what} must be an int >= 1, got {n!r}")
    return n


def _nonlin(activation: Activation, nonlin: Any, who: str) -> Activation:
    """micrograd's ``nonlin=True`` / ``nonlin=False``: ``activation="relu"`` / ``"linear"``.

    >>> _nonlin("relu", False, "Neuron"), _nonlin("tanh", None, "Neuron")
    ('linear', 'tanh')
    """
    if nonlin is None:
        return activation
    if not isinstance(nonlin, bool):
        raise TypeError(f"{who}: nonlin must be True or False, got {nonlin!r}")
    if activation != "relu":  # (relu is the default: nonlin=False overrides it)
        raise TypeError(
            f"{who}: pass activation= or micrograd's nonlin=, not both "
            f"(got activation={activation!r}, nonlin={nonlin!r})"
        )
    return "relu" if nonlin else "linear"


def _pick_rng(seed: int | None, rng: Any) -> Any:
    if seed is not None and rng is not None:
        raise ValueError("pass either seed or rng, not both")
    return make_rng(rng if rng is not None else seed)


def _inputs(x: Any, nin: int, who: str) -> Sequence[Any]:
    """x as a sequence of nin inputs; a single number or Value is accepted when nin == 1."""
    if type(x) is list or type(x) is tuple:  # the common case first: this runs per neuron
        pass
    elif isinstance(x, (Value, numbers.Real)):
        x = (x,)
    else:
        try:
            x = list(x)
        except TypeError:
            raise TypeError(
                f"{who}: inputs must be a list of floats or Values, got {type(x).__name__}"
            ) from None
    if len(x) != nin:
        raise ValueError(f"{who}: expected {nin} inputs, got {len(x)}")
    return x


# ---- Neuron ------------------------------------------------------------------------------------


class Neuron(Module):
    """One neuron: ``activation(w . x + b)``.

    ``init`` names how weights start (``"uniform"`` is micrograd's U(-1, 1); also
    ``"xavier_uniform"``, ``"xavier_normal"``, ``"kaiming_uniform"``, ``"kaiming_normal"``,
    ``"zeros"``) or is a callable ``init(weights, rng=rng)``; the bias starts at 0.
    Randomness comes from ``seed`` or ``rng`` (a ``random.Random``); with neither, from Python's
    global ``random`` (as micrograd). ``name`` is set by the Layer that builds it; the output
    Value carries it as its ``label``. micrograd's ``nonlin=True`` / ``nonlin=False`` is
    accepted for ``activation="relu"`` / ``"linear"``.

    >>> import math
    >>> n = Neuron(2, activation="tanh", seed=0)
    >>> y = n([1.0, -2.0])
    >>> y.label, y.data == math.tanh(n.w[0].data - 2 * n.w[1].data)
    ('neuron', True)
    >>> n
    Neuron(nin=2, activation='tanh')
    """

    def __init__(
        self,
        nin: int,
        activation: Activation = "relu",
        init: str | Callable[..., Any] = "uniform",
        bias: bool = True,
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
        fused: bool = True,
        name: str | None = None,
        fan_out: int = 1,
        nonlin: bool | None = None,
    ) -> None:
        super().__init__()
        self.nin = _check_size("Neuron: nin", nin)
        _check_size("Neuron: fan_out", fan_out)
        activation = _nonlin(activation, nonlin, "Neuron")
        self.activation, self._act = get_activation(activation)
        self.fused = bool(fused)
        self.name = name or "neuron"
        prefix = f"{name}." if name else ""  # parameter labels match named_parameters names
        self.w = [Value(0.0, label=f"{prefix}w.{i}") for i in range(nin)]
        self.b = Value(0.0, label=f"{prefix}b") if bias else None
        get_initializer(init)(self.w, nin, fan_out, self.activation, _pick_rng(seed, rng))
        self._activity: list[int] | None = None  # [times active, calls] while fit tracks it

    def forward(self, x: Any) -> Value:
        """activation(b + w0*x0 + w1*x1 + ...), labelled with this neuron's name."""
        x = _inputs(x, self.nin, f"neuron {self.name!r}")
        bias = self.b if self.b is not None else 0.0
        if self.fused:
            act = linear(self.w, x, bias)  # one node, same float as the sum below
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), bias)  # micrograd's graph
        out = self._act(act)
        if not isinstance(out, Value):
            raise TypeError(
                f"neuron {self.name!r}: activation {self.activation!r} must return a Value, "
                f"got {type(out).__name__}"
            )
        out.label = self.name
        if self._activity is not None:  # dead-ReLU statistics for fit(track_grad_flow=True)
            self._activity[0] += out.data > 0
            self._activity[1] += 1
        return out

    def extra_repr(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"nin={self.nin}, activation={self.activation!r}{bias}"

    def architecture(self) -> dict[str, Any]:
        """nin, activation and bias: what defines the function."""
        return {"nin": self.nin, "activation": self.activation, "bias": self.b is not None}

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> Neuron:
        """A new Neuron (weights zero) with the architecture ``save`` recorded."""
        return cls(arch["nin"], arch["activation"], init="zeros", bias=arch["bias"])

    @classmethod
    def parameter_count(cls, arch: dict[str, Any]) -> int:
        """nin weights and a bias (``load_model`` checks this before building)."""
        return _dense_count([architecture_field(arch, "nin", "size"), 1], arch)


# ---- Layer -------------------------------------------------------------------------------------


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs.

    Returns a list of ``nout`` Values, or one Value when ``nout == 1`` (as micrograd).
    Neurons are named ``<name>.neurons.<i>`` (``neurons.<i>`` for a standalone layer).
    micrograd's ``nonlin=True`` / ``nonlin=False`` is accepted for ``activation="relu"`` /
    ``"linear"``.

    >>> layer = Layer(3, 2, activation="tanh", seed=0)
    >>> out = layer([1.0, 2.0, 3.0])
    >>> len(out), [v.label for v in out]
    (2, ['neurons.0', 'neurons.1'])
    >>> layer
    Layer(nin=3, nout=2, activation='tanh')
    """

    _repr_children = False  # a layer prints as one line, not 16 neurons

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: Activation = "relu",
        init: str | Callable[..., Any] = "uniform",
        bias: bool = True,
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
        fused: bool = True,
        name: str | None = None,
        nonlin: bool | None = None,
    ) -> None:
        super().__init__()
        activation = _nonlin(activation, nonlin, "Layer")
        self.nin = _check_size("Layer: nin", nin)
        self.nout = _check_size("Layer: nout", nout)
        gen = _pick_rng(seed, rng)
        self.activation = get_activation(activation)[0]
        self.name = name or "layer"
        prefix = f"{name}." if name else ""
        self.neurons = [
            Neuron(
                nin,
                activation,
                init,
                bias,
                rng=gen,
                fused=fused,
                name=f"{prefix}neurons.{i}",
                fan_out=nout,
            )
            for i in range(nout)
        ]

    @property
    def fused(self) -> bool:
        """One ``linear`` node per neuron (True) or micrograd's per-multiply graph (False)."""
        return all(n.fused for n in self.neurons)

    @fused.setter
    def fused(self, value: bool) -> None:
        for n in self.neurons:
            n.fused = bool(value)

    def forward(self, x: Any) -> Value | list[Value]:
        """Each neuron applied to x: a list, or one Value when the layer has one neuron."""
        out = self.forward_list(x)
        return out[0] if len(out) == 1 else out

    def forward_list(self, x: Any) -> list[Value]:
        """Each neuron applied to x, always as a list."""
        x = _inputs(x, self.nin, f"layer {self.name!r} (nin={self.nin})")
        # one leaf per input, shared by all neurons (micrograd makes one per multiplication)
        xs = [xi if isinstance(xi, Value) else Value(xi) for xi in x]
        return [n(xs) for n in self.neurons]

    def weights(self) -> list[Value]:
        """The weights of all neurons (no biases)."""
        return [w for n in self.neurons for w in n.w]

    def extra_repr(self) -> str:
        bias = "" if self.neurons[0].b is not None else ", bias=False"
        return f"nin={self.nin}, nout={self.nout}, activation={self.activation!r}{bias}"

    def architecture(self) -> dict[str, Any]:
        """nin, nout, activation and bias."""
        return {
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
            "bias": self.neurons[0].b is not None,
        }

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> Layer:
        """A new Layer (weights zero) with the architecture ``save`` recorded."""
        return cls(arch["nin"], arch["nout"], arch["activation"], init="zeros", bias=arch["bias"])

    @classmethod
    def parameter_count(cls, arch: dict[str, Any]) -> int:
        """nout neurons of nin weights and a bias (``load_model`` checks this before building)."""
        sizes = [architecture_field(arch, "nin", "size"), architecture_field(arch, "nout", "size")]
        return _dense_count(sizes, arch)


# ---- Dropout -----------------------------------------------------------------------------------


class Dropout(Module):
    """Inverted dropout: in training, zero each input with probability p, scale the rest by 1/(1-p).

    In evaluation mode (``.eval()``) it is the identity. A list in gives a list out (a single
    Value gives a Value). Seeded by ``seed`` or ``rng``.

    >>> from autograd import Value
    >>> d = Dropout(0.5, seed=0)
    >>> [v.data for v in d([Value(1.0)] * 6)]
    [2.0, 2.0, 0.0, 0.0, 2.0, 0.0]
    >>> [v.data for v in d.eval()([Value(1.0)] * 3)]
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, *, seed: int | None = None, rng: Any = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r}")
        self.p = float(p)
        self._rng = _pick_rng(seed, rng)

    def forward(self, x: Any) -> Any:
        """x unchanged in eval mode or when p == 0; else each entry kept (scaled) or zeroed."""
        if not self.training or self.p == 0.0:
            return x
        scale = 1.0 / (1.0 - self.p)  # E[output] = input: kept entries are scaled up
        if isinstance(x, (Value, numbers.Real)):
            return self._drop(x, scale)
        return [self._drop(xi, scale) for xi in x]

    def _drop(self, x: Any, scale: float) -> Any:
        """x times 0 (dropped, with probability p) or times scale. For a Value the factor is
        a random_constant: a compiled step draws it again on every call."""
        factor = lambda: 0.0 if self._rng.random() < self.p else scale  # noqa: E731
        return x * random_constant(factor) if isinstance(x, Value) else x * factor()

    def extra_repr(self) -> str:
        return f"p={self.p}"


# ---- MLP ---------------------------------------------------------------------------------------


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one Layer per entry of ``nouts``.

    Hidden layers use ``activation``; the last uses ``output_activation`` (None: linear).
    ``dropout`` > 0 applies ``Dropout`` after each hidden layer (training mode only).
    Returns a Value when the last layer has one unit, else a list of Values.

    >>> model = MLP(2, [16, 16, 1], seed=0)
    >>> len(model.parameters())
    337
    >>> y = model([0.5, -1.0]); y.label
    'layers.2.neurons.0'
    >>> model
    MLP(
      nin=2, nouts=[16, 16, 1], parameters=337
      (layers): [
        (0): Layer(nin=2, nout=16, activation='relu')
        (1): Layer(nin=16, nout=16, activation='relu')
        (2): Layer(nin=16, nout=1, activation='linear')
      ]
    )
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: Activation = "relu",
        output_activation: Activation = None,
        init: str | Callable[..., Any] = "uniform",
        dropout: float = 0.0,
        bias: bool = True,
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        self.nin = _check_size("MLP: nin", nin)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        for n in nouts:
            _check_size("MLP: each layer size in nouts", n)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise ValueError(f"MLP: dropout must be a probability in [0, 1), got {dropout!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be a probability in [0, 1), got {dropout!r}")
        self.nouts = list(nouts)
        self.name = "mlp"
        self.activation = get_activation(activation)[0]
        self.output_activation = get_activation(output_activation)[0]
        gen = _pick_rng(seed, rng)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation if i < len(nouts) - 1 else (output_activation or "linear"),
                init,
                bias,
                rng=gen,
                fused=fused,
                name=f"layers.{i}",
            )
            for i in range(len(nouts))
        ]
        self.dropout: Dropout | None = None
        if dropout > 0:  # its own stream, drawn after the weights so they match micrograd's
            self.dropout = Dropout(dropout, rng=random.Random(gen.getrandbits(64)))

    @property
    def fused(self) -> bool:
        """One ``linear`` node per neuron (True) or micrograd's per-multiply graph (False)."""
        return all(layer.fused for layer in self.layers)

    @fused.setter
    def fused(self, value: bool) -> None:
        for layer in self.layers:
            layer.fused = value

    def forward(self, x: Any) -> Value | list[Value]:
        """The layers in turn (with dropout between them in training)."""
        for i, layer in enumerate(self.layers):
            x = layer.forward_list(x)
            if self.dropout is not None and i < len(self.layers) - 1:
                x = self.dropout(x)
        return x[0] if len(x) == 1 else x

    def extra_repr(self) -> str:
        parts = [f"nin={self.nin}", f"nouts={self.nouts}"]
        if self.activation != "relu":
            parts.append(f"activation={self.activation!r}")
        if self.output_activation != "linear":
            parts.append(f"output_activation={self.output_activation!r}")
        parts.append(f"parameters={len(self.parameters())}")
        return ", ".join(parts)

    def architecture(self) -> dict[str, Any]:
        """Sizes, activations, bias (and the dropout rate, which loading does not compare)."""
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "bias": self.layers[0].neurons[0].b is not None,
            "dropout": self.dropout.p if self.dropout is not None else 0.0,
        }

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> MLP:
        """A new MLP (weights zero) with the architecture ``save`` recorded."""
        return cls(
            arch["nin"],
            arch["nouts"],
            arch["activation"],
            arch["output_activation"],
            init="zeros",
            dropout=arch.get("dropout", 0.0),
            bias=arch["bias"],
        )

    @classmethod
    def parameter_count(cls, arch: dict[str, Any]) -> int:
        """Each layer's weights and biases (``load_model`` checks this before building)."""
        nouts = architecture_field(arch, "nouts", "sizes")
        return _dense_count([architecture_field(arch, "nin", "size"), *nouts], arch)


def _dense_count(sizes: list[int], arch: dict[str, Any]) -> int:
    """Parameters of dense layers of these sizes (inputs first), with biases if arch says so."""
    bias = architecture_field(arch, "bias", "flag")
    return sum((n_in + bias) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
