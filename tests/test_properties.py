"""Property tests (hypothesis): identities, linearity of gradients, random graphs vs PyTorch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, assume, example, find, given, settings
from hypothesis import strategies as st

from autograd import Value, gradients, value_and_grad

SETTINGS = settings(max_examples=150, deadline=None)
TORCH_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
moderate = st.floats(min_value=-20.0, max_value=20.0, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False)
nonzero = st.floats(
    min_value=-1e100, max_value=1e100, allow_nan=False, allow_infinity=False
).filter(lambda x: abs(x) > 1e-100)


# ---- algebraic identities, to rounding error ---------------------------------------------------


@SETTINGS
@given(finite, finite)
def test_adding_then_subtracting_gives_back_the_number(a, b):
    x, y = Value(a), Value(b)
    z = (x + y) - y
    assert math.isclose(z.data, a, rel_tol=0, abs_tol=4e-16 * max(abs(a), abs(b)))
    z.backward()
    assert x.grad == 1.0 and y.grad == 0.0


@SETTINGS
@given(nonzero)
def test_a_number_divided_by_itself_is_one(a):
    x = Value(a)
    r = x / x
    assert math.isclose(r.data, 1.0, rel_tol=1e-15)
    r.backward()
    assert abs(x.grad) <= 1e-15 / abs(a)  # d(x/x)/dx = 1/x - x/x^2 = 0


@SETTINGS
@given(st.floats(min_value=-700.0, max_value=700.0, allow_nan=False))
def test_log_of_exp_is_the_identity(a):
    x = Value(a)
    y = x.exp().log()
    assert math.isclose(y.data, a, rel_tol=1e-15, abs_tol=1e-15)
    y.backward()
    assert math.isclose(x.grad, 1.0, rel_tol=1e-15)


@SETTINGS
@given(positive)
def test_exp_of_log_is_the_identity(a):
    x = Value(a)
    y = x.log().exp()
    assert math.isclose(y.data, a, rel_tol=2e-13)  # log's rounding error grows with |log a|
    y.backward()
    assert math.isclose(x.grad, 1.0, rel_tol=2e-13)


@SETTINGS
@given(moderate)
def test_tanh_is_two_sigmoids_minus_one(a):
    x = Value(a)
    assert math.isclose(x.tanh().data, (2 * (2 * x).sigmoid() - 1).data, abs_tol=1e-15)


# ---- linearity of the gradient ------------------------------------------------------------------

UNARY_FUNCTIONS: list[Callable[[Any], Any]] = [
    lambda x: x.sin() * x,
    lambda x: (x * x + 1).log(),
    lambda x: x.tanh() ** 3,
    lambda x: x.sigmoid() / (1 + x * x),
    lambda x: x.softplus() - x.cos(),
    lambda x: 2**x,
]


@SETTINGS
@given(
    st.sampled_from(range(len(UNARY_FUNCTIONS))),
    st.sampled_from(range(len(UNARY_FUNCTIONS))),
    st.floats(-5.0, 5.0),
    st.floats(-5.0, 5.0),
    st.floats(-5.0, 5.0),
)
def test_gradient_is_linear_in_the_function(i, j, a, b, x0):
    f, g = UNARY_FUNCTIONS[i], UNARY_FUNCTIONS[j]
    _, df = value_and_grad(f)(x0)
    _, dg = value_and_grad(g)(x0)
    _, dh = value_and_grad(lambda x: a * f(x) + b * g(x))(x0)
    scale = abs(a * df) + abs(b * dg)
    assert math.isclose(dh, a * df + b * dg, rel_tol=0, abs_tol=1e-13 * scale + 1e-300)


# ---- random expression graphs --------------------------------------------------------------------
# A program is a list of steps over a growing list of nodes: the leaves first, then each step
# applies an op to earlier nodes (any of them, so nodes are reused and the graph is a DAG).
# The same program runs on Values and on PyTorch float64 tensors.

UNARY_OPS = [
    "neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus",
    "sin", "cos", "square", "cube", "inverse", "two_minus", "two_pow",
]  # fmt: skip
BINARY_OPS = ["add", "sub", "mul", "div", "pow", "max", "min", "add_const", "mul_const"]


def apply_ours(op: str, a: Any, b: Any = None) -> Any:
    table: dict[str, Callable[[], Any]] = {
        "neg": lambda: -a,
        "abs": lambda: abs(a),
        "exp": lambda: a.exp(),
        "log": lambda: a.log(),
        "sqrt": lambda: a.sqrt(),
        "tanh": lambda: a.tanh(),
        "sigmoid": lambda: a.sigmoid(),
        "relu": lambda: a.relu(),
        "leaky_relu": lambda: a.leaky_relu(0.1),
        "softplus": lambda: a.softplus(),
        "sin": lambda: a.sin(),
        "cos": lambda: a.cos(),
        "square": lambda: a**2,
        "cube": lambda: a**3,
        "inverse": lambda: 1 / a,
        "two_minus": lambda: 2 - a,
        "two_pow": lambda: 2**a,
        "add": lambda: a + b,
        "sub": lambda: a - b,
        "mul": lambda: a * b,
        "div": lambda: a / b,
        "pow": lambda: a**b,
        "max": lambda: a.max(b),
        "min": lambda: a.min(b),
        "add_const": lambda: a + 0.5,
        "mul_const": lambda: 1.5 * a,
    }
    return table[op]()


def apply_torch(torch: Any, op: str, a: Any, b: Any = None) -> Any:
    F = torch.nn.functional  # noqa: N806
    special: dict[str, Callable[[], Any]] = {
        "leaky_relu": lambda: F.leaky_relu(a, 0.1),
        "softplus": lambda: F.softplus(a, threshold=50.0),  # torch's default 20 returns x above
        "max": lambda: torch.maximum(a, b),
        "min": lambda: torch.minimum(a, b),
    }
    if op in special:
        return special[op]()
    return apply_ours(op, a, b)  # the same operators and method names work on tensors


@st.composite
def programs(draw: Any) -> tuple[list[float], list[tuple[str, tuple[int, ...]]]]:
    n_leaves = draw(st.integers(2, 4))
    # no tiny nonzero leaves: x / y at y = 1e-30 builds 1e29-sized terms whose cancellation
    # leaves rounding noise (different in each engine) where the true gradient is 0
    leaf = st.floats(-3.0, 3.0).filter(lambda x: x == 0.0 or abs(x) >= 1e-3)
    leaves = draw(st.lists(leaf, min_size=n_leaves, max_size=n_leaves))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        available = n_leaves + k
        op = draw(st.sampled_from(UNARY_OPS + BINARY_OPS))
        arity = 2 if op in BINARY_OPS and not op.endswith("_const") else 1
        args = tuple(draw(st.integers(0, available - 1)) for _ in range(arity))
        steps.append((op, args))
    return leaves, steps


def run(program: Any, apply: Callable[..., Any], leaves: list[Any]) -> list[Any]:
    nodes = list(leaves)
    for op, args in program[1]:
        nodes.append(apply(op, *[nodes[i] for i in args]))
    return nodes


def run_ours(program: Any) -> tuple[list[Value], list[Value]]:
    """The program on Values, or reject it (assume) where it leaves the ops' domains."""
    leaves = [Value(x) for x in program[0]]
    try:
        nodes = run(program, apply_ours, leaves)
    except (ValueError, ZeroDivisionError):
        assume(False)  # log/sqrt of a negative, 0 ** negative, overflow, division by zero
    assume(all(n.data == 0.0 or 1e-6 < abs(n.data) < 1e8 for n in nodes))  # and not nan
    # away from kinks (relu/abs at 0, max ties) rounding differences could pick another branch
    for n in nodes:
        if n._op in ("abs", "relu", "leaky_relu") and n._children[0].data != 0.0:
            assume(abs(n._children[0].data) > 1e-9)
        if n._op == "max":
            a, b = (c.data for c in n._children)
            assume(a == b or abs(a - b) > 1e-9 * max(1.0, abs(a)))
    return leaves, nodes


