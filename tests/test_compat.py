"""Habits from micrograd, HIPS autograd / JAX and PyTorch carry over (issue 15).

The lecture-style code here is written for these tests, in the way micrograd's lecture and its
notebooks use a Value; none of it is copied from micrograd. Where a test needs micrograd itself
(``micrograd==0.1.0``, the second oracle beside PyTorch) it is imported inside the test.
"""

from __future__ import annotations

import math
import re

import pytest

from autograd import Value, draw_dot, grad

# ---- micrograd: nodes built by hand, as the lecture builds them ---------------------------------


def lecture_neuron():
    """The lecture's neuron o = tanh(x1*w1 + x2*w2 + b), every node made by hand with
    ``Value(data, _children, _op, label)``, the data computed on plain floats."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = Value(x1.data * w1.data, (x1, w1), "*", label="x1*w1")
    x2w2 = Value(x2.data * w2.data, (x2, w2), "*", label="x2*w2")
    s = Value(x1w1.data + x2w2.data, (x1w1, x2w2), "+", label="s")
    n = Value(s.data + b.data, (s, b), "+", label="n")
    o = Value(math.tanh(n.data), (n,), "tanh", label="o")
    return o, {v.label: v for v in (x1, x2, w1, w2, b, x1w1, x2w2, s, n, o)}


def test_hand_built_nodes_backpropagate_like_the_same_ops(backward_path):
    o, v = lecture_neuron()
    o.backward()
    grads = {k: v[k].grad for k in ("x1", "x2", "w1", "w2", "b")}
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2, b = Value(-3.0), Value(1.0), Value(6.8813735870195432)
    (x1 * w1 + x2 * w2 + b).tanh().backward()
    assert grads == {"x1": x1.grad, "x2": x2.grad, "w1": w1.grad, "w2": w2.grad, "b": b.grad}
    assert v["n"].grad == pytest.approx(0.5) and v["w1"].grad == pytest.approx(1.0)


def test_hand_built_node_keeps_its_inputs_in_order_and_its_op(backward_path):
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = Value(6.0, (a, b), "*", label="c")
    assert c.inputs == (a, b) and c._children == (a, b) and c._op == c.op == "*"
    assert not c.is_leaf and c.label == "c"
    d = Value(6.0, [b, a], "*")  # a list is fine; the order is kept
    assert d.inputs == (b, a)
    e = Value(7.0, (a, a, b), "linear")  # many inputs: the linear node's storage
    assert e.inputs == (a, a, b)


def test_hand_built_node_with_an_op_of_no_rule_fails_backward_by_name(backward_path):
    a, b = Value(2.0), Value(3.0)
    relu = Value(2.0, (a,), "ReLU")  # micrograd spells it ReLU; ours is relu
    with pytest.raises(ValueError, match=r"^backward: no rule for op 'ReLU'; the ops with rules: "):
        relu.backward()
    power = Value(8.0, (a,), "**3")  # micrograd's op names carry the exponent
    with pytest.raises(ValueError, match=r"no rule for op '\*\*3'"):
        (power * b).backward()
    assert a.grad == 0.0 and b.grad == 0.0  # a failed backward changes no leaf


def test_prev_is_micrograds_read_only_set_of_inputs():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert c._prev == {a, b} and isinstance(c._prev, set) and a._prev == set()
    assert (a * a)._prev == {a}  # a set: one entry for an input used twice
    with pytest.raises(AttributeError):
        c._prev = set()


def trace(root):
    """micrograd's trace_graph notebook walks the graph with _prev (written here, not copied)."""
    nodes, edges, stack = set(), set(), [root]
    while stack:
        v = stack.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                stack.append(child)
    return nodes, edges


def test_lecture_trace_over_prev_and_op_sees_the_whole_graph():
    o, v = lecture_neuron()
    nodes, edges = trace(o)
    assert nodes == set(v.values())
    assert (v["n"], v["o"]) in edges and len(edges) == 9
    assert sorted(n._op for n in nodes if n._op) == ["*", "*", "+", "+", "tanh"]
    nodes, _ = trace((Value(2.0) * 3).relu())
    assert sorted(n._op for n in nodes) == ["", "", "*", "relu"]


