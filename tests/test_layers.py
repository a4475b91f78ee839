"""Tests for nn.layers: Neuron, Layer, MLP (fused and micrograd graphs), activations, Dropout."""

import math
import random

import pytest

from autograd import Value, topological_order
from nn import MLP, Dropout, Layer, Neuron

X2 = [0.7, -1.3]


def data_of(out):
    return [v.data for v in out] if isinstance(out, list) else out.data


# ---- micrograd's model --------------------------------------------------------------------------


def test_mlp_2_16_16_1_is_micrograds_shape():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert all(-1 <= w.data <= 1 for layer in model.layers for w in layer.weights())
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)
    assert isinstance(model(X2), Value)
    out = MLP(2, [4, 3], seed=0)(X2)
    assert isinstance(out, list) and len(out) == 3


def test_same_seed_same_weights_and_global_random_like_micrograd():
    assert MLP(2, [8, 1], seed=3).state_dict() == MLP(2, [8, 1], seed=3).state_dict()
    assert MLP(2, [8, 1], seed=3).state_dict() != MLP(2, [8, 1], seed=4).state_dict()
    random.seed(3)
    assert MLP(2, [8, 1]).state_dict() == MLP(2, [8, 1], seed=3).state_dict()
    assert MLP(2, [8, 1], rng=random.Random(3)).state_dict() == MLP(2, [8, 1], seed=3).state_dict()


def test_matches_micrograd_weights_outputs_and_gradients():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    ours = MLP(2, [16, 16, 1], seed=1337)
    assert [p.data for p in theirs.parameters()] == [p.data for p in ours.parameters()]
    out_theirs, out_ours = theirs(X2), ours(X2)
    assert out_ours.data == out_theirs.data  # bit for bit: same additions in the same order
    out_theirs.backward()
    out_ours.backward()
    for a, b in zip(theirs.parameters(), ours.parameters()):
        assert b.grad == pytest.approx(a.grad, abs=1e-15)


def _micrograd_formula(model, x):
    """micrograd's forward written out: sum((wi*xi ...), b), relu on hidden layers."""
    for i, layer in enumerate(model.layers):
        x = [
            (lambda a: a.relu() if i < len(model.layers) - 1 else a)(
                sum((wi * xi for wi, xi in zip(n.w, x)), n.b)
            )
            for n in layer.neurons
        ]
    return x


def test_fused_and_unfused_graphs_compute_the_same_numbers():
    fused = MLP(2, [16, 16, 1], seed=0)
    plain = MLP(2, [16, 16, 1], seed=0, fused=False)
    for x in ([0.5, -0.25], [2.0, 1.0], [-1.5, 0.3]):
        a, b = fused(x), plain(x)
        assert a.data == b.data == _micrograd_formula(fused, x)[0].data
        fused.zero_grad(), plain.zero_grad()
        a.backward(), b.backward()
        for p, q in zip(fused.parameters(), plain.parameters()):
            assert p.grad == pytest.approx(q.grad, abs=1e-14)


def test_fused_graph_has_one_linear_node_per_neuron():
    fused = MLP(2, [4, 1], seed=0)(X2)
    plain = MLP(2, [4, 1], seed=0, fused=False)(X2)
    ops_fused = [v._op for v in topological_order(fused)]
    ops_plain = [v._op for v in topological_order(plain)]
    assert ops_fused.count("linear") == 5 and "*" not in ops_fused
    assert ops_plain.count("*") == 2 * 4 + 4 and "linear" not in ops_plain
    assert len(ops_fused) < len(ops_plain)


def test_fused_flag_can_be_switched_for_a_lesson():
    model = MLP(2, [3, 1], seed=0)
    model.fused = False
    assert model.fused is False and not any(
        n.fused for n in model.modules() if isinstance(n, Neuron)
    )
    assert "linear" not in [v._op for v in topological_order(model(X2))]
    model.fused = True
    assert model.layers[0].fused is True


def test_forward_and_gradients_match_pytorch(torch):
    model = MLP(3, [5, 4, 2], activation="tanh", seed=0)
    x = [0.2, -0.4, 0.9]
    out = model(x)
    (out[0] * 2.0 + out[1]).backward()
    h = torch.tensor(x)
    tw, tb = [], []
    for i, layer in enumerate(model.layers):
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], requires_grad=True)
        tw.append(W), tb.append(b)
        h = W @ h + b
        if i < len(model.layers) - 1:
            h = torch.tanh(h)
    (h[0] * 2.0 + h[1]).backward()
    assert [v.data for v in out] == pytest.approx(h.tolist(), abs=1e-12)
    for layer, W, b in zip(model.layers, tw, tb):
        for n, grad_row, grad_b in zip(layer.neurons, W.grad.tolist(), b.grad.tolist()):
            assert [w.grad for w in n.w] == pytest.approx(grad_row, abs=1e-12)
            assert n.b.grad == pytest.approx(grad_b, abs=1e-12)


