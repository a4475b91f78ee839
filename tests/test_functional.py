"""Tests for autograd.functional: no_grad, enable_grad, grad, value_and_grad, detect_anomaly."""

from __future__ import annotations

import inspect
import math
import os

import pytest

from autograd import (
    Value,
    detect_anomaly,
    enable_grad,
    engine,
    grad,
    gradients,
    no_grad,
    value_and_grad,
)
from autograd import backward as fast
from autograd.modes import MODES

pytestmark = pytest.mark.usefixtures("backward_path")  # every test on both backward paths


def fast_path_is_on() -> bool:
    """No mode is active: nodes are made the plain way and nothing is being recorded aside."""
    ops = (Value.__add__, Value.__mul__)
    engine_ops = ops[0].__module__ == engine.__name__
    plain_ops = ops == (fast.add, fast.mul) if MODES.fast_path else engine_ops
    return (
        engine.NODE_HOOK is None
        and plain_ops
        and engine.PASSES.backward in (fast.backward, engine.backpropagate)
        and MODES.recording
        and not MODES.anomaly
        and not MODES.origins
    )


def records(x: Value) -> bool:
    return len((x * 2)._children) == 2


@pytest.fixture(autouse=True)
def modes_restored_after_each_test():
    yield
    assert fast_path_is_on(), "a test left a mode switched on"


# ---- no_grad / enable_grad ----------------------------------------------------------------------


def test_no_grad_context_records_no_graph():
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
        assert not records(x)
    assert y.data == 5.0 and y._children == ()
    y.backward()
    assert x.grad == 0.0  # nothing connects y to x
    assert records(x)


def test_no_grad_decorator_records_no_graph_and_keeps_the_name():
    @no_grad()
    def predict(v):
        """Docs."""
        return v * 3

    x = Value(2.0)
    y = predict(x)
    assert y.data == 6.0 and y._children == ()
    assert predict.__name__ == "predict" and predict.__doc__ == "Docs."
    assert records(x)


def test_no_grad_nested_stays_off_until_the_outer_block_ends():
    x = Value(1.0)
    with no_grad():
        with no_grad():
            assert not records(x)
        assert not records(x)
    assert records(x)


def test_same_no_grad_instance_can_be_nested():
    # fix: the saved state was one attribute, so re-entering the same instance lost the outer one
    ctx = no_grad()
    with ctx:
        with ctx:
            pass
        assert not MODES.recording
    assert MODES.recording


def test_no_grad_decorated_function_can_recurse():
    @no_grad()
    def depth(v, n):
        return v if n == 0 else depth(v * 1, n - 1)

    assert depth(Value(1.0), 5)._children == ()
    assert MODES.recording


def test_no_grad_restores_recording_after_an_exception():
    with pytest.raises(RuntimeError):
        with no_grad():
            raise RuntimeError("boom")
    assert records(Value(1.0))

    @no_grad()
    def fails():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fails()
    assert records(Value(1.0))


def test_enable_grad_turns_recording_back_on_inside_no_grad():
    x = Value(1.0)
    with no_grad():
        with enable_grad():
            assert records(x)
        assert not records(x)

    @enable_grad()
    def build(v):
        return v * v

    with no_grad():
        assert len(build(x)._children) == 2
        assert not records(x)


def test_mode_blocks_restore_the_fast_constructor():
    with no_grad():
        assert engine.NODE_HOOK is not None
        assert Value.__add__ is not fast.add
    assert fast_path_is_on()
    with detect_anomaly():
        with no_grad():
            pass
        assert MODES.anomaly and MODES.recording
    assert fast_path_is_on()


def test_no_grad_covers_add_and_mul_which_build_nodes_in_place():
    x = Value(2.0)
    with no_grad():
        for y in (x + 1.0, 1.0 + x, x + x, x * 3.0, 3.0 * x, x * x, x - 1.0, -x, x / 2.0):
            assert y._children == () and y._a is None
    assert (x + 1.0)._children != () and (x * x)._children == (x, x)


def test_detect_anomaly_covers_add_and_mul():
    big = Value(1e308)
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"op '\+' produced inf"):
        big + big
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"op '\*' produced inf"):
        big * 10.0
    assert (big + big).data == math.inf  # and outside it, inf is allowed


def test_values_made_under_no_grad_still_check_types():
    with no_grad():
        with pytest.raises(TypeError, match="str"):
            Value("x")
        assert type(Value(3).data) is float



