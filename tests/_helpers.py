"""Helpers shared by several test files: float comparisons and small example graphs."""

from autograd import Value, linear

TOL = 1e-12


def close(a, b, tol=TOL):
    """|a - b| <= tol, relative for large numbers."""
    return abs(a - b) <= tol * max(1.0, abs(b))


def assert_all_close(ours, theirs, what=""):
    assert len(ours) == len(theirs), what
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert close(a, b), f"{what}[{i}]: ours {a!r}, PyTorch {b!r}"


def neuron():
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), with its leaves."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [x1, x2, w1, w2, b]


def shared_and_fused():
    """A node used twice (x * x), a constant, and a fused linear node."""
    x, w, b = Value(0.7, label="x"), Value(-1.3, label="w"), Value(0.2, label="b")
    y = linear([w], [x * x], b).sigmoid() + 3 * x
    y.label = "y"
    return y, [x, w, b]