def test_lecture_backward_by_hand_with_underscore_backward(backward_path):
    o, v = lecture_neuron()
    o.grad = 1.0  # the lecture seeds the output, then steps each node from the output back
    for name in ("o", "n", "s", "x1*w1", "x2*w2", "x1", "w1"):
        assert v[name]._backward() is None  # (on a leaf it does nothing, as micrograd's)
    by_hand = {name: v[name].grad for name in v}
    o2, v2 = lecture_neuron()
    o2.backward()
    assert by_hand == {name: v2[name].grad for name in v2}
    assert by_hand["w1"] == pytest.approx(1.0) and by_hand["x1"] == pytest.approx(-1.5)


def test_chain_rule_step_over_the_graph_equals_backward_bit_for_bit(backward_path):
    import nn
    from autograd import chain_rule_step, topological_order

    def loss_of(model):
        return sum((model(x) - t) ** 2 for x, t in [([0.5, -1.0], 1.0), ([2.0, 0.3], -1.0)])

    model = nn.MLP(2, [4, 4, 1], activation="tanh", seed=3, fused=False)
    loss = loss_of(model)
    loss.grad = 1.0
    steps = [s for node in reversed(topological_order(loss)) for s in chain_rule_step(node)]
    by_hand = [p.grad for p in model.parameters()]
    model.zero_grad()
    loss_of(model).backward()
    assert by_hand == [p.grad for p in model.parameters()]
    assert len(steps) == sum(len(n.inputs) for n in topological_order(loss))


def test_chain_rule_step_returns_its_steps_and_skips_constants():
    from autograd import chain_rule_step

    x, k = Value(2.0, label="x"), Value(5.0, requires_grad=False)
    y = x * k
    y.label = "y"
    assert [s.contribution for s in chain_rule_step(y)] == [0.0]  # y.grad is 0 so far; not k
    assert x.grad == 0.0 and k.grad is None
    y.grad = 2.0
    (step,) = chain_rule_step(y)
    assert (step.input, step.local, step.upstream, step.contribution) == (x, 5.0, 2.0, 10.0)
    assert str(step) == (
        "step 0: x <- y: local 5.0000 x upstream 2.0000 = 10.0000; x.grad is now 10.0000"
    )
    assert chain_rule_step(k) == [] and chain_rule_step(x) == []
    x.grad = None  # None is "no gradient yet", as in PyTorch
    chain_rule_step(y)
    assert x.grad == 10.0


def test_draw_dot_takes_micrograds_call_as_written():
    o, _ = lecture_neuron()
    o.backward()
    g = draw_dot(o, format="svg", rankdir="LR")  # micrograd's keywords
    assert g.format == "svg" and "rankdir=LR" in g.source
    g = draw_dot(o, format="png", rankdir="TB")
    assert g.format == "png" and "rankdir=TB" in g.source
    g = draw_dot(o, "png")  # micrograd's order: the format second ...
    assert g.format == "png" and "rankdir=LR" in g.source and "data 0.7071" in g.source
    g = draw_dot(o, "svg", "TB")  # ... and rankdir third
    assert g.format == "svg" and "rankdir=TB" in g.source
    assert draw_dot(o, "BT", fmt="png").format == "png"  # ours, as before
    assert draw_dot(o, fmt="png", format="png").format == "png"


def micrograd_module():
    """micrograd 0.1.0, the second oracle (a test extra: pip install micrograd==0.1.0)."""
    return pytest.importorskip("micrograd.nn", reason="micrograd==0.1.0 is the second oracle")


def copy_weights(theirs, ours):
    """micrograd's parameters into ours: both list each neuron's weights, then its bias."""
    params = ours.parameters()
    assert len(params) == len(theirs.parameters())
    for mine, their in zip(params, theirs.parameters()):
        mine.data = their.data


