"""Tests for autograd.gradcheck: finite differences against backward(), for functions and models."""

from __future__ import annotations

import math

import pytest

from autograd import GradcheckError, Value, engine, gradcheck, linear, numerical_gradient

CORRECT = [
    ("tanh(x * y) + exp(x)", lambda x, y: (x * y).tanh() + x.exp(), [0.3, -1.2]),
    ("x ** y", lambda x, y: x**y, [1.7, 0.6]),
    ("log(x) / sqrt(y)", lambda x, y: x.log() / y.sqrt(), [2.0, 3.0]),
    ("sigmoid * softplus", lambda x: x.sigmoid() * x.softplus(), [-0.4]),
    ("sin(x) * cos(y) - z", lambda x, y, z: x.sin() * y.cos() - z, [0.1, 0.2, 0.3]),
    ("max/min", lambda x, y: x.max(y) * 2 + x.min(y), [0.5, -0.5]),
    ("relu, leaky, abs", lambda x: x.relu() + (-x).leaky_relu(0.1) + abs(x * 3), [0.8]),
    ("2 ** x / x", lambda x: 2**x / x, [-1.5]),
    ("linear", lambda w, x, b: linear([w, w], [x, 2.0], b).tanh(), [0.3, -0.2, 0.1]),
]


@pytest.mark.parametrize(("name", "f", "inputs"), CORRECT, ids=[c[0] for c in CORRECT])
def test_gradcheck_passes_on_correct_functions(name, f, inputs):
    assert gradcheck(f, inputs) is True


def test_gradcheck_accepts_values_and_numbers_mixed():
    assert gradcheck(lambda x, y: x * y.exp(), [Value(0.5), 2]) is True


def wrong_sin(out, x):
    return (2 * (x.cos() if isinstance(x, Value) else math.cos(x)),)  # twice the true slope


def test_gradcheck_fails_on_a_wrong_derivative_rule(monkeypatch):
    monkeypatch.setitem(engine.RULES, "sin", wrong_sin)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: x.sin() * y, [0.3, 2.0])
    message = str(info.value)
    assert "1 of 2 inputs" in message
    assert "input 0" in message and "input 1" not in message  # y's gradient is still right
    analytic, numeric = 2 * math.cos(0.3) * 2.0, math.cos(0.3) * 2.0
    assert f"analytic: {analytic!r}" in message
    assert "numeric: " + repr(numeric)[:6] in message


def test_gradcheck_failure_lists_every_bad_input():
    x, y = Value(0.5, label="x"), Value(-0.3, label="y")
    for v in (x, y):
        v.register_hook(lambda g: g + 1.0)  # corrupt both gradients
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a * b, [x, y])
    lines = str(info.value).splitlines()
    assert "2 of 2 inputs" in lines[0]
    assert lines[1].strip().startswith("input 0 (x): analytic: 0.7")
    assert "numeric: " in lines[1]
    assert lines[2].strip().startswith("input 1 (y): analytic: 1.5")


def test_gradcheck_raise_exception_false_returns_false():
    x = Value(1.0)
    x.register_hook(lambda g: g * -1)
    assert gradcheck(lambda v: v * v, [x], raise_exception=False) is False


def make_model():
    w1, w2, b = Value(0.4, label="w1"), Value(-0.7, label="w2"), Value(0.1, label="b")
    data = [(1.0, 2.0, 1.0), (-0.5, 0.3, -1.0), (0.2, -1.1, 1.0)]

    def loss():
        total = 0.0
        for x1, x2, target in data:
            pred = linear([w1, w2], [x1, x2], b).tanh()
            total = total + (pred - target) ** 2
        return total / len(data) + 1e-2 * (w1 * w1 + w2 * w2)

    return [w1, w2, b], loss


def test_gradcheck_accepts_a_list_of_value_leaves_and_a_no_argument_model_closure():
    params, loss = make_model()
    assert gradcheck(loss, params) is True


def test_gradcheck_on_a_model_names_the_bad_parameter():
    params, loss = make_model()
    params[1].register_hook(lambda g: g * 1.5)
    with pytest.raises(GradcheckError, match=r"input 1 \(w2\): analytic: .* numeric: "):
        gradcheck(loss, params)


def test_gradcheck_leaves_grad_and_data_untouched():
    params, loss = make_model()
    for i, p in enumerate(params):
        p.grad = 10.0 + i
    before = [p.data for p in params]
    gradcheck(loss, params)
    assert [p.grad for p in params] == [10.0, 11.0, 12.0]
    assert [p.data for p in params] == before


def test_gradcheck_of_a_constant_function_passes():
    assert gradcheck(lambda x: 3.0, [1.0]) is True
    assert gradcheck(lambda x: x * 0.0, [1.0]) is True


def test_gradcheck_tolerances_are_used():
    x = Value(1.0)
    x.register_hook(lambda g: g + 1e-3)
    assert gradcheck(lambda v: v * 2, [x], raise_exception=False) is False
    assert gradcheck(lambda v: v * 2, [x], atol=1e-2) is True


def test_gradcheck_rejects_bad_arguments():
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0"):
        gradcheck(lambda x: x, [1.0], eps=0)
    with pytest.raises(ValueError, match="empty"):
        gradcheck(lambda x: x, [])
    with pytest.raises(TypeError, match="str"):
        gradcheck(lambda x: "nope", [1.0])


def test_numerical_gradient_restores_data_even_when_f_raises():
    x = Value(1e-7)

    def f(v):
        return v.log()  # fails at 1e-7 - 1e-6 < 0

    with pytest.raises(ValueError, match="log"):
        numerical_gradient(f, [x], eps=1e-6)
    assert x.data == 1e-7


def test_numerical_gradient_is_central_differences():
    g = numerical_gradient(lambda x, y: x * x * y, [Value(3.0), Value(2.0)], eps=1e-4)
    assert g[0] == pytest.approx(12.0, rel=1e-9)
    assert g[1] == pytest.approx(9.0, rel=1e-9)
