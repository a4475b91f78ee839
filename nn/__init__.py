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

import autograd as _autograd


def _check_autograd() -> None:
    """chainrule's nn stands on chainrule's autograd. HIPS autograd's package has the same
    import name, and installing it into the same environment overwrites ours: say so."""
    if hasattr(_autograd, "Value") and hasattr(_autograd, "RULES"):
        return
    where = getattr(_autograd, "__file__", None) or ", ".join(getattr(_autograd, "__path__", []))
    raise ImportError(
        f"nn: the 'autograd' package imported from {where} is not chainrule's: HIPS autograd, "
        "whose import name is also 'autograd', was installed over it (or uninstalled, taking "
        "its __init__.py); run 'pip uninstall autograd', then reinstall chainrule from its "
        "checkout ('pip install --force-reinstall -e .'), and keep HIPS autograd in another "
        "virtual environment"
    )


_check_autograd()

# (after the check: these import autograd)
from . import data, gpt, init, losses, optim, tokenizer  # noqa: E402
from .callbacks import Callback, EarlyStopping, History  # noqa: E402
from .gpt import GPT  # noqa: E402
from .layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron  # noqa: E402
from .module import IncompatibleKeys, Module, load_model  # noqa: E402
from .train import GradientFlowWarning, evaluate, fit, predict  # noqa: E402

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