def test_no_grad_on_a_generator_function_covers_its_body_and_not_its_caller():
    @no_grad()
    def batches(xs):
        """Docs."""
        for x in xs:
            yield x * 2  # made under no_grad
        return "done"

    x = Value(1.0)
    gen = batches([x, x])
    first = next(gen)
    assert first.data == 2.0 and first._children == ()
    assert records(x)  # paused at yield: the caller records as usual
    with pytest.raises(StopIteration) as stop:
        assert next(gen)._children == ()
        next(gen)
    assert stop.value.value == "done"  # the generator's return value is kept
    assert batches.__name__ == "batches" and batches.__doc__ == "Docs."
    assert [v._children for v in no_grad(batches.__wrapped__)([x])] == [()]


def test_mode_decorated_generator_passes_send_throw_and_close_in_its_mode():
    seen = []

    @detect_anomaly()
    def echo():
        try:
            while True:
                got = yield MODES.anomaly
                seen.append((got, MODES.anomaly))
        except KeyError:
            seen.append(("thrown", MODES.anomaly))
            yield "caught"
        finally:
            seen.append(("closed", MODES.anomaly))

    gen = echo()
    assert next(gen) is True and not MODES.anomaly
    assert gen.send("a") is True
    assert gen.throw(KeyError("k")) == "caught" and not MODES.anomaly
    gen.close()
    assert seen == [("a", True), ("thrown", True), ("closed", True)] and not MODES.anomaly

    @enable_grad()
    def recording():
        yield records(Value(1.0))

    with no_grad():
        assert list(recording()) == [True] and not records(Value(1.0))

# ---- grad and value_and_grad ---------------------------------------------------------------------


def test_grad_of_floats_returns_floats():
    d = grad(lambda x: x * x * x)(2.0)
    assert type(d) is float and d == 12.0
    value, d = value_and_grad(lambda x: x.exp())(0.0)
    assert type(value) is float and type(d) is float
    assert value == 1.0 and d == 1.0


def test_grad_accepts_ints_and_returns_floats():
    assert grad(lambda x, y: x * y, argnums=1)(3, 4) == 3.0
    assert type(grad(lambda x: x * x)(3)) is float


def test_grad_of_values_returns_values():
    x = Value(2.0)
    d = grad(lambda v: v * v * v)(x)
    assert isinstance(d, Value) and d.data == 12.0
    value, d = value_and_grad(lambda v: v.sin())(x)
    assert isinstance(value, Value) and isinstance(d, Value)
    assert gradients(d, [x])[0] == pytest.approx(-math.sin(2.0), rel=1e-14)  # still connected


def test_grad_argnums_int_picks_one_argument():
    f = lambda x, y, z: x * y + z * z  # noqa: E731
    assert grad(f)(2.0, 3.0, 4.0) == 3.0
    assert grad(f, argnums=1)(2.0, 3.0, 4.0) == 2.0
    assert grad(f, argnums=2)(2.0, 3.0, 4.0) == 8.0
    assert grad(f, argnums=-1)(2.0, 3.0, 4.0) == 8.0


def test_grad_argnums_tuple_returns_a_tuple():
    f = lambda x, y, z: x * y + z * z  # noqa: E731
    assert grad(f, argnums=(0, 2))(2.0, 3.0, 4.0) == (3.0, 8.0)
    assert grad(f, argnums=(1,))(2.0, 3.0, 4.0) == (2.0,)
    value, grads = value_and_grad(f, argnums=(0, 1, 2))(2.0, 3.0, 4.0)
    assert value == 22.0 and grads == (3.0, 2.0, 8.0)


def test_grad_passes_other_arguments_through_unchanged():
    def f(x, scale, names):
        assert names == ["a"] and type(scale) is float
        return x * scale

    assert grad(f)(2.0, 5.0, ["a"]) == 5.0


def test_grad_of_a_constant_function_is_zero():
    assert grad(lambda x: 3.0)(1.0) == 0.0
    assert grad(lambda x: Value(3.0))(1.0) == 0.0
    assert value_and_grad(lambda x: 7)(1.0) == (7.0, 0.0)


