"""The drawing's colours: a fill per role, and |grad| on a log colour scale, with their legends."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["ROLE_COLORS", "HIGHLIGHT", "GradScale", "role_legend"]

ROLE_COLORS = {
    "input": "#cfe3ff",  # light blue
    "parameter": "#ffdcaa",  # light orange
    "constant": "#e6e6e6",  # light grey
    "output": "#c6efc0",  # light green
    "interior": "#ffffff",
    "module": "#e6dcf5",  # light lavender: a collapsed Neuron or Layer
}
"""The fill of each role a node plays in ``draw_dot`` (``color_by="role"``, the default)."""

_ROLE_NAMES = {
    "input": "input",
    "parameter": "parameter",
    "constant": "constant",
    "output": "output",
    "module": "module (collapsed)",
}

HIGHLIGHT = "#d62728"
"""The red of a highlighted edge (``draw_dot(root, highlight=step)``) and of its nodes' outline."""

_ZERO_GRAD = "#d9d9d9"
_BAD_GRAD = "#ff9896"  # nan or inf

# viridis (matplotlib's perceptually uniform sequential map) sampled at 0, 1/8, ..., 1;
# colours in between are interpolated. Dark = small |grad|, yellow = large.
_VIRIDIS = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2D, 0x7B),
    (0x3B, 0x52, 0x8B),
    (0x2C, 0x72, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x28, 0xAE, 0x80),
    (0x5E, 0xC9, 0x62),
    (0xAD, 0xDC, 0x30),
    (0xFD, 0xE7, 0x25),
]


def _viridis(t: float) -> str:
    t = min(max(t, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(t), len(_VIRIDIS) - 2)
    f = t - i
    rgb = (round(a + (b - a) * f) for a, b in zip(_VIRIDIS[i], _VIRIDIS[i + 1]))
    return "#" + "".join(f"{c:02x}" for c in rgb)


class GradScale:
    """|grad| -> colour on a log10 scale spanning whole decades of the grads shown.

    >>> scale = GradScale([0.001, 0.5, 0.0])
    >>> scale.lo, scale.hi                          # 1e-3 .. 1e0
    (-3, 0)
    >>> scale.fill(1.0), scale.fill(0.0), scale.font(0.001)
    ('#fde725', '#d9d9d9', 'white')
    """

    def __init__(self, grads: Iterable[float]) -> None:
        mags = [abs(g) for g in grads if math.isfinite(g) and g != 0]
        if mags:
            self.lo = math.floor(math.log10(min(mags)))
            self.hi = math.ceil(math.log10(max(mags)))
        else:
            self.lo, self.hi = -1, 0
        if self.hi <= self.lo:
            self.hi = self.lo + 1
        self.lo = max(self.lo, self.hi - 16)  # below 1e-16 of the largest is "zero" anyway

    def t(self, g: float) -> float:
        return (math.log10(abs(g)) - self.lo) / (self.hi - self.lo)

    def fill(self, g: float) -> str:
        if not math.isfinite(g):
            return _BAD_GRAD
        if g == 0:
            return _ZERO_GRAD
        return _viridis(self.t(g))

    def font(self, g: float) -> str:
        # white text on the dark (purple/blue) half of viridis, black on the light half
        if math.isfinite(g) and g != 0 and self.t(g) < 0.55:
            return "white"
        return "black"

    def ticks(self) -> list[float]:
        """Values for the legend: 1-2-5 steps over a few decades, whole decades over more."""
        span = self.hi - self.lo
        if span <= 3:
            return [m * 10.0**k for k in range(self.lo, self.hi) for m in (1, 2, 5)] + [
                10.0**self.hi
            ]
        step = max(1, math.ceil(span / 8))  # at most ~9 cells
        return [10.0**k for k in range(self.lo, self.hi + 1, step)]

    def legend(self, has_zero: bool, has_bad: bool) -> str:
        cells = [
            f'<TD BGCOLOR="{self.fill(g)}"><FONT COLOR="{self.font(g)}">{g:.0e}</FONT></TD>'
            if not 1e-3 <= g <= 1e3
            else f'<TD BGCOLOR="{self.fill(g)}"><FONT COLOR="{self.font(g)}">{g:g}</FONT></TD>'
            for g in self.ticks()
        ]
        if has_zero:
            cells.insert(0, f'<TD BGCOLOR="{_ZERO_GRAD}">0</TD>')
        if has_bad:
            cells.append(f'<TD BGCOLOR="{_BAD_GRAD}">nan/inf</TD>')
        return (
            '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
            f'<TR><TD COLSPAN="{len(cells)}" BORDER="0"><B>|grad|</B> (log scale)</TD></TR>'
            f"<TR>{''.join(cells)}</TR></TABLE>>"
        )


def role_legend(roles: Iterable[str]) -> str:
    """The legend of the roles drawn, as a Graphviz HTML label: a swatch and a name per role.

    >>> role_legend({"input", "output", "interior"}).count("<TR>")  # interior has no entry
    2
    """
    rows = "".join(
        f'<TR><TD BGCOLOR="{ROLE_COLORS[r]}" WIDTH="18"> </TD><TD ALIGN="LEFT">{_ROLE_NAMES[r]}'
        "</TD></TR>"
        for r in _ROLE_NAMES
        if r in roles
    )
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">{rows}</TABLE>>'
