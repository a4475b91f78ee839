"""The plan as Python source: one numpy statement per step forward, then the gradients back
through the same steps in reverse, each step's inputs read as the plan resolved them.

The source is compiled once per argument structure and run on every call; ``listing`` is the
same program with a comment per line saying which scalar nodes it covers, for
``step.program()``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import kernels, runtime
from .kernels import KERNELS
from .operands import Operand, Tensor, element, literal
from .plan import Plan, Step

__all__ = ["Program", "generate"]

_FULL_ARRAY = ("matmul", "dot", "sum", "pick")  # steps whose inputs must be whole arrays


class Program:
    """The generated function and its text: ``run()`` reads the filled buffers and returns
    (loss, aux values); the parameters' gradients are left in ``plan``'s params buffer."""

    def __init__(self, plan: Plan, source: str, comments: list[str]) -> None:
        self.plan, self.source, self.comments = plan, source, comments
        code = compile(source, "<autograd.compile program>", "exec")
        exec(code, plan.ns)  # noqa: S102  (our own generated text, no user input)
        self.run = plan.ns["run"]


class _Writer:
    """Emits the program's lines, tracking which gradient arrays exist and which it owns."""

    def __init__(self, plan: Plan) -> None:
        self.plan, self.ns = plan, plan.ns
        self.lines: list[str] = []
        self.comments: list[str] = []
        self.started: set[int] = set()  # local tensors whose gradient variable exists
        self.owned: set[int] = set()  # ... and is an array no other name shares
        self.needs_grad = _tensors_needing_grad(plan)
        self.temps = 0
        self.p_written = np.zeros(plan.p.size, dtype=bool)  # params' gradient places set so far
        self.zero_first = False  # some place is first written by an addition
        self.add_only = False

    def emit(self, line: str, comment: str = "") -> None:
        self.lines.append(line)
        self.comments.append(comment)

    def temp(self) -> str:
        self.temps += 1
        return f"o{self.temps}"


def _tensors_needing_grad(plan: Plan) -> set[int]:
    out = set()
    for step in plan.steps:
        if any(plan.to_param[i] for i in step.nodes.reshape(-1).tolist()):
            out.add(step.out.id)
    return out


def _grad_name(t: Tensor) -> str:
    return "G" + t.name if t.kind == "params" else "g" + t.name


def _as_array(operand: Operand, shape: tuple[int, ...]) -> str:
    if operand.shape == () and shape != ():
        return f"np.full({shape}, {operand.read})"
    return operand.read


# ---- forward ---------------------------------------------------------------------------------


def _forward_expr(step: Step, reads: list[str]) -> str:
    kind, op, shape = step.kind, step.op, step.shape
    if kind == "map":
        expr = KERNELS[op].forward.format(*reads, out=step.out.name)
        if all(o.shape == () for o in step.operands):
            if shape != ():
                expr = f"np.full({shape}, {expr})"
            elif all(o.kind == "const" for o in step.operands):
                expr = f"np.float64({expr})"
        return expr
    if kind == "cmp":
        cmp, number = step.info
        right = reads[1] if len(reads) > 1 else repr(number)
        if shape != () and all(o.shape == () for o in step.operands):
            return f"np.full({shape}, {reads[0]} {cmp} {right})"
        return f"np.asarray({reads[0]} {cmp} {right})"
    if kind == "where":
        if len(step.info.sides) == 2:
            return f"np.where({reads[2]}, {reads[0]}, {reads[1]})"
        return f"np.asarray({reads[0]}, dtype=float)"
    if kind == "matmul":
        bias = "" if reads[2] == "0.0" else f" + {reads[2]}"
        return f"{reads[0]} @ {reads[1]}.T{bias}"
    if kind == "dot":
        return _dot_expr(step, reads)
    if kind == "sum":
        if shape != ():
            return f"{reads[0]}.sum(axis=1)"
        total = f"{step.operands[0].tensor.name}.sum()" if (
            step.operands[0].kind == "whole") else f"np.sum({reads[0]})"
        number = repr(step.info) if math.isfinite(step.info) else f"float({str(step.info)!r})"
        return total + (f" + {number}" if step.info else "")
    if kind == "pick":
        return f"pick_rows({reads[0]}, {reads[1]})"
    return f"scalar_forward({op!r}, {shape}, {', '.join(reads)})"


