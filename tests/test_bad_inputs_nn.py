"""Bad inputs to the library, each a row with the message it must give (issue 14).

``REFUSED``: inputs that must raise, with the error type and the words the message must hold
(the file and the field for a model file; the op and operand for a domain error; row and
column for data). ``ECHOES``: hostile input that a message may quote only cut and escaped.
The tests below the tables are inputs that used to fail and must now work: saving through a
FIFO, a ';'-separated CSV, data near 1e200, a norm whose power overflows, ReLUs killed by a
too-large learning rate. Nothing here touches a real device: a FIFO or a patched ``fstat``
stands for one.
"""

import json
import math
import os
import re
import stat
import threading
import warnings

import pytest

import nn
from autograd import Value
from nn import MLP, Neuron, data, files, load_model
from nn.module import read_model_file
from nn.optim import clip_grad_norm_
from nn.search import MLPBuilder

# ---- helpers that make the bad inputs -------------------------------------------------------


def _model_file(tmp, edit=None, text=None):
    path = tmp / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    if text is None:
        document = json.loads(path.read_text())
        edit(document)
        text = json.dumps(document)
    path.write_text(text)
    return path


def _arch(**changes):
    return lambda d: d["architecture"].update(changes)


def _drop(key):
    return lambda d: d["architecture"].pop(key)


def _declares_a_million(document):
    """13 KB of weights under an architecture declaring 2,002,000 parameters."""
    document["architecture"].update(nin=1000, nouts=[1000, 1000])
    document["state_dict"].update({f"w{i}": 0.5 for i in range(600)})


def _csv(tmp, text):
    path = tmp / "data.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _as_device(monkeypatch):
    """Make every file read through nn.files look like a character device (as /dev/zero is)."""
    real = os.fstat

    def fstat(fd):
        st = real(fd)
        return os.stat_result((stat.S_IFCHR | 0o666,) + tuple(st)[1:])

    monkeypatch.setattr(files.os, "fstat", fstat)


def _limit(monkeypatch, name, size):
    monkeypatch.setattr(files, name, size)
    monkeypatch.setattr(nn.module, name, size, raising=False)
    monkeypatch.setattr(nn.data, name, size, raising=False)


# ---- the table of inputs that must be refused ------------------------------------------------