def test_neuron_and_layer_take_micrograds_nonlin():
    import nn

    assert nn.Neuron(2, nonlin=False).activation == "linear"
    assert nn.Neuron(2, nonlin=True).activation == nn.Neuron(2).activation == "relu"
    layer = nn.Layer(2, 3, nonlin=False, seed=0)
    assert layer.activation == "linear" and all(n.activation == "linear" for n in layer.neurons)
    out = layer([-5.0, 4.0])
    assert len(out) == 3 and any(v.data < 0 for v in out)  # not clipped by a ReLU
    assert nn.Layer(2, 3, nonlin=True).activation == "relu"
    assert nn.Neuron(2, "relu", nonlin=False).activation == "linear"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda nn: nn.Neuron(2, "tanh", nonlin=True), "Neuron: pass activation= or micrograd's "
         "nonlin=, not both (got activation='tanh', nonlin=True)"),
        (lambda nn: nn.Layer(2, 3, activation="sigmoid", nonlin=False), "Layer: pass activation="),
        (lambda nn: nn.Neuron(2, nonlin="no"), "Neuron: nonlin must be True or False, got 'no'"),
        (lambda nn: nn.Layer(2, 3, nonlin=1), "Layer: nonlin must be True or False, got 1"),
    ],
)  # fmt: skip
def test_nonlin_with_another_activation_or_not_a_bool_is_refused(make, message):
    import nn

    with pytest.raises(TypeError, match="^" + re.escape(message)):
        make(nn)


def test_layers_with_nonlin_match_micrograds_outputs():
    import nn

    mg = micrograd_module()
    for nonlin in (True, False):
        theirs = mg.Layer(3, 4, nonlin=nonlin)
        ours = nn.Layer(3, 4, nonlin=nonlin)
        copy_weights(theirs, ours)
        for x in ([0.5, -1.5, 2.0], [-3.0, 0.25, -0.5]):
            assert [v.data for v in ours(x)] == [v.data for v in theirs(x)]
        neuron, their_neuron = nn.Neuron(2, nonlin=nonlin), mg.Neuron(2, nonlin=nonlin)
        copy_weights(their_neuron, neuron)
        assert neuron([-1.0, 0.5]).data == their_neuron([-1.0, 0.5]).data


# ---- micrograd as the second oracle: lecture-style code on three engines -----------------------


def lecture_expression(V):
    """Every op micrograd has, in lecture style (written here), for any Value class V."""
    a, b = V(-3.0), V(2.5)
    c = a * b + b ** 3
    d = (c / 4 - a).relu() + (-b) * 2
    e = (2 - d) * (d + a.relu()) / (1 + b ** 2)
    f = e * e + (a - b).relu() - 1 / (c * c)
    g = f + f * (e + d.relu()) ** 2 + e / 3 - 5 * a
    return a, b, g


def test_lecture_code_runs_on_chainrule_micrograd_and_torch_alike(backward_path, torch):
    from micrograd.engine import Value as MValue

    micrograd_module()
    a, b, g = lecture_expression(Value)
    g.backward()
    ma, mb, mg = lecture_expression(MValue)
    mg.backward()
    ta, tb, tg = lecture_expression(lambda x: torch.tensor(x, requires_grad=True))
    tg.backward()
    assert g.data == mg.data == tg.item()  # the same float operations in the same order
    for ours, theirs, oracle in ((a, ma, ta), (b, mb, tb)):
        # sums of several contributions may be added in another order: the last bit differs
        assert ours.grad == pytest.approx(theirs.grad, rel=1e-12)
        assert ours.grad == pytest.approx(oracle.grad.item(), rel=1e-12)


def test_truthiness_and_a_second_backward_differ_from_micrograd_on_purpose(backward_path, torch):
    from micrograd.engine import Value as MValue

    micrograd_module()
    assert bool(MValue(0.0)) is True and bool(Value(0.0)) is False  # ours: like a float
    assert bool(Value(-2.0)) is True and bool(torch.tensor(0.0)) is False

    def twice(V, **backward):
        x = V(1.5)
        h = x * x  # an interior node
        y = h * 3.0 + h
        y.backward(**backward)
        y.backward(**backward)
        return x.grad, h.grad

    theirs = twice(MValue)
    ours = twice(Value)
    tx = torch.tensor(1.5, requires_grad=True)
    ty = (tx * tx) * 3.0 + tx * tx
    ty.backward(retain_graph=True)
    ty.backward()
    assert ours == (2 * 12.0, 4.0)  # leaves accumulate, interior nodes restart
    assert ours[0] == tx.grad.item()
    # micrograd's interior grads keep the first call's too, so the second call passes back
    # more than its own share: the leaf's grad is more than twice one call's
    assert theirs[1] > ours[1] and theirs[0] > ours[0]


def untie(root):
    """Break micrograd's reference cycles (each node's _backward closure holds the node), so
    its graphs are freed at once without the cyclic collector."""
    noop = lambda: None  # noqa: E731
    stack, seen = [root], set()
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            v._backward = noop
            stack.extend(v._prev)