def _is_number(operand: Operand) -> bool:
    return operand.shape == () and operand.kind in ("const", "scalar")


def _dot_expr(step: Step, reads: list[str]) -> str:
    """b + sum_j w_j x_j per lane: a dot product, or a sum when one side is one number."""
    w_op, x_op = step.operands[0], step.operands[1]
    bias = "" if reads[2] == "0.0" else f" + {reads[2]}"
    axis = "" if step.shape == () else "axis=1"
    for vec, vec_op, num in ((reads[0], reads[1], x_op), (reads[1], reads[0], w_op)):
        if _is_number(num) and not _is_number(w_op if num is x_op else x_op):
            factor = "" if vec_op == "1.0" else f" * {vec_op}"
            base = num_source = vec
            other = w_op if num is x_op else x_op
            if other.kind == "whole" and step.shape == ():
                base = other.tensor.name  # (a sum reads any shape: no reshape needed)
            del num_source
            return f"{base}.sum({axis}){factor}{bias}"
    if step.shape == ():
        return f"np.dot({reads[0]}, {reads[1]}){bias}"
    return f"np.einsum('ij,ij->i', {reads[0]}, {reads[1]}){bias}"


def _forward(w: _Writer, step: Step) -> None:
    reads = []
    for operand, spec in zip(step.operands, step.specs):
        full = step.kind in _FULL_ARRAY and step.kind != "dot"
        read = _as_array(operand, spec.shape) if full else operand.read
        if operand.kind in ("gather", "multi"):  # read once, used again by backward
            name = w.temp()
            w.emit(f"{name} = {read}")
            read = name
        reads.append(read)
    step.reads = reads
    t = step.out.name
    target = f"{t}, {t}_rows" if step.kind == "pick" else t
    w.emit(f"{target} = {_forward_expr(step, reads)}", describe(w.plan, step))
    if step.kind == "where" and len(step.info.sides) == 1:
        test = f"not {reads[-1]}.all()" if step.info.sides[0] else f"{reads[-1]}.any()"
        w.emit(f"if {test}: raise Retrace")


def _checks(w: _Writer) -> None:
    """After the forward pass: domain errors (as the engine raises them) and requires."""
    w.emit("# checks the engine would make, raising its errors")
    for step in w.plan.steps:
        if step.kind == "map" and KERNELS[step.op].checked:
            mask = _mask_expr(step) if step.mask else "None"
            inputs = ", ".join(step.reads)
            w.emit(f"if not np.isfinite({step.out.name}).all(): "
                   f"check_domain({step.op!r}, {step.out.name}, ({inputs},), {mask})")
    for k, operand in enumerate(w.plan.require_operands):
        w.emit(f"check_require(requires, {k}, {operand.read})")


# ---- backward --------------------------------------------------------------------------------


