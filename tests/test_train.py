"""Tests for nn.train: fit/evaluate/predict, History, callbacks, gradient flow, acceptance runs."""

import gc
import math
import random
import sys
import warnings

import pytest

import nn
from autograd import Value, gradcheck
from nn import MLP, EarlyStopping, GradientFlowWarning, History, data, losses, optim
from nn.train import accuracy, evaluate, fit, predict


@pytest.fixture(scope="module")
def moons():
    X, y = data.make_moons(100, noise=0.1, seed=0)
    return X, y


def small_problem(n=24, seed=0):
    X, y = data.make_moons(n, noise=0.1, seed=seed)
    return X, y


def fit_like_micrograds_demo(model, X, y_pm, epochs):
    """micrograd's demo recipe: hinge + 1e-4 L2, SGD with lr = 1.0 - 0.9 * k / 100 at step k."""
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = optim.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    return fit(
        model,
        X,
        y_pm,
        loss="hinge",
        optimizer=opt,
        scheduler=sched,
        l2=1e-4,
        epochs=epochs,
        progress=False,
    )


def without_time(history):
    return [{k: v for k, v in r.items() if k != "time"} for r in history.records]


# ---- acceptance (issue 3) -----------------------------------------------------------------------


@pytest.mark.slow
def test_hinge_l2_sgd_reaches_100_percent_on_moons_in_100_steps(moons):
    X, y = moons
    y_pm = [2 * t - 1 for t in y]  # hinge labels are -1/+1
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit_like_micrograds_demo(model, X, y_pm, epochs=100)
    assert len(history) == 100
    assert history["lr"][:2] == pytest.approx([1.0, 0.991])
    assert history[-1]["accuracy"] == 1.0
    assert evaluate(model, X, y_pm, loss="hinge")["accuracy"] == 1.0
    assert history["loss"][-1] < history["loss"][0] / 10


@pytest.mark.slow
def test_bce_with_logits_adam_reaches_100_percent_on_moons(moons):
    X, y = moons
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(
        model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=100, progress=False
    )
    assert history[-1]["accuracy"] == 1.0
    assert evaluate(model, X, y, loss="bce_with_logits")["accuracy"] == 1.0


def test_iris_cross_entropy_reaches_95_percent_test_accuracy():
    X, y = data.load_iris()
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test_size=0.3, seed=0, stratify=y)
    Xtr, mean, std = data.standardize(Xtr)
    Xte, _, _ = data.standardize(Xte, mean, std)
    model = MLP(4, [8, 3], seed=0)
    history = fit(
        model,
        Xtr,
        ytr,
        loss="cross_entropy",
        optimizer="adam",
        lr=0.05,
        epochs=60,
        progress=False,
        val_data=(Xte, yte),
    )
    result = evaluate(model, Xte, yte, loss="cross_entropy")
    assert result["accuracy"] >= 0.95
    assert history[-1]["val_accuracy"] == result["accuracy"]
    assert history[-1]["val_loss"] == result["loss"]


@pytest.mark.slow
def test_sine_regression_with_mse_goes_below_0_01():
    X, y = data.make_regression(64, seed=0)
    model = MLP(1, [16, 16, 1], activation="tanh", seed=0)
    history = fit(model, X, y, loss="mse", optimizer="adam", lr=0.02, epochs=100, progress=False)
    assert history["loss"][-1] < 0.01
    assert evaluate(model, X, y, loss="mse")["loss"] < 0.01
    assert "accuracy" not in history.columns  # not a classification


def test_same_seed_gives_an_identical_history_bit_for_bit():
    X, y = small_problem(40)
    Xv, yv = small_problem(20, seed=1)

    def run():
        model = MLP(2, [8, 8, 1], dropout=0.2, seed=7)
        return fit(
            model,
            X,
            y,
            loss="bce_with_logits",
            optimizer="adamw",
            lr=0.05,
            epochs=6,
            batch_size=16,
            val_data=(Xv, yv),
            progress=False,
            seed=3,
            clip_grad_norm=1.0,
            l2=1e-3,
            track_grad_flow=True,
        ), model

    (h1, m1), (h2, m2) = run(), run()
    assert without_time(h1) == without_time(h2)
    assert m1.state_dict() == m2.state_dict()
    model3 = MLP(2, [8, 8, 1], dropout=0.2, seed=7)
    h3 = fit(
        model3,
        X,
        y,
        loss="bce_with_logits",
        optimizer="adamw",
        lr=0.05,
        epochs=6,
        batch_size=16,
        progress=False,
        seed=4,
    )
    assert h3["loss"] != h1["loss"]  # another shuffling seed, another history


