"""Hyperparameter search: grid and random search with cross-validation, locally or on Dask.

``build(params) -> (model, fit_kwargs)`` turns one parameter dict into a fresh model and the
keyword arguments for ``nn.fit``; the search trains it on each cross-validation fold, scores it
on the held-out part and ranks the candidates. ``MLPBuilder`` is a ready-made ``build``.

Where the trials run (the scores are identical in all three):

- sequentially (the default);
- ``n_jobs=2``: a local process pool. ``build`` (and a callable ``scoring``) must pickle:
  define it at module level in a ``.py`` file (not a lambda, a nested function or a function
  typed into a notebook) or use ``MLPBuilder``. Workers are started with "forkserver" (or
  "spawn" where that is missing), never "fork": forking a process that runs threads (tqdm's
  monitor, a Dask client, Jupyter) can deadlock, and Python 3.14 no longer forks by default;
- ``executor=``: any ``concurrent.futures.Executor``, e.g. a Dask cluster's
  ``distributed.Client("tcp://host:8786").get_executor()`` (``pip install "chainrule[dask]"``);
  Dask pickles with cloudpickle, so lambdas work there. Within one process fits take turns
  (the engine's ``no_grad`` is process-wide, and threads cannot speed up pure Python anyway),
  so give Dask workers one thread each (``threads_per_worker=1``) and more processes.

Every fit is seeded from ``trial_seed(seed, trial, fold)``, a hash of the search seed, the
trial's index and the fold, so no result depends on which worker ran it or in which order.

The files: ``space`` (what to try: ParameterGrid, ParameterSampler, loguniform, choice),
``folds`` (cv_splits, trial_seed), ``run`` (grid_search, random_search and the workers),
``results`` (Trial, SearchResult, format_table) and ``builder`` (MLPBuilder).

>>> from nn import data
>>> X, y = data.make_moons(40, noise=0.1, seed=0)
>>> result = grid_search(MLPBuilder(2, hidden=4, epochs=5), {"lr": [0.1, 0.01]}, X, y,
...                      cv=2, progress=False)
>>> len(result.trials), sorted(result.best_params)
(2, ['lr'])
"""

from .builder import MLPBuilder
from .folds import cv_splits, trial_seed
from .results import SearchResult, Trial, format_table
from .run import grid_search, random_search
from .space import Choice, LogUniform, ParameterGrid, ParameterSampler, choice, loguniform

__all__ = [
    "ParameterGrid",
    "ParameterSampler",
    "LogUniform",
    "Choice",
    "loguniform",
    "choice",
    "grid_search",
    "random_search",
    "SearchResult",
    "Trial",
    "MLPBuilder",
    "cv_splits",
    "trial_seed",
    "format_table",
]