def _contribution(step: Step, s: int, g: str) -> tuple[str, bool]:
    """d loss / d input s of the step, as an expression, and whether it is a fresh array."""
    kind, reads, t = step.kind, step.reads, step.out.name
    if kind == "map":
        local = KERNELS[step.op].local[s]
        if local == "1":
            return g, False
        if local == "-1":
            return f"-{g}", True
        return f"{g} * ({local.format(*reads, out=t)})", True
    if kind == "where":
        if len(step.info.sides) == 1:
            return g, False
        pred = reads[-1]
        return (f"np.where({pred}, {g}, 0.0)" if s == 0 else f"np.where({pred}, 0.0, {g})"), True
    if kind == "matmul":
        x, wt = reads[0], reads[1]
        return [f"{g} @ {wt}", f"{g}.T @ {x}", f"{g}.sum(axis=0)"][s], True
    if kind == "dot":
        if s == 2:
            return g, False
        col = g if step.shape == () else f"{g}[:, None]"
        if reads[0] == reads[1]:  # w . w: both sides are the same nodes, d/dw = 2 w
            return f"{col} * (2 * {reads[0]})", True
        other, operand = step.operands[1 - s], step.operands[s]
        product = col if reads[1 - s] == "1.0" else f"{col} * {reads[1 - s]}"
        if _is_number(other) and not _is_number(operand):
            return f"np.broadcast_to({product}, {step.specs[s].shape})", False
        return product, True
    if kind == "sum":
        shape = step.specs[0].shape
        col = g if step.shape == () else f"{g}[:, None]"
        return f"np.broadcast_to({col}, {shape})", False
    if kind == "pick":
        return f"pick_grad({g}, {t}_rows, {step.specs[0].shape[1]})", True
    return f"{t}_back[{s}]", False


def _own(w: _Writer, t: Tensor) -> str:
    """The gradient array of local tensor t, made ready for updates in place."""
    g = _grad_name(t)
    if t.id not in w.started:
        w.emit(f"{g} = np.zeros({t.shape})")
        w.started.add(t.id)
        w.owned.add(t.id)
    elif t.id not in w.owned:
        w.emit(f"{g} = np.array({g}, dtype=float)")  # (a copy this step may update)
        w.owned.add(t.id)
    return g


def _scatter(w: _Writer, operand: Operand, c: str, fresh: bool) -> None:
    """Add contribution c into the gradient of where the operand was read from."""
    kind, t = operand.kind, operand.tensor
    if kind == "const" or t is None and kind != "multi":
        return
    if kind == "multi":
        for part, positions in operand.parts:
            _scatter(w, part, f"np.reshape({c}, -1)[{positions}]", True)
        return
    if t.kind == "params":
        _scatter_params(w, operand, t, c)
    elif t.kind == "local" and t.id in w.needs_grad:
        _scatter_local(w, operand, t, c, fresh)


def _scatter_params(w: _Writer, operand: Operand, t: Tensor, c: str) -> None:
    """Into the parameters' gradient buffer: the first write to a place sets it, later
    ones add (where a first write covers only part of its places, the buffer starts at 0)."""
    g, kind = _grad_name(t), operand.kind
    lanes = _param_lanes(w, operand, t)
    first = not (w.add_only or w.p_written[lanes].any()) and kind != "scalar" and operand.unique
    w.zero_first |= not first and not w.p_written[lanes].all()
    w.p_written[lanes] = True
    put = "=" if first else "+="
    if kind == "whole":
        w.emit(f"{g}[...] {put} np.reshape({c}, {t.shape})")
    elif kind == "view":
        w.emit(f"{operand.grad}[...] {put} {c}")
    elif kind == "scalar":
        w.emit(f"{g}[{operand.index}] += np.sum({c})")
    elif operand.unique:
        w.emit(f"{g}[{operand.index}] {put} {c}")
    else:
        w.emit(f"np.add.at({g}, {operand.index}, {c})")


def _param_lanes(w: _Writer, operand: Operand, t: Tensor) -> Any:
    if operand.kind == "whole":
        return slice(None)
    if operand.kind == "view":
        return operand.index.reshape(-1)
    if operand.kind == "scalar":
        return [operand.index]
    return w.plan.ns[operand.index].reshape(-1)


