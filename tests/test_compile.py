"""autograd.compile: compiled steps equal the interpreted engine, and what cannot be replayed
is refused with a clear error."""

from __future__ import annotations

import math
import random

import pytest

np = pytest.importorskip("numpy")

import autograd  # noqa: E402
from autograd import RULES, Value, linear  # noqa: E402

RTOL, ATOL = 1e-12, 1e-14


def close(a: float, b: float) -> bool:
    if math.isnan(b):
        return math.isnan(a)
    if math.isinf(b):
        return a == b
    return abs(a - b) <= RTOL * abs(b) + ATOL


def interpreted(fn, params, args):
    """loss and grads as fn(*args).backward() gives them (grads from 0)."""
    for p in params:
        p.grad = 0.0
    out = fn(*args)
    out = out[0] if isinstance(out, tuple) else out
    out.backward()
    return out.data, [p.grad for p in params]


def compiled(step, params, args):
    for p in params:
        p.grad = 0.0
    out = step(*args)
    loss = out[0] if isinstance(out, tuple) else out
    return loss, [p.grad for p in params]


def assert_same(fn, params, calls, step=None):
    """The compiled function gives the interpreted loss and grads on every call."""
    step = step or autograd.compile(fn)
    for args in calls:
        want_loss, want = interpreted(fn, params, args)
        got_loss, got = compiled(step, params, args)
        assert close(got_loss, want_loss), (got_loss, want_loss, args)
        bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if not close(g, w)]
        assert not bad, bad[:5]
    return step


# ---- every op of the engine ------------------------------------------------------------------

# op -> (a function of one parameter w and one argument x, arguments to try)
UNARY_INPUTS = {
    "exp": [-2.0, 0.3, 1.5],
    "log": [0.2, 1.0, 3.5],
    "sqrt": [0.04, 1.0, 7.0],
    "tanh": [-2.0, 0.0, 0.7],
    "sigmoid": [-30.0, -1.0, 0.0, 2.0, 40.0],
    "softplus": [-40.0, -1.0, 0.0, 3.0, 50.0],
    "relu": [-1.0, 0.0, 2.0],
    "abs": [-1.5, 0.0, 2.0],
    "sin": [-2.0, 0.0, 1.0],
    "cos": [-2.0, 0.0, 1.0],
}


def _op_function(op):
    w = Value(0.7, label="w")
    if op in UNARY_INPUTS:
        def fn(xs):
            return sum(getattr(w * x, op)() * (k + 1) for k, x in enumerate(xs))
        xs = UNARY_INPUTS[op]
        return fn, [w], [([x / 0.7 for x in xs],), ([x / 0.5 for x in xs],)]
    b = Value(-0.4, label="b")
    binary = {
        "+": lambda p, x: p + x,
        "*": lambda p, x: p * x,
        "**": lambda p, x: (p * x) ** 3 + (p * x).abs() ** 0.5 + (p + 2) ** -1.5,
        "pow": lambda p, x: (p * p + 0.5) ** (x * b),
        "max": lambda p, x: (p * x).max(b) + b.max(p * x * 0.5) + (p * 0).max(b * 0),
        "min": lambda p, x: (p * x).min(b),
        "leaky_relu": lambda p, x: (p * x).leaky_relu(0.1) + (b * x).leaky_relu(),
        "linear": lambda p, x: linear([p, b], [x, x * x], p),
    }[op]

    def fn(xs):
        return sum(binary(w, x) for x in xs)

    return fn, [w, b], [([-1.5, 0.0, 2.0],), ([0.5, -3.0, 1.0],)]


@pytest.mark.parametrize("op", sorted(RULES))
def test_every_op_compiles_to_the_interpreted_loss_and_grads(op):
    fn, params, calls = _op_function(op)
    assert_same(fn, params, calls)


def test_the_op_table_is_covered():
    from autograd.compiler.kernels import KERNELS

    special = {"linear", "min"}  # a step of its own; a derived op
    assert set(RULES) - special <= set(KERNELS)


EDGE_VALUES = [0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("op", ["relu", "abs", "tanh", "sigmoid", "softplus", "max", "leaky_relu"])
def test_ops_agree_at_edge_values(op):
    xs = EDGE_VALUES

    def fn(vals):
        out = []
        for x in vals:
            v = x * 1.0
            if op == "max":
                out.append(v.max(0.0) + v.max(v))
            elif op == "leaky_relu":
                out.append(v.leaky_relu(0.2))
            else:
                out.append(getattr(v, op)())
        return out[0], out

    step = autograd.compile(fn)
    _, got = step(xs)
    want = [v.data for v in fn([Value(x) for x in xs])[1]]
    for g, w_ in zip(got, want):
        assert close(g, w_) and math.copysign(1, g) == math.copysign(1, w_) or math.isnan(w_)


# ---- graphs ---------------------------------------------------------------------------------


def _recipe(rng, n_leaves, n_nodes=25):
    """A random DAG as (kind, input a, input b) rows over earlier entries (shared nodes)."""
    return [(rng.random(), rng.randrange(n_leaves + k), rng.randrange(n_leaves + k))
            for k in range(n_nodes)]


def _build(recipe, params, xs):
    pool = list(params) + [x if isinstance(x, Value) else Value(x) for x in xs]
    for kind, i, j in recipe:
        a, b = pool[i], pool[j]
        if kind < 0.3:
            v = a + b
        elif kind < 0.55:
            v = a * b
        elif kind < 0.65:
            v = a.tanh()
        elif kind < 0.75:
            v = (a * 0.3).exp()
        elif kind < 0.85:
            v = a.relu() - b
        else:
            v = linear([a, b], [b, a], 0.5)
        pool.append(v)
    return sum(pool[-8:]) + pool[-1] * pool[-2]


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_compile_to_the_interpreted_result(seed):
    params = [Value(random.Random(seed + k).uniform(-1, 1)) for k in range(4)]
    recipe = _recipe(random.Random(seed), n_leaves=7)

    def fn(xs):
        return _build(recipe, params, xs)

    rng = random.Random(100 + seed)
    calls = [([rng.uniform(-1, 1) for _ in range(3)],) for _ in range(3)]
    assert_same(fn, params, calls)


def test_micrograd_style_code_compiles_and_finds_matrix_products():
    rng = random.Random(0)
    w1 = [[Value(rng.uniform(-1, 1)) for _ in range(2)] for _ in range(4)]
    b1 = [Value(0.0) for _ in range(4)]
    w2 = [Value(rng.uniform(-1, 1)) for _ in range(4)]
    params = [p for row in w1 for p in row] + b1 + w2

    def fn(X, y):
        losses_ = []
        for xrow, yi in zip(X, y):
            x = [Value(xi) for xi in xrow]  # micrograd wraps its inputs; here they are traced
            h = [sum((wi * xi for wi, xi in zip(w, x)), b).relu() for w, b in zip(w1, b1)]
            s = sum((wi * hi for wi, hi in zip(w2, h)), Value(0.1))
            losses_.append((1 + -yi * s).relu())
        return sum(losses_) * (1.0 / len(losses_)) + 1e-4 * sum(p * p for p in params)

    rng = random.Random(1)
    calls = [([[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(10)],
              [rng.choice([-1, 1]) for _ in range(10)]) for _ in range(3)]
    step = assert_same(fn, params, calls)
    assert "matrix product" in step.program()
