"""chainrule's autograd: scalar reverse-mode automatic differentiation.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0
"""

from . import compat  # noqa: F401  (item, detach, format: see compat.py)
from .compile import CompiledFunction, compile
from .engine import RULES, Value, topological_order
from .explore import Explorer, explore
from .functional import elementwise_grad, grad, gradients, hessian, jacobian, value_and_grad
from .fused import cross_entropy, linear, matvec, rms_scale, rmsnorm, softmax
from .gradcheck import GradcheckError, gradcheck, numerical_gradient
from .graph import (
    DotNotFoundError,
    draw_dot,
    find_dot,
    print_graph,
    save,
    tree_text,
)
from .modes import RemovableHandle, detect_anomaly, enable_grad, no_grad, use_fast_path
from .steps import BackwardStep, backward_steps, chain_rule_step
from .tracing import TracingError, pick, random_constant, require, where

__all__ = [
    "Value",
    "RULES",
    "linear",
    "matvec",
    "softmax",
    "cross_entropy",
    "rms_scale",
    "rmsnorm",
    "RemovableHandle",
    "topological_order",
    "no_grad",
    "enable_grad",
    "detect_anomaly",
    "use_fast_path",
    "grad",
    "gradients",
    "value_and_grad",
    "jacobian",
    "hessian",
    "elementwise_grad",
    "gradcheck",
    "numerical_gradient",
    "GradcheckError",
    "draw_dot",
    "save",
    "print_graph",
    "tree_text",
    "backward_steps",
    "chain_rule_step",
    "BackwardStep",
    "DotNotFoundError",
    "find_dot",
    "explore",
    "Explorer",
    "compile",
    "CompiledFunction",
    "TracingError",
    "where",
    "pick",
    "require",
    "random_constant",
]
__version__ = "0.1.0"
