"""Tests for nn.optim: 50-step trajectories, schedules and clipping against PyTorch (float64)."""

import importlib
import json
import math
import random
import warnings

import pytest
from _helpers import assert_all_close, close

from autograd import Value
from nn import optim

STEPS = 50


# ---- a small random problem, written once for both engines --------------------------------
# Params w0, w1, b, a; loss = mean over 6 points of (a * tanh(w0 x0 + w1 x1 + b) - y)^2
# + 0.1 * (a * w0)^2. The same code runs on Values and on float64 tensors (0-d, one per param).

_rng = random.Random(7)
POINTS = [(_rng.uniform(-2, 2), _rng.uniform(-2, 2), _rng.uniform(-1, 1)) for _ in range(6)]
INIT = [_rng.uniform(-1, 1) for _ in range(4)]


def problem_loss(params):
    w0, w1, b, a = params
    total = 0.0
    for x0, x1, y in POINTS:
        err = a * (w0 * x0 + w1 * x1 + b).tanh() - y
        total = total + err * err
    return total * (1.0 / len(POINTS)) + 0.1 * (a * w0) * (a * w0)


def our_params():
    return [Value(v) for v in INIT]


def torch_params(torch):
    return [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in INIT]


def run(opt, params, steps=STEPS, sched=None, clip=None):
    """Train ``steps`` steps; return the parameter values after each step (and the lrs)."""
    path = []
    for _ in range(steps):
        opt.zero_grad()
        problem_loss(params).backward()
        if clip is not None:
            clip(params)
        opt.step()
        if sched is not None:
            sched.step()
        path.append([float(p.data) if isinstance(p, Value) else p.item() for p in params])
    return path


def assert_same_path(ours, theirs):
    assert len(ours) == len(theirs)
    for t, (a, b) in enumerate(zip(ours, theirs)):
        assert_all_close(a, b, f"step {t + 1}")


def torch_groups(torch, params, groups):
    """Our group dicts (with indices into params) as PyTorch's."""
    return [{**g, "params": [params[i] for i in g["params"]]} for g in groups]


SGD_CASES = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.05, momentum=0.9),
    "dampening": dict(lr=0.05, momentum=0.8, dampening=0.3),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "weight_decay": dict(lr=0.1, weight_decay=0.05),
    "all": dict(lr=0.03, momentum=0.7, nesterov=True, weight_decay=0.02),
    "maximize": dict(lr=0.01, momentum=0.5, maximize=True),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(SGD_CASES))
def test_sgd_trajectory_equals_pytorch(torch, name):
    kwargs = SGD_CASES[name]
    ours = our_params()
    theirs = torch_params(torch)
    path = run(optim.SGD(ours, **kwargs), ours)
    expected = run(torch.optim.SGD(theirs, foreach=False, **kwargs), theirs)
    assert_same_path(path, expected)
    assert path[-1] != path[0]


ADAM_CASES = {
    "default": dict(lr=0.05),
    "betas_eps": dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6),
    "weight_decay": dict(lr=0.05, weight_decay=0.1),
    "amsgrad": dict(lr=0.05, amsgrad=True),
    "amsgrad_weight_decay": dict(lr=0.03, amsgrad=True, weight_decay=0.05),
    "maximize": dict(lr=0.01, maximize=True),
}


@pytest.mark.torch
@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
@pytest.mark.parametrize("name", list(ADAM_CASES))
def test_adam_and_adamw_trajectories_equal_pytorch(torch, cls, name):
    kwargs = ADAM_CASES[name]
    ours = our_params()
    theirs = torch_params(torch)
    path = run(getattr(optim, cls)(ours, **kwargs), ours)
    expected = run(getattr(torch.optim, cls)(theirs, foreach=False, **kwargs), theirs)
    assert_same_path(path, expected)


@pytest.mark.torch
def test_adamw_default_weight_decay_is_decoupled_and_differs_from_adam(torch):
    ours_w, ours_a = our_params(), our_params()
    theirs = torch_params(torch)
    path_w = run(optim.AdamW(ours_w, lr=0.05, weight_decay=0.5), ours_w)
    path_a = run(optim.Adam(ours_a, lr=0.05, weight_decay=0.5), ours_a)
    expected = run(torch.optim.AdamW(theirs, lr=0.05, weight_decay=0.5, foreach=False), theirs)
    assert_same_path(path_w, expected)
    assert not close(path_w[-1][0], path_a[-1][0], 1e-6)
    assert optim.AdamW(our_params()).defaults["weight_decay"] == 1e-2