def test_gradcheck_of_a_whole_mlp_loss():
    X, y = small_problem(8)
    model = MLP(2, [4, 4, 1], activation="tanh", seed=0)

    def loss_of():
        return losses.binary_cross_entropy_with_logits(
            [model(x) for x in X], y
        ) + losses.l2_penalty(model.parameters(), 1e-3)

    assert gradcheck(loss_of, model.parameters())
    relu = MLP(2, [4, 3], seed=1)  # ReLU and cross_entropy, away from kinks
    assert gradcheck(
        lambda: losses.cross_entropy([relu(x) for x in X], [t + 1 for t in y]), relu.parameters()
    )


def test_fit_losses_equal_micrograds_demo_loop(moons):
    micrograd_nn = pytest.importorskip("micrograd.nn")
    micrograd_engine = pytest.importorskip("micrograd.engine")
    X, y = moons
    y_pm = [2 * t - 1 for t in y]
    random.seed(42)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    gc_was_enabled = gc.isenabled()
    gc.disable()  # micrograd's closures make cycles: with the collector on this takes seconds
    try:
        reference = _micrograd_demo_losses(theirs, micrograd_engine.Value, X, y_pm, steps=3)
    finally:
        if gc_was_enabled:
            gc.enable()
    history = fit_like_micrograds_demo(MLP(2, [16, 16, 1], seed=42), X, y_pm, epochs=3)
    assert history["loss"] == pytest.approx(reference, abs=1e-9)
    assert history["loss"][0] == reference[0]  # the first step is bit for bit


def _micrograd_demo_losses(model, value_cls, X, y_pm, steps):
    reference = []
    for k in range(steps):  # micrograd's demo, as written there
        inputs = [list(map(value_cls, row)) for row in X]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y_pm, scores)) * (1.0 / len(X))
        total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        reference.append(total.data)
    return reference


# ---- History and records ------------------------------------------------------------------------


def test_records_have_the_documented_keys():
    X, y = small_problem()
    h = fit(
        MLP(2, [4, 1], seed=0),
        X,
        y,
        loss="bce_with_logits",
        epochs=2,
        progress=False,
        val_data=(X, y),
    )
    assert list(h[0]) == [
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
        "grad_norm",
        "time",
    ]
    assert h["epoch"] == [1, 2] and all(t >= 0 for t in h["time"])


def test_history_columns_lists_and_errors():
    X, y = small_problem()
    h = fit(MLP(2, [4, 1], seed=0), X, y, loss="bce_with_logits", epochs=3, progress=False)
    assert len(h) == 3 and list(h) == h.records
    assert h.columns == ["epoch", "loss", "accuracy", "lr", "grad_norm", "time"]
    copy = h.to_list()
    copy[0]["loss"] = -1.0
    assert h[0]["loss"] != -1.0
    with pytest.raises(KeyError, match="History has no column 'val_loss'; columns: epoch, loss"):
        h["val_loss"]
    assert repr(h).startswith("History(epochs=3, last: loss=")
    assert repr(History()) == "History(epochs=0)"


def test_loss_is_the_batch_size_weighted_mean_and_grad_norm_is_before_clipping():
    X, y = small_problem(10)
    model = MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    h = fit(
        model,
        X,
        y,
        loss="mse",
        optimizer="sgd",
        lr=0.0,
        epochs=1,
        batch_size=4,
        progress=False,
        clip_grad_norm=1e-3,
        seed=0,
    )
    full = losses.mse_loss([model(x) for x in X], y)
    assert h[0]["loss"] == pytest.approx(full.data, rel=1e-12)  # lr 0: the same model
    assert model.state_dict() == before
    assert h[0]["grad_norm"] > 1e-3  # recorded before clipping


def test_scheduler_factory_and_recorded_lr():
    X, y = small_problem()
    h = fit(
        MLP(2, [4, 1], seed=0),
        X,
        y,
        loss="mse",
        optimizer="sgd",
        lr=0.1,
        epochs=3,
        scheduler=lambda opt: optim.StepLR(opt, step_size=1, gamma=0.5),
        progress=False,
    )
    assert h["lr"] == [0.1, 0.05, 0.025]


