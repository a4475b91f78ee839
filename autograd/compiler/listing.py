"""``step.program()``: the generated program, one numpy statement per line, each step with
the shape it makes and the scalar nodes it covers, then what each buffer and view holds."""

from __future__ import annotations

from typing import Any

from .codegen import label_summary

__all__ = ["listing", "legend"]


def listing(built: Any) -> str:
    """The program as text a learner reads: header, forward, checks, backward, legend."""
    plan, program = built.plan, built.program
    lines = [line.strip() for line in program.source.splitlines()[1:]]
    comments = program.comments
    if lines and lines[0].startswith("with np.errstate"):
        lines, comments = lines[1:], comments[1:]
    width = min(max((len(line) for line in lines if not line.startswith("#")), default=0), 56)
    steps = len(plan.steps)
    out = [f"autograd.compile program: {built.nodes:,} traced nodes -> {steps} array "
           f"step{'s' if steps != 1 else ''}", _buffers(plan), ""]
    for k, (line, comment) in enumerate(zip(lines, comments)):
        if line.startswith("# checks") and (k + 1 == len(lines) or lines[k + 1].startswith("#")):
            continue  # (no checks to make)
        if line.startswith("# ") and k:
            out.append("")
        out.append(f"{line:<{width}}  # {comment}" if comment else line)
    out += built.legend
    return "\n".join(out)


def _buffers(plan: Any) -> str:
    """The buffers filled on each call: parameters, arguments, random draws."""
    parts = [f"P {plan.p.shape}: the parameters' values (gradients: GP)"]
    parts += [f"A{k} {t.shape}: argument {k}" for k, t in enumerate(plan.args) if t is not None]
    if plan.r.size:
        parts.append(f"R {plan.r.shape}: random draws")
    return "filled on each call: " + "; ".join(parts)


def legend(plan: Any) -> list[str]:
    """Each view of a buffer the program reads, with the parameters (or lanes) it holds."""
    seen, out = set(), []
    for step in plan.steps:
        for operand in step.operands:
            t = operand.tensor
            if operand.kind != "view" or t is None or not t.persistent or operand.read in seen:
                continue
            seen.add(operand.read)
            lanes = operand.index.reshape(-1).tolist()
            what = f"{t.name}[{lanes[0]}..{lanes[-1]}] as {operand.shape}"
            if t is plan.p:
                labels = label_summary([plan.graph.values[plan.params[k]].label for k in lanes])
                what += f": {labels}" if labels else ""
            out.append(f"  {operand.read} = {what}")
    return ["", "views (made once, read in place):", *out] if out else []