@pytest.mark.torch
def test_param_groups_with_their_own_settings_equal_pytorch(torch):
    groups = [
        {"params": [0, 1], "lr": 0.1, "momentum": 0.9},
        {"params": [2, 3], "weight_decay": 0.1},
    ]
    ours = our_params()
    theirs = torch_params(torch)
    opt = optim.SGD(torch_groups(torch, ours, groups), lr=0.02)
    path = run(opt, ours)
    expected = run(
        torch.optim.SGD(torch_groups(torch, theirs, groups), lr=0.02, foreach=False), theirs
    )
    assert_same_path(path, expected)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.02]


@pytest.mark.torch
def test_changing_group_lr_by_hand_takes_effect_like_pytorch(torch):
    ours = our_params()
    theirs = torch_params(torch)
    opt = optim.Adam(ours, lr=0.05)
    topt = torch.optim.Adam(theirs, lr=0.05, foreach=False)
    first = run(opt, ours, steps=10), run(topt, theirs, steps=10)
    opt.param_groups[0]["lr"] = topt.param_groups[0]["lr"] = 0.001
    second = run(opt, ours, steps=10), run(topt, theirs, steps=10)
    assert_same_path(first[0] + second[0], first[1] + second[1])


# ---- the package: one file per part, as torch/optim, every name re-exported by nn.optim ----

FILE_OF = {
    "optimizer": ["Optimizer"],
    "sgd": ["SGD"],
    "adam": ["Adam", "AdamW"],
    "lr_scheduler": [
        "LRScheduler",
        "StepLR",
        "ExponentialLR",
        "CosineAnnealingLR",
        "LinearLR",
        "SequentialLR",
        "LinearWarmup",
    ],
    "clip": ["clip_grad_norm_", "clip_grad_value_"],
}


def test_every_public_name_of_nn_optim_is_the_one_defined_in_its_file():
    for file, names in FILE_OF.items():
        module = importlib.import_module(f"nn.optim.{file}")
        for name in names:
            assert getattr(optim, name) is getattr(module, name), (file, name)
    assert sorted(sum(FILE_OF.values(), [])) == sorted(optim.__all__)


# ---- optimiser behaviour -------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
        lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True),
        lambda ps: optim.AdamW(ps, lr=0.1),
    ],
)
def test_step_sets_data_in_place_and_builds_no_graph(make):
    ps = our_params()
    opt = make(ps)
    problem_loss(ps).backward()
    before = [p.data for p in ps]
    opt.step()
    assert all(p._children == () and p._op == "" for p in ps)
    assert all(a != p.data for a, p in zip(before, ps))
    assert all(isinstance(p.data, float) for p in ps)


def test_step_uses_the_value_of_a_create_graph_gradient():
    w = Value(2.0)
    (w * w).backward(create_graph=True)
    assert isinstance(w.grad, Value)
    optim.SGD([w], lr=0.25).step()
    assert w.data == 1.0 and w._children == ()


def test_zero_grad_sets_every_grad_to_zero():
    ps = our_params()
    problem_loss(ps).backward()
    opt = optim.SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 1.0}], lr=0.1)
    opt.zero_grad()
    assert [p.grad for p in ps] == [0.0] * 4


def test_step_returns_the_closure_loss():
    ps = our_params()
    opt = optim.SGD(ps, lr=0.1)

    def closure():
        opt.zero_grad()
        loss = problem_loss(ps)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, Value) and loss.data > 0


def test_a_generator_of_parameters_is_accepted_once():
    ps = our_params()
    opt = optim.Adam(p for p in ps)
    assert opt.param_groups[0]["params"] == ps