REFUSED = [
    # (what, make(tmp, monkeypatch), error, words the message must hold)
    ("sin of inf", lambda t, m: Value(math.inf).sin(), ValueError,
     ["sin: operand must be finite, got inf"]),
    ("cos of -inf", lambda t, m: Value(-math.inf).cos(), ValueError,
     ["cos: operand must be finite, got -inf"]),
    ("model file version 0", lambda t, m: load_model(_model_file(t, lambda d: d.update(version=0))),
     ValueError, ["m.json", "'version' must be >= 1", "got 0"]),
    ("model file version -5",
     lambda t, m: load_model(_model_file(t, lambda d: d.update(version=-5))),
     ValueError, ["m.json", "'version' must be >= 1", "got -5"]),
    ("model file without nin", lambda t, m: load_model(_model_file(t, _drop("nin"))),
     ValueError, ["m.json", "bad architecture", "'nin' is missing"]),
    ("model file without nouts", lambda t, m: load_model(_model_file(t, _drop("nouts"))),
     ValueError, ["m.json", "'nouts' is missing"]),
    ("model file nouts a string", lambda t, m: load_model(_model_file(t, _arch(nouts="ab"))),
     ValueError, ["m.json", "'nouts' must be a non-empty list of ints >= 1", "got 'ab'"]),
    ("model file nin a string", lambda t, m: load_model(_model_file(t, _arch(nin="2"))),
     ValueError, ["m.json", "'nin' must be an int >= 1", "got '2'"]),
    ("model file bias a number", lambda t, m: load_model(_model_file(t, _arch(bias=1))),
     ValueError, ["m.json", "'bias' must be true or false", "got 1"]),
    ("model file declaring 2,002,000 parameters in 13 KB",
     lambda t, m: load_model(_model_file(t, _declares_a_million)), ValueError,
     ["m.json", "declares 2002000 parameters but the file has 613 weights"]),
    ("model file nested 100,000 deep",
     lambda t, m: load_model(_model_file(t, text="[" * 100_000 + "]" * 100_000)), ValueError,
     ["m.json", "not a valid model file", "nested too deeply"]),
    ("model file nested in its architecture",
     lambda t, m: read_model_file(_model_file(t, text='{"a": ' + "[" * 50_000 + "]" * 50_000
                                                     + "}")),
     ValueError, ["m.json", "not a valid model file"]),
    ("model file larger than the limit",
     lambda t, m: (_limit(m, "MAX_MODEL_BYTES", 100), load_model(_model_file(t, lambda d: d))),
     ValueError, ["m.json", "larger than 100 bytes"]),
    ("model file on a device",
     lambda t, m: (_as_device(m), load_model(_model_file(t, lambda d: d))), ValueError,
     ["m.json", "is a device, not a file"]),
    ("CSV on a device", lambda t, m: (_as_device(m), data.read_csv(_csv(t, "1,0\n"))), ValueError,
     ["data.csv", "is a device, not a file"]),
    ("CSV larger than the limit",
     lambda t, m: (_limit(m, "MAX_CSV_BYTES", 10), data.read_csv(_csv(t, "1,0\n" * 10))),
     ValueError, ["data.csv", "larger than 10 bytes"]),
    ("CSV ';'-separated with decimal commas",
     lambda t, m: data.read_csv(_csv(t, "1,5;2,5;0\n3,1;4,1;1\n")), ValueError,
     ["line 1, column 2", "seem separated by ';'", "'.' for decimals"]),
    ("CSV header ';'-separated, rows comma decimals",
     lambda t, m: data.read_csv(_csv(t, "a;b;c\n1,5;2;0\n3;4;1\n")), ValueError,
     ["line 2", "seem separated by ';'"]),
    ("standardize inf", lambda t, m: data.standardize([[1.0, 2.0], [math.inf, 3.0]]), ValueError,
     ["standardize: X[1][0] is inf"]),
    ("standardize nan", lambda t, m: data.standardize([[1.0], [math.nan]]), ValueError,
     ["X[1][0] is nan"]),
    ("grid lr='abc'", lambda t, m: MLPBuilder(2)({"lr": "abc"}), ValueError,
     ["lr must be a finite number > 0", "got 'abc'"]),
    ("grid lr=-1", lambda t, m: MLPBuilder(2)({"lr": -1}), ValueError, ["lr", "got -1"]),
    ("grid epochs=0", lambda t, m: MLPBuilder(2)({"epochs": 0}), ValueError,
     ["epochs must be an int >= 1", "got 0"]),
    ("grid optimizer='lbfgs'", lambda t, m: MLPBuilder(2)({"optimizer": "lbfgs"}), ValueError,
     ["unknown optimizer 'lbfgs'", "sgd, adam, adamw"]),
    ("grid loss='zz'", lambda t, m: MLPBuilder(2)({"loss": "zz"}), ValueError,
     ["loss must be one of", "got 'zz'"]),
    ("grid batch_size=0", lambda t, m: MLPBuilder(2)({"batch_size": 0}), ValueError,
     ["batch_size must be an int >= 1 or None"]),
    ("grid l2=nan", lambda t, m: MLPBuilder(2)({"l2": math.nan}), ValueError,
     ["l2 must be a finite number >= 0"]),
    ("clip a norm that is inf, error_if_nonfinite",
     lambda t, m: clip_grad_norm_(_grads([1e150]), 1.0, 3, error_if_nonfinite=True),
     RuntimeError, ["total norm of order 3", "is inf"]),
]


def _grads(values):
    params = [Value(0.0) for _ in values]
    for p, g in zip(params, values):
        p.grad = g
    return params


