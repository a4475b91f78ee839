"""Tests for the GPT from scalars: nn.gpt's modules against PyTorch, the cache, masking,
sampling, saving, microgpt's weight layout and reference engine, the names data, the tokenizer,
the fused ops' views, the pictures and the benchmark script."""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograd import Value, draw_dot, linear, matvec, rms_scale, softmax, topological_order
from autograd import cross_entropy as fused_cross_entropy
from nn import data
from nn.gpt import (
    GPT,
    Block,
    CausalSelfAttention,
    Embedding,
    FeedForward,
    InputEmbedding,
    Linear,
    RMSNorm,
    fit,
    plot_attention,
    probabilities,
)
from nn.module import load_model
from nn.tokenizer import CharTokenizer

ROOT = Path(__file__).resolve().parent.parent
TOKENS = [6, 0, 3, 3, 1, 6]  # BOS, four characters, BOS for a vocabulary of 7


def tiny(seed: int = 0, **sizes) -> GPT:
    config = dict(vocab_size=7, n_embd=8, n_head=2, n_layer=2, block_size=8) | sizes
    return GPT(**config, seed=seed)


def values(n: int, seed: int) -> list[Value]:
    rng = random.Random(seed)
    return [Value(rng.uniform(-1.5, 1.5)) for _ in range(n)]


def close(a: float, b: float, rel: float = 1e-10, abs_: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ---- PyTorch twins of microgpt's model (float64, whole sequences, a causal mask) -------------


def t_rms(torch, x):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-5)


def t_attention(torch, h, wq, wk, wv, wo, n_head):
    """Causal self-attention over every position at once (a mask, no cache)."""
    q, k, v = h @ wq.T, h @ wk.T, h @ wv.T
    T, C = h.shape
    hd = C // n_head
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    heads = []
    for lo in range(0, C, hd):
        scores = (q[:, lo : lo + hd] @ k[:, lo : lo + hd].T) / math.sqrt(hd)
        weights = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        heads.append(weights @ v[:, lo : lo + hd])
    return torch.cat(heads, dim=-1) @ wo.T


def t_gpt_loss(torch, w, tokens, n_head, n_layer):
    """microgpt's loss for one sequence, from tensors in its weight layout."""
    n = len(tokens) - 1
    idx = torch.tensor(tokens[:n])
    x = t_rms(torch, w["wte"][idx] + w["wpe"][:n])
    for i in range(n_layer):
        p = f"layer{i}."
        a = t_attention(torch, t_rms(torch, x), *(w[p + f"attn_w{c}"] for c in "qkvo"), n_head)
        x = x + a
        x = x + torch.relu(t_rms(torch, x) @ w[p + "mlp_fc1"].T) @ w[p + "mlp_fc2"].T
    logits = x @ w["lm_head"].T
    return torch.nn.functional.cross_entropy(logits, torch.tensor(tokens[1 : n + 1]))


def tensors(torch, rows_by_name):
    return {k: torch.tensor(v, requires_grad=True) for k, v in rows_by_name.items()}


# ---- the whole model against PyTorch, on both backward paths ------------------------------


@pytest.mark.usefixtures("backward_path")
def test_gpt_loss_and_every_gradient_match_pytorch(torch):
    model = tiny(seed=1)
    loss = model.loss(TOKENS)
    loss.backward()
    w = tensors(torch, model.to_microgpt())
    t_loss = t_gpt_loss(torch, w, TOKENS, n_head=2, n_layer=2)
    t_loss.backward()
    assert close(loss.data, t_loss.item())
    ours = model.to_microgpt(grad=True)
    for name, t in w.items():
        theirs = t.grad.tolist()
        for r, (row, t_row) in enumerate(zip(ours[name], theirs)):
            for c, (g, tg) in enumerate(zip(row, t_row)):
                assert close(g, tg), f"{name}[{r}][{c}]: ours {g!r}, torch {tg!r}"


def linears(module) -> dict[str, Linear]:
    """Every Linear in ``module`` by its attribute name ("w" for a Linear on its own)."""
    if isinstance(module, Linear):
        return {"w": module}
    return {n.rsplit(".", 1)[-1]: m for n, m in module.named_modules() if isinstance(m, Linear)}