def demo_step(model, X, y, k, V):
    """One step of micrograd's demo notebook, lecture style (written here): hinge loss with
    1e-4 L2, full batch, SGD with the learning rate decaying from 1.0 to 0.1 over 100 steps."""
    scores = [model([V(a), V(b)]) for a, b in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)
    model.zero_grad()
    total.backward()
    grads = [p.grad for p in model.parameters()]
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total, accuracy, grads


DEMO_STEPS = 20  # of the demo's 100: micrograd takes about half a second a step. All 100 agree
# too (measured: the same accuracy at every step, losses within 4e-15 relative):
# python benchmarks/moons.py --steps 100 --repeats 1 prints both final losses


@pytest.mark.slow
def test_micrograds_demo_trains_along_the_same_trajectory_on_chainrule():
    import gc
    import random

    from micrograd.engine import Value as MValue

    import nn
    from nn.data import make_moons

    mg = micrograd_module()
    X, labels = make_moons(100, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]  # the hinge loss wants -1 / +1
    state = random.getstate()
    random.seed(1337)  # micrograd's MLP draws its weights from the global random
    theirs = mg.MLP(2, [16, 16, 1])
    random.setstate(state)
    start = [p.data for p in theirs.parameters()]
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        trajectory = []
        for k in range(DEMO_STEPS):
            total, accuracy, grads = demo_step(theirs, X, y, k, MValue)
            trajectory.append((total.data, accuracy, grads))
            untie(total)
        models = {}
        for fused in (True, False):  # nn.MLP's linear nodes, and micrograd's graph of * and +
            ours = models[fused] = nn.MLP(2, [16, 16, 1], fused=fused)
            for p, data in zip(ours.parameters(), start, strict=True):
                p.data = data
            for k, (their_loss, their_accuracy, their_grads) in enumerate(trajectory):
                total, accuracy, grads = demo_step(ours, X, y, k, Value)
                assert total.data == pytest.approx(their_loss, rel=1e-12, abs=0), k
                assert accuracy == their_accuracy, k
                assert grads == pytest.approx(their_grads, rel=1e-12, abs=1e-15), k
    finally:
        if was_enabled:
            gc.enable()
    final = [p.data for p in theirs.parameters()]
    for ours in models.values():
        assert [p.data for p in ours.parameters()] == pytest.approx(final, rel=1e-10, abs=1e-14)


# ---- HIPS autograd and JAX: argnum, jacobian, hessian, elementwise_grad --------------------------


def test_grad_takes_hips_autograds_argnum(backward_path):
    from autograd import elementwise_grad, hessian, jacobian, value_and_grad

    f = lambda x, y: x * y ** 3  # noqa: E731
    assert grad(f, argnum=1)(2.0, 0.5) == grad(f, argnums=1)(2.0, 0.5) == 1.5
    assert grad(f, 1)(2.0, 0.5) == 1.5  # HIPS's positional argnum
    assert value_and_grad(f, argnum=0)(2.0, 0.5) == (0.25, 0.125)
    assert grad(f, argnum=(0, 1))(2.0, 0.5) == (0.125, 1.5)
    assert jacobian(f, argnum=0)(2.0, 0.5) == 0.125
    assert hessian(f, argnum=1)(2.0, 0.5) == 6.0  # 6xy
    assert elementwise_grad(f, argnum=1)(2.0, [0.0, 0.5]) == [0.0, 1.5]


def central_difference(f, args, j, h=1e-6):
    up, down = list(args), list(args)
    up[j] += h
    down[j] -= h
    return (f(*up) - f(*down)) / (2 * h)


def others_constant(point, *positions):
    """The point with every argument not in ``positions`` a constant Value (f calls methods)."""
    return [x if i in positions else Value(x, requires_grad=False) for i, x in enumerate(point)]


def on_floats(f):
    """f with its Value ops applied to plain floats: for finite differences."""
    return lambda *xs: _floats(f(*(Value(x) for x in xs)))


def _floats(out):
    return [v.data for v in out] if isinstance(out, list) else out.data


