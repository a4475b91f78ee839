"""A GPT from scalars: microgpt's one-layer transformer on chainrule's Values.

>>> from nn import data
>>> from nn.gpt import GPT
>>> from nn.tokenizer import CharTokenizer
>>> names = data.names(seed=42)
>>> tok = CharTokenizer.from_texts(names)
>>> model = GPT(tok.vocab_size, seed=42)
>>> loss = model.loss(tok.encode(names[0]))
>>> loss.backward()
>>> round(loss.data, 2)       # near log(27) = 3.30 before training: guessing uniformly
3.52
"""

from autograd import softmax

from .layers import (
    Block,
    CausalSelfAttention,
    Embedding,
    FeedForward,
    InputEmbedding,
    Linear,
    RMSNorm,
)
from .model import GPT, KVCache, probabilities
from .plot import plot_attention
from .training import fit, make_optimizer

__all__ = [
    "GPT",
    "KVCache",
    "Embedding",
    "Linear",
    "RMSNorm",
    "CausalSelfAttention",
    "FeedForward",
    "Block",
    "InputEmbedding",
    "softmax",
    "probabilities",
    "fit",
    "make_optimizer",
    "plot_attention",
]