def test_inputs_may_be_values_and_receive_gradients():
    x = [Value(0.5), Value(-0.5)]
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    model(x).backward()
    assert all(v.grad != 0.0 for v in x)
    plain = MLP(2, [3, 1], activation="tanh", seed=0, fused=False)
    y = [Value(0.5), Value(-0.5)]
    plain(y).backward()
    assert [v.grad for v in y] == pytest.approx([v.grad for v in x], abs=1e-15)


def test_a_hidden_layer_of_one_unit_works():
    # micrograd's Layer returns a bare Value here and the next layer fails; ours passes a list
    assert isinstance(MLP(2, [1, 1], seed=0)(X2), Value)


def test_single_number_input_when_nin_is_one():
    model = MLP(1, [4, 1], seed=0)
    assert model(0.5).data == model([0.5]).data == model((0.5,)).data


# ---- names and labels ---------------------------------------------------------------------------


def test_neurons_know_their_qualified_names_and_label_their_output():
    model = MLP(2, [16, 16, 1], seed=0)
    assert model.layers[0].neurons[3].name == "layers.0.neurons.3"
    assert model.layers[1].name == "layers.1"
    assert model(X2).label == "layers.2.neurons.0"
    hidden = model.layers[0](X2)
    assert [v.label for v in hidden][:2] == ["layers.0.neurons.0", "layers.0.neurons.1"]
    assert Neuron(2)(X2).label == "neuron"
    assert Layer(2, 2).neurons[1].name == "neurons.1"


def test_linear_output_neuron_labels_its_weighted_sum():
    out = Neuron(2, activation="linear", seed=0)(X2)
    assert out._op == "linear" and out.label == "neuron"


def test_parameter_labels_match_named_parameters():
    for model in (MLP(2, [3, 1], seed=0), Layer(2, 2, seed=0), Neuron(3, seed=0)):
        assert [p.label for p in model.parameters()] == [n for n, _ in model.named_parameters()]


# ---- activations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, f",
    [
        ("relu", lambda s: max(s, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda s: 1 / (1 + math.exp(-s))),
        ("leaky_relu", lambda s: s if s > 0 else 0.01 * s),
        ("softplus", lambda s: math.log1p(math.exp(s))),
        ("linear", lambda s: s),
    ],
)
def test_activation_by_name(name, f):
    for x in ([1.0, 2.0], [-1.0, -2.0]):
        n = Neuron(2, activation=name, seed=0)
        n.b.data = 0.1
        s = n.b.data + n.w[0].data * x[0] + n.w[1].data * x[1]
        assert n(x).data == pytest.approx(f(s), rel=1e-12, abs=1e-15)


def test_activation_as_callable():
    n = Neuron(2, activation=lambda v: v * v, seed=0)
    s = n.w[0].data * X2[0] + n.w[1].data * X2[1]
    assert n(X2).data == pytest.approx(s * s)
    assert MLP(2, [3, 1], activation=Value.sin, seed=0).activation == "sin"


def test_output_activation():
    model = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
    assert 0 < model(X2).data < 1 and model.layers[-1].activation == "sigmoid"


def test_unknown_activation_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation 'gelu'; choose one of relu, tanh"):
        MLP(2, [3, 1], activation="gelu")
    with pytest.raises(ValueError, match="unknown activation 'Relu'"):
        Neuron(2, activation="Relu")
    with pytest.raises(TypeError, match="activation must be a name or a callable, got int"):
        Layer(2, 2, activation=3)


def test_activation_returning_a_float_is_a_clear_error():
    with pytest.raises(TypeError, match="activation 'to_float' must return a Value, got float"):

        def to_float(v):
            return v.data

        Neuron(2, activation=to_float)(X2)


# ---- input checking -----------------------------------------------------------------------------


def test_wrong_input_length_names_the_layer_expected_and_actual():
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"layer 'layers.0' \(nin=2\): expected 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"layer 'layer' \(nin=4\): expected 4 inputs, got 1"):
        Layer(4, 2)([1.0])
    with pytest.raises(ValueError, match="neuron 'neuron': expected 3 inputs, got 2"):
        Neuron(3)([1.0, 2.0])
    with pytest.raises(ValueError, match="neuron 'layers.1.neurons.0': expected 3 inputs, got 2"):
        model.layers[1].neurons[0]([1.0, 2.0])


