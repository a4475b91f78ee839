"""Tests for nn.module: discovery of parameters and submodules, modes, repr, state, files."""

import json
import math
import os
import stat

import pytest

from autograd import Value
from nn import MLP, Dropout, Layer, Module, Neuron, load_model


class Affine(Module):
    def __init__(self):
        super().__init__()
        self.w = [Value(1.0), Value(2.0)]
        self.b = Value(3.0)
        self._cache = Value(99.0)  # private: not a parameter

    def forward(self, x):
        return self.w[0] * x[0] + self.w[1] * x[1] + self.b


class Net(Module):
    def __init__(self):
        super().__init__()
        self.first = Affine()
        self.blocks = [Affine(), Dropout(0.5, seed=0)]
        self.scale = Value(0.5)

    def forward(self, x):
        return self.first(x) * self.scale


def test_named_parameters_follow_attribute_paths():
    names = [name for name, _ in Net().named_parameters()]
    assert names == [
        "first.w.0",
        "first.w.1",
        "first.b",
        "blocks.0.w.0",
        "blocks.0.w.1",
        "blocks.0.b",
        "scale",
    ]


def test_mlp_parameter_names_are_readable():
    names = [name for name, _ in MLP(2, [16, 16, 1], seed=0).named_parameters()]
    assert len(names) == 337
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert "layers.0.neurons.3.w.1" in names and names[-1] == "layers.2.neurons.0.b"


def test_parameters_is_the_list_of_values_in_name_order():
    net = Net()
    assert net.parameters() == [p for _, p in net.named_parameters()]
    assert all(isinstance(p, Value) for p in net.parameters())


def test_shared_parameter_is_listed_once():
    net = Net()
    net.blocks[0].b = net.first.b
    params = net.parameters()
    assert len(params) == 6 and len(set(params)) == 6


def test_named_modules_starts_with_self_like_pytorch():
    net = Net()
    names = [name for name, _ in net.named_modules()]
    assert names == ["", "first", "blocks.0", "blocks.1"]
    assert next(net.named_modules())[1] is net
    assert list(net.children()) == [net.first, *net.blocks]
    assert [name for name, _ in net.named_children()] == ["first", "blocks.0", "blocks.1"]


def test_mlp_module_names():
    names = [name for name, _ in MLP(2, [3, 1], seed=0).named_modules()]
    assert names == [
        "",
        "layers.0",
        "layers.0.neurons.0",
        "layers.0.neurons.1",
        "layers.0.neurons.2",
        "layers.1",
        "layers.1.neurons.0",
    ]


def test_a_module_that_contains_itself_does_not_loop():
    net = Net()
    net.loop = net
    assert len(net.parameters()) == 7
    assert [name for name, _ in net.named_modules()] == ["", "first", "blocks.0", "blocks.1"]