def test_mini_batches_take_one_step_per_batch():
    steps = []

    class CountingSGD(optim.SGD):
        def step(self, closure=None):
            steps.append(1)
            return super().step(closure)

    X, y = small_problem(10)
    model = MLP(2, [3, 1], seed=0)
    fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=CountingSGD(model.parameters(), lr=0.01),
        epochs=2,
        batch_size=4,
        progress=False,
    )
    assert len(steps) == 6


def test_multi_output_mse_uses_flattened_targets():
    X = [[0.0, 1.0], [1.0, 0.0]]
    y = [[1.0, 0.0], [0.0, 1.0]]
    model = MLP(2, [4, 2], seed=0)
    h = fit(model, X, y, loss="mse", optimizer="adam", lr=0.05, epochs=30, progress=False)
    assert h["loss"][-1] < h["loss"][0]
    assert h[-1]["accuracy"] in (0.0, 0.5, 1.0)  # argmax against the one-hot targets
    with pytest.raises(ValueError, match="needs targets that are lists of 2 numbers"):
        fit(model, X, [0, 1], loss="mse", epochs=1, progress=False)


def test_custom_loss_and_metric_callables():
    X, y = small_problem()

    def mean_abs_error(preds, targets):
        return sum(abs(p - t) for p, t in zip(preds, targets)) / len(preds)

    h = fit(
        MLP(2, [4, 1], seed=0),
        X,
        y,
        loss=lambda p, t: losses.l1_loss(p, t),
        epochs=2,
        metrics=("accuracy", mean_abs_error),
        progress=False,
    )
    assert "mean_abs_error" in h[0] and "accuracy" in h[0]


# ---- accuracy rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "preds, targets, loss, expected",
    [
        ([0.3, -0.2, 0.1], [1, -1, -1], "hinge", 2 / 3),
        ([0.3, -0.2, 0.1], [1, 0, 0], "bce_with_logits", 2 / 3),
        ([0.6, 0.4, 0.7], [1, 0, 0], "bce", 2 / 3),
        ([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0]], [1, 2], "cross_entropy", 0.5),
        ([[0.1, 0.9], [2.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]], "mse", 1.0),
        ([0.9, 0.2], [1, 0], "mse", 1.0),
        ([0.9, -0.2], [1, -1], None, 1.0),
        ([0.9, 0.2], [1.3, 0.2], "mse", None),
        ([Value(0.3)], [1], "hinge", 1.0),
    ],
)
def test_accuracy_rules(preds, targets, loss, expected):
    result = accuracy(preds, targets, loss)
    assert result == (pytest.approx(expected) if expected is not None else None)


# ---- callbacks ----------------------------------------------------------------------------------


def test_callback_hooks_are_called_in_order_and_can_stop():
    calls = []

    class Spy(nn.Callback):
        def on_train_begin(self, model):
            calls.append("begin")

        def on_epoch_end(self, epoch, logs, model):
            calls.append(epoch)
            return epoch == 3

        def on_train_end(self, model, history):
            calls.append(("end", len(history)))

    X, y = small_problem()
    h = fit(MLP(2, [3, 1], seed=0), X, y, epochs=10, callbacks=[Spy()], progress=False)
    assert calls == ["begin", 1, 2, 3, ("end", 3)]
    assert h.stopped_early is True


def test_plain_function_callback():
    X, y = small_problem()
    h = fit(
        MLP(2, [3, 1], seed=0),
        X,
        y,
        epochs=10,
        progress=False,
        callbacks=[lambda epoch, logs, model: logs["epoch"] >= 2],
    )
    assert len(h) == 2


def test_early_stopping_stops_after_patience_and_restores_best():
    X, y = small_problem()
    snapshots = {}

    def remember(epoch, logs, model):
        snapshots[epoch] = model.state_dict()

    stopper = EarlyStopping(monitor="loss", mode="max", patience=2)  # loss falls: never "better"
    model = MLP(2, [4, 1], seed=0)
    h = fit(
        model,
        X,
        y,
        loss="mse",
        optimizer="sgd",
        lr=0.05,
        epochs=20,
        progress=False,
        callbacks=[remember, stopper],
    )
    assert len(h) == 3 and h.stopped_early
    assert stopper.best_epoch == 1 and stopper.stopped_epoch == 3
    assert model.state_dict() == snapshots[1]  # the best epoch's weights are back