VECTOR_FUNCTIONS = [  # (name, f of several scalars returning a list, point)
    ("polar to cartesian", lambda r, t: [r * t.cos(), r * t.sin()], (1.5, 0.7)),
    ("mixed", lambda x, y, z: [x * y * z, (x * y).sin() + z ** 2, (x - z).exp() / y],
     (0.3, -1.2, 0.8)),
    ("one argument, many outputs", lambda x: [x.tanh(), x ** 3, x.sigmoid()], (0.4,)),
]  # fmt: skip
VECTOR_IDS = [v[0] for v in VECTOR_FUNCTIONS]


@pytest.mark.parametrize(("name", "f", "point"), VECTOR_FUNCTIONS, ids=VECTOR_IDS)
def test_jacobian_matches_torch_and_finite_differences(backward_path, torch, name, f, point):
    from autograd import jacobian

    ours = jacobian(f)(*point)
    assert len(ours) == len(f(*map(Value, point))) and all(len(row) == len(point) for row in ours)
    inputs = tuple(torch.tensor(x, requires_grad=True) for x in point)
    theirs = torch.autograd.functional.jacobian(lambda *ts: tuple(f(*ts)), inputs)
    numeric = on_floats(f)
    for i, row in enumerate(ours):
        for j, d in enumerate(row):
            assert type(d) is float
            assert d == pytest.approx(theirs[i][j].item(), rel=1e-12, abs=1e-15), (i, j)
            fd = central_difference(lambda *xs, i=i: numeric(*xs)[i], point, j)
            assert d == pytest.approx(fd, rel=1e-6, abs=1e-8)
    column = jacobian(f, argnums=0)(*others_constant(point, 0))  # one entry per output
    assert column == [row[0] for row in ours]
    assert jacobian(f, argnums=(0,))(*others_constant(point, 0)) == [[row[0]] for row in ours]


SCALAR_FUNCTIONS = [  # (name, f of several scalars returning one scalar, point)
    ("rosenbrock", lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2, (-0.5, 1.5)),
    ("saddle with curvature", lambda x, y: x * y.exp() - y * x.sin() + (x * y) ** 2, (0.7, -0.4)),
    ("three arguments", lambda x, y, z: (x * y + z).tanh() * (z ** 2 + 1).log(), (0.2, 0.5, -1.1)),
    ("one argument", lambda x: x.sin() * x ** 2, (1.3,)),
]  # fmt: skip
SCALAR_IDS = [v[0] for v in SCALAR_FUNCTIONS]


@pytest.mark.parametrize(("name", "f", "point"), SCALAR_FUNCTIONS, ids=SCALAR_IDS)
def test_hessian_matches_torch_and_finite_differences(backward_path, torch, name, f, point):
    from autograd import hessian, jacobian

    ours = hessian(f)(*point)
    n = len(point)
    assert len(ours) == n and all(len(row) == n for row in ours)
    inputs = tuple(torch.tensor(x, requires_grad=True) for x in point)
    theirs = torch.autograd.functional.hessian(f, inputs)
    gradient = jacobian(f)
    assert gradient(*point) == pytest.approx(
        [t.item() for t in torch.autograd.functional.jacobian(f, inputs)], rel=1e-12
    )
    for i in range(n):
        for j in range(n):
            assert ours[i][j] == pytest.approx(theirs[i][j].item(), rel=1e-11, abs=1e-13), (i, j)
            assert ours[i][j] == pytest.approx(ours[j][i], rel=1e-12, abs=1e-13)  # symmetric
            fd = central_difference(lambda *xs, i=i: gradient(*xs)[i], point, j, h=1e-5)
            assert ours[i][j] == pytest.approx(fd, rel=1e-6, abs=1e-6)
    assert hessian(f, argnums=0)(*others_constant(point, 0)) == ours[0][0]
    last = n - 1
    corners = hessian(f, argnums=(last, 0))(*others_constant(point, 0, last))
    assert corners == [[ours[last][last], ours[last][0]], [ours[0][last], ours[0][0]]]


def test_newtons_method_with_hessian_finds_the_rosenbrock_minimum():
    from autograd import hessian, jacobian

    f = lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2  # noqa: E731
    x, y = -1.2, 1.0
    for _ in range(10):  # Newton: solve H d = -g for the 2x2 step d
        (gx, gy), ((a, b), (c, d)) = jacobian(f)(x, y), hessian(f)(x, y)
        det = a * d - b * c
        x, y = x - (d * gx - b * gy) / det, y - (a * gy - c * gx) / det
    assert (x, y) == pytest.approx((1.0, 1.0), abs=1e-12)
    assert hessian(f)(1.0, 1.0) == [[802.0, -400.0], [-400.0, 200.0]]