def _scatter_local(w: _Writer, operand: Operand, t: Tensor, c: str, fresh: bool) -> None:
    g = _grad_name(t)
    if t.size == 1:  # (a numpy scalar cannot be updated in place: always rebind)
        whole = operand.kind == "whole" and operand.shape == t.shape
        value = c if whole else f"np.reshape(np.sum({c}), {t.shape})"
        w.emit(f"{g} = {g} + {value}" if t.id in w.started else f"{g} = {value}")
        w.started.add(t.id)
        return
    if operand.kind == "whole":
        value = c if operand.shape == t.shape else f"np.reshape({c}, {t.shape})"
        if t.id not in w.started:
            w.emit(f"{g} = {value}")
            w.started.add(t.id)
            if fresh:
                w.owned.add(t.id)
        elif t.id in w.owned:
            w.emit(f"{g} += {value}")
        else:
            w.emit(f"{g} = {g} + {value}")
            w.owned.add(t.id)
        return
    g = _own(w, t)
    if operand.kind == "view":
        suffix, natural = operand.index
        value = c if operand.shape == natural else f"np.reshape({c}, {natural})"
        w.emit(f"{g}{suffix} += {value}")
    elif operand.kind == "scalar":
        w.emit(f"{g}.flat[{operand.index}] += np.sum({c})")
    elif operand.unique:
        w.emit(f"{g}.reshape(-1)[{operand.index}] += {c}")
    else:
        w.emit(f"np.add.at({g}.reshape(-1), {operand.index}, {c})")


def _mask_expr(step: Step) -> str:
    pred, neg, free = step.mask
    return f"(({pred.read} != {neg}) | {free})"


def _backward(w: _Writer, step: Step) -> None:
    t = step.out
    if not step.backward or t.id not in w.started or not any(step.grads):
        return
    g = _grad_name(t)
    if step.kind == "scalar":
        w.emit(f"{t.name}_back = scalar_backward({step.op!r}, {t.name}, {g}, "
               f"{', '.join(step.reads)})")
    mask = None
    if step.mask:
        mask = "mk"
        w.emit(f"mk = {_mask_expr(step)}")
    for s, needed in enumerate(step.grads):
        if not needed or step.kind == "dot" and s == 1 and step.reads[0] == step.reads[1]:
            continue
        c, fresh = _contribution(step, s, g)
        if mask:
            c, fresh = f"np.where({mask}, {c}, 0.0)", True
        w.emit(f"c = {c}", f"d/d input {s} of {step.out.name}")
        _scatter(w, step.operands[s], "c", fresh)


def _emit_backward(w: _Writer, root: Operand, add_only: bool) -> None:
    """The backward steps; the parameters' gradient places are set by their first write,
    unless one is first written by an addition: then the buffer is zeroed and all add."""
    saved = (len(w.lines), set(w.started), set(w.owned))
    w.add_only = add_only
    if add_only:
        w.emit("GP.fill(0.0)")
    _seed(w, root)
    for step in reversed(w.plan.steps):
        _backward(w, step)
    if not add_only and w.zero_first:
        del w.lines[saved[0]:], w.comments[saved[0]:]
        w.started, w.owned = saved[1], saved[2]
        w.p_written[:] = False
        _emit_backward(w, root, add_only=True)


def _seed(w: _Writer, operand: Operand) -> None:
    """d root / d root = 1."""
    if operand.kind == "const" or operand.tensor is None:
        return
    t = operand.tensor
    if t.kind == "params":
        w.emit(f"{_grad_name(t)}[{operand.index}] += 1.0")
    elif t.kind == "local":
        g = _grad_name(t)
        if t.size == 1:
            w.emit(f"{g} = np.ones({t.shape})")
        else:
            w.emit(f"{g} = np.zeros({t.shape}); {g}.flat[{operand.index}] = 1.0")
        w.started.add(t.id)
        w.owned.add(t.id)


def node_ref(plan: Plan, i: int) -> Operand:
    """One node as a scalar read: its tensor's element, or its constant value."""
    t = plan.tensor_of[i]
    if t < 0:
        return Operand("const", literal(float(plan.values[i]), plan.ns), ())
    tensor = plan.tensors[t]
    read = tensor.name if tensor.shape == () else element(tensor, plan.lane_of[i])
    return Operand("scalar", read, (), tensor, plan.lane_of[i])