def test_zero_grad_resets_every_parameter():
    net = Net()
    net([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


def test_train_and_eval_propagate_to_every_submodule():
    net = Net()
    assert net.eval() is net
    assert all(m.training is False for m in net.modules())
    net.train()
    assert all(m.training is True for m in net.modules())
    with pytest.raises(TypeError, match="mode must be a bool"):
        net.train("no")


def test_call_runs_forward_and_base_forward_is_not_implemented():
    assert Affine()([1.0, 1.0]).data == 6.0
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(1.0)


def test_subclass_without_super_init_still_has_modes():
    class Bare(Module):
        def __init__(self):
            self.w = Value(1.0)

    m = Bare()
    assert m.training is True
    assert m.eval().training is False


def test_repr_shows_the_tree_with_sizes():
    text = repr(Net())
    assert text.splitlines()[0] == "Net("
    assert "(first): Affine()" in text
    assert "(blocks): [" in text and "(1): Dropout(p=0.5)" in text
    assert repr(MLP(3, [4, 2], activation="tanh", seed=0)).splitlines()[1] == (
        "  nin=3, nouts=[4, 2], activation='tanh', parameters=26"
    )


# ---- state dicts --------------------------------------------------------------------------------


def test_state_dict_is_a_plain_dict_of_floats():
    state = Net().state_dict()
    assert type(state) is dict
    assert state["first.b"] == 3.0 and all(type(v) is float for v in state.values())
    json.dumps(state)  # JSON-able as it is


def test_load_state_dict_round_trip():
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=1)
    assert b.load_state_dict(a.state_dict()) == ([], [])
    assert b.state_dict() == a.state_dict()
    assert b([0.3, -0.2]).data == a([0.3, -0.2]).data


def test_load_state_dict_accepts_ints():
    net = Affine()
    net.load_state_dict({"w.0": 1, "w.1": 2, "b": 0})
    assert net.b.data == 0.0 and type(net.b.data) is float


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("first.b"), "missing key\\(s\\): first.b"),
        (lambda d: d.update(extra=1.0), "unexpected key\\(s\\): extra"),
        (lambda d: d.update({"scale": "0.5"}), "bad value\\(s\\): scale='0.5' \\(str"),
        (lambda d: d.update({"scale": None}), "scale=None \\(NoneType"),
        (lambda d: d.update({"scale": True}), "scale=True \\(bool"),
        (lambda d: d.update({"scale": [1.0]}), "scale=\\[1.0\\] \\(list"),
        (lambda d: d.update({"scale": math.nan}), "scale=nan \\(not finite\\)"),
        (lambda d: d.update({"scale": -math.inf}), "scale=-inf \\(not finite\\)"),
    ],
)
def test_bad_state_dict_is_refused_and_changes_nothing(change, message):
    net = Net()
    state = {k: v + 1.0 for k, v in net.state_dict().items()}  # all different...
    change(state)  # ...and one problem
    before = net.state_dict()
    with pytest.raises(ValueError, match=message):
        net.load_state_dict(state)
    assert net.state_dict() == before


def test_every_problem_is_reported_at_once():
    net = Net()
    with pytest.raises(ValueError, match="Net.load_state_dict: 8 problem") as info:
        net.load_state_dict({"first.w.0": "x", "bogus": 1.0})
    assert "missing key(s): first.w.1, first.b" in str(info.value)
    assert "unexpected key(s): bogus" in str(info.value)


def test_long_lists_of_names_are_shortened():
    with pytest.raises(ValueError, match=r"\.\.\. and 327 more"):
        MLP(2, [16, 16, 1], seed=0).load_state_dict({})


def test_non_strict_load_skips_missing_and_unexpected():
    net = Affine()
    result = net.load_state_dict({"b": 7.0, "other": 1.0}, strict=False)
    assert result.missing_keys == ["w.0", "w.1"] and result.unexpected_keys == ["other"]
    assert net.b.data == 7.0 and net.w[0].data == 1.0


def test_non_strict_load_still_refuses_bad_values():
    net = Affine()
    with pytest.raises(ValueError, match="not finite"):
        net.load_state_dict({"b": math.inf}, strict=False)
    assert net.b.data == 3.0


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="expected a dict of name -> float, got list"):
        Affine().load_state_dict([1.0, 2.0, 3.0])


# ---- files --------------------------------------------------------------------------------------


def test_save_load_round_trip_is_exact(tmp_path):
    path = tmp_path / "model.json"
    a = MLP(2, [8, 3], activation="tanh", seed=0)
    a.save(path)
    b = MLP(2, [8, 3], activation="tanh", seed=1)
    assert b.load(path) is b
    assert b.state_dict() == a.state_dict()  # floats survive JSON bit for bit


