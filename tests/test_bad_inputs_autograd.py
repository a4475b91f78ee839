"""Bad inputs to autograd's public API: each is one row (the call, the exception, its message).

Every message is one line naming the function and the bad value. A message ending in "..." is
matched as a prefix; any other must match whole.
"""

from __future__ import annotations

import math
import re

import pytest

from autograd import (
    Value,
    backward_steps,
    chain_rule_step,
    draw_dot,
    elementwise_grad,
    grad,
    gradcheck,
    gradients,
    hessian,
    jacobian,
    numerical_gradient,
    print_graph,
    save,
    topological_order,
    tree_text,
    value_and_grad,
)
from autograd.steps import local_derivatives

nan, inf = math.nan, math.inf
square = lambda x: x * x  # noqa: E731
x = Value(1.0)
y = x * x
ARGNUMS = "argnums must be an int or a non-empty tuple of ints"

ROWS = [
    # ---- grad, value_and_grad, jacobian, hessian, elementwise_grad: argnums and f
    ("grad argnums str", lambda: grad(square, argnums="0"), TypeError,
     f"grad: {ARGNUMS}, got str '0'"),
    ("grad argnums bool", lambda: grad(square, argnums=True), TypeError,
     f"grad: {ARGNUMS}, got bool True"),
    ("grad argnums float", lambda: grad(square, argnums=1.0), TypeError,
     f"grad: {ARGNUMS}, got float 1.0"),
    ("grad argnums empty", lambda: grad(square, argnums=()), TypeError,
     f"grad: {ARGNUMS}, got tuple ()"),
    ("grad argnums tuple with str", lambda: grad(square, argnums=(0, "1")), TypeError,
     f"grad: {ARGNUMS}, got tuple (0, '1')"),
    ("value_and_grad argnums None", lambda: value_and_grad(square, argnums=None), TypeError,
     f"value_and_grad: {ARGNUMS}, got NoneType None"),
    ("grad argnums and argnum", lambda: grad(square, argnums=1, argnum=0), TypeError,
     "grad: got argnums=1 and argnum=0; pass one (argnum is HIPS autograd's name for argnums)"),
    ("grad f not callable", lambda: grad(3), TypeError, "grad: f must be callable, got int 3"),
    ("grad argument str", lambda: grad(square)("a"), TypeError,
     "grad: argument 0 must be a number or a Value, got str 'a'"),
    ("grad argnums out of range", lambda: grad(square, argnums=2)(1.0), IndexError,
     "grad: argnums 2 is out of range for 1 arguments"),
    ("grad returns a list", lambda: grad(lambda v: [v])(1.0), TypeError,
     "grad: f must return a scalar Value or number, got list"),
    ("grad of math.tanh", lambda: grad(lambda v: math.tanh(v))(1.0), TypeError,
     "grad: a Value computed from the argument being differentiated (data 1.0) was turned "
     "into a plain float (float(), math.*), which carries no gradient, at ..."),
    ("grad of x * math.sin(x)", lambda: grad(lambda v: v * math.sin(v))(1.0), TypeError,
     "grad: a Value computed from the argument being differentiated (data 1.0) was ..."),
    ("jacobian argnums str", lambda: jacobian(square, argnums="x"), TypeError,
     f"jacobian: {ARGNUMS}, or None for every argument, got str 'x'"),
    ("jacobian f returns str", lambda: jacobian(lambda v: "a")(1.0), TypeError,
     "jacobian: f must return a scalar Value or number, got str"),
    ("jacobian f returns list with str", lambda: jacobian(lambda v: [v, "a"])(1.0), TypeError,
     "jacobian: f must return a list of scalar Values or numbers, got str"),
    ("hessian f not callable", lambda: hessian(None), TypeError,
     "hessian: f must be callable, got NoneType None"),
    ("hessian f returns str", lambda: hessian(lambda v: "a")(1.0), TypeError,
     "hessian: f must return a scalar Value or number, got str"),
    ("elementwise_grad argnums tuple", lambda: elementwise_grad(square, argnums=(0, 1)),
     TypeError, "elementwise_grad: argnums must be one int, got tuple (0, 1)"),
    ("elementwise_grad list of str", lambda: elementwise_grad(square)(["a"]), TypeError,
     "elementwise_grad: argument 0 must be a number or a Value, got str 'a'"),
    # ---- gradients
    ("gradients output float", lambda: gradients(2.0, [x]), TypeError,
     "gradients: output must be a Value, got float 2.0"),
    ("gradients input float", lambda: gradients(y, [2.0]), TypeError,
     "gradients: inputs[0] must be a Value, got float 2.0"),
    ("gradients inputs int", lambda: gradients(y, 3), TypeError,
     "gradients: inputs must be a list of Values, got int 3"),
    # ---- gradcheck, numerical_gradient
    ("gradcheck eps nan", lambda: gradcheck(square, [1.0], eps=nan), ValueError,
     "gradcheck: eps must be a finite number > 0, got nan"),
    ("gradcheck eps inf", lambda: gradcheck(square, [1.0], eps=inf), ValueError,
     "gradcheck: eps must be a finite number > 0, got inf"),
    ("gradcheck eps 0", lambda: gradcheck(square, [1.0], eps=0.0), ValueError,
     "gradcheck: eps must be a finite number > 0, got 0.0"),
    ("gradcheck eps str", lambda: gradcheck(square, [1.0], eps="1e-6"), TypeError,
     "gradcheck: eps must be a number, got str '1e-6'"),
    ("gradcheck eps bool", lambda: gradcheck(square, [1.0], eps=True), TypeError,
     "gradcheck: eps must be a number, got bool True"),
    ("gradcheck atol -1", lambda: gradcheck(square, [1.0], atol=-1), ValueError,
     "gradcheck: atol must be a finite number >= 0, got -1"),
    ("gradcheck rtol nan", lambda: gradcheck(square, [1.0], rtol=nan), ValueError,
     "gradcheck: rtol must be a finite number >= 0, got nan"),
    ("gradcheck f not callable", lambda: gradcheck(3, [1.0]), TypeError,
     "gradcheck: f must be callable, got int 3"),
    ("gradcheck inputs float", lambda: gradcheck(square, 2.0), TypeError,
     "gradcheck: inputs must be a list of numbers or Values, got float 2.0"),
    ("gradcheck input str", lambda: gradcheck(square, ["a"]), TypeError,
     "gradcheck: inputs[0] must be a number or a Value, got str 'a'"),
    ("numerical_gradient eps 0", lambda: numerical_gradient(square, [x], eps=0), ValueError,
     "numerical_gradient: eps must be a finite number > 0, got 0"),
    ("numerical_gradient float input", lambda: numerical_gradient(square, [1.0]), TypeError,
     "numerical_gradient: inputs[0] must be a Value (it is nudged in place), got 1.0; "
     "gradcheck takes numbers"),
    # ---- the graph: topological_order, the drawing, the steps
    ("topological_order None", lambda: topological_order(None), TypeError,
     "topological_order: root must be a Value, got None"),
    ("print_graph int", lambda: print_graph(5), TypeError,
     "print_graph: root must be a Value, got int 5"),
    ("tree_text None", lambda: tree_text(None), TypeError,
     "tree_text: root must be a Value, got NoneType None"),
    ("save int", lambda: save(5, "graph.svg"), TypeError,
     "save: graph_or_root must be a Value or a graph from draw_dot, got int 5"),
    ("draw_dot fmt and format", lambda: draw_dot(y, fmt="png", format="svg"), TypeError,
     "draw_dot: fmt='png' and format='svg' disagree; pass one"),
    ("draw_dot format twice", lambda: draw_dot(y, "svg", format="png"), TypeError,
     "draw_dot: got the format twice: 'svg' and format='png'"),
    ("backward_steps int", lambda: list(backward_steps(5)), TypeError,
     "backward_steps: root must be a Value, got int 5"),
    ("chain_rule_step float", lambda: chain_rule_step(2.0), TypeError,
     "chain_rule_step: node must be a Value, got 2.0"),
    ("local_derivatives int", lambda: local_derivatives(3), TypeError,
     "local_derivatives: node must be a Value, got 3"),
    # ---- Value(data, _children, _op): the data, and nodes built by hand
    ("Value of a Value", lambda: Value(Value(2.0)), TypeError,
     "Value: data must be a real number (float, int or bool), got Value Value(data=2.0, "
     "grad=0.0); it is a Value already: use it as it is, or v.detach() for a new leaf"),
    ("Value of None", lambda: Value(None), TypeError,
     "Value: data must be a real number (float, int or bool), got NoneType None"),
    ("hand-built children str", lambda: Value(1.0, "ab", "+"), TypeError,
     "Value: _children must be a tuple of Values, got 'ab'; a label is Value(2.0, label='x')"),
    ("hand-built children numbers", lambda: Value(1.0, (1.0, 2.0), "+"), TypeError,
     "Value: _children must be a tuple of Values, got (1.0, 2.0); a label is ..."),
    ("hand-built child not in a tuple", lambda: Value(1.0, x, "tanh"), TypeError,
     "Value: _children must be a tuple of Values, got Value(data=1.0, ..."),
    ("hand-built + of three", lambda: Value(1.0, (x, x, x), "+"), TypeError,
     "Value: op '+' takes 2 inputs, got 3: ..."),
    ("hand-built * of one", lambda: Value(1.0, (x,), "*"), TypeError,
     "Value: op '*' takes 2 inputs, got 1: ..."),
    ("hand-built tanh of two", lambda: Value(1.0, (x, x), "tanh"), TypeError,
     "Value: op 'tanh' takes 1 inputs, got 2: ..."),
]  # fmt: skip


@pytest.mark.parametrize(("name", "call", "error", "message"), ROWS, ids=[r[0] for r in ROWS])
def test_bad_input_is_refused_in_one_line_naming_it(name, call, error, message):
    pattern = re.escape(message[:-3]) if message.endswith("...") else re.escape(message) + "$"
    with pytest.raises(error, match="^" + pattern) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_rows_have_distinct_names():
    names = [r[0] for r in ROWS]
    assert len(names) == len(set(names))


def test_numpy_bool_is_accepted_like_bool():
    np = pytest.importorskip("numpy")
    assert Value(np.bool_(True)).data == 1.0 and Value(np.bool_(False)).data == 0.0
    assert type(Value(np.array([1.0, 3.0])[1] > 2.0).data) is float  # a comparison's result
    assert (Value(2.0) * np.bool_(True)).data == 2.0 and Value(True).data == 1.0