def test_early_stopping_on_val_loss_runs_to_the_end_when_improving():
    X, y = small_problem()
    stopper = EarlyStopping(patience=3)
    h = fit(
        MLP(2, [8, 1], seed=0),
        X,
        y,
        loss="bce_with_logits",
        optimizer="adam",
        lr=0.01,
        epochs=5,
        val_data=(X, y),
        callbacks=[stopper],
        progress=False,
    )
    assert len(h) == 5 and not h.stopped_early and stopper.best_epoch == 5


def test_early_stopping_without_its_monitor_is_a_clear_error():
    X, y = small_problem()
    with pytest.raises(ValueError, match="'val_loss' is not recorded .*pass val_data="):
        fit(MLP(2, [3, 1], seed=0), X, y, epochs=2, callbacks=[EarlyStopping()], progress=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"patience": -1}, "patience must be an int >= 0"),
        ({"min_delta": -0.1}, "min_delta must be >= 0"),
        ({"mode": "up"}, "mode must be 'min', 'max' or 'auto'"),
    ],
)
def test_bad_early_stopping_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**kwargs)


def test_early_stopping_auto_mode():
    assert EarlyStopping("val_accuracy").mode == "max" and EarlyStopping("loss").mode == "min"


# ---- gradient flow ------------------------------------------------------------------------------


def test_grad_flow_records_per_layer_statistics():
    X, y = small_problem()
    model = MLP(2, [6, 6, 1], seed=0)
    h = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer="sgd",
        lr=0.0,
        epochs=1,
        track_grad_flow=True,
        progress=False,
    )
    flow = h[0]["grad_flow"]
    assert list(flow) == ["layers.0", "layers.1", "layers.2"]
    weights0 = model.layers[0].weights()
    assert flow["layers.0"]["weight"] == pytest.approx(sum(abs(w.data) for w in weights0) / 12)
    assert flow["layers.0"]["grad"] == pytest.approx(sum(abs(w.grad) for w in weights0) / 12)
    assert flow["layers.2"]["dead"] is None  # a linear layer has no ReLUs
    assert 0.0 <= flow["layers.1"]["dead"] <= 1.0
    assert all(n._activity is None for n in model.modules() if isinstance(n, nn.Neuron))


def test_dead_relus_are_counted_and_warned_as_dead_units():
    X, y = small_problem()
    model = MLP(2, [4, 4, 1], seed=0)
    for n in model.layers[1].neurons:
        n.b.data = -100.0  # never positive: every ReLU in layer 1 is dead
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = fit(
            model,
            X,
            y,
            loss="bce_with_logits",
            optimizer="sgd",
            lr=0.0,
            epochs=2,
            track_grad_flow=True,
            progress=False,
        )
    messages = [str(w.message) for w in caught if w.category is GradientFlowWarning]
    assert len(messages) == 2  # layers 0 and 1 get no gradient; each warns once
    assert "dead units at epoch 1" in messages[0] and "'layers.0'" in messages[0]
    assert "'layers.1' after it pass nothing back" in messages[0]
    assert caught[0].filename == __file__  # the warning points at the call to fit
    assert h[0]["grad_flow"]["layers.1"]["dead"] == 1.0
    assert h[0]["grad_flow"]["layers.0"]["grad"] == 0.0


def test_dead_relus_count_training_passes_only():
    model = MLP(1, [1, 1], seed=0)
    model.load_state_dict(
        {
            "layers.0.neurons.0.w.0": 1.0,
            "layers.0.neurons.0.b": 0.0,
            "layers.1.neurons.0.w.0": 1.0,
            "layers.1.neurons.0.b": 0.0,
        }
    )
    # the ReLU is never positive on the training inputs, but it is on the validation input
    h = fit(
        model,
        [[-1.0], [-2.0]],
        [0.0, 0.0],
        loss="mse",
        optimizer="sgd",
        lr=0.0,
        epochs=1,
        val_data=([[1.0]], [1.0]),
        track_grad_flow=True,
        progress=False,
    )
    assert h[0]["grad_flow"]["layers.0"]["dead"] == 1.0
    layer = nn.Layer(2, 1, seed=0)  # a bare Layer is one group, under its own name
    h = fit(layer, [[1.0, 2.0]], [0.5], epochs=1, track_grad_flow=True, progress=False)
    assert list(h[0]["grad_flow"]) == ["layer"]