def test_repr_lists_each_group_setting():
    text = repr(optim.SGD(our_params(), lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "lr: 0.1" in text and "momentum: 0.9" in text


# ---- schedules -----------------------------------------------------------------------------


def schedule_lrs(opt, sched, steps=STEPS):
    lrs = [sched.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        assert opt.param_groups[0]["lr"] == lrs[-1]
    return lrs


SCHEDULE_CASES = {
    # name: (ours, PyTorch's), each given (optim module, optimizer)
    "StepLR": (lambda o, opt: o.StepLR(opt, step_size=7, gamma=0.3),) * 2,
    "ExponentialLR": (lambda o, opt: o.ExponentialLR(opt, gamma=0.93),) * 2,
    "CosineAnnealingLR": (lambda o, opt: o.CosineAnnealingLR(opt, T_max=12, eta_min=0.001),) * 2,
    "LinearLR": (lambda o, opt: o.LinearLR(opt, start_factor=0.2, end_factor=0.9, total_iters=9),)
    * 2,
    "SequentialLR": (
        lambda o, opt: o.SequentialLR(
            opt,
            [o.ExponentialLR(opt, gamma=0.9), o.StepLR(opt, 5, 0.5), o.CosineAnnealingLR(opt, 8)],
            milestones=[10, 25],
        ),
    )
    * 2,
    "LinearWarmup+cosine": (
        lambda o, opt: o.LinearWarmup(
            opt, warmup_steps=5, start_factor=0.1, after=o.CosineAnnealingLR(opt, T_max=45)
        ),
        lambda o, opt: o.SequentialLR(
            opt,
            [o.LinearLR(opt, start_factor=0.1, total_iters=5), o.CosineAnnealingLR(opt, T_max=45)],
            milestones=[5],
        ),
    ),
    "LinearWarmup alone": (
        lambda o, opt: o.LinearWarmup(opt, warmup_steps=8, start_factor=0.25),
        lambda o, opt: o.LinearLR(opt, start_factor=0.25, total_iters=8),
    ),
    "LinearWarmup+StepLR": (
        lambda o, opt: o.LinearWarmup(opt, 3, after=o.StepLR(opt, step_size=10, gamma=0.5)),
        lambda o, opt: o.SequentialLR(
            opt, [o.LinearLR(opt, 0.1, total_iters=3), o.StepLR(opt, step_size=10, gamma=0.5)], [3]
        ),
    ),
    "CosineAnnealingLR T_max=1": (lambda o, opt: o.CosineAnnealingLR(opt, T_max=1),) * 2,
    "LinearLR down to 0": (lambda o, opt: o.LinearLR(opt, 1.0, end_factor=0.0, total_iters=10),)
    * 2,
}


SCHEDULE_STEPS = 100  # past T_max (12) of the cosine cases several times


def group_lrs(opt):
    return [group["lr"] for group in opt.param_groups]


def two_group_sgd(module, tensor):
    """An SGD with two groups (lr 0.1, and 0.03 of its own), ours or PyTorch's."""
    groups = [{"params": [tensor(1.0)]}, {"params": [tensor(2.0)], "lr": 0.03}]
    return module.SGD(groups, lr=0.1)


def lr_history(opt, scheds, steps=SCHEDULE_STEPS, by_hand=None):
    """Every group's lr at the start and after each epoch, which steps every schedule in order.

    ``by_hand`` maps an epoch to ``new_lr(group_index, lr)``, applied after that epoch's steps.
    """
    history = [group_lrs(opt)]
    for t in range(1, steps + 1):
        opt.step()
        for sched in scheds:
            sched.step()
        assert list(scheds[-1].get_last_lr()) == group_lrs(opt)
        if by_hand and t in by_hand:
            for i, group in enumerate(opt.param_groups):
                group["lr"] = by_hand[t](i, group["lr"])
        history.append(group_lrs(opt))
    return history


def both_lr_histories(torch, make_ours, make_theirs, steps=SCHEDULE_STEPS, by_hand=None):
    """lr_history for our schedules and PyTorch's, each made by ``make(module, optimizer)``."""
    opt = two_group_sgd(optim, Value)
    ours = lr_history(opt, make_ours(optim, opt), steps, by_hand)
    topt = two_group_sgd(torch.optim, lambda v: torch.tensor(v, requires_grad=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns when params have no grad
        theirs = lr_history(topt, make_theirs(torch.optim.lr_scheduler, topt), steps, by_hand)
    return ours, theirs


def assert_same_lrs(ours, theirs, what):
    assert len(ours) == len(theirs), what
    for t, (a, b) in enumerate(zip(ours, theirs)):
        assert_all_close(a, b, f"{what}, epoch {t}")


def alone(make):
    return lambda o, opt: [make(o, opt)]


@pytest.mark.torch
@pytest.mark.parametrize("name", list(SCHEDULE_CASES))
def test_schedule_alone_matches_pytorch_over_100_steps(torch, name):
    make_ours, make_theirs = SCHEDULE_CASES[name]
    assert_same_lrs(*both_lr_histories(torch, alone(make_ours), alone(make_theirs)), name)


# Two (or more) schedules on one optimizer, all stepped each epoch: PyTorch's chaining.
CHAINED_CASES = {
    "ExponentialLR then StepLR": lambda o, opt: [o.ExponentialLR(opt, 0.9), o.StepLR(opt, 3, 0.5)],
    "StepLR then ExponentialLR": lambda o, opt: [o.StepLR(opt, 3, 0.5), o.ExponentialLR(opt, 0.9)],
    "LinearLR then CosineAnnealingLR": lambda o, opt: [
        o.LinearLR(opt, start_factor=0.25, total_iters=6),
        o.CosineAnnealingLR(opt, T_max=20, eta_min=0.001),
    ],
    "CosineAnnealingLR then LinearLR": lambda o, opt: [
        o.CosineAnnealingLR(opt, T_max=20, eta_min=0.001),
        o.LinearLR(opt, start_factor=0.25, total_iters=6),
    ],
    "SequentialLR then ExponentialLR": lambda o, opt: [
        o.SequentialLR(
            opt, [o.LinearLR(opt, 0.1, total_iters=5), o.CosineAnnealingLR(opt, T_max=30)], [5]
        ),
        o.ExponentialLR(opt, 0.98),
    ],
    "three schedules": lambda o, opt: [
        o.StepLR(opt, 7, 0.5),
        o.ExponentialLR(opt, 0.97),
        o.CosineAnnealingLR(opt, T_max=12, eta_min=0.002),
    ],
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(CHAINED_CASES))
def test_two_schedulers_on_one_optimizer_compose_like_torch(torch, name):
    make = CHAINED_CASES[name]
    assert_same_lrs(*both_lr_histories(torch, make, make), name)


def test_exponential_and_step_schedules_multiply_their_factors():
    opt = optim.SGD([Value(1.0)], lr=1.0)
    scheds = [optim.ExponentialLR(opt, 0.9), optim.StepLR(opt, 3, 0.5)]
    lrs = [lrs[0] for lrs in lr_history(opt, scheds, steps=4)]
    assert_all_close(lrs, [1.0, 0.9, 0.81, 0.729 * 0.5, 0.6561 * 0.5], "0.9 ** t * 0.5 ** (t // 3)")


# lrs set by hand after the steps of epochs 4, 12 (cosine's eta_min, before its step back up)
# and 40; SequentialLR loses a hand-set lr at its next milestone, as PyTorch does.
BY_HAND = {
    4: lambda i, lr: 0.05 * (i + 1),
    12: lambda i, lr: 3 * lr + 0.01,
    40: lambda i, lr: lr / 2,
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(SCHEDULE_CASES) + ["ExponentialLR then StepLR"])
def test_lr_set_by_hand_is_scheduled_from_like_torch(torch, name):
    if name in SCHEDULE_CASES:
        make_ours, make_theirs = map(alone, SCHEDULE_CASES[name])
    else:
        make_ours = make_theirs = CHAINED_CASES[name]
    ours, theirs = both_lr_histories(torch, make_ours, make_theirs, by_hand=BY_HAND)
    assert_same_lrs(ours, theirs, name)


def test_lr_set_by_hand_is_kept_by_a_step_that_does_not_change_it():
    opt = optim.SGD([Value(1.0)], lr=1.0)
    sched = optim.StepLR(opt, step_size=3, gamma=0.5)
    opt.param_groups[0]["lr"] = 0.2
    lrs = [lrs[0] for lrs in lr_history(opt, [sched], steps=4)]
    assert lrs == [0.2, 0.2, 0.2, 0.1, 0.1]


# Schedules whose rule needs no base_lr over the epochs run (cosine's T_max is beyond them).
ADDED_GROUP_CASES = {
    "StepLR": lambda o, opt: [o.StepLR(opt, 3, 0.5)],
    "ExponentialLR": lambda o, opt: [o.ExponentialLR(opt, 0.9)],
    "LinearLR": lambda o, opt: [o.LinearLR(opt, start_factor=0.25, total_iters=6)],
    "CosineAnnealingLR": lambda o, opt: [o.CosineAnnealingLR(opt, T_max=40, eta_min=0.001)],
    "ExponentialLR then StepLR": CHAINED_CASES["ExponentialLR then StepLR"],
}


def add_group_after(opt, scheds, tensor, epochs=2):
    """Run ``epochs`` epochs, then add a group (lr 0.07) that the schedules never saw."""
    lr_history(opt, scheds, steps=epochs)
    opt.add_param_group({"params": [tensor(3.0)], "lr": 0.07})
    return scheds


@pytest.mark.torch
@pytest.mark.parametrize("name", list(ADDED_GROUP_CASES))
def test_param_group_added_after_the_schedule_is_scheduled_from_its_lr_like_torch(torch, name):
    make = ADDED_GROUP_CASES[name]
    new = lambda v: torch.tensor(v, requires_grad=True)  # noqa: E731
    ours, theirs = both_lr_histories(
        torch,
        lambda o, opt: add_group_after(opt, make(o, opt), Value),
        lambda o, opt: add_group_after(opt, make(o, opt), new),
        steps=30,
    )
    assert len(ours[-1]) == 3
    assert_same_lrs(ours, theirs, name)


# Steps that need the closed form (so a base_lr), which PyTorch fails on with a zip error.
CLOSED_FORM_CASES = {
    "CosineAnnealingLR past T_max": (lambda o, opt: o.CosineAnnealingLR(opt, T_max=3), 4),
    "SequentialLR at its milestone": (
        lambda o, opt: o.SequentialLR(opt, [o.ExponentialLR(opt, 0.5), o.StepLR(opt, 2)], [3]),
        3,
    ),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(CLOSED_FORM_CASES))
def test_param_group_added_after_the_schedule_raises_a_clear_error_where_torch_fails(torch, name):
    make, failing_epoch = CLOSED_FORM_CASES[name]
    topt = two_group_sgd(torch.optim, lambda v: torch.tensor(v, requires_grad=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = lambda v: torch.tensor(v, requires_grad=True)  # noqa: E731
        tsched = add_group_after(topt, [make(torch.optim.lr_scheduler, topt)], new, epochs=1)[0]
        lr_history(topt, [tsched], steps=failing_epoch - 2)
        with pytest.raises(ValueError):
            tsched.step()
    opt = two_group_sgd(optim, Value)
    sched = add_group_after(opt, [make(optim, opt)], Value, epochs=1)[0]
    lr_history(opt, [sched], steps=failing_epoch - 2)
    before = (sched.state_dict(), group_lrs(opt))
    with pytest.raises(ValueError, match="parameter group 2 was added \\(add_param_group\\)"):
        sched.step()
    assert (sched.state_dict(), group_lrs(opt)) == before


@pytest.mark.torch
def test_resumed_schedule_goes_on_from_the_saved_lr_like_torch(torch):
    def make(o, opt):
        phases = [o.LinearLR(opt, 0.1, total_iters=5), o.CosineAnnealingLR(opt, 30, 0.001)]
        return [o.SequentialLR(opt, phases, [5])]

    by_hand = {20: lambda i, lr: lr / 2}  # just before saving: the saved optimizer holds it
    opt = two_group_sgd(optim, Value)
    scheds = make(optim, opt)
    first = lr_history(opt, scheds, steps=20, by_hand=by_hand)
    saved = json.loads(json.dumps({"opt": opt.state_dict(), "sched": scheds[0].state_dict()}))
    opt = two_group_sgd(optim, Value)
    scheds = make(optim, opt)  # made before loading the optimizer, as PyTorch advises
    opt.load_state_dict(saved["opt"])
    scheds[0].load_state_dict(saved["sched"])
    rest = lr_history(opt, scheds, steps=SCHEDULE_STEPS - 20)
    _, theirs = both_lr_histories(torch, make, make, by_hand=by_hand)
    assert_same_lrs(first + rest[1:], theirs, "resumed at epoch 20")


@pytest.mark.torch
def test_sgd_with_warmup_and_cosine_trajectory_equals_pytorch(torch):
    ours = our_params()
    theirs = torch_params(torch)
    opt = optim.SGD(ours, lr=0.2, momentum=0.9)
    sched = optim.LinearWarmup(opt, 5, after=optim.CosineAnnealingLR(opt, T_max=45))
    topt = torch.optim.SGD(theirs, lr=0.2, momentum=0.9, foreach=False)
    ts = torch.optim.lr_scheduler
    tsched = ts.SequentialLR(
        topt, [ts.LinearLR(topt, 0.1, total_iters=5), ts.CosineAnnealingLR(topt, 45)], [5]
    )
    assert_same_path(run(opt, ours, sched=sched), run(topt, theirs, sched=tsched))


def test_schedules_set_every_group_from_its_own_base_lr():
    opt = optim.SGD([{"params": [Value(1.0)], "lr": 1.0}, {"params": [Value(2.0)]}], lr=0.1)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)
    sched.step()
    assert sched.get_last_lr() == [0.5, 0.05]
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.1]


def test_schedule_order_of_creation_does_not_matter_for_warmup():
    opt = optim.SGD([Value(1.0)], lr=1.0)
    after = optim.ExponentialLR(opt, gamma=0.5)  # made first: sets lr to 1.0
    sched = optim.LinearWarmup(opt, warmup_steps=2, start_factor=0.5, after=after)
    assert opt.param_groups[0]["lr"] == 0.5
    assert schedule_lrs(opt, sched, 4) == [0.5, 0.75, 1.0, 0.5, 0.25]


def test_warmup_composes_with_a_nested_sequential_schedule():
    opt = optim.SGD([Value(1.0)], lr=1.0)
    inner = optim.SequentialLR(
        opt, [optim.ExponentialLR(opt, 0.5), optim.StepLR(opt, 1, 1.0)], milestones=[2]
    )
    sched = optim.LinearWarmup(opt, 1, start_factor=0.5, after=inner)
    assert schedule_lrs(opt, sched, 4) == [0.5, 1.0, 0.5, 1.0, 1.0]


# ---- gradient clipping ---------------------------------------------------------------------

GRADS = [3.0, -4.0, 0.5, -0.25, 12.0, 0.0, -7.5]


def params_with_grads(torch):
    """Our parameters and PyTorch's, both holding the gradients GRADS, ready to clip."""
    ps = [Value(0.0) for _ in GRADS]
    for p, g in zip(ps, GRADS):
        p.grad = g
    ts = [torch.tensor(0.0, requires_grad=True) for _ in GRADS]
    for t, g in zip(ts, GRADS):
        t.grad = torch.tensor(g)
    return ps, ts


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [1.0, 5.0, 100.0])
def test_clip_grad_norm_equals_pytorch(torch, norm_type, max_norm):
    ps, ts = params_with_grads(torch)
    total = optim.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert close(total, expected.item())
    assert_all_close([p.grad for p in ps], [t.grad.item() for t in ts], "clipped grads")


@pytest.mark.torch
@pytest.mark.parametrize("clip_value", [0.0, 1.0, 5.0, 100.0])
def test_clip_grad_value_equals_pytorch(torch, clip_value):
    ps, ts = params_with_grads(torch)
    assert optim.clip_grad_value_(ps, clip_value) is None
    torch.nn.utils.clip_grad_value_(ts, clip_value)
    assert [p.grad for p in ps] == [t.grad.item() for t in ts]


@pytest.mark.torch
def test_adam_with_clipping_trajectory_equals_pytorch(torch):
    ours = our_params()
    theirs = torch_params(torch)
    path = run(optim.Adam(ours, lr=0.1), ours, clip=lambda ps: optim.clip_grad_norm_(ps, 0.1))
    expected = run(
        torch.optim.Adam(theirs, lr=0.1, foreach=False),
        theirs,
        clip=lambda ps: torch.nn.utils.clip_grad_norm_(ps, 0.1),
    )
    assert_same_path(path, expected)


def test_clip_grad_norm_treats_all_grads_as_one_vector_and_keeps_direction():
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 6.0, 8.0
    assert optim.clip_grad_norm_([a, b], 5.0) == 10.0
    assert close(a.grad / b.grad, 0.75) and close(math.hypot(a.grad, b.grad), 5.0, 1e-6)


def test_clip_grad_norm_with_infinite_max_norm_only_measures():
    a = Value(0.0)
    a.grad = -3.0
    assert optim.clip_grad_norm_(a, math.inf) == 3.0 and a.grad == -3.0


def test_clip_grad_norm_error_if_nonfinite():
    a = Value(0.0)
    a.grad = math.inf
    with pytest.raises(RuntimeError, match="inf"):
        optim.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)


# ---- state dicts ---------------------------------------------------------------------------

ROUND_TRIP_CASES = {
    "SGD+StepLR": (
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda opt: optim.StepLR(opt, step_size=7, gamma=0.5),
    ),
    "Adam amsgrad+cosine": (
        lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.01),
        lambda opt: optim.CosineAnnealingLR(opt, T_max=20),
    ),
    "AdamW+warmup": (
        lambda ps: optim.AdamW(ps, lr=0.05, betas=(0.8, 0.95)),
        lambda opt: optim.LinearWarmup(opt, 5, after=optim.ExponentialLR(opt, 0.95)),
    ),
}


@pytest.mark.parametrize("name", list(ROUND_TRIP_CASES))
def test_state_dict_round_trip_through_json_continues_identically(name):
    make_opt, make_sched = ROUND_TRIP_CASES[name]
    ps = our_params()
    opt = make_opt(ps)
    sched = make_sched(opt)
    straight = run(opt, ps, steps=STEPS, sched=sched)

    ps = our_params()
    opt = make_opt(ps)
    sched = make_sched(opt)
    first = run(opt, ps, steps=20, sched=sched)
    saved = json.loads(json.dumps({"opt": opt.state_dict(), "sched": sched.state_dict()}))

    resumed = [Value(p.data) for p in ps]  # a fresh model holding the saved values
    opt2 = make_opt(resumed)
    sched2 = make_sched(opt2)
    opt2.load_state_dict(saved["opt"])
    sched2.load_state_dict(saved["sched"])
    rest = run(opt2, resumed, steps=STEPS - 20, sched=sched2)
    assert first + rest == straight  # bit for bit


def test_optimizer_state_dict_is_plain_data_with_parameter_indices():
    ps = our_params()
    opt = optim.Adam([{"params": ps[:3]}, {"params": ps[3:], "lr": 0.1}])
    problem_loss(ps).backward()
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1, 2], [3]]
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    assert sd["state"][3]["step"] == 1
    assert json.loads(json.dumps(sd))["param_groups"][1]["lr"] == 0.1