def test_saved_file_is_json_with_a_header(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(str(path))
    doc = json.loads(path.read_text())
    assert doc["format"] == "chainrule.model" and doc["version"] == 1
    assert doc["class"] == "MLP" and doc["num_parameters"] == 13
    assert doc["architecture"] == {
        "nin": 2,
        "nouts": [3, 1],
        "activation": "relu",
        "output_activation": "linear",
        "bias": True,
        "dropout": 0.0,
    }
    assert list(doc["state_dict"]) == [n for n, _ in MLP(2, [3, 1]).named_parameters()]


def test_load_model_rebuilds_mlp_layer_and_neuron(tmp_path):
    for model in (
        MLP(3, [5, 2], activation="tanh", output_activation="sigmoid", dropout=0.25, seed=0),
        Layer(3, 2, activation="softplus", bias=False, seed=0),
        Neuron(3, activation="leaky_relu", seed=0),
    ):
        path = tmp_path / "m.json"
        model.save(path)
        rebuilt = load_model(path)
        assert type(rebuilt) is type(model) and rebuilt.architecture() == model.architecture()
        assert rebuilt.state_dict() == model.state_dict()
        x = [0.1, -0.7, 0.4]
        model.eval(), rebuilt.eval()
        out_a, out_b = model(x), rebuilt(x)
        if isinstance(out_a, Value):
            out_a, out_b = [out_a], [out_b]
        assert [v.data for v in out_a] == [v.data for v in out_b]


def test_load_model_refuses_unknown_classes(tmp_path):
    path = tmp_path / "m.json"
    Net().save(path)
    with pytest.raises(ValueError, match="cannot rebuild a 'Net'"):
        load_model(path)
    net = Net()
    net.scale.data = 0.0
    assert net.load(path).scale.data == 0.5  # but loading into a Net works


def test_save_is_atomic_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [3, 1], seed=1).save(path)
    assert path.read_bytes() == before  # the previous file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temporary file left


def test_save_refuses_non_finite_weights(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    model.layers[0].neurons[1].w[0].data = math.nan
    with pytest.raises(
        ValueError, match="1 parameter\\(s\\) are not finite.*layers.0.neurons.1.w.0"
    ):
        model.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def _write(tmp_path, text):
    path = tmp_path / "m.json"
    path.write_text(text)
    return path


def _good_document():
    model = MLP(2, [3, 1], seed=0)
    return {
        "format": "chainrule.model",
        "version": 1,
        "class": "MLP",
        "architecture": model.architecture(),
        "state_dict": model.state_dict(),
    }


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: "{not json", "not a valid model file"),
        (lambda d: json.dumps(d).replace("0.0", "NaN", 1), "NaN is not allowed"),
        (lambda d: json.dumps(d).replace("0.0", "Infinity", 1), "Infinity is not allowed"),
        (lambda d: "[1, 2]", "expected a JSON object, got list"),
        (lambda d: json.dumps({**d, "format": "pickle"}), "not a chainrule model file"),
        (lambda d: json.dumps({**d, "version": 2}), "file version 2 is newer"),
        (lambda d: json.dumps({**d, "version": "1"}), "'version' must be an int"),
        (lambda d: json.dumps({**d, "class": "Layer"}), "holds a Layer, this model is a MLP"),
        (lambda d: json.dumps({**d, "state_dict": [1]}), "'state_dict' must be a dict"),
        (
            lambda d: json.dumps({**d, "architecture": {**d["architecture"], "nouts": [4, 1]}}),
            "another architecture \\(nouts: file \\[4, 1\\], model \\[3, 1\\]\\)",
        ),
        (
            lambda d: json.dumps(
                {**d, "architecture": {**d["architecture"], "activation": "tanh"}}
            ),
            "another architecture \\(activation: file 'tanh', model 'relu'\\)",
        ),
        (
            lambda d: json.dumps(
                {**d, "state_dict": {**d["state_dict"], "layers.0.neurons.0.b": "1"}}
            ),
            "bad value\\(s\\): layers.0.neurons.0.b='1'",
        ),
        (
            lambda d: json.dumps(
                {**d, "state_dict": {k: v for k, v in list(d["state_dict"].items())[1:]}}
            ),
            "missing key\\(s\\): layers.0.neurons.0.w.0",
        ),
    ],
)
def test_bad_files_are_refused_and_leave_the_model_unchanged(tmp_path, edit, message):
    path = _write(tmp_path, edit(_good_document()))
    model = MLP(2, [3, 1], seed=5)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        model.load(path)
    assert model.state_dict() == before


