"""Pictures of a GPT: each attention head's weights as a heatmap, for one name."""

from __future__ import annotations

from typing import Any

from ..plot import new_figure
from .model import GPT

__all__ = ["plot_attention"]


def plot_attention(model: GPT, tokenizer: Any, text: str, layer: int = 0) -> Any:
    """Each head's attention weights in ``layer`` while the model reads ``text``: one heatmap
    per head, row t (a position, labelled with the token read there) against column s (the
    positions it attends to). The upper triangle is empty: a position never sees the future.

    Returns a matplotlib Figure (needs matplotlib: ``pip install "chainrule[plot]"``).

    >>> from nn.tokenizer import CharTokenizer
    >>> tok = CharTokenizer("aemv")
    >>> fig = plot_attention(GPT(tok.vocab_size, n_embd=8, n_head=2, seed=0), tok, "emma")
    >>> len(fig.axes), fig.axes[0].get_title()
    (3, 'head 0')
    """
    tokens = tokenizer.encode(text)[: model.block_size]  # BOS, the text (no final BOS needed)
    if len(tokens) > 1 and tokens[-1] == model.bos:
        tokens = tokens[:-1]
    maps = model.attention_maps(tokens, layer)
    names = ["BOS" if t == model.bos else tokenizer.decode([t]) for t in tokens]
    n = len(tokens)
    size = 0.45 * n + 1.2
    fig, axes = new_figure(1, model.n_head, figsize=(size * model.n_head, size), squeeze=False)
    image = None
    for h, ax in enumerate(axes[0]):
        masked = [
            [w if s <= t else float("nan") for s, w in enumerate(row)]
            for t, row in enumerate(maps[h])
        ]
        image = ax.imshow(masked, vmin=0.0, vmax=1.0, cmap="viridis")
        ax.set_title(f"head {h}")
        ax.set_xticks(range(n), names, fontsize=8)
        ax.set_yticks(range(n), names, fontsize=8)
        ax.set_xlabel("attends to")
        if h == 0:
            ax.set_ylabel("reading")
    fig.colorbar(image, ax=list(axes[0]), shrink=0.8, label="attention weight")
    fig.suptitle(f"attention in layer {layer} while reading {text!r}")
    return fig
