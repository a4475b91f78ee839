"""The compiler behind ``autograd.compile``: a traced graph in, a numpy program out.

- ``graph.py``: the trace by index; chains of ``+``/``*`` found as sums and weighted sums;
- ``plan.py``: nodes grouped into array steps by depth and op; matrix products found;
- ``operands.py``: where each step's inputs are (whole arrays, slices, gathers);
- ``kernels.py``: each engine op as numpy, forward and local derivatives;
- ``codegen.py``: the plan as Python source, and its listing; ``runtime.py``: its helpers.

numpy is imported here, and only here (``autograd.compile`` imports this package when first
called).
"""

from __future__ import annotations

import numpy as np

from ..engine import Value
from ..tracing import Trace
from .codegen import Program, generate
from .graph import Graph, build_graph
from .operands import resolve
from .plan import Plan, make_plan

__all__ = ["build_program", "Built"]


class Built:
    """What the compiler made for one argument structure. It keeps the parameters (read and
    given gradients on each call) but not the traced graph, which is freed once built."""

    def __init__(self, graph: Graph, plan: Plan, program: Program, draws: list) -> None:
        from .listing import legend

        self.plan, self.program, self.draws = plan, program, draws
        self.params = [graph.values[i] for i in plan.params]
        self.nodes = len(graph)
        self.legend = legend(plan)  # (labels, read from the graph's Values)
        plan.graph = None

    def listing(self) -> str:
        """The program as numpy text, each line with what it covers."""
        from .listing import listing

        return listing(self)


def build_program(trace: Trace, root: Value, aux: list[Value],
                  arg_shapes: list[tuple[int, ...] | None]) -> Built:
    """Compile a recorded trace: ``root`` is the loss, ``aux`` extra Values to return."""
    graph = build_graph(trace, root, aux)
    plan = make_plan(graph, arg_shapes, len(trace.random))
    aux_operand = None
    if graph.aux:
        spec = np.array(graph.aux)
        aux_operand = resolve(spec, plan.tensor_of_array, plan.lane_of_array, plan.values,
                              plan.tensors, plan.ns, shape=spec.shape)
    program = generate(plan, aux_operand, len(graph.aux))
    return Built(graph, plan, program, [draw for _, draw in trace.random])