def test_a_good_hand_written_document_loads(tmp_path):
    path = _write(tmp_path, json.dumps(_good_document()))
    model = MLP(2, [3, 1], seed=5)
    model.load(path)
    assert model.state_dict() == MLP(2, [3, 1], seed=0).state_dict()


def test_another_dropout_rate_still_loads(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], dropout=0.5, seed=0).save(path)
    model = MLP(2, [3, 1], seed=1).load(path)
    assert model.state_dict() == MLP(2, [3, 1], seed=0).state_dict()


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP(2, [1]).load(tmp_path / "nope.json")


def test_save_extra_entries_cannot_replace_the_files_own_keys(tmp_path):
    import pytest

    from nn import Neuron

    path = tmp_path / "n.json"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(ValueError, match="state_dict"):
        Neuron(2, seed=0).save(path, extra={"state_dict": {}})
    assert path.read_text(encoding="utf-8") == "old"  # refused before anything was written


# ---- audit fixes: prefixes, file modes, symlinks, clear path errors, bad files, numpy seeds -----


def test_named_parameters_prefix_is_joined_with_a_dot_like_named_modules():
    net = Net()
    names = [name for name, _ in net.named_parameters(prefix="enc")]
    assert names == ["enc." + name for name, _ in net.named_parameters()]
    assert names[0] == "enc.first.w.0" and names[-1] == "enc.scale"
    assert [n for n, _ in net.named_modules(prefix="enc")][1] == "enc.first"


def test_named_parameters_prefix_matches_pytorch(torch):
    seq = torch.nn.Sequential(torch.nn.Linear(2, 1))
    assert [n for n, _ in seq.named_parameters(prefix="enc")] == ["enc.0.weight", "enc.0.bias"]
    ours = [n for n, _ in Neuron(1, seed=0).named_parameters(prefix="enc")]
    assert ours == ["enc.w.0", "enc.b"]


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    if os.name == "nt":
        pytest.skip("POSIX file modes")
    old = os.umask(0o022)
    os.umask(old)

    def set_umask(mask):
        os.umask(mask)

    yield set_umask
    os.umask(old)


@pytest.mark.parametrize(
    "mask, expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)], ids=["022", "027", "002"]
)
def test_save_gives_a_new_file_the_mode_open_would(tmp_path, umask, mask, expected):
    umask(mask)
    path = tmp_path / "m.json"
    Neuron(2, seed=0).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == expected
    plain = tmp_path / "plain.txt"
    with open(plain, "w"):
        pass
    assert stat.S_IMODE(plain.stat().st_mode) == expected  # the same as a plain open()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604], ids=["644", "640", "604"])
def test_save_over_an_existing_file_keeps_its_mode(tmp_path, umask, mode):
    umask(0o077)  # would give 0o600 to a new file: the old file's mode must win
    path = tmp_path / "m.json"
    path.write_text("old")
    path.chmod(mode)
    Neuron(2, seed=0).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert json.loads(path.read_text())["class"] == "Neuron"


def _symlink(link, target):
    try:
        os.symlink(target, link)
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available here")


def test_save_through_a_symlink_writes_the_target_and_keeps_the_link(tmp_path):
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir(), link_dir.mkdir()
    target, link = real_dir / "model.json", link_dir / "latest.json"
    target.write_text("old")
    _symlink(link, target)
    Neuron(2, seed=0).save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["class"] == "Neuron"
    assert [p.name for p in real_dir.iterdir()] == ["model.json"]  # no temporary file left
    assert [p.name for p in link_dir.iterdir()] == ["latest.json"]
    assert Neuron(2).load(link).state_dict() == Neuron(2, seed=0).state_dict()