def t_block(torch, X, t):
    h = X + t_attention(torch, t_rms(torch, X), t["wq"], t["wk"], t["wv"], t["wo"], 2)
    return h + torch.relu(t_rms(torch, h) @ t["fc1"].T) @ t["fc2"].T


MODULES = {  # name: (the module, positions it reads, its PyTorch twin on X[:positions])
    "Linear": (lambda: Linear(4, 3, seed=0), 1, lambda torch, X, t: X @ t["w"].T),
    "RMSNorm": (lambda: RMSNorm(4), 1, lambda torch, X, t: t_rms(torch, X)),
    "FeedForward": (
        lambda: FeedForward(4, 8, seed=0),
        1,
        lambda torch, X, t: torch.relu(X @ t["fc1"].T) @ t["fc2"].T,
    ),
    "CausalSelfAttention": (
        lambda: CausalSelfAttention(4, 2, seed=0),
        3,
        lambda torch, X, t: t_attention(torch, X, t["wq"], t["wk"], t["wv"], t["wo"], 2),
    ),
    "Block": (lambda: Block(4, 2, seed=0), 3, t_block),
}


def run_module(module, xs: list[list[Value]]) -> list[Value]:
    """The module on one position, or on a sequence through a cache (attention, Block)."""
    if len(xs) == 1:
        return module(xs[0])
    keys, cached_values = [], []
    return [y for x in xs for y in module(x, keys, cached_values)]


@pytest.mark.usefixtures("backward_path")
@pytest.mark.parametrize("name", list(MODULES))
def test_every_gpt_module_matches_pytorch_values_and_gradients(torch, name):
    build, positions, twin = MODULES[name]
    module = build()
    xs = [values(4, seed=10 + i) for i in range(positions)]
    out = run_module(module, xs)
    rng = random.Random(5)
    coeffs = [rng.uniform(-1, 1) for _ in out]
    linear(out, coeffs).backward()  # a scalar that uses every output

    X = torch.tensor([[v.data for v in x] for x in xs], requires_grad=True)
    t = {
        key: torch.tensor([[p.data for p in row] for row in m.rows()], requires_grad=True)
        for key, m in linears(module).items()
    }
    t_out = twin(torch, X, t).reshape(-1)
    assert [o.data for o in out] == pytest.approx(t_out.tolist(), rel=1e-12)
    (t_out @ torch.tensor(coeffs)).backward()
    for i, x in enumerate(xs):
        for j, v in enumerate(x):
            assert close(v.grad, X.grad[i][j].item()), f"input [{i}][{j}]"
    for key, m in linears(module).items():
        for r, (row, t_row) in enumerate(zip(m.rows(), t[key].grad.tolist())):
            for c, (p, tg) in enumerate(zip(row, t_row)):
                assert close(p.grad, tg), f"{key}[{r}][{c}]: ours {p.grad!r}, torch {tg!r}"


def test_input_embedding_and_embedding_pass_gradients_to_the_rows_used(torch):
    emb = InputEmbedding(vocab_size=5, block_size=4, n_embd=3, seed=0)
    out = emb(token=2, position=1) + emb(token=2, position=3)
    total = linear(out, [1.0, -2.0, 0.5, 3.0, 1.0, -1.0])
    total.backward()
    wte = torch.tensor([[p.data for p in r] for r in emb.wte.rows()], requires_grad=True)
    wpe = torch.tensor([[p.data for p in r] for r in emb.wpe.rows()], requires_grad=True)
    t_out = torch.cat([t_rms(torch, wte[2] + wpe[1]), t_rms(torch, wte[2] + wpe[3])])
    (t_out @ torch.tensor([1.0, -2.0, 0.5, 3.0, 1.0, -1.0])).backward()
    assert close(total.data, (t_out @ torch.tensor([1.0, -2.0, 0.5, 3.0, 1.0, -1.0])).item())
    for ours, theirs in ((emb.wte, wte), (emb.wpe, wpe)):
        for row, t_row in zip(ours.rows(), theirs.grad.tolist()):
            assert [p.grad for p in row] == pytest.approx(t_row, rel=1e-10, abs=1e-14)
    assert all(p.grad == 0.0 for p in emb.wte.rows()[0])  # token 0 was not read


# ---- shapes, masking, the cache ------------------------------------------------------------