@TORCH_SETTINGS
@given(programs())
def test_random_expression_graphs_match_torch(torch, program):
    leaves, nodes = run_ours(program)
    out = nodes[-1]
    out.backward()
    grads = [x.grad for x in leaves]
    assume(all(math.isfinite(g) and abs(g) < 1e8 for g in grads))

    t_leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program[0]]
    t_nodes = run(program, lambda op, *a: apply_torch(torch, op, *a), t_leaves)
    t_grads = torch.autograd.grad(
        t_nodes[-1], t_leaves, allow_unused=True, materialize_grads=True
    )
    for ours, theirs in zip(nodes, t_nodes):
        assert math.isclose(ours.data, theirs.item(), rel_tol=1e-9, abs_tol=1e-12), ours._op
    for i, (g, tg) in enumerate(zip(grads, t_grads)):
        assert math.isclose(g, tg.item(), rel_tol=1e-7, abs_tol=1e-9), f"d out / d leaf {i}"

    # the create_graph path gives the same first derivatives
    graph_grads = gradients(out, leaves, create_graph=True)
    for g, cg in zip(grads, graph_grads):
        cg = cg.data if isinstance(cg, Value) else cg
        assert math.isclose(g, cg, rel_tol=1e-9, abs_tol=1e-12)


@SETTINGS
@given(programs())
def test_backward_twice_doubles_leaf_grads_of_any_graph(program):
    leaves, nodes = run_ours(program)
    out = nodes[-1]
    out.backward()
    first = [x.grad for x in leaves]
    assume(all(math.isfinite(g) for g in first))  # nan != nan
    interior = [n.grad for n in nodes[len(leaves) :]]
    out.backward()
    assert [x.grad for x in leaves] == [2 * g for g in first]
    assert [n.grad for n in nodes[len(leaves) :]] == interior


