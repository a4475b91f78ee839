"""Tests for nn.init: ranges and spreads of each initialiser, gains, by-name lookup, seeding."""

import math
import random
import statistics

import pytest

from autograd import Value
from nn import Neuron, init


def fresh(n):
    return [Value(0.0) for _ in range(n)]


def test_uniform_is_micrograds_draw_sequence():
    w = init.uniform_(fresh(5), rng=random.Random(7))
    gen = random.Random(7)
    assert [v.data for v in w] == [gen.uniform(-1, 1) for _ in range(5)]


def test_none_rng_uses_global_random_like_micrograd():
    random.seed(123)
    a = [v.data for v in init.uniform_(fresh(4))]
    random.seed(123)
    assert a == [random.uniform(-1, 1) for _ in range(4)]


def test_int_seed_and_random_instance_give_the_same_values():
    a = [v.data for v in init.xavier_normal_(fresh(6), 3, 2, rng=5)]
    b = [v.data for v in init.xavier_normal_(fresh(6), 3, 2, rng=random.Random(5))]
    assert a == b


@pytest.mark.parametrize("bad", ["seed", 1.5, True, [1]])
def test_make_rng_rejects_other_types(bad):
    with pytest.raises(TypeError, match="rng/seed must be"):
        init.make_rng(bad)


@pytest.mark.parametrize(
    "name, param",
    [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_pytorch(torch, name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15
    )


def test_calculate_gain_unknown_name_is_an_error():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_xavier_uniform_bound_and_spread():
    fan_in, fan_out = 30, 20
    w = [v.data for v in init.xavier_uniform_(fresh(20000), fan_in, fan_out, rng=0)]
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert max(abs(x) for x in w) <= bound
    assert max(abs(x) for x in w) > 0.99 * bound
    assert statistics.pstdev(w) == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.03)


def test_xavier_normal_spread_with_gain():
    w = [v.data for v in init.xavier_normal_(fresh(20000), 10, 6, gain=2.0, rng=1)]
    assert statistics.fmean(w) == pytest.approx(0.0, abs=0.02)
    assert statistics.pstdev(w) == pytest.approx(2.0 * math.sqrt(2 / 16), rel=0.03)


def test_kaiming_uniform_relu_bound_is_sqrt_6_over_fan_in():
    w = [v.data for v in init.kaiming_uniform_(fresh(20000), 12, nonlinearity="relu", rng=2)]
    bound = math.sqrt(6 / 12)
    assert bound * 0.99 < max(abs(x) for x in w) <= bound


def test_kaiming_uniform_default_is_pytorchs_leaky_relu_with_a_zero():
    # torch's default: nonlinearity='leaky_relu', a=0 -> gain sqrt(2), same as relu
    a = [v.data for v in init.kaiming_uniform_(fresh(50), 8, rng=3)]
    b = [v.data for v in init.kaiming_uniform_(fresh(50), 8, nonlinearity="relu", rng=3)]
    assert a == b


def test_kaiming_normal_fan_out_mode():
    w = [
        v.data
        for v in init.kaiming_normal_(
            fresh(20000), 5, fan_out=50, mode="fan_out", nonlinearity="relu", rng=4
        )
    ]
    assert statistics.pstdev(w) == pytest.approx(math.sqrt(2 / 50), rel=0.03)


def test_kaiming_spread_matches_pytorch_statistically(torch):
    t = torch.empty(200, 100)
    torch.manual_seed(0)
    torch.nn.init.kaiming_normal_(t, nonlinearity="relu")  # fan_in = 100
    ours = [v.data for v in init.kaiming_normal_(fresh(20000), 100, nonlinearity="relu", rng=0)]
    assert statistics.pstdev(ours) == pytest.approx(float(t.std()), rel=0.03)


def test_kaiming_bad_mode_and_missing_fan_out():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(fresh(2), 2, mode="fan")
    with pytest.raises(ValueError, match="fan_out must be an int >= 1, got None"):
        init.kaiming_uniform_(fresh(2), 2, mode="fan_out")


@pytest.mark.parametrize("fan", [0, -3, 2.5, True])
def test_bad_fan_is_an_error(fan):
    with pytest.raises(ValueError, match="fan_in must be an int >= 1"):
        init.xavier_uniform_(fresh(2), fan, 3)


def test_uniform_bad_bounds_and_normal_negative_std():
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(fresh(2), 1.0, -1.0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal_(fresh(2), std=-1.0)


def test_zeros_and_constant():
    w = [Value(3.0), Value(-2.0)]
    assert [v.data for v in init.zeros_(w)] == [0.0, 0.0]
    assert [v.data for v in init.constant_(w, 0.25)] == [0.25, 0.25]


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_every_initializer_name_builds_a_neuron(name):
    n = Neuron(8, activation="tanh", init=name, seed=0)
    values = [w.data for w in n.w]
    assert all(math.isfinite(v) for v in values)
    assert (max(map(abs, values)) == 0.0) == (name == "zeros")
    assert n.b.data == 0.0


def test_neuron_init_by_name_follows_its_activation():
    # kaiming for a relu neuron: bound sqrt(2) * sqrt(3 / 4); for tanh: (5/3) sqrt(3 / 4)
    relu = Neuron(4, activation="relu", init="kaiming_uniform", seed=0)
    gen = random.Random(0)
    bound = math.sqrt(2) * math.sqrt(3 / 4)
    assert [w.data for w in relu.w] == [gen.uniform(-bound, bound) for _ in range(4)]
    tanh = Neuron(4, activation="tanh", init="kaiming_uniform", seed=0)
    assert tanh.w[0].data == pytest.approx(relu.w[0].data * (5 / 3) / math.sqrt(2), rel=1e-12)


def test_xavier_in_a_layer_uses_layer_width_as_fan_out():
    from nn import Layer

    layer = Layer(10, 40, activation="linear", init="xavier_uniform", seed=0)
    bound = math.sqrt(6 / 50)
    assert max(abs(w.data) for w in layer.weights()) <= bound


def test_name_with_trailing_underscore_is_accepted():
    assert init.get_initializer("xavier_uniform_") is init.get_initializer("xavier_uniform")


def test_unknown_initializer_name_is_an_error():
    with pytest.raises(ValueError, match="unknown init 'glorot'"):
        Neuron(2, init="glorot")
    with pytest.raises(TypeError, match="init must be a name or a callable"):
        Neuron(2, init=3)


def test_callable_initializer_gets_weights_and_rng():
    seen = {}

    def mine(weights, rng):
        seen["n"], seen["rng"] = len(weights), rng
        init.constant_(weights, 0.5)

    gen = random.Random(1)
    n = Neuron(3, init=mine, rng=gen)
    assert seen == {"n": 3, "rng": gen}
    assert [w.data for w in n.w] == [0.5] * 3


def test_make_rng_takes_any_integer_type_as_a_seed():
    np = pytest.importorskip("numpy")
    assert init.make_rng(np.int64(7)).random() == init.make_rng(7).random()