def adam_with_state():
    ps = our_params()
    opt = optim.Adam(ps, lr=0.05)
    problem_loss(ps).backward()
    opt.step()
    return opt


BAD_STATE_DICTS = [
    # (change to a good state dict, words in the message)
    (lambda sd: sd.pop("state"), ["missing", "state"]),
    (lambda sd: sd.update(extra=1), ["unexpected", "extra"]),
    (
        lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])),
        ["1 parameter groups", "2"],
    ),
    (lambda sd: sd["param_groups"][0]["params"].pop(), ["4 parameters", "3"]),
    (lambda sd: sd["param_groups"][0].update(lr=-0.5), ["lr", "-0.5"]),
    (lambda sd: sd["param_groups"][0].update(betas=[0.9, 1.0]), ["betas[1]", "1.0"]),
    (lambda sd: sd["param_groups"][0].pop("eps"), ["missing", "eps"]),
    (lambda sd: sd["state"][0].update(velocity=1.0), ["unexpected", "velocity"]),
    (lambda sd: sd["state"][0].pop("exp_avg"), ["missing", "exp_avg"]),
    (lambda sd: sd["state"][0].update(step=-1), ["step", "-1"]),
    (lambda sd: sd["state"][0].update(exp_avg="x"), ["exp_avg"]),
    (lambda sd: sd["state"].update({9: {}}), ["9", "no group"]),
]