def test_grad_rejects_bad_output_and_bad_argnums():
    with pytest.raises(TypeError, match="list"):
        grad(lambda x: [x])(1.0)
    with pytest.raises(IndexError, match="argnums 2"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_grad_leaves_existing_grads_alone():
    x = Value(2.0)
    x.grad = 5.0
    assert grad(lambda v: v * v)(x).data == 4.0
    assert x.grad == 5.0


def test_grad_keeps_the_function_name():
    def loss(x):
        return x * x

    assert grad(loss).__name__ == "loss"


HIGHER = [
    ("sin(x) * x", lambda x: x.sin() * x, 0.8),
    ("exp(x) / (1 + x * x)", lambda x: x.exp() / (1 + x * x), -0.6),
    ("tanh(x ** 3)", lambda x: (x**3).tanh(), 0.7),
    ("sigmoid(x) * log(x)", lambda x: x.sigmoid() * x.log(), 1.9),
    ("sqrt(x) ** x", lambda x: x.sqrt() ** x, 1.3),
    ("2 ** x - x ** 4", lambda x: 2**x - x**4, -1.2),
]


@pytest.mark.parametrize(("name", "f", "x0"), HIGHER, ids=[h[0] for h in HIGHER])
def test_grad_of_grad_and_grad_of_grad_of_grad_match_torch(torch, name, f, x0):
    d2 = grad(grad(f))(x0)
    d3 = grad(grad(grad(f)))(x0)
    assert type(d2) is float and type(d3) is float

    t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (t1,) = torch.autograd.grad(f(t), [t], create_graph=True)
    (t2,) = torch.autograd.grad(t1, [t], create_graph=True)
    (t3,) = torch.autograd.grad(t2, [t])
    assert grad(f)(x0) == pytest.approx(t1.item(), rel=1e-12)
    assert d2 == pytest.approx(t2.item(), rel=1e-10)
    assert d3 == pytest.approx(t3.item(), rel=1e-9)


def test_mixed_partial_derivative_matches_torch(torch):
    f = lambda x, y: (x * y).sin() + x**2 * y.exp()  # noqa: E731
    dxy = grad(grad(f, argnums=0), argnums=1)(0.4, -0.9)
    dyx = grad(grad(f, argnums=1), argnums=0)(0.4, -0.9)

    tx = torch.tensor(0.4, requires_grad=True)
    ty = torch.tensor(-0.9, requires_grad=True)
    (gx,) = torch.autograd.grad(f(tx, ty), [tx], create_graph=True)
    (gxy,) = torch.autograd.grad(gx, [ty])
    assert dxy == pytest.approx(gxy.item(), rel=1e-12)
    assert dyx == pytest.approx(gxy.item(), rel=1e-12)


def test_grad_of_a_function_that_takes_a_grad_over_a_closure():
    # fix: the inner grad saw only float arguments and returned a float, cutting the outer graph
    outer = grad(lambda y: grad(lambda x: x * x * y)(0.5))  # d/dy (2 * 0.5 * y) = 1
    assert outer(3.0) == 1.0
    assert grad(lambda y: grad(lambda x: (x * y).sin())(2.0))(0.3) == pytest.approx(
        math.cos(0.6) - 0.6 * math.sin(0.6), rel=1e-14
    )


def test_grad_outside_any_other_grad_still_returns_floats_after_nesting():
    grad(grad(lambda x: x * x))(1.0)
    assert type(grad(lambda x: x * x)(1.0)) is float
    with pytest.raises(ValueError):
        grad(grad(lambda x: (x - 2).log()))(1.0)  # f raises inside the outer grad
    assert type(grad(lambda x: x * x)(1.0)) is float


# ---- detect_anomaly -----------------------------------------------------------------------------

HERE = os.path.basename(__file__)


def test_anomaly_forward_nan_names_op_inputs_and_source_line():
    a, b = Value(math.inf), Value(-math.inf)
    with pytest.raises(FloatingPointError) as info:
        with detect_anomaly():
            line = inspect.currentframe().f_lineno + 1
            c = a + b  # inf + -inf = nan  # noqa: F841
    message = str(info.value)
    assert "'+'" in message and "nan" in message and "forward" in message
    assert "inf, -inf" in message
    assert f"{HERE}:{line}" in message and "c = a + b" in message


def test_anomaly_forward_overflow_to_inf_raises():
    x = Value(1e200)
    with detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"'\*' produced inf .*1e\+200, 1e\+200"):
            x * x


def test_anomaly_backward_names_op_and_where_the_node_was_made():
    x = Value(0.0)
    with detect_anomaly():
        line = inspect.currentframe().f_lineno + 1
        y = x.sqrt()  # fine forward, infinite slope backward
        z = y * 3.0
        with pytest.raises(FloatingPointError) as info:
            z.backward()
    message = str(info.value)
    assert "'sqrt'" in message and "backward" in message and "inf" in message
    assert "(0.0)" in message
    assert f"{HERE}:{line}" in message and "y = x.sqrt()" in message


def test_anomaly_backward_with_create_graph_raises_too():
    x = Value(0.0)
    with detect_anomaly():
        y = x.sqrt() * 2
        with pytest.raises(FloatingPointError, match="'sqrt'"):
            y.backward(create_graph=True)


