"""chainrule's nn: modules, layers, initialisation, losses, optimisers, data and training.

>>> import nn
>>> from nn import data
>>> X, y = data.make_moons(40, noise=0.1, seed=0)
>>> model = nn.MLP(2, [8, 8, 1], seed=0)
>>> history = nn.fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05,
...                  epochs=5, progress=False, seed=0)
>>> len(history), sorted(history.records[-1])
(5, ['accuracy', 'epoch', 'grad_norm', 'loss', 'lr', 'time'])
"""

from . import data, gpt, init, losses, optim, tokenizer
from .callbacks import Callback, EarlyStopping, History
from .gpt import GPT
from .layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron
from .module import IncompatibleKeys, Module, load_model
from .train import GradientFlowWarning, evaluate, fit, predict

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "GPT",
    "Dropout",
    "ACTIVATIONS",
    "IncompatibleKeys",
    "load_model",
    "fit",
    "evaluate",
    "predict",
    "History",
    "Callback",
    "EarlyStopping",
    "GradientFlowWarning",
    "data",
    "gpt",
    "tokenizer",
    "init",
    "losses",
    "optim",
]
