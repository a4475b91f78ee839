"""Optimisers (SGD, Adam, AdamW), learning-rate schedules and gradient clipping, as in PyTorch.

One file per part, as in ``torch/optim``: ``optimizer.py`` (the ``Optimizer`` base class and
the argument checks shared by everything here), ``sgd.py``, ``adam.py`` (Adam and AdamW),
``lr_scheduler.py`` (the schedules) and ``clip.py`` (gradient clipping). Every name is
imported from here: ``from nn import optim; optim.Adam(...)``, ``from nn.optim import StepLR``.
"""

from .adam import Adam, AdamW
from .clip import clip_grad_norm_, clip_grad_value_
from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LinearWarmup,
    LRScheduler,
    SequentialLR,
    StepLR,
)
from .optimizer import Optimizer
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "SequentialLR",
    "LinearWarmup",
    "clip_grad_norm_",
    "clip_grad_value_",
]