@pytest.mark.parametrize(
    "change, words", BAD_STATE_DICTS, ids=[str(i) for i in range(len(BAD_STATE_DICTS))]
)
def test_load_state_dict_refuses_a_mismatch_and_changes_nothing(change, words):
    opt = adam_with_state()
    before = json.dumps(opt.state_dict())
    bad = json.loads(before)
    bad["state"] = {int(k): v for k, v in bad["state"].items()}
    change(bad)
    with pytest.raises((ValueError, TypeError)) as info:
        opt.load_state_dict(bad)
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"
    assert json.dumps(opt.state_dict()) == before


def test_scheduler_load_state_dict_refuses_another_schedule_and_changes_nothing():
    opt = optim.SGD([Value(1.0)], lr=0.1)
    step = optim.StepLR(opt, 3)
    cosine = optim.CosineAnnealingLR(opt, T_max=10)
    before = cosine.state_dict()
    with pytest.raises(ValueError, match="missing keys.*unexpected keys"):
        cosine.load_state_dict(step.state_dict())
    bad = dict(before, last_epoch="3")
    with pytest.raises(ValueError, match="last_epoch"):
        cosine.load_state_dict(bad)
    warm = optim.LinearWarmup(opt, 2, after=optim.ExponentialLR(opt, 0.5))
    bad = warm.state_dict()
    bad["_schedulers"][1]["gamma"] = "half"
    good = warm.state_dict()
    with pytest.raises(ValueError, match="_schedulers\\[1\\].*gamma"):
        warm.load_state_dict(bad)
    assert cosine.state_dict() == before and warm.state_dict() == good


