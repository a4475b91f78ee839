"""``step.program()``: the generated program, one numpy statement per line, each with the
shape it makes and the scalar nodes it covers."""

from __future__ import annotations

from typing import Any

__all__ = ["listing"]


def listing(built: Any) -> str:
    plan, program = built.plan, built.program
    lines = program.source.splitlines()[1:]
    width = max((len(line.strip()) for line in lines), default=0)
    width = min(width, 60)
    out = [f"autograd.compile program: {len(built.graph):,} traced nodes -> "
           f"{len(plan.steps)} array steps"]
    for line, comment in zip(lines, program.comments):
        text = line.strip()
        out.append(f"  {text:<{width}}  # {comment}" if comment else f"  {text}")
    return "\n".join(out)