def at_a_kink(node: Value) -> bool:
    if node.op == "max":
        return node.inputs[0].data == node.inputs[1].data
    return node.op in ("abs", "relu", "leaky_relu") and node.inputs[0].data == 0.0


def nudged(xs: list[float], i: int, h: float) -> list[Value]:
    return [Value(x + h) if j == i else Value(x) for j, x in enumerate(xs)]


@SETTINGS
@given(programs())
@example(([0.0, 0.0], [("neg", (0,)), ("min", (0, 1)), ("neg", (0,)), ("max", (0, 3))]))
def test_gradients_sum_over_all_uses_like_finite_differences(program):
    leaves, nodes = run_ours(program)
    # at a kink (a max/min tie, relu or abs at 0) backward picks a subgradient, e.g. half of
    # each side of a tie, and a central difference another: neither is the reference there
    assume(not any(at_a_kink(n) for n in nodes))
    nodes[-1].backward()
    assume(all(math.isfinite(x.grad) and abs(x.grad) < 1e8 for x in leaves))
    for i, leaf in enumerate(leaves):
        h = 1e-6 * max(1.0, abs(leaf.data))
        try:
            plus = run(program, apply_ours, nudged(program[0], i, h))
            minus = run(program, apply_ours, nudged(program[0], i, -h))
        except (ValueError, ZeroDivisionError):
            continue  # a step of h crossed a domain boundary
        numeric = (plus[-1].data - minus[-1].data) / (2 * h)
        if not math.isfinite(numeric):
            continue
        # near a kink or a steep slope a central difference is not a reference; skip those
        curvature = abs(plus[-1].data + minus[-1].data - 2 * nodes[-1].data) / h
        if curvature > 1e-3 * max(1.0, abs(numeric)):
            continue
        assert math.isclose(leaf.grad, numeric, rel_tol=1e-4, abs_tol=1e-5)


def test_program_strategy_builds_graphs_that_reuse_nodes():
    # the engine must sum a node's gradient over all its uses: make sure such graphs are drawn
    def reuses(program: Any) -> bool:
        used = [i for _, args in program[1] for i in args]
        return len(used) != len(set(used))

    program = find(programs(), reuses, settings=settings(max_examples=200, database=None))
    assert reuses(program)