@pytest.mark.parametrize("what, make, error, words", REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_input_is_refused_with_a_message_naming_it(what, make, error, words, tmp_path,
                                                        monkeypatch):
    with pytest.raises(error) as info:
        make(tmp_path, monkeypatch)
    message = str(info.value)
    assert type(info.value) is error, f"{type(info.value).__name__}: {message}"
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert len(message) < 600, message


# ---- the table of hostile input a message echoes ------------------------------------------

HUGE = "x" * 100_000
CONTROL = "red\x1b[31m\u202e"

ECHOES = [
    # (what, make(tmp), words the message must hold)
    ("CSV cell of 100 KB", lambda t: data.read_csv(_csv(t, f"a,b\n1,{HUGE}\n")),
     ["column 2 ('b')", "(100,000 characters) is not a number"]),
    ("CSV cell with ESC and U+202E", lambda t: data.read_csv(_csv(t, f"a,b\n1,{CONTROL}\n")),
     ["\\x1b[31m", "\\u202e"]),
    ("CSV header name of 100 KB", lambda t: data.read_csv(_csv(t, f"a,{HUGE}\n1,z\n")),
     ["column 2", "is not a number"]),
    ("weight name of 100 KB", lambda t: Neuron(1).load_state_dict({HUGE: 1.0}),
     ["unexpected key(s): xxxx"]),
    ("weight value of 100 KB", lambda t: Neuron(1).load_state_dict({"w.0": HUGE, "b": 0.0}),
     ["w.0=", "expected a float"]),
    ("class name of 100 KB and ESC",
     lambda t: load_model(_model_file(t, lambda d: d.update({"class": HUGE + CONTROL}))),
     ["cannot rebuild a 'xxx"]),
    ("format of 100 KB", lambda t: load_model(_model_file(t, lambda d: d.update(format=HUGE))),
     ["not a chainrule model file"]),
    ("integer weight of 5,000 digits",
     lambda t: Neuron(1).load_state_dict({"w.0": 10**5000, "b": 0.0}),
     ["too large for a float"]),
]


@pytest.mark.parametrize("what, make, words", ECHOES, ids=[r[0] for r in ECHOES])
def test_a_message_cuts_and_escapes_what_it_echoes(what, make, words, tmp_path):
    with pytest.raises(ValueError) as info:
        make(tmp_path)
    message = str(info.value)
    assert len(message) < 600, f"{len(message)} characters"
    assert "\x1b" not in message and "\u202e" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


# ---- inputs that must now work --------------------------------------------------------------


def test_save_writes_through_a_fifo_and_leaves_it_a_fifo(tmp_path):
    # the stand-in for os.devnull: a rename would have replaced it with a regular file
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    Neuron(2, seed=0).save(fifo)
    reader.join(timeout=10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got, "the reader got nothing: the FIFO was replaced, not written"
    assert json.loads(got[0])["class"] == "Neuron"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no temporary file left


def test_save_into_an_unwritable_folder_names_the_path_not_a_temporary_file(tmp_path,
                                                                           monkeypatch):
    real_open = os.open

    def refusing_open(path, flags, mode=0o777, **kw):  # as the kernel refuses non-root users
        if str(path).startswith(str(tmp_path)) and flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(PermissionError) as info:
        Neuron(2, seed=0).save(tmp_path / "m.json")
    assert f"save({str(tmp_path / 'm.json')!r}): cannot write in" in str(info.value)
    assert ".tmp" not in str(info.value)


def test_csv_reading_stops_at_the_limit_on_an_endless_pipe(tmp_path, monkeypatch):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    monkeypatch.setattr(files, "MAX_CSV_BYTES", 1000)
    monkeypatch.setattr(nn.data, "MAX_CSV_BYTES", 1000)
    fifo = tmp_path / "zeros.csv"
    os.mkfifo(fifo)

    def endless():  # a stand-in for an endless device: far more than the limit, until the
        try:  # reader goes (it stops after 100x the limit, so a reader without one ends too)
            with open(fifo, "wb") as f:
                for _ in range(100):
                    f.write(b"0,1\n" * 250)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=endless, daemon=True)
    writer.start()
    with pytest.raises(ValueError, match="larger than 1000 bytes"):
        data.read_csv(fifo)
    writer.join(timeout=10)


def test_load_model_refuses_a_huge_declaration_before_building_anything(tmp_path, monkeypatch):
    path = _model_file(tmp_path, _declares_a_million)
    assert path.stat().st_size < 20_000
    built = []
    monkeypatch.setattr(MLP, "__init__", lambda self, *a, **k: built.append(a))
    with pytest.raises(ValueError, match="declares 2002000 parameters"):
        load_model(path)
    assert built == []


@pytest.mark.parametrize(
    "text",
    ["x0;x1;label\n0.5;1.0;1\n-0.5;2.0;0\n", "x0\tx1\tlabel\n0.5\t1.0\t1\n-0.5\t2.0\t0\n",
     "x0|x1|label\n0.5|1.0|1\n-0.5|2.0|0\n", "x0,x1,label\n0.5,1.0,1\n-0.5,2.0,0\n"],
    ids=["semicolon", "tab", "bar", "comma"],
)
def test_read_csv_finds_the_separator(tmp_path, text):
    X, y, names = data.read_csv(_csv(tmp_path, text))
    assert X == [[0.5, 1.0], [-0.5, 2.0]] and y == [1.0, 0.0] and names == ["x0", "x1", "label"]


def test_standardize_of_values_near_1e200_and_1e308_does_not_overflow():
    Xs, mean, std = data.standardize([[1e200, 2.0], [-1e200, 3.0], [1e200, 4.0], [-1e200, 5.0]])
    assert [row[0] for row in Xs] == [1.0, -1.0, 1.0, -1.0]
    assert mean[0] == 0.0 and std[0] == 1e200
    assert data.standardize([[1.7e308], [-1.7e308]])[0] == [[1.0], [-1.0]]
    # ordinary data keeps the plain formula, bit for bit
    assert data.standardize([[1.0, 5.0], [3.0, 5.0]]) == (
        [[-1.0, 0.0], [1.0, 0.0]], [2.0, 5.0], [1.0, 1.0])


@pytest.mark.parametrize("norm_type", [3.0, 0.5, 2.0, 1.0, math.inf])
@pytest.mark.parametrize("grads", [[1e150, 1e150], [1e308, 1e308], [1e200, -3.0]],
                         ids=["1e150", "1e308", "1e200"])
def test_clip_grad_norm_of_an_overflowing_power_is_inf_like_pytorch(torch, norm_type, grads):
    params = _grads(grads)
    total = clip_grad_norm_(params, 1.0, norm_type=norm_type)
    tensors = []
    for g in grads:
        t = torch.zeros(1, requires_grad=True)
        t.grad = torch.tensor([g])
        tensors.append(t)
    expected = torch.nn.utils.clip_grad_norm_(tensors, 1.0, norm_type=norm_type).item()
    assert total == expected or math.isclose(total, expected, rel_tol=1e-12)
    for p, t in zip(params, tensors):
        assert math.isclose(p.grad, t.grad.item(), rel_tol=1e-12, abs_tol=1e-300)


def test_relus_killed_by_a_too_large_learning_rate_are_called_dead_units_not_vanishing():
    X, y = data.make_moons(100, noise=0.1, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.fit(MLP(2, [16, 16, 1], seed=0), X, y, loss="bce_with_logits", optimizer="sgd",
               lr=5, epochs=8, progress=False)
    messages = [str(w.message) for w in caught if w.category is nn.GradientFlowWarning]
    assert messages, "no warning"
    assert all("dead units" in m and "vanishing" not in m for m in messages), messages
    assert not any(" x the output layer's" in m for m in messages)
    assert any("'layers.1'" in m and "its units pass nothing back" in m for m in messages)
    assert "learning rate too large" in messages[0]


def test_vanishing_gradients_that_are_not_zero_are_still_called_vanishing():
    model = MLP(1, [1, 1, 1], activation="linear", seed=0)  # y = w3 * w2 * w1 * x
    model.load_state_dict({"layers.0.neurons.0.w.0": 1e4, "layers.0.neurons.0.b": 0.0,
                           "layers.1.neurons.0.w.0": 1.0, "layers.1.neurons.0.b": 0.0,
                           "layers.2.neurons.0.w.0": 1e-6, "layers.2.neurons.0.b": 0.0})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.fit(model, [[1.0]], [1.0], loss="mse", optimizer="sgd", lr=0.0, epochs=1,
               progress=False)
    messages = [str(w.message) for w in caught if w.category is nn.GradientFlowWarning]
    assert messages and "vanishing gradients at epoch 1" in messages[0]
    assert re.search(r"gets gradients 1\.\de-10 times the size of the output layer's", messages[0])