def test_shapes_of_every_part():
    model = tiny()
    assert len(model.parameters()) == 7 * 8 + 8 * 8 + 7 * 8 + 2 * (4 * 8 * 8 + 2 * 8 * 32)
    logits = model(TOKENS)
    assert len(logits) == len(TOKENS) and all(len(row) == 7 for row in logits)
    assert len(model.losses(TOKENS)) == len(TOKENS) - 1
    assert len(Embedding(5, 3, seed=0)(4)) == 3
    assert len(Linear(4, 6, seed=0)(values(4, 0))) == 6
    cache = model.new_cache()
    model.step(TOKENS[0], cache)
    assert len(cache) == 1 and len(cache.keys) == 2 and len(cache.keys[0][0]) == 8


def test_loss_is_the_mean_of_the_positions_cross_entropies():
    model = tiny()
    terms = model.losses(TOKENS)
    logits = model(TOKENS)
    assert [t.op for t in terms] == ["cross_entropy"] * 5
    for pos, t in enumerate(terms):
        z = [v.data for v in logits[pos]]
        top = max(z)
        expected = math.log(sum(math.exp(v - top) for v in z)) + top - z[TOKENS[pos + 1]]
        assert close(t.data, expected)
    assert close(model.loss(TOKENS).data, sum(t.data for t in terms) / 5)


def test_a_sequence_longer_than_the_block_is_cut_as_microgpt_cuts_it():
    model = tiny(block_size=3)
    assert len(model.losses(TOKENS)) == 3
    with pytest.raises(ValueError, match="block_size is 3"):
        cache = model.new_cache()
        for t in TOKENS:
            model.step(t, cache)


def test_causal_a_position_never_depends_on_later_tokens():
    model = tiny()
    changed = [*TOKENS[:3], 5, 4, 2]
    first, second = model(TOKENS), model(changed)
    for pos in range(3):
        assert [v.data for v in first[pos]] == [v.data for v in second[pos]]
    assert [v.data for v in first[3]] != [v.data for v in second[3]]
    loss = model.losses(TOKENS)[1]  # predicts token 2 from tokens 0 and 1
    loss.backward()
    wpe = model.embed.wpe.rows()
    assert any(p.grad != 0.0 for p in wpe[1])
    assert all(p.grad == 0.0 for row in wpe[2:] for p in row)


def test_cached_logits_equal_a_full_recompute_of_each_prefix():
    model = tiny(seed=3)
    cache = model.new_cache()
    for t in range(len(TOKENS)):
        cached = [v.data for v in model.step(TOKENS[t], cache)]
        recomputed = [v.data for v in model(TOKENS[: t + 1])[-1]]
        assert cached == recomputed


def test_cached_logits_equal_pytorchs_whole_sequence_with_a_mask(torch):
    model = tiny(seed=4)
    w = tensors(torch, model.to_microgpt())
    n = len(TOKENS)
    x = t_rms(torch, w["wte"][torch.tensor(TOKENS)] + w["wpe"][:n])
    for i in range(2):
        p = f"layer{i}."
        x = x + t_attention(torch, t_rms(torch, x), *(w[p + f"attn_w{c}"] for c in "qkvo"), 2)
        x = x + torch.relu(t_rms(torch, x) @ w[p + "mlp_fc1"].T) @ w[p + "mlp_fc2"].T
    t_logits = (x @ w["lm_head"].T).tolist()
    cache = model.new_cache()
    for t, token in enumerate(TOKENS):
        assert [v.data for v in model.step(token, cache)] == pytest.approx(t_logits[t], rel=1e-12)


def test_attention_maps_are_causal_rows_of_probabilities():
    model = tiny(seed=2)
    maps = model.attention_maps(TOKENS[:5], layer=1)
    assert len(maps) == 2 and all(len(m) == 5 for m in maps)
    for head in maps:
        for t, row in enumerate(head):
            assert sum(row) == pytest.approx(1.0, abs=1e-12)
            assert row[t + 1 :] == [0.0] * (4 - t)
    with pytest.raises(ValueError, match="layer"):
        model.attention_maps(TOKENS, layer=2)


# ---- microgpt's layout and its engine --------------------------------------------------------