def test_elementwise_grad_over_a_list_matches_torch_and_finite_differences(backward_path, torch):
    from autograd import elementwise_grad

    xs = [i / 4 for i in range(-12, 13)]
    d1 = elementwise_grad(lambda x: x.tanh())(xs)
    d2 = elementwise_grad(elementwise_grad(lambda x: x.tanh()))(xs)
    t = torch.tensor(xs, requires_grad=True)
    (t1,) = torch.autograd.grad(t.tanh().sum(), [t], create_graph=True)
    (t2,) = torch.autograd.grad(t1.sum(), [t])
    assert d1 == pytest.approx(t1.tolist(), rel=1e-12, abs=1e-15)
    assert d2 == pytest.approx(t2.tolist(), rel=1e-11, abs=1e-14)
    assert d1 == pytest.approx([central_difference(math.tanh, [x], 0) for x in xs], abs=1e-8)
    assert all(type(d) is float for d in d1 + d2)
    assert elementwise_grad(lambda x: x.tanh())(0.5) == d1[14]  # one number: one derivative
    assert elementwise_grad(lambda a, x: a * x * x, 1)(3.0, (1.0, 2.0)) == [6.0, 12.0]


def test_jacobian_and_hessian_of_values_are_values_and_nest_in_grad(backward_path):
    from autograd import hessian, jacobian

    f = lambda x, y: x ** 3 * y  # noqa: E731
    x, y = Value(2.0), Value(3.0)
    h = hessian(f)(x, y)
    assert all(isinstance(d, Value) for row in h for d in row)
    assert [[d.data for d in row] for row in h] == [[36.0, 12.0], [12.0, 0.0]]
    # d/dy of d2f/dx2 = 6x: a third derivative through jacobian
    assert grad(lambda y: hessian(f, argnums=0)(2.0, y))(3.0) == 12.0
    assert jacobian(lambda x: [x, 5.0])(2.0) == [[1.0], [0.0]]  # a constant output: zeros


# ---- PyTorch: constants, detach, .grad ----------------------------------------------------------


def test_requires_grad_false_is_a_constant_that_gets_no_grad(backward_path):
    x = Value(2.0, label="x")
    k = Value(3.0, label="k", requires_grad=False)
    assert k.grad is None and not k.requires_grad and k.is_leaf and x.requires_grad
    y = x * k + k.exp()
    y.backward()
    assert x.grad == 3.0 and k.grad is None
    y.backward()  # leaves accumulate; the constant stays None
    assert x.grad == 6.0 and k.grad is None
    k.zero_grad()
    assert k.grad is None
    y.backward(create_graph=True)
    assert x.grad.data == 9.0 and k.grad is None


def test_detach_is_a_new_constant_leaf_with_the_same_data(backward_path):
    x = Value(1.5, label="x")
    h = (x * x).detach()
    assert h.data == 2.25 and h.is_leaf and h.grad is None and not h.requires_grad
    assert h.label == ""
    (h * x).backward()  # d/dx [stop_gradient(x^2) * x] = x^2
    assert x.grad == 2.25 and h.grad is None
    assert x.detach().label == "x" and x.detach() is not x


def test_grad_starts_at_zero_and_none_means_no_gradient_yet(backward_path):
    from autograd import backward_steps, gradients

    p = Value(1.5)
    assert p.grad == 0.0  # micrograd's start, kept: drawings show grad 0 before backward()
    p.grad = None  # PyTorch's "no gradient yet": every pass adds to it as to nothing
    (p * 3).backward()
    assert p.grad == 3.0
    p.grad = None
    list(backward_steps(p * 3))
    assert p.grad == 3.0
    h = p * 2
    h.grad = None  # an interior node restarts anyway
    (h * h).backward()
    assert h.grad == 6.0 and p.grad == 3.0 + 12.0
    assert gradients(h * h, [p]) == [12.0]