def test_anomaly_catches_a_nan_gradient_from_zero_times_inf():
    x = Value(0.0)
    with detect_anomaly():
        y = x.sqrt() * 0.0  # forward 0, backward 0 * inf = nan
        with pytest.raises(FloatingPointError, match="sqrt"):
            y.backward()


def test_anomaly_is_off_again_after_the_block():
    with pytest.raises(FloatingPointError):
        with detect_anomaly():
            Value(math.inf) * 0.0
    assert fast_path_is_on()
    y = Value(math.inf) * 0.0  # no error outside the block
    assert math.isnan(y.data)
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf


def test_anomaly_does_not_change_finite_results():
    def f(x, y):
        return (x * y).tanh() + (x / y).exp() - y.log() * x.sigmoid()

    plain = value_and_grad(f, argnums=(0, 1))(0.3, 1.7)
    with detect_anomaly():
        checked = value_and_grad(f, argnums=(0, 1))(0.3, 1.7)
    assert plain == checked


def test_anomaly_as_a_decorator():
    @detect_anomaly()
    def bad(v):
        return v - v * math.inf

    with pytest.raises(FloatingPointError):
        bad(Value(1.0))
    assert fast_path_is_on()


def test_anomaly_inside_no_grad_keeps_recording_off():
    with no_grad():
        with detect_anomaly():
            assert not records(Value(1.0))
            with pytest.raises(FloatingPointError, match="not recorded"):
                Value(math.inf) - math.inf
        assert not MODES.anomaly and not MODES.recording


def test_detect_anomaly_catches_an_overflow_in_the_sum_of_finite_contributions():
    x = Value(1.0, label="x")
    big = [x * 1e308 for _ in range(3)]  # each use passes back 1e308: finite
    y = big[0] + big[1] + big[2]
    x.grad = 0.0
    with detect_anomaly(), pytest.raises(FloatingPointError, match="summed"):
        y.backward()


def test_nested_grad_of_a_captured_argument_is_the_partial_derivative(torch):
    # d/dx [ d/dy (x * y) at y = x ] = d/dx x = 1; taking the total derivative would give 2
    assert grad(lambda x: grad(lambda y: x * y)(x))(2.0) == 1.0
    assert grad(lambda x: x * grad(lambda y: x + y)(x))(2.0) == 1.0
    f = torch.func.grad(lambda x: torch.func.grad(lambda y: x * y)(x))
    assert f(torch.tensor(2.0, dtype=torch.float64)).item() == 1.0
    v = Value(3.0)
    _, (da, db) = value_and_grad(lambda a, b: a * b, argnums=(0, 1))(v, v)
    assert (da.data, db.data) == (3.0, 3.0)


def test_grad_and_gradcheck_ignore_an_outer_no_grad_like_torch_func():
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert value_and_grad(lambda x: x.sin())(0.0) == (0.0, 1.0)
        from autograd import gradcheck

        assert gradcheck(lambda x: x * x, [3.0])
    assert fast_path_is_on()


def test_backward_with_create_graph_records_even_under_no_grad():
    x = Value(2.0)
    y = x * x * x
    with no_grad():
        y.backward(create_graph=True)
        assert not MODES.recording  # and no_grad is still on afterwards
    assert isinstance(x.grad, Value) and x.grad.data == 12.0 and x.grad._children
    first = x.grad
    x.grad = 0.0
    first.backward()
    assert x.grad == 12.0  # d(3x^2)/dx at 2


def test_no_grad_decorates_without_parentheses_too():
    @no_grad
    def predict(v):
        return v * 3

    assert predict(Value(1.0))._children == () and predict.__name__ == "predict"
    assert fast_path_is_on()
    with pytest.raises(TypeError, match=r"no_grad\(\) takes no arguments"):
        no_grad(3)


def test_gradients_called_by_a_hook_mid_backward_sees_interior_nodes_and_changes_nothing():
    x = Value(0.7)
    h = x * x
    y = h.sin() * h
    seen = []
    def once(g):  # (gradients' own backward runs this hook again: only the outer call asks)
        if not seen:
            seen.append(None)
            seen[0] = gradients(y, [h, x])

    h.register_hook(once)
    y.backward()
    dy_dh = math.sin(0.49) + 0.49 * math.cos(0.49)
    assert seen[0] == pytest.approx([dy_dh, dy_dh * 1.4], rel=1e-12)
    assert h.grad == pytest.approx(dy_dh, rel=1e-12)
    assert x.grad == pytest.approx(dy_dh * 1.4, rel=1e-12)