def generate(plan: Plan, aux: Operand | None, n_aux: int) -> Program:
    """The program for ``plan``: forward, checks, backward, and what it returns."""
    root = node_ref(plan, plan.graph.root)
    for name in runtime.__all__:
        plan.ns[name] = getattr(runtime, name)
    for name in ("sigmoid_array", "power_slope_array", "pow_exponent_slope"):
        plan.ns[name] = getattr(kernels, name)
    w = _Writer(plan)
    w.emit("# forward: one array step per op and depth")
    for step in plan.steps:
        _forward(w, step)
    _checks(w)
    w.emit("# backward: the chain rule, last step first; c is d loss / d a step's input")
    _emit_backward(w, root, add_only=False)
    aux_read = "None" if aux is None else f"np.broadcast_to({aux.read}, ({n_aux},)).tolist()"
    w.emit(f"return {root.read}.item(), {aux_read}" if root.kind != "const"
           else f"return {root.read}, {aux_read}")
    quiet = any(step.kind in ("where", "scalar") or step.kind == "map" and KERNELS[step.op].checked
                for step in plan.steps)
    if quiet:  # inf and NaN where the engine raises (checked after) or on unchosen branches
        w.lines = ['with np.errstate(all="ignore"):'] + ["    " + line for line in w.lines]
        w.comments.insert(0, "")
    body = "\n".join("    " + line for line in w.lines)
    return Program(plan, f"def run():\n{body}\n", w.comments)


# ---- the listing --------------------------------------------------------------------------------


def describe(plan: Plan, step: Step) -> str:
    """What a step covers, in words: its shape, how many scalar nodes, their labels."""
    n = step.nodes.size
    labels = label_summary([plan.graph.values[i].label for i in step.nodes.reshape(-1).tolist()])
    what = {"map": f"{step.op}", "cmp": "where condition", "where": "where", "pick": "pick",
            "sum": "sum", "dot": "linear (dot)", "matmul": "linear", "scalar": step.op}
    text = f"{step.shape}  {n:,} {what[step.kind]} node{'s' if n != 1 else ''}"
    if step.kind == "matmul":
        rows, cols = step.shape
        weights = label_summary([plan.graph.values[int(j)].label
                                 for j in step.specs[1].reshape(-1).tolist()])
        text = (f"{step.shape}  matrix product: {n:,} linear nodes = {rows} row"
                f"{'s' * (rows != 1)} x {cols} weight row{'s' * (cols != 1)}"
                + (f" [{weights}]" if weights else ""))
    elif labels:
        text += f" [{labels}]"
    return text


def label_summary(labels: list[str]) -> str:
    """'layers.0.neurons.{0..15}' for the labels 'layers.0.neurons.0' ... 'layers.0.neurons.15'.

    >>> label_summary(["a.0.w", "a.1.w", "a.2.w"])
    'a.{0..2}.w'
    >>> label_summary(["w0", "w1", "w0"]), label_summary(["", ""])
    ('w0, w1', '')
    """
    distinct = sorted({lab for lab in labels if lab}, key=lambda s: (len(s), s))
    named = [lab.split(".") for lab in distinct]
    if not named or any(len(parts) != len(named[0]) for parts in named):
        return ", ".join(distinct) if len(distinct) <= 4 else f"{named[0][0]}.* and others"
    out = []
    for tokens in zip(*named):
        distinct = sorted(set(tokens), key=lambda s: (len(s), s))
        if len(distinct) == 1:
            out.append(distinct[0])
        elif all(s.isdigit() for s in distinct):
            out.append(f"{{{min(map(int, distinct))}..{max(map(int, distinct))}}}")
        else:
            out.append("*")
    if "*" in out and len(distinct) <= 4:  # a few names that differ: list them
        return ", ".join(distinct)
    return ".".join(out)