def test_weights_round_trip_through_microgpts_layout_and_match_its_init_order():
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.gpt_reference import init_weights
    finally:
        sys.path.remove(str(ROOT))
    weights = init_weights(vocab_size=7, n_embd=8, n_layer=2, block_size=8, seed=42)
    assert (
        GPT(7, n_embd=8, n_head=2, n_layer=2, block_size=8, rng=random.Random(42)).to_microgpt()
        == weights
    )
    model = GPT.from_microgpt(weights, n_head=2)
    assert model.architecture() == dict(vocab_size=7, n_embd=8, n_head=2, n_layer=2, block_size=8)
    assert model.to_microgpt() == weights
    bad = dict(weights, lm_head=weights["lm_head"][:-1])
    with pytest.raises(ValueError, match="lm_head must be 7 x 8"):
        GPT.from_microgpt(bad, n_head=2)
    with pytest.raises(ValueError, match="unexpected keys \\['extra'\\]"):
        GPT.from_microgpt(dict(weights, extra=[[1.0]]), n_head=2)


def test_training_matches_the_microgpt_style_reference_engine_step_for_step():
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.gpt_reference import RefAdam, RefGPT, init_weights
    finally:
        sys.path.remove(str(ROOT))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    names = data.names(seed=42)[:4]
    tok = CharTokenizer.from_texts(data.names())
    weights = init_weights(tok.vocab_size, seed=42)
    ref = RefGPT(weights, n_head=4)
    opt = RefAdam(ref.params, steps=4)
    expected = []
    for name in names:
        loss = ref.loss(tok.encode(name))
        loss.backward()
        opt.step()
        expected.append(loss.data)
    model = GPT.from_microgpt(weights, n_head=4)
    history = fit(model, [tok.encode(n) for n in names], steps=4, progress=False)
    assert history["loss"] == pytest.approx(expected, rel=1e-9)


# ---- sampling ------------------------------------------------------------------------------


def test_sampling_is_deterministic_with_a_seed_and_stops_at_bos():
    tok = CharTokenizer("abcdef")
    model = tiny(seed=5)
    first = model.sample(tok, n=8, seed=3)
    assert first == model.sample(tok, n=8, seed=3)
    assert first != model.sample(tok, n=8, seed=4)
    assert all(len(name) <= model.block_size for name in first)
    tokens = model.generate(seed=3, prompt=[0, 1])
    assert tokens[:2] == [0, 1] and model.bos not in tokens
    assert len(model.generate(seed=1, max_tokens=2)) <= 2


def test_low_temperature_picks_the_most_likely_token():
    assert probabilities([1.0, 3.0, 2.0], temperature=0.01)[1] == pytest.approx(1.0)
    p, flatter = probabilities([1.0, 3.0, 2.0]), probabilities([1.0, 3.0, 2.0], temperature=2.0)
    assert sum(p) == pytest.approx(1.0) and p[0] < p[2] < p[1]
    assert max(flatter) < max(p) and min(flatter) > min(p)
    with pytest.raises(ValueError, match="temperature"):
        probabilities([1.0], temperature=0.0)


def test_sample_refuses_a_tokenizer_of_another_vocabulary():
    with pytest.raises(ValueError, match="tokenizer has 4 tokens"):
        tiny().sample(CharTokenizer("abc"))


# ---- saving, loading, errors ---------------------------------------------------------------


def test_save_and_load_give_the_same_loss_bit_for_bit(tmp_path):
    model = tiny(seed=6)
    fit(model, [TOKENS], steps=2, progress=False)
    path = tmp_path / "gpt.json"
    model.save(path, extra={"tokenizer": CharTokenizer("abcdef").to_dict()})
    loaded = load_model(path)
    assert isinstance(loaded, GPT) and loaded.architecture() == model.architecture()
    assert loaded.loss(TOKENS).data == model.loss(TOKENS).data
    again = tiny(seed=99).load(path)
    assert again.state_dict() == model.state_dict()
    document = json.loads(path.read_text())
    assert CharTokenizer.from_dict(document["tokenizer"]).chars == "abcdef"
    with pytest.raises(ValueError, match="another architecture"):
        tiny(n_layer=1).load(path)


