// The explorer page's script: explore.py inlines it in each page, called with its <div>'s id.
// Plain ES5, so older notebook front ends run it too. It finds its own <div> by id (a notebook
// may attach the output to the page after running the script, so it retries for a few seconds),
// reads the JSON, and redraws each frame by replaying the frames before it: stepping back needs
// no undo.
(function (uid) {
"use strict";
var tries = 0;
function boot() {
  var root = document.getElementById(uid);
  if (!root) {
    if (++tries < 400) { setTimeout(boot, 25); }
    return;
  }
  if (root.getAttribute("data-cr-ready")) { return; }
  root.setAttribute("data-cr-ready", "1");
  start(root);
}

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) { e.className = cls; }
  if (text !== undefined && text !== null) { e.textContent = text; }
  return e;
}

function setClass(e, cls, on) {
  // SVG elements have no plain-string className: use classList
  if (on) { e.classList.add(cls); } else { e.classList.remove(cls); }
}

function start(root) {
  function q(name) { return root.querySelector('[data-cr="' + name + '"]'); }
  // a front end that re-creates script elements may drop their data-cr attribute
  var json = q("data") || root.querySelector('script[type="application/json"]');
  var D = JSON.parse(json.textContent);
  var nodes = D.nodes, steps = D.backward, N = nodes.length, R = D.root;
  var standalone = root.getAttribute("data-cr-standalone") === "1";
  var noscript = q("noscript");
  if (noscript) { noscript.parentNode.removeChild(noscript); }
  var i, k;

  // ---- frames: start, the leaves, each op node, the seed, each chain-rule step ----
  var frames = [{t: "start"}], leaves = [];
  for (i = 0; i < D.forward.length; i++) {
    if (nodes[D.forward[i]].leaf) { leaves.push(D.forward[i]); }
  }
  if (leaves.length) { frames.push({t: "leaves", nodes: leaves}); }
  for (i = 0; i < D.forward.length; i++) {
    if (!nodes[D.forward[i]].leaf) { frames.push({t: "fwd", node: D.forward[i]}); }
  }
  var firstBackward = frames.length;
  frames.push({t: "seed"});
  for (k = 0; k < steps.length; k++) { frames.push({t: "bwd", k: k}); }
  var last = frames.length - 1, nFwd = firstBackward - 1;

  // ---- the SVG pieces of each node: its record, its op oval, its data and grad texts ----
  var graph = q("graph");
  var parts = [], datas = [], grads = [], edges = [];
  for (i = 0; i < N; i++) { parts.push([]); datas.push([]); grads.push([]); }
  var gs = graph.querySelectorAll("g[data-cr-node]");
  for (i = 0; i < gs.length; i++) {
    var idx = +gs[i].getAttribute("data-cr-node"), nd = nodes[idx];
    parts[idx].push(gs[i]);
    gs[i].setAttribute("tabindex", "0");
    gs[i].setAttribute("role", "button");
    gs[i].setAttribute("aria-label", nd.name + (nd.op ? " (" + nd.op + ")" : ""));
    var ts = gs[i].querySelectorAll("text[data-cr-field]");
    for (k = 0; k < ts.length; k++) {
      (ts[k].getAttribute("data-cr-field") === "data" ? datas : grads)[idx].push(ts[k]);
    }
  }
  var es = graph.querySelectorAll("g[data-cr-to]");
  for (i = 0; i < es.length; i++) {
    edges.push({g: es[i], from: +es[i].getAttribute("data-cr-from"),
                to: +es[i].getAttribute("data-cr-to")});
  }

  // ---- the table of leaves ----
  var leafRows = {};
  for (i = 0; i < leaves.length; i++) {
    var n0 = nodes[leaves[i]], tr = el("tr");
    var tdData = el("td", "cr-num"), tdGrad = el("td", "cr-num");
    tdGrad.setAttribute("data-cr-leaf-grad", String(leaves[i]));
    tdGrad.setAttribute("data-cr-leaf-name", n0.name);
    tr.appendChild(el("td", null, n0.name));
    tr.appendChild(tdData);
    tr.appendChild(tdGrad);
    q("leaves").appendChild(tr);
    leafRows[leaves[i]] = {tr: tr, data: tdData, grad: tdGrad};
  }

  // ---- what is known at frame f: replay the frames up to it ----
  function stateAt(f) {
    var s = {known: [], grad: [], gradFull: [], touched: [], backward: false}, j;
    for (j = 0; j < N; j++) {
      s.known.push(false); s.grad.push(null); s.gradFull.push(null); s.touched.push(false);
    }
    for (var g = 1; g <= f; g++) {
      var fr = frames[g];
      if (fr.t === "leaves") {
        for (j = 0; j < fr.nodes.length; j++) { s.known[fr.nodes[j]] = true; }
      } else if (fr.t === "fwd") {
        s.known[fr.node] = true;
      } else if (fr.t === "seed") {
        // backward() starts every grad at 0 and the output's at 1
        s.backward = true;
        for (j = 0; j < N; j++) {
          s.known[j] = true; s.grad[j] = D.zero_short; s.gradFull[j] = D.zero_full;
        }
        s.grad[R] = D.seed_short; s.gradFull[R] = D.seed_full; s.touched[R] = true;
      } else if (fr.t === "bwd") {
        var st = steps[fr.k];
        s.grad[st.input] = st.after_short; s.gradFull[st.input] = st.after_full;
        s.touched[st.input] = true;
      }
    }
    return s;
  }

  var frame = 0, state = stateAt(0), timer = null, selected = null, hovered = null;
  var revealed = -1;

  function narrate(fr) {
    var box = q("narration"), phase = "start";
    box.textContent = "";
    function line(text, cls) {
      var p = el("div", "cr-line" + (cls ? " " + cls : ""), text);
      box.appendChild(p);
      return p;
    }
    if (fr.t === "start") {
      line("Start: nothing is computed yet.", "cr-big");
      line("Step forward to run the forward pass: each node's value is computed from its " +
           "inputs, in topological order.");
      line("Then the backward pass applies the chain rule one edge at a time: " +
           "grad(input) += local derivative \u00d7 upstream grad.");
    } else if (fr.t === "leaves") {
      phase = "forward";
      line("Forward pass: the leaves are given (inputs, parameters, constants).", "cr-big");
      var given = [];
      for (var j = 0; j < fr.nodes.length && j < 12; j++) {
        given.push(nodes[fr.nodes[j]].name + " = " + nodes[fr.nodes[j]].data_short);
      }
      if (fr.nodes.length > 12) { given.push("\u2026 (" + (fr.nodes.length - 12) + " more)"); }
      line(given.join(",  "), "cr-mono");
    } else if (fr.t === "fwd") {
      phase = "forward";
      var n = nodes[fr.node];
      line("Forward pass: compute " + n.name + " with the op " + n.op, "cr-big");
      if (n.label) {
        line(n.name + " = " + n.expr_names, "cr-mono");
        line("    = " + n.expr_values + " = " + n.data_short, "cr-mono");
      } else {  // its name is already the expression
        line(n.expr_names + " = " + n.expr_values + " = " + n.data_short, "cr-mono");
      }
    } else if (fr.t === "seed") {
      phase = steps.length ? "backward" : "done";
      var r = nodes[R].name;
      line("Backward pass starts: every grad is set to 0, then " + r + ".grad = 1", "cr-big");
      line("d " + r + " / d " + r + " = 1: the output's gradient with respect to itself.");
      line("From here, each step sends gradient from a node back to one of its inputs.");
    } else if (fr.t === "bwd") {
      phase = "backward";
      var st = steps[fr.k], out = nodes[st.node], inp = nodes[st.input], where = [];
      line("Chain rule: gradient flows from " + out.name + " back to its input " + inp.name,
           "cr-big");
      var formula = out.formulas[st.slot];
      for (var c = 0; c < out.children.length; c++) {
        // name only the inputs this formula mentions (a linear node has many)
        if (new RegExp("\\b" + out.letters[c] + "\\b").test(formula)) {
          where.push(out.letters[c] + " = " + nodes[out.children[c]].name);
        }
      }
      line("local derivative: " + formula + "    where " + where.join(", "), "cr-mono");
      line("local derivative \u00d7 upstream grad = contribution:  " + st.local_short +
           " \u00d7 " + st.upstream_short + " = " + st.contribution_short, "cr-mono cr-big");
      line(inp.name + ".grad += contribution:  " + st.before_short + " + " +
           st.contribution_short + " = " + st.after_short, "cr-mono");
      if (fr.k === steps.length - 1) {
        phase = "done";
        line("Done: every grad now equals what " + nodes[R].name + ".backward() computes.",
             "cr-big");
      }
    }
    box.className = "cr-narration cr-ph-" + phase;
    var ph = q("phase");
    ph.className = "cr-phase cr-ph-" + phase;
    ph.textContent = {start: "Start", forward: "Forward pass", backward: "Backward pass",
                      done: "Done"}[phase];
  }

  function render() {
    state = stateAt(frame);
    var fr = frames[frame], st = fr.t === "bwd" ? steps[fr.k] : null;
    var fwd = {}, j, p;
    if (fr.t === "leaves") { for (j = 0; j < fr.nodes.length; j++) { fwd[fr.nodes[j]] = true; } }
    if (fr.t === "fwd") { fwd[fr.node] = true; }
    for (var i = 0; i < N; i++) {
      var n = nodes[i];
      for (p = 0; p < parts[i].length; p++) {
        var g = parts[i][p];
        setClass(g, "cr-pending", !state.known[i]);
        setClass(g, "cr-fwd", !!fwd[i]);
        setClass(g, "cr-up", !!st && st.node === i);
        // the input's record receives the grad; its own op oval plays no part in this step
        var rec = g.getAttribute("data-cr-part") === "record";
        setClass(g, "cr-in", rec && ((!!st && st.input === i) || (fr.t === "seed" && i === R)));
        setClass(g, "cr-sel", selected === i);
        setClass(g, "cr-hover", hovered === i);
      }
      for (p = 0; p < datas[i].length; p++) {
        datas[i][p].textContent = "data " + (state.known[i] ? n.data_short : "?");
      }
      for (p = 0; p < grads[i].length; p++) {
        var t = grads[i][p];
        t.textContent = "grad " + (state.grad[i] === null ? "?" : state.grad[i]);
        setClass(t, "cr-untouched", state.backward && !state.touched[i]);
        setClass(t, "cr-changed", !!st && st.input === i);
      }
      if (leafRows[i]) {
        leafRows[i].data.textContent = state.known[i] ? n.data_full : "?";
        leafRows[i].grad.textContent = state.gradFull[i] === null ? "\u2014" : state.gradFull[i];
        setClass(leafRows[i].tr, "cr-in", !!st && st.input === i);
      }
    }
    for (var e = 0; e < edges.length; e++) {
      var E = edges[e];
      setClass(E.g, "cr-pending", !state.known[E.to]);
      setClass(E.g, "cr-fwd", fr.t === "fwd" && E.to === fr.node);
      // the step's two edges: input -> op oval, and op oval -> the node's record
      setClass(E.g, "cr-bwd", !!st && E.to === st.node &&
               (E.from === st.input || E.from === st.node));
    }
    narrate(fr);
    var where = frame === 0 ? "" : frame < firstBackward ?
      "  (forward " + frame + "/" + nFwd + ")" :
      "  (backward " + (frame - firstBackward) + "/" + steps.length + ")";
    q("counter").textContent = "step " + frame + " / " + last + where;
    var scrub = q("scrub");
    scrub.max = String(last);
    scrub.value = String(frame);
    scrub.setAttribute("aria-valuetext", "step " + frame + " of " + last);
    q("start").disabled = frame === 0;
    q("back").disabled = frame === 0;
    q("step").disabled = frame === last;
    q("end").disabled = frame === last;
    var play = q("play");
    play.setAttribute("aria-pressed", timer ? "true" : "false");
    play.textContent = timer ? "\u25AE\u25AE Pause" : "\u25B6 Play";
    root.setAttribute("data-cr-frame", String(frame));
    showDetails();
    if (frame !== revealed) {  // only a new step scrolls: hovering must not move the drawing
      revealed = frame;
      reveal(graph.querySelectorAll("g.cr-fwd, g.cr-up, g.cr-in"));
    }
  }

  // scroll the drawing (not the page) so that the highlighted nodes are in view
  function reveal(list) {
    var wide = graph.scrollWidth > graph.clientWidth;
    var tall = graph.scrollHeight > graph.clientHeight;
    if (!list.length || !(wide || tall)) { return; }
    var box = graph.getBoundingClientRect(), pad = 30;
    var l = Infinity, t = Infinity, r = -Infinity, b = -Infinity;
    for (var j = 0; j < list.length; j++) {
      var rc = list[j].getBoundingClientRect();
      l = Math.min(l, rc.left); t = Math.min(t, rc.top);
      r = Math.max(r, rc.right); b = Math.max(b, rc.bottom);
    }
    if (l < box.left + pad || r > box.right - pad) {
      graph.scrollLeft += (l + r) / 2 - (box.left + box.right) / 2;
    }
    if (t < box.top + pad || b > box.bottom - pad) {
      graph.scrollTop += (t + b) / 2 - (box.top + box.bottom) / 2;
    }
  }

  function heading(text) {
    // not an <h3>: JupyterLab would add it to the notebook's table of contents
    var h = el("div", "cr-h3", text);
    h.setAttribute("role", "heading");
    h.setAttribute("aria-level", "3");
    return h;
  }

  function showDetails() {
    var box = q("details"), i = hovered !== null ? hovered : selected, c;
    box.textContent = "";
    box.setAttribute("data-cr-shown", i === null ? "" : String(i));
    if (i === null) {
      box.appendChild(heading("Node details"));
      box.appendChild(el("div", null, "Hover over or click a node in the graph (or Tab to it) " +
        "to see its label, op, data, grad and the formula of its local derivative."));
      return;
    }
    var n = nodes[i], dl = el("dl");
    box.appendChild(heading(n.name + (n.leaf ? "  (leaf)" : "  (" + n.op + ")")));
    function row(key, value, cls) {
      dl.appendChild(el("dt", null, key));
      dl.appendChild(el("dd", cls, value));
    }
    row("label", n.label ? n.label : "(none)");
    row("op", n.leaf ? "none: a leaf (input, parameter or constant)" :
        n.op + ":  " + n.name + " = " + n.expr_names);
    row("data", state.known[i] ? n.data_full : "not computed yet (step forward)", "cr-mono");
    var g = state.gradFull[i];
    row("grad", g === null ? "not computed yet (the backward pass comes after the forward pass)" :
        g + (state.backward && !state.touched[i] ? "  (no contribution yet)" : ""), "cr-mono");
    row("final grad", n.grad_full + "  (what backward() gives)", "cr-mono");
    box.appendChild(dl);
    var out = nodes[R].name;
    if (n.leaf) {
      box.appendChild(el("div", null, "A leaf has no inputs, so no local derivative. Its grad " +
        "is d " + out + " / d " + n.name + ", summed over every path to " + out + "."));
      return;
    }
    var where = [];
    for (c = 0; c < n.children.length; c++) {
      where.push(n.letters[c] + " = " + nodes[n.children[c]].name);
    }
    box.appendChild(el("div", null, "Local derivatives of " + n.name + " = " + n.expr +
      ",  where " + where.join(", ") + ":"));
    var ul = el("ul");
    for (c = 0; c < n.children.length; c++) {
      var li = el("li", "cr-mono", n.formulas[c] + (state.known[i] ? "  = " + n.locals[c] : ""));
      li.setAttribute("data-cr-formula", String(c));
      ul.appendChild(li);
    }
    box.appendChild(ul);
  }

  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
  }
  function go(f) {
    frame = Math.max(0, Math.min(last, f));
    if (frame === last) { stop(); }
    render();
  }
  function play() {
    if (timer) { return; }
    if (frame === last) { frame = 0; }
    timer = setInterval(function () { go(frame + 1); }, +q("speed").value || 700);
    render();
  }
  function toggle() {
    if (timer) { stop(); render(); } else { play(); }
  }

  function on(name, type, fn) { q(name).addEventListener(type, fn); }
  on("start", "click", function () { stop(); go(0); });
  on("back", "click", function () { stop(); go(frame - 1); });
  on("step", "click", function () { stop(); go(frame + 1); });
  on("end", "click", function () { stop(); go(last); });
  on("play", "click", toggle);
  on("scrub", "input", function () { stop(); go(+q("scrub").value); });
  on("speed", "change", function () { if (timer) { stop(); play(); } });
  on("zoom", "change", function () { zoomTo(q("zoom").value); render(); });

  function nodeOf(target) {
    for (; target && target !== graph; target = target.parentNode) {
      if (target.getAttribute && target.getAttribute("data-cr-node") !== null) {
        return +target.getAttribute("data-cr-node");
      }
    }
    return null;
  }
  graph.addEventListener("mouseover", function (ev) {
    var i = nodeOf(ev.target);
    if (i !== hovered) { hovered = i; render(); }
  });
  graph.addEventListener("mouseleave", function () {
    if (hovered !== null) { hovered = null; render(); }
  });
  graph.addEventListener("click", function (ev) {
    var i = nodeOf(ev.target);
    selected = i;  // pins the node's details; a click on the background (or Escape) unpins
    render();
  });
  graph.addEventListener("focusin", function (ev) {
    var i = nodeOf(ev.target);
    if (i !== null) { selected = i; render(); }
  });

  // Keys go to the explorer itself inside a notebook (which has shortcuts of its own), and to
  // the whole page when the explorer is the page.
  var keyTarget = standalone ? document : root;
  keyTarget.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    var key = ev.key, tgt = ev.target, handled = true;
    if (key === "ArrowRight") { stop(); go(frame + 1); }
    else if (key === "ArrowLeft") { stop(); go(frame - 1); }
    else if (key === " " || key === "Spacebar") { toggle(); }
    else if (key === "Home") { stop(); go(0); }
    else if (key === "End") { stop(); go(last); }
    else if (key === "Escape") { selected = null; hovered = null; render(); }
    else if (key === "+" || key === "=") { zoomBy(1); }
    else if (key === "-" || key === "_") { zoomBy(-1); }
    else if (key === "Enter" && tgt && tgt.getAttribute && tgt.getAttribute("data-cr-node")) {
      selected = +tgt.getAttribute("data-cr-node");
      render();
    } else { handled = false; }
    if (handled) { ev.preventDefault(); ev.stopPropagation(); }
  });
  // without this, Space released on a focused button would click it after the toggle above
  keyTarget.addEventListener("keyup", function (ev) {
    if (ev.key === " " || ev.key === "Spacebar") { ev.preventDefault(); }
  });
  root.addEventListener("mousedown", function (ev) {
    var tag = ev.target.tagName;
    if (tag !== "BUTTON" && tag !== "SELECT" && tag !== "INPUT" && tag !== "OPTION") {
      root.focus({preventScroll: true});
    }
  });

  // ---- zoom: "fit" (the default) shows the whole drawing, output included, at most at 100%;
  // a zoom level stays chosen while stepping, and the current step scrolls into view ----
  var svg = graph.querySelector("svg"), zoom = "fit", scale = 1, boxWidth = -1;
  function natural(attr) {  // Graphviz gives the size in points: 1pt = 4/3 px
    var text = svg.getAttribute(attr) || "", n = parseFloat(text);
    return /pt$/.test(text) ? n * 4 / 3 : n;
  }
  var natW = svg ? natural("width") : 0, natH = svg ? natural("height") : 0;
  function fitScale() {
    var cs = window.getComputedStyle(graph);
    var padW = parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
    var padH = parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom);
    var border = parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth);
    var w = (graph.clientWidth - padW - 1) / natW;
    var maxH = parseFloat(cs.maxHeight);  // "none" reads as NaN: no limit on the height
    var h = isNaN(maxH) ? Infinity : (maxH - padH - border - 1) / natH;
    return Math.max(0.05, Math.min(1, w, h));
  }
  function zoomTo(z) {
    if (!svg || !natW || !natH) { return; }
    zoom = z;
    if (z === "fit") {
      if (graph.clientWidth <= 0) { return; }  // not laid out yet: the resize will fit it
      boxWidth = graph.clientWidth;
      scale = fitScale();
    } else {
      scale = +z;
    }
    svg.style.width = (natW * scale).toFixed(1) + "px";
    svg.style.height = (natH * scale).toFixed(1) + "px";
    var select = q("zoom"), fit = select.options[0];
    fit.textContent = "fit (" + Math.round((z === "fit" ? scale : fitScale()) * 100) + "%)";
    select.value = z === "fit" ? "fit" : String(z);
    root.setAttribute("data-cr-zoom", z === "fit" ? "fit" : String(scale));
    revealed = -1;  // show the current step at the new size
  }
  function zoomBy(direction) {
    var levels = [], select = q("zoom"), j, next = null;
    for (j = 1; j < select.options.length; j++) { levels.push(+select.options[j].value); }
    for (j = 0; j < levels.length; j++) {
      if (direction > 0 && levels[j] > scale + 1e-6 && next === null) { next = levels[j]; }
      if (direction < 0 && levels[j] < scale - 1e-6) { next = levels[j]; }
    }
    if (next !== null) { zoomTo(String(next)); render(); }
  }
  function refit() {  // the box changed width (window, notebook column): fit again
    if (zoom === "fit" && graph.clientWidth !== boxWidth) { zoomTo("fit"); render(); }
  }
  if (window.ResizeObserver) {
    new window.ResizeObserver(refit).observe(graph);
  } else {
    window.addEventListener("resize", refit);
  }
  zoomTo("fit");
  render();
}

boot();
})