def test_gradient_sums_are_the_same_bit_for_bit_whatever_the_memory_layout(backward_path):
    import nn

    def grads_after_junk(n_junk):
        junk = [Value(float(i)) for i in range(n_junk)]  # moves later objects' addresses
        model = nn.MLP(2, [8, 8, 1], seed=5, fused=False)
        loss = sum(model([0.1 * i, -0.2 * i]) ** 2 for i in range(6))
        loss.backward()
        del junk
        return [p.grad for p in model.parameters()]

    first = grads_after_junk(0)
    assert all(grads_after_junk(n) == first for n in (1, 7, 1000))


def test_item_and_format_give_the_float_like_a_tensor():
    loss = Value(0.123456, label="loss")
    assert loss.item() == 0.123456 and type(loss.item()) is float
    assert f"{loss:.3f}" == "0.123" and f"{loss}" == repr(loss)


def constant_graph():
    x = Value(2.0, label="x")
    k = Value(3.0, label="k", requires_grad=False)  # labelled, still a constant
    y = x * k + x.detach()
    y.label = "y"
    y.backward()
    return y, x, k


def test_constants_are_drawn_as_constants_with_grad_none():
    from autograd import palette

    y, x, k = constant_graph()
    source = draw_dot(y).source
    fills = dict(re.findall(r'label="\{ (\w+) \| [^"]*" fillcolor="([^"]+)"', source))
    assert fills["k"] == palette.ROLE_COLORS["constant"]
    assert "{ k | data 3.0000 | grad None }" in source
    assert "{ x | data 2.0000 | grad 3.0000 }" in source  # x itself, an input
    assert "{ x | data 2.0000 | grad None }" in source  # x.detach(), a constant
    assert "grad None" not in draw_dot(y, color_by="grad", show_grad=False).source


def test_constants_print_and_explore_and_get_no_backward_step():
    from autograd import backward_steps, explore, tree_text

    y, x, k = constant_graph()
    assert "k  data 3.0000  grad None" in tree_text(y)
    steps = list(backward_steps(y))
    assert [(s.input.label or s.input.op) for s in steps] == ["*", "x"]  # not k, not the detach
    assert x.grad == 6.0 and k.grad is None  # backward() then the steps: leaves accumulate
    page = explore(y)
    assert "2 backward steps" in repr(page) and x.grad == 6.0 and k.grad is None


# ---- the package names: HIPS autograd installed over ours --------------------------------------

HIPS_LIKE_INIT = '''"""A stand-in for HIPS autograd's autograd/__init__.py, written here."""
def grad(fun, argnum=0):
    raise NotImplementedError
elementwise_grad = value_and_grad = grad
'''


def import_nn_with_autograd_init(tmp_path, init_text):
    """``import nn`` in a fresh interpreter from a copy of the packages in which
    autograd/__init__.py was replaced, as installing HIPS autograd over chainrule does."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    site = tmp_path / "site-packages"
    for package in ("autograd", "nn"):
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(root / package, site / package, ignore=skip)
    if init_text is None:
        (site / "autograd" / "__init__.py").unlink()  # HIPS uninstalled: ours is gone too
    else:
        (site / "autograd" / "__init__.py").write_text(init_text)
    return subprocess.run(
        [sys.executable, "-c", "import nn"], cwd=tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("init_text", [HIPS_LIKE_INIT, None], ids=["overwritten", "removed"])
def test_nn_says_in_one_line_when_autograd_is_not_chainrules(tmp_path, init_text):
    result = import_nn_with_autograd_init(tmp_path, init_text)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: nn: the 'autograd' package imported from ")
    assert "site-packages/autograd" in last and "is not chainrule's" in last
    assert "HIPS autograd" in last and "'pip uninstall autograd'" in last
    assert "cannot import name" not in result.stderr


def test_nn_imports_quietly_with_chainrules_autograd(tmp_path):
    from pathlib import Path

    init = (Path(__file__).resolve().parent.parent / "autograd" / "__init__.py").read_text()
    result = import_nn_with_autograd_init(tmp_path, init)
    assert result.returncode == 0 and result.stderr == ""


# ---- the README's "Coming from" section runs and prints what it says --------------------------


def coming_from_examples():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Coming from micrograd / HIPS autograd / PyTorch", 1)[1]
    section = section.split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```\nprints\n```\n(.*?)```", section, re.S)


def test_readme_coming_from_examples_print_what_they_say(capsys):
    examples = coming_from_examples()
    assert len(examples) == 2
    for code, printed in examples:
        exec(compile(code, "README.md", "exec"), {})
        assert capsys.readouterr().out == printed