def test_non_numeric_inputs_are_type_errors():
    with pytest.raises(TypeError, match="got str"):
        MLP(2, [1])(["a", "b"])
    with pytest.raises(TypeError, match="inputs must be a list of floats or Values, got NoneType"):
        Neuron(1)(None)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: MLP(0, [1]), "MLP: nin must be an int >= 1, got 0"),
        (lambda: MLP(2, []), "nouts must be a non-empty list"),
        (lambda: MLP(2, 3), "nouts must be a non-empty list"),
        (lambda: MLP(2, [3, 0]), "each layer size in nouts must be an int >= 1, got 0"),
        (
            lambda: MLP(2, [3, 1], dropout=1.0),
            "dropout must be a probability in \\[0, 1\\), got 1.0",
        ),
        (lambda: MLP(2, [3, 1], dropout=-0.1), "dropout must be a probability"),
        (lambda: MLP(2, [3, 1], seed=1, rng=random.Random(1)), "either seed or rng"),
        (lambda: Layer(2, 0), "Layer: nout must be an int >= 1"),
        (lambda: Neuron(2.5), "Neuron: nin must be an int >= 1, got 2.5"),
    ],
)
def test_bad_constructor_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_dropout_leaves_global_random_untouched():
    random.seed(0)
    expected = random.random()
    random.seed(0)
    with pytest.raises(ValueError):
        MLP(2, [3, 1], dropout=2.0)
    assert random.random() == expected


def test_bias_false_has_no_bias_parameter():
    model = MLP(2, [3, 1], bias=False, seed=0)
    assert len(model.parameters()) == 2 * 3 + 3
    assert all(not name.endswith(".b") for name, _ in model.named_parameters())
    assert "bias=False" in repr(model.layers[0])
    unfused = Neuron(2, bias=False, fused=False, seed=0)
    assert unfused(X2).data == pytest.approx(
        max(0.0, unfused.w[0].data * X2[0] + unfused.w[1].data * X2[1])
    )


def test_layer_returns_a_value_for_one_neuron_like_micrograd():
    assert isinstance(Layer(2, 1, seed=0)(X2), Value)
    assert isinstance(Layer(2, 1, seed=0).forward_list(X2), list)


# ---- dropout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "0.5", True, math.nan])
def test_dropout_probability_outside_0_1_is_an_error(p):
    with pytest.raises(ValueError, match="Dropout: p must be a probability in \\[0, 1\\)"):
        Dropout(p)


def test_dropout_is_inverted_and_seeded():
    xs = [Value(1.0) for _ in range(4000)]
    out = Dropout(0.25, seed=1)(xs)
    kept = [v.data for v in out if v.data != 0.0]
    assert set(kept) == {1 / 0.75}
    assert len(kept) / len(xs) == pytest.approx(0.75, abs=0.03)
    assert sum(v.data for v in out) / len(xs) == pytest.approx(1.0, abs=0.05)  # E[out] = x
    again = Dropout(0.25, seed=1)(xs)
    assert [v.data for v in again] == [v.data for v in out]


def test_dropped_entries_pass_no_gradient():
    xs = [Value(1.0) for _ in range(10)]
    out = Dropout(0.5, seed=0)(xs)
    sum(out, Value(0.0)).backward()
    assert [x.grad for x in xs] == [2.0 if o.data else 0.0 for o in out]


def test_dropout_is_the_identity_in_eval_and_with_p_zero():
    xs = [Value(1.0), Value(2.0)]
    d = Dropout(0.9, seed=0).eval()
    assert d(xs) is xs
    assert Dropout(0.0)(xs) is xs


def test_dropout_list_in_list_out_value_in_value_out():
    d = Dropout(0.5, seed=0)
    assert isinstance(d([1.0, 2.0]), list) and isinstance(d(Value(1.0)), Value)
    assert all(v in (0.0, 2.0, 4.0) for v in d([1.0, 2.0]))


def test_mlp_dropout_only_in_training():
    model = MLP(2, [32, 1], dropout=0.5, seed=0)
    base = MLP(2, [32, 1], seed=0)
    assert model.state_dict() == base.state_dict()  # dropout draws after the weights
    train_outputs = {model(X2).data for _ in range(5)}
    assert len(train_outputs) > 1
    model.eval()
    assert model(X2).data == base(X2).data
    assert "(dropout): Dropout(p=0.5)" in repr(model)


def test_neuron_called_directly_on_numpy_input_works_like_a_list():
    np = pytest.importorskip("numpy")
    from nn import Neuron

    n = Neuron(2, seed=0)
    assert n(np.array([1.0, 2.0])).data == n([1.0, 2.0]).data
    assert n([np.float64(1.0), 2.0]).data == n([1.0, 2.0]).data