def test_save_through_a_dangling_symlink_creates_its_target(tmp_path):
    target, link = tmp_path / "model.json", tmp_path / "latest.json"
    _symlink(link, target)
    Neuron(2, seed=0).save(link)
    assert link.is_symlink() and json.loads(target.read_text())["class"] == "Neuron"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "model.json"]


def test_save_into_a_missing_folder_names_the_folder_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        Neuron(2, seed=0).save(os.path.join("x", "y.json"))
    assert str(info.value) == f"save({os.path.join('x', 'y.json')!r}): no such folder 'x'"
    assert list(tmp_path.iterdir()) == []


def test_save_below_a_file_says_it_is_not_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").write_text("a file")
    with pytest.raises(NotADirectoryError, match="'x' is not a folder"):
        Neuron(2, seed=0).save(os.path.join("x", "y.json"))
    assert [p.name for p in tmp_path.iterdir()] == ["x"]


def test_save_to_a_folder_says_to_give_a_file_name_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError) as info:
        Neuron(2, seed=0).save("out")
    example = os.path.join("out", "model.json")
    assert str(info.value) == f"save('out'): is a folder; give a file name such as {example}"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert list((tmp_path / "out").iterdir()) == []


def test_save_that_fails_mid_write_removes_its_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "m.json"

    def broken_replace(src, dst):
        raise KeyboardInterrupt  # any failure, even one that is not an Exception

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(KeyboardInterrupt):
        Neuron(2, seed=0).save(path)
    assert list(tmp_path.iterdir()) == []


def test_load_of_a_non_utf8_file_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(b'{"format": "chainrule.model", "class": "\xff\xfe"}')
    model = MLP(2, [3, 1], seed=5)
    before = model.state_dict()
    for load in (model.load, load_model):
        with pytest.raises(ValueError) as info:
            load(path)
        assert type(info.value) is ValueError  # not the bare UnicodeDecodeError
        assert repr(str(path)) in str(info.value) and "not UTF-8" in str(info.value)
    assert model.state_dict() == before


def test_load_of_a_huge_integer_weight_is_a_value_error_naming_the_file(tmp_path):
    doc = _good_document()
    doc["state_dict"]["layers.0.neurons.0.b"] = 10**400
    path = _write(tmp_path, json.dumps(doc))
    model = MLP(2, [3, 1], seed=5)
    before = model.state_dict()
    with pytest.raises(ValueError) as info:
        model.load(path)
    message = str(info.value)
    assert repr(str(path)) in message
    assert "layers.0.neurons.0.b=1000" in message and "too large for a float" in message
    assert model.state_dict() == before


def test_load_state_dict_refuses_a_huge_integer_with_a_value_error():
    model = Affine()
    with pytest.raises(ValueError, match="b=1000.*too large for a float"):
        model.load_state_dict({"w.0": 5.0, "w.1": 6.0, "b": 10**400})
    assert model.state_dict() == {"w.0": 1.0, "w.1": 2.0, "b": 3.0}


def test_numpy_integer_seed_builds_the_same_model_as_an_int():
    np = pytest.importorskip("numpy")
    for make in (
        lambda s: MLP(2, [3, 1], seed=s),
        lambda s: Layer(2, 3, seed=s),
        lambda s: Neuron(2, seed=s),
    ):
        assert make(np.int64(7)).state_dict() == make(7).state_dict()
    for bad in (7.0, True):
        with pytest.raises(TypeError, match="rng/seed must be a random.Random, an int or None"):
            MLP(2, [3, 1], seed=bad)


def test_load_model_refuses_a_huge_architecture_before_building_it(tmp_path):
    import json

    from nn import MLP, load_model

    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    document = json.loads(path.read_text())
    document["architecture"]["nin"] = 10**400
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"declares about 10\^\d+ parameters but the file has 13"):
        load_model(path)