def test_parameter_names_are_the_labels_drawings_show():
    model = tiny()
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "embed.wte.weight.0" and names[-1] == "lm_head.weight.55"
    assert "layers.1.attn.wq.weight.63" in names and "layers.0.mlp.fc2.weight.255" in names
    assert all(p.label == name for name, p in model.named_parameters())


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: GPT(7, n_embd=6, n_head=4), ValueError, "multiple of n_head"),
        (lambda: GPT(1), ValueError, "vocab_size must be >= 2"),
        (lambda: tiny().loss([6]), ValueError, "at least 2 tokens"),
        (lambda: tiny().loss([6, 7]), ValueError, "7 is not a token id"),
        (lambda: tiny().loss("ab"), TypeError, "list of token ids"),
        (lambda: Embedding(3, 2)(3), IndexError, "out of range"),
        (lambda: Linear(2, 2)(values(3, 0)), ValueError, "expected 2 values, got 3"),
        (lambda: RMSNorm(4, eps=0.0), ValueError, "eps must be a number > 0"),
        (lambda: GPT(7, seed=1, rng=random.Random(1)), ValueError, "either seed or rng"),
        (lambda: fit(tiny(), [TOKENS], steps=0), ValueError, "steps must be an int >= 1"),
    ],
)
def test_bad_arguments_are_named(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_repr_lists_the_parts():
    text = repr(tiny())
    assert text.startswith("GPT(\n  vocab_size=7, n_embd=8, n_head=2, n_layer=2, block_size=8")
    assert "(embed): InputEmbedding(" in text and "(lm_head): Linear(8, 7, bias=False)" in text


# ---- training ------------------------------------------------------------------------------


def test_fit_lowers_the_loss_and_records_every_step():
    tok = CharTokenizer.from_texts(["ann", "anna", "hannah"])
    docs = [tok.encode(n) for n in ["ann", "anna", "hannah"]]
    model = GPT(tok.vocab_size, n_embd=8, n_head=2, block_size=8, seed=0)
    before = sum(model.loss(d).data for d in docs)
    history = fit(model, docs, steps=30, lr=0.03, progress=False)
    assert history["step"] == list(range(1, 31))
    assert history["lr"][0] == 0.03 and history["lr"][-1] == pytest.approx(0.001)
    assert sum(model.loss(d).data for d in docs) < 0.7 * before


def test_fit_stops_when_the_callback_says_so():
    history = fit(tiny(), [TOKENS], steps=10, progress=False, callback=lambda s, r, m: s == 3)
    assert len(history) == 3 and history.stopped_early


# ---- the names data and the tokenizer -------------------------------------------------------


def test_names_are_lower_case_unique_and_shipped_with_their_source():
    names = data.names()
    assert len(names) == 5163 == len(set(names))
    assert names == sorted(names) and all(n.isalpha() and n.islower() for n in names)
    assert "emma" in names and "james" in names
    note = (ROOT / "nn" / "datasets" / "NAMES_SOURCE.md").read_text()
    assert "public domain" in note and "MIT" in note
    assert sorted(data.names(seed=1)) == names


def test_tokenizer_round_trips_and_names_bad_input():
    tok = CharTokenizer.from_texts(data.names())
    assert tok.vocab_size == 27 and tok.bos == 26
    assert tok.decode(tok.encode("emma")) == "emma"
    with pytest.raises(ValueError, match="'!' in 'em!' is not one of"):
        tok.encode("em!")
    with pytest.raises(ValueError, match="distinct"):
        CharTokenizer("aba")
    with pytest.raises(ValueError, match="not a token id"):
        tok.decode([27])


# ---- the fused ops: arguments, matvec, views ------------------------------------------------


def test_matvec_gives_linears_nodes_bit_for_bit():
    rows = [values(5, seed=i) for i in range(4)]
    x = values(5, seed=9)
    b = Value(0.25)
    ours, theirs = matvec(rows, x, b), [linear(row, x, b) for row in rows]
    assert [y.data for y in ours] == [y.data for y in theirs]
    assert [y.inputs for y in ours] == [y.inputs for y in theirs]
    with pytest.raises(ValueError, match="a row has 4 weights but there are 5 inputs"):
        matvec([x[:4]], x)


def test_fused_ops_refuse_bad_arguments():
    with pytest.raises(ValueError, match="softmax: needs at least one value"):
        softmax([])
    with pytest.raises(ValueError, match="class index in \\[0, 2\\)"):
        fused_cross_entropy([1.0, 2.0], 2)
    with pytest.raises(TypeError, match="int class index"):
        fused_cross_entropy([1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="eps must be a number >= 0"):
        rms_scale([1.0], eps=-1.0)
    with pytest.raises(ZeroDivisionError, match="rms_scale"):
        rms_scale([0.0, 0.0], eps=0.0)


def test_softmax_of_large_logits_does_not_overflow():
    p = softmax([1000.0, 0.0, -1000.0])
    assert [v.data for v in p] == [1.0, 0.0, 0.0]
    assert fused_cross_entropy([1000.0, 0.0], 1).data == 1000.0


def test_drawings_and_steps_name_the_inputs_of_the_fused_ops():
    z = [Value(1.0, label="z0"), Value(2.0, label="z1")]
    p = softmax(z)[1]
    source = draw_dot(p).source
    assert sorted(re.findall(r"-> \w+ \[label=(\w+)\]", source)) == ["a", "z0", "z1"]
    from autograd import backward_steps

    steps = [str(s) for s in backward_steps(p)]
    assert steps[0].startswith("step 0: z1 (a) <- [softmax]")


def test_one_positions_loss_collapses_into_four_boxes():
    model = tiny(n_layer=1)
    loss = model.losses(TOKENS)[2]
    loss.backward()
    source = draw_dot(loss, collapse=model, collapse_level="module").source
    boxes = [line for line in source.splitlines() if "rounded" in line]
    names = [b.split("{ ")[1].split(" |")[0] for b in boxes]
    assert names == ["embed", "layers.0.attn", "layers.0.mlp", "lm_head"]
    assert re.search(r"CausalSelfAttention\W+256 params", source)
    assert source.count("shape=record") == 4 + 1  # the boxes and the loss


def test_create_graph_through_a_gpt_loss_gives_second_derivatives():
    from autograd import gradients

    model = tiny(seed=7, n_layer=1)
    w = model.lm_head.weight[3]
    (g,) = gradients(model.loss(TOKENS), [w], create_graph=True)
    (h,) = gradients(g, [w])
    step = 1e-5
    w.data += step
    (g_plus,) = gradients(model.loss(TOKENS), [w])
    w.data -= 2 * step
    (g_minus,) = gradients(model.loss(TOKENS), [w])
    w.data += step
    assert h == pytest.approx((g_plus - g_minus) / (2 * step), rel=1e-5)


# ---- pictures and the benchmark ------------------------------------------------------------


def test_attention_heatmap_has_one_panel_per_head():
    pytest.importorskip("matplotlib")
    tok = CharTokenizer("aemv")
    model = GPT(tok.vocab_size, n_embd=8, n_head=2, seed=0)
    fig = plot_attention(model, tok, "emma")
    heads = [ax for ax in fig.axes if ax.get_title().startswith("head")]
    assert len(heads) == 2
    assert [t.get_text() for t in heads[0].get_xticklabels()] == ["BOS", "e", "m", "m", "a"]


def test_gpt_benchmark_quick_run_checks_losses_and_prints_the_table():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpt.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for engine in ("reference", "chainrule (engine)", "chainrule (+linear)", "nn.GPT"):
        assert f"{engine} " in out
    assert "FAILED" not in out and out.count(" ok") >= 4
    assert "bytes/node" in out and "micrograd" in out
    floor = [line for line in out.splitlines() if line.startswith("floor (nn.GPT's graph)")]
    assert len(floor) == 2 and floor[0].rstrip().endswith("x") and "replays" in floor[1]


def test_gpt_floor_replays_linear_nodes_with_their_true_gradients():
    import doctest

    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import gpt_floor
    finally:
        sys.path.remove(str(ROOT))
    assert doctest.testmod(gpt_floor).failed == 0
    GraphFloor = gpt_floor.GraphFloor  # noqa: N806

    ws = [Value(0.5 * i - 1.0) for i in range(6)]
    xs = [Value(1.5), Value(-2.0), Value(0.25)]
    hidden = [linear(ws[3 * r : 3 * r + 3], xs, 0.1 * r) for r in range(2)]
    loss = linear([Value(2.0), Value(-3.0)], hidden, 0.5)
    floor = GraphFloor(loss)
    assert floor.forward_backward() == loss.data
    loss.backward()
    assert [p.grad for p in floor.leaves_of(ws + xs)] == [p.grad for p in ws + xs]
    assert floor.forward_backward() == loss.data  # replayed: grads start again from zero
    assert [p.grad for p in floor.leaves_of(ws)] == [p.grad for p in ws]


def test_the_graph_of_a_name_is_made_of_few_fused_nodes():
    model = GPT(27, seed=0)
    ops = [v.op for v in topological_order(model.loss([26, 4, 12, 12, 0, 26]))]
    assert {"linear", "softmax", "rms_scale", "cross_entropy"} <= set(ops)
    assert ops.count("rms_scale") == 3 * 5 and ops.count("cross_entropy") == 5
    assert "exp" not in ops and "log" not in ops


# ---- chainrule gpt ---------------------------------------------------------------------------


def test_cli_gpt_trains_samples_saves_and_loads(tmp_path, capsys):
    from nn.cli import main

    path = tmp_path / "names.json"
    flags = ["gpt", "--steps", "4", "--samples", "3", "--no-progress", "--save", str(path)]
    assert main(flags) == 0
    out = capsys.readouterr().out
    assert "4 steps (one name each)" in out and "loss, mean of each tenth" in out
    assert "final: step 4, loss" in out and "3 names sampled at temperature 0.5 (seed 42)" in out
    sampled = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert len(sampled) == 3
    assert main(["gpt", "--load", str(path), "--samples", "3"]) == 0
    again = capsys.readouterr().out
    assert "loaded from" in again and "loss" not in again
    assert [line.strip() for line in again.splitlines() if line.startswith("  ")] == sampled


def test_cli_gpt_refuses_a_file_that_is_not_a_gpt(tmp_path, capsys):
    from nn import MLP
    from nn.cli import main

    path = tmp_path / "mlp.json"
    MLP(2, [3, 1], seed=0).save(path)
    assert main(["gpt", "--load", str(path)]) == 1
    assert "holds a MLP, not a GPT" in capsys.readouterr().err
    assert main(["gpt", "--steps", "1", "--save", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err


def test_cli_gpt_help_shows_examples(capsys):
    from nn.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["gpt", "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "chainrule gpt --load names.json" in out


# ---- compiled replay --------------------------------------------------------------------------


def test_compiled_gpt_loss_equals_the_interpreted_one_for_names_of_one_length():
    pytest.importorskip("numpy")
    from autograd import compile as compile_fn

    model = tiny(seed=8, n_layer=1)
    step = compile_fn(model.loss)
    for tokens in ([6, 0, 3, 3, 1, 6], [6, 2, 5, 1, 0, 6], [6, 4, 6]):  # two lengths
        model.zero_grad()
        expected = model.loss(tokens)
        expected.backward()
        grads = [p.grad for p in model.parameters()]
        model.zero_grad()
        assert step(tokens) == pytest.approx(expected.data, rel=1e-12)
        for p, g in zip(model.parameters(), grads):
            assert p.grad == pytest.approx(g, rel=1e-9, abs=1e-15)


def test_fused_ops_record_primitives_when_compiled_with_the_same_numbers():
    pytest.importorskip("numpy")
    from autograd import compile as compile_fn

    w = values(4, seed=21)

    def f(xs, target):
        z = [wi * x for wi, x in zip(w, xs)]
        return softmax(z)[1] * 2 + fused_cross_entropy(z, target) + rms_scale(z)

    step = compile_fn(f)
    for xs, target in (([0.5, -1.0, 2.0, 0.1], 2), ([1.5, 0.3, -0.7, 2.2], 0)):
        for p in w:
            p.grad = 0.0
        expected = f([Value(x) for x in xs], target)
        expected.backward()
        grads = [p.grad for p in w]
        for p in w:
            p.grad = 0.0
        assert step(xs, target) == pytest.approx(expected.data, rel=1e-12)
        assert [p.grad for p in w] == pytest.approx(grads, rel=1e-10)


def test_a_value_target_and_a_value_index_pick_as_ints_do():
    z = values(3, seed=4)
    assert fused_cross_entropy(z, Value(2.0)).data == fused_cross_entropy(z, 2).data
    emb = Embedding(4, 3, seed=0)
    assert emb(Value(3.0)) == emb(3)
    with pytest.raises(IndexError, match="out of range for 4 values"):
        emb(Value(4.0))