# ---- a traced Value turned into a plain float (math.tanh(x), float(x)) ---------------------------

FLOAT_ESCAPES = [  # f, the derivative it would silently get wrong: 0.0 and 0.8415 (true 1.3818)
    ("math.tanh(x)", lambda x: math.tanh(x)),
    ("x * math.sin(x)", lambda x: x * math.sin(x)),
    ("float(x) ** 2", lambda x: float(x) ** 2),
    ("x * math.exp(x * x)", lambda x: x * math.exp(x * x)),
]


@pytest.mark.parametrize(("name", "f"), FLOAT_ESCAPES, ids=[e[0] for e in FLOAT_ESCAPES])
def test_grad_refuses_a_traced_value_turned_into_a_float(name, f):
    with pytest.raises(TypeError, match=r"^grad: a Value computed from the argument being "
                       r"differentiated \(data 1\.0\) was turned into a plain float") as err:
        grad(f)(1.0)
    message = str(err.value)
    assert "x.tanh()" in message and "x.data" in message and "\n" not in message
    assert f"test_functional.py:{f.__code__.co_firstlineno}: (\"{name}\"" in message  # the line


def test_every_transform_refuses_a_traced_value_turned_into_a_float():
    from autograd import elementwise_grad, hessian, jacobian

    f = lambda x, y: x * math.sin(y)  # noqa: E731
    for who, call in [
        ("value_and_grad", lambda: value_and_grad(f, argnums=1)(1.0, 2.0)),
        ("jacobian", lambda: jacobian(f)(1.0, 2.0)),
        ("hessian", lambda: hessian(f)(1.0, 2.0)),
        ("elementwise_grad", lambda: elementwise_grad(lambda y: f(1.0, y))([2.0, 3.0])),
    ]:
        with pytest.raises(TypeError, match=rf"^{who}: a Value computed from the argument"):
            call()
    assert type(Value.__float__(Value(2.0))) is float


def test_an_outer_grads_argument_turned_into_a_float_in_an_inner_grad_is_refused():
    # d/dy of [d/dx x * sin(y)] = cos(y): the inner grad's f uses the outer's y through math
    with pytest.raises(TypeError, match=r"^grad: a Value computed from the .*\(data 0\.5\)"):
        grad(lambda y: grad(lambda x: x * math.sin(y))(1.0))(0.5)
    assert grad(lambda y: grad(lambda x: x * y.sin())(1.0))(0.5) == math.cos(0.5)


def test_floats_that_carry_no_traced_gradient_are_allowed_inside_grad():
    w = Value(3.0)  # captured from outside: not differentiated here, so a constant
    d = grad(lambda x: x * math.sqrt(w) + x.data * x + (x * 2 if x > 0 else -x))(2.0)
    assert d == math.sqrt(3.0) + 2.0 + 2  # .data is the number as a constant, on purpose
    c = Value(0.5, requires_grad=False)
    assert grad(lambda x: x * float(c) + float(Value(1.0) * 2))(4.0) == 0.5


def test_chainrules_own_conversions_inside_grad_are_not_refused(torch):
    from nn import losses

    # the power rules take float(exponent), a softmax takes float(max logit): both constants
    assert grad(grad(grad(lambda x: x ** 2.5)))(4.0) == pytest.approx(2.5 * 1.5 * 0.5 / 2)
    ce = lambda a, b: losses.cross_entropy([a, b, a * b], 2)  # noqa: E731
    ours = value_and_grad(ce, argnums=(0, 1))(0.3, -1.2)
    t = torch.tensor([0.3, -1.2], requires_grad=True)
    out = torch.nn.functional.cross_entropy(
        torch.stack([t[0], t[1], t[0] * t[1]]).unsqueeze(0), torch.tensor([2])
    )
    (tg,) = torch.autograd.grad(out, [t])
    assert ours[0] == pytest.approx(out.item(), rel=1e-12)
    assert ours[1] == pytest.approx(tuple(tg.tolist()), rel=1e-12)


def test_float_is_the_plain_method_again_after_grad_even_after_an_error():
    plain = Value.__float__
    grad(lambda x: x * x)(1.0)
    assert Value.__float__ is plain
    with pytest.raises(ZeroDivisionError):
        grad(lambda x: x / 0)(1.0)
    assert Value.__float__ is plain
    with pytest.raises(TypeError):
        grad(lambda y: grad(lambda x: math.tanh(x))(y))(1.0)
    assert Value.__float__ is plain and math.tanh(Value(0.5)) == math.tanh(0.5)