# ---- bad arguments -------------------------------------------------------------------------


def _opt():
    return optim.SGD([Value(1.0)], lr=0.1)


BAD_ARGUMENTS = [
    # (call, exception, words in the message)
    (lambda: optim.SGD([Value(1.0)], lr=-0.1), ValueError, ["SGD", "lr", "-0.1"]),
    (lambda: optim.SGD([Value(1.0)], lr=math.nan), ValueError, ["lr", "nan"]),
    (lambda: optim.SGD([Value(1.0)], lr="0.1"), TypeError, ["lr", "str"]),
    (lambda: optim.SGD([Value(1.0)], lr=0.1, momentum=-0.5), ValueError, ["momentum", "-0.5"]),
    (lambda: optim.SGD([Value(1.0)], lr=0.1, dampening=-1), ValueError, ["dampening", "-1"]),
    (
        lambda: optim.SGD([Value(1.0)], lr=0.1, weight_decay=-1e-3),
        ValueError,
        ["weight_decay", "-0.001"],
    ),
    (
        lambda: optim.SGD([Value(1.0)], lr=0.1, nesterov=True),
        ValueError,
        ["nesterov", "momentum=0"],
    ),
    (
        lambda: optim.SGD([Value(1.0)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
        ValueError,
        ["nesterov", "dampening=0.1"],
    ),
    (lambda: optim.SGD([Value(1.0)], lr=0.1, nesterov="yes"), TypeError, ["nesterov", "'yes'"]),
    (lambda: optim.Adam([Value(1.0)], lr=-1.0), ValueError, ["Adam", "lr", "-1.0"]),
    (lambda: optim.Adam([Value(1.0)], betas=(1.0, 0.999)), ValueError, ["betas[0]", "1.0"]),
    (lambda: optim.Adam([Value(1.0)], betas=(0.9, -0.1)), ValueError, ["betas[1]", "-0.1"]),
    (lambda: optim.Adam([Value(1.0)], betas=(0.9,)), ValueError, ["betas", "pair"]),
    (lambda: optim.Adam([Value(1.0)], eps=-1e-8), ValueError, ["eps", "-1e-08"]),
    (lambda: optim.Adam([Value(1.0)], weight_decay=-0.1), ValueError, ["weight_decay", "-0.1"]),
    (lambda: optim.Adam([Value(1.0)], amsgrad=1), TypeError, ["amsgrad"]),
    (lambda: optim.AdamW([Value(1.0)], betas=(0.9, 1.5)), ValueError, ["AdamW", "betas[1]", "1.5"]),
    (lambda: optim.AdamW([Value(1.0)], weight_decay=-1e-2), ValueError, ["AdamW", "weight_decay"]),
    (lambda: optim.SGD([], lr=0.1), ValueError, ["empty parameter list"]),
    (lambda: optim.SGD(Value(1.0), lr=0.1), TypeError, ["iterable", "Value"]),
    (lambda: optim.SGD([1.0], lr=0.1), TypeError, ["params[0]", "float"]),
    (lambda: optim.SGD([{"lr": 0.1}], lr=0.1), ValueError, ["'params'"]),
    (lambda: optim.SGD([{"params": []}], lr=0.1), ValueError, ["empty 'params'"]),
    (lambda: optim.SGD([{"params": [Value(1.0)], "lr": -2.0}], lr=0.1), ValueError, ["lr", "-2.0"]),
    (
        lambda: optim.SGD([{"params": [Value(1.0)]}, [Value(2.0)]], lr=0.1),
        TypeError,
        ["dict", "list"],
    ),
    (lambda: (lambda v: optim.SGD([v, v], lr=0.1))(Value(1.0)), ValueError, ["more than once"]),
    (
        lambda: (lambda v: optim.SGD([{"params": [v]}, {"params": [v]}], lr=0.1))(Value(1.0)),
        ValueError,
        ["more than once"],
    ),
    (lambda: optim.StepLR(_opt(), step_size=0), ValueError, ["StepLR", "step_size", "0"]),
    (lambda: optim.StepLR(_opt(), step_size=2.5), TypeError, ["step_size", "2.5"]),
    (lambda: optim.StepLR(_opt(), step_size=2, gamma=-0.5), ValueError, ["gamma", "-0.5"]),
    (lambda: optim.ExponentialLR(_opt(), gamma=math.inf), ValueError, ["gamma", "inf"]),
    (lambda: optim.CosineAnnealingLR(_opt(), T_max=0), ValueError, ["T_max", "0"]),
    (
        lambda: optim.CosineAnnealingLR(_opt(), T_max=5, eta_min=-1.0),
        ValueError,
        ["eta_min", "-1.0"],
    ),
    (lambda: optim.LinearLR(_opt(), start_factor=0.0), ValueError, ["start_factor", "0.0"]),
    (lambda: optim.LinearLR(_opt(), start_factor=1.5), ValueError, ["start_factor", "1.5"]),
    (lambda: optim.LinearLR(_opt(), end_factor=2.0), ValueError, ["end_factor", "2.0"]),
    (lambda: optim.LinearLR(_opt(), total_iters=0), ValueError, ["total_iters", "0"]),
    (lambda: optim.StepLR("opt", 3), TypeError, ["Optimizer", "str"]),
    (lambda: optim.LinearWarmup(_opt(), warmup_steps=0), ValueError, ["warmup_steps", "0"]),
    (lambda: optim.LinearWarmup(_opt(), 5, start_factor=0.0), ValueError, ["LinearWarmup", "0.0"]),
    (lambda: optim.LinearWarmup(_opt(), 5, after="cosine"), TypeError, ["after", "str"]),
    (
        lambda: optim.LinearWarmup(_opt(), 5, after=optim.StepLR(_opt(), 3)),
        ValueError,
        ["another optimizer"],
    ),
    (
        lambda: (lambda o: optim.SequentialLR(o, [optim.StepLR(o, 2), optim.StepLR(o, 3)], []))(
            _opt()
        ),
        ValueError,
        ["2 schedulers need 1 milestones"],
    ),
    (
        lambda: (lambda o: optim.SequentialLR(o, [optim.StepLR(o, 2)] * 3, [5, 5]))(_opt()),
        ValueError,
        ["increase", "[5, 5]"],
    ),
    (lambda: optim.SequentialLR(_opt(), [], []), ValueError, ["at least one"]),
    (lambda: optim.clip_grad_norm_([Value(1.0)], -1.0), ValueError, ["max_norm", "-1.0"]),
    (lambda: optim.clip_grad_norm_([Value(1.0)], 1.0, norm_type=0), ValueError, ["norm_type", "0"]),
    (lambda: optim.clip_grad_norm_([1.0], 1.0), TypeError, ["params[0]", "float"]),
    (lambda: optim.clip_grad_value_([Value(1.0)], -0.5), ValueError, ["clip_value", "-0.5"]),
]


@pytest.mark.parametrize(
    "call, exc, words", BAD_ARGUMENTS, ids=[str(i) for i in range(len(BAD_ARGUMENTS))]
)
def test_bad_arguments_raise_clear_errors(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"