def _deep_linear(w1, w3):
    model = MLP(1, [1, 1, 1], activation="linear", seed=0)
    model.load_state_dict(
        {
            "layers.0.neurons.0.w.0": w1,
            "layers.0.neurons.0.b": 0.0,
            "layers.1.neurons.0.w.0": 1.0,
            "layers.1.neurons.0.b": 0.0,
            "layers.2.neurons.0.w.0": w3,
            "layers.2.neurons.0.b": 0.0,
        }
    )
    return model


def test_exploding_gradients_warn_once_per_layer():
    # y = w3 * w2 * w1 * x: layer 0's gradient carries w3 = 1e4, the output layer's does not
    model = _deep_linear(1e-6, 1e4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(model, [[1.0]], [1.0], loss="mse", optimizer="sgd", lr=0.0, epochs=3, progress=False)
    messages = [str(w.message) for w in caught if w.category is GradientFlowWarning]
    assert len(messages) == 2  # layers 0 and 1, once each over three epochs
    assert "exploding gradients at epoch 1" in messages[0] and "'layers.0'" in messages[0]


def test_healthy_gradients_do_not_warn():
    model = _deep_linear(1.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientFlowWarning)
        fit(model, [[1.0]], [3.0], loss="mse", optimizer="sgd", lr=0.01, epochs=2, progress=False)


# ---- speed settings: the collector and no_grad --------------------------------------------------


def test_collector_is_off_during_steps_and_restored_after():
    states = []

    def spying_loss(preds, targets):
        states.append(gc.isenabled())
        return losses.mse_loss(preds, targets)

    X, y = small_problem()
    gc.enable()
    fit(MLP(2, [3, 1], seed=0), X, y, loss=spying_loss, epochs=2, val_data=(X, y), progress=False)
    assert states[0] is False  # training step
    assert gc.isenabled()
    gc.disable()
    try:
        fit(MLP(2, [3, 1], seed=0), X, y, epochs=1, progress=False)
        assert not gc.isenabled()  # the previous state, whatever it was
    finally:
        gc.enable()


def test_collector_is_restored_when_a_step_fails():
    def failing_loss(preds, targets):
        raise RuntimeError("boom")

    X, y = small_problem()
    gc.enable()
    with pytest.raises(RuntimeError, match="boom"):
        fit(MLP(2, [3, 1], seed=0), X, y, loss=failing_loss, epochs=1, progress=False)
    assert gc.isenabled()


def test_optimizer_step_and_evaluation_build_no_graph():
    recorded = []

    class SpySGD(optim.SGD):
        def step(self, closure=None):
            recorded.append(len((Value(1.0) + 1.0)._children))
            return super().step(closure)

    def spying_loss(preds, targets):
        recorded.append(("preds", len(preds[0]._children)))
        return losses.mse_loss(preds, targets)

    X, y = small_problem(6)
    model = MLP(2, [3, 1], seed=0)
    fit(
        model,
        X,
        y,
        loss=spying_loss,
        optimizer=SpySGD(model.parameters(), lr=0.1),
        epochs=1,
        val_data=(X, y),
        progress=False,
    )
    assert recorded[0][1] > 0  # the training forward pass builds a graph
    assert recorded[1:] == [0, ("preds", 0)]  # the step and the evaluation do not


def test_evaluate_and_predict_use_eval_mode_and_restore_it():
    X, y = small_problem()
    model = MLP(2, [16, 1], dropout=0.5, seed=0)
    assert predict(model, X) == predict(model, X)  # no dropout: deterministic
    assert model.training is True and model.dropout.training is True
    assert evaluate(model, X, y, loss="bce_with_logits") == evaluate(
        model, X, y, loss="bce_with_logits"
    )
    out = predict(MLP(2, [4, 3], seed=0), X[:2])
    assert len(out) == 2 and all(type(v) is float for v in out[0])
    assert all(type(v) is float for v in predict(model, X))


def test_non_finite_loss_stops_training_with_a_warning():
    X, y = small_problem()
    with pytest.warns(RuntimeWarning, match="loss became nan at epoch 1"):
        h = fit(
            MLP(2, [3, 1], seed=0),
            X,
            y,
            epochs=5,
            progress=False,
            loss=lambda p, t: losses.mse_loss(p, t) * 0.0 + math.nan,
        )
    assert len(h) == 1


# ---- progress bar -------------------------------------------------------------------------------


def test_progress_bar_shows_loss_and_accuracy(capsys):
    pytest.importorskip("tqdm")
    X, y = small_problem()
    fit(MLP(2, [3, 1], seed=0), X, y, loss="bce_with_logits", epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "fit" in err and "loss=" in err and "acc=" in err


def test_progress_false_prints_nothing(capsys):
    X, y = small_problem()
    fit(MLP(2, [3, 1], seed=0), X, y, epochs=2, progress=False)
    assert capsys.readouterr().err == ""


def test_missing_tqdm_errors_only_when_a_bar_was_asked_for(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # makes `import tqdm.auto` fail
    X, y = small_problem()
    with pytest.raises(ImportError, match=r"pip install \"chainrule\[progress\]\""):
        fit(MLP(2, [3, 1], seed=0), X, y, epochs=1, progress=True)
    assert len(fit(MLP(2, [3, 1], seed=0), X, y, epochs=1)) == 1  # default: silently no bar


# ---- bad arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"optimizer": "sgd", "lr": -0.1}, ValueError, "lr must be a finite number >= 0"),
        ({"loss": "cross_entropy_loss"}, ValueError, "unknown loss 'cross_entropy_loss'"),
        ({"loss": 3}, TypeError, "loss must be a name or a callable"),
        ({"optimizer": "rmsprop"}, ValueError, "unknown optimizer 'rmsprop'"),
        ({"optimizer": object()}, TypeError, "optimizer must be a name"),
        ({"epochs": 0}, ValueError, "epochs must be an int >= 1, got 0"),
        ({"epochs": 2.5}, ValueError, "epochs must be an int >= 1"),
        ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1, got 0"),
        ({"l2": -1e-4}, ValueError, "l2 must be a finite number >= 0"),
        ({"clip_grad_norm": 0.0}, ValueError, "clip_grad_norm must be a number > 0"),
        ({"val_data": ([[0.0, 0.0]],)}, ValueError, "val_data must be a pair"),
        ({"val_data": ([[0.0, 0.0]], [1, 0])}, ValueError, "val_data: X has 1 rows but y has 2"),
        ({"metrics": ("f1",)}, ValueError, "unknown metric 'f1'"),
        ({"scheduler": 5}, TypeError, "scheduler must be a schedule"),
        ({"callbacks": [3]}, TypeError, "a callback must be a Callback or a function"),
        ({"loss": "hinge"}, ValueError, "labels must be -1 or \\+1"),
        ({"loss": "cross_entropy"}, ValueError, "cross_entropy needs one output"),
    ],
)
def test_bad_fit_arguments_are_clear_errors(kwargs, error, message):
    X, y = small_problem(8)
    with pytest.raises(error, match=message):
        fit(MLP(2, [3, 1], seed=0), X, y, progress=False, **kwargs)


def test_more_bad_fit_arguments():
    X, y = small_problem(8)
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="X has 8 rows but y has 7"):
        fit(model, X, y[:-1], progress=False)
    with pytest.raises(ValueError, match="X is empty"):
        fit(model, [], [], progress=False)
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        fit(lambda x: x, X, y, progress=False)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="lr is used only with an optimizer name"):
        fit(model, X, y, optimizer=opt, lr=0.1, progress=False)
    other = optim.SGD(MLP(2, [3, 1]).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="the scheduler was built for another optimizer"):
        fit(model, X, y, optimizer=opt, scheduler=optim.StepLR(other, 2), progress=False)
    with pytest.raises(ValueError, match="'hinge' needs a model with one output, got 3"):
        fit(MLP(2, [3]), X, [1] * 8, loss="hinge", progress=False)


def test_diverging_training_stops_with_a_warning_not_an_overflow_error():
    import warnings

    import nn
    from nn import data

    X, y = data.make_regression(40, seed=0)
    model = nn.MLP(1, [8, 1], seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = nn.fit(model, X, y, loss="mse", optimizer="sgd", lr=30, epochs=50, progress=False)
    assert len(history) < 50
    assert any("loss became" in str(w.message) for w in caught)


def test_diverging_cross_entropy_training_stops_with_a_warning():
    import nn
    from nn import data, optim

    X, y = data.make_moons(50, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 2], seed=0)
    opt = optim.SGD(model.parameters(), lr=1e200)
    with pytest.warns(RuntimeWarning, match="loss became nan"):
        history = nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=20,
                         progress=False)  # fmt: skip
    assert len(history) < 20
