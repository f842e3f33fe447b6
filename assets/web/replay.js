// contrastive-lab's replay page: a recorded run drawn at the browser's frame rate. Everything
// it needs is in the page (the JSON in #run-data); it makes no request of any kind. Text from
// the recording (class names, events, the lesson) is set as text, never as markup.
(function () {
  "use strict";
  const root = document.documentElement;
  let errors = 0;
  function fail(message) {
    errors += 1;
    document.getElementById("status").textContent = "error: " + message;
    root.dataset.status = "error: " + message;
    const e = document.getElementById("error");
    e.hidden = false;
    e.textContent = "This page could not draw the run: " + message;
  }
  window.addEventListener("error", (ev) => fail(String(ev.message)));

  // Tableau 10, the app's class colours.
  const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
  const RUN_DASH = [[], [6, 4], [2, 3]];
  const el = (tag, props, parent) => {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    if (parent) parent.appendChild(e);
    return e;
  };

  function int16s(b64) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Int16Array(bytes.buffer);
  }

  const data = JSON.parse(document.getElementById("run-data").textContent);
  const n = data.labels.length;
  const runs = data.runs.map((r) => ({
    ...r,
    sphereXY: int16s(r.sphere),
    pcaXY: int16s(r.pca),
  }));
  const steps = runs[0].steps;
  const last = steps.length - 1;

  document.getElementById("title").textContent = data.title;
  document.getElementById("config").textContent = data.config;
  document.getElementById("how").textContent = data.how;

  // The lesson's card: what to do, what to watch, the question; the answer on a click.
  if (data.lesson) {
    const c = document.getElementById("card");
    c.hidden = false;
    const row = (label, text) => {
      const p = el("p", {}, c);
      el("span", { className: "label", textContent: label }, p);
      el("span", { textContent: text }, p);
      return p;
    };
    row("Lesson:", data.lesson.title);
    row("Predict:", data.lesson.question);
    const choices = el("p", {}, c);
    const answer = el("p", { className: "answer", hidden: true }, c);
    data.lesson.choices.forEach((choice, i) => {
      const b = el("button", { type: "button", textContent: choice }, choices);
      b.addEventListener("click", () => {
        answer.hidden = false;
        answer.textContent = (i === data.lesson.answer ? "Right. " : "Not quite. ") +
          "Answer: " + data.lesson.choices[data.lesson.answer] + ". " + data.lesson.why;
      });
    });
    row("Now:", data.lesson.now);
    row("Watch:", data.lesson.watch);
  }

  // The views: per run, the sphere view (fixed scale, the unit circle) and PCA (fitted); a
  // sweep's, the sphere view of each value's first seed, rotated onto the first's.
  const views = document.getElementById("views");
  const sweep = data.kind === "sweep";
  const VIEW = sweep ? 220 : 300;
  const canvases = [];
  const legend = el("div", { className: "legend wide" }, views);
  data.classes.forEach((name, c) => {
    const s = el("span", { textContent: name }, legend);
    s.style.setProperty("--swatch", PALETTE[c % PALETTE.length]);
  });
  // A comparison's views pair up: A's and B's sphere views in a row, then their PCA.
  for (const kind of sweep ? ["sphere"] : ["sphere", "pca"]) {
    runs.forEach((r, k) => {
      if (!r.panel) return;
      const box = el("div", { className: "view" }, views);
      box.style.maxWidth = VIEW + 12 + "px";
      el("h2", {
        textContent: sweep ? r.name : (runs.length > 1 ? r.name + " · " : "") +
          (kind === "sphere" ? "sphere view (unit circle, fixed scale)" : "PCA (zoomed to fit)"),
      }, box);
      const cv = el("canvas", { width: VIEW, height: VIEW }, box);
      canvases.push({ cv, run: k, kind, shown: null });
    });
  }

  // Where the points are at fractional snapshot index t: between two snapshots, gliding.
  function positions(run, kind, t) {
    const i = Math.min(Math.floor(t), last);
    const j = Math.min(i + 1, last);
    const f = t - i;
    const xy = kind === "sphere" ? run.sphereXY : run.pcaXY;
    const si = kind === "sphere" ? 1 : run.pcaScale[i];
    const sj = kind === "sphere" ? 1 : run.pcaScale[j];
    const out = new Float32Array(2 * n);
    for (let p = 0; p < 2 * n; p++) {
      const a = (xy[i * 2 * n + p] / 32767) * si;
      const b = (xy[j * 2 * n + p] / 32767) * sj;
      out[p] = a + (b - a) * f;
    }
    return out;
  }

  function drawView(v, t) {
    const ctx = v.cv.getContext("2d");
    const pts = positions(runs[v.run], v.kind, t);
    let scale = 1.1;
    if (v.kind === "pca") {
      scale = 1e-9;
      for (let p = 0; p < 2 * n; p++) scale = Math.max(scale, Math.abs(pts[p]));
      scale *= 1.1;
    }
    const half = VIEW / 2;
    const toScreen = (x, y) => [half + (x / scale) * half, half - (y / scale) * half];
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, VIEW, VIEW);
    ctx.strokeStyle = "#444";
    ctx.beginPath();
    ctx.moveTo(0, half); ctx.lineTo(VIEW, half); ctx.moveTo(half, 0); ctx.lineTo(half, VIEW);
    ctx.stroke();
    if (v.kind === "sphere") {
      ctx.strokeStyle = "#aaa";
      ctx.beginPath();
      ctx.arc(half, half, half / scale, 0, 2 * Math.PI);
      ctx.stroke();
    }
    const screen = new Float32Array(2 * n);
    for (let p = 0; p < n; p++) {
      const [x, y] = toScreen(pts[2 * p], pts[2 * p + 1]);
      screen[2 * p] = x; screen[2 * p + 1] = y;
      ctx.fillStyle = PALETTE[data.labels[p] % PALETTE.length];
      ctx.fillRect(x - 2, y - 2, 4, 4);
    }
    if (hover && hover.canvas === v) {
      const p = hover.point;
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(screen[2 * p], screen[2 * p + 1], 7, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    v.shown = screen;
  }

  // The time plots: every run's line (a comparison's B dashed, a sweep's coloured by its
  // value), the events, the cursor.
  const plotsBox = document.getElementById("plots");
  if (data.kind === "compare") {
    el("p", { className: "note", textContent: runs.map((r, k) => (k ? "dashed: " : "solid: ") + r.name).join(" · ") }, plotsBox);
  }
  // A sweep: the metric against the swept value at the cursor's step (the mean over seeds, a
  // bar for their range, a dot per seed), and the values' colours.
  let curve = null;
  if (sweep) {
    const box = el("div", { className: "plot" }, plotsBox);
    const head = el("h2", {}, box);
    const pick = el("select", {}, head);
    [["knn", "kNN accuracy"], ["spread", "std·√d"], ["alignment", "alignment"], ["uniformity", "uniformity"], ["loss", "loss"], ["rankme", "RankMe"]]
      .forEach(([id, name]) => el("option", { value: id, textContent: name }, pick));
    el("span", { textContent: " against " + data.sweep.key + (data.sweep.log ? " (log scale)" : "") + ", at the cursor's step" }, head);
    const cv = el("canvas", { width: 420, height: 150 }, box);
    const bar = el("div", { className: "legend" }, box);
    data.sweep.values.forEach((v, j) => {
      const r = runs.find((r) => r.value === j);
      const s = el("span", { textContent: v }, bar);
      s.style.setProperty("--swatch", r ? r.colour : "#ccc");
    });
    curve = { cv, pick };
  }

  function atStep(r, id, step) {
    let i = 0;
    while (i + 1 < r.steps.length && r.steps[i + 1] <= step) i++;
    const v = (r.metrics[id] || [])[i];
    return Number.isFinite(v) ? v : null;
  }

  function drawCurve(step) {
    const { cv, pick } = curve;
    const ctx = cv.getContext("2d");
    const W = cv.width, H = cv.height;
    const xs = data.sweep.x;
    const per = xs.map((x, j) => runs.filter((r) => r.value === j).map((r) => atStep(r, pick.value, step)).filter((v) => v !== null));
    const all = per.flat();
    let lo = Math.min(...all), hi = Math.max(...all);
    if (!(hi > lo)) { lo -= 1; hi += 1; }
    const pad = 0.1 * (hi - lo);
    lo -= pad; hi += pad;
    const xlo = Math.min(...xs), xhi = Math.max(...xs) > xlo ? Math.max(...xs) : xlo + 1;
    const X = (x) => 40 + ((x - xlo) / (xhi - xlo)) * (W - 60);
    const Y = (v) => H - 18 - ((v - lo) / (hi - lo)) * (H - 28);
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = "#888";
    ctx.font = "10px sans-serif";
    ctx.fillText(hi.toPrecision(3), 2, 12);
    ctx.fillText(lo.toPrecision(3), 2, H - 20);
    data.sweep.values.forEach((v, j) => ctx.fillText(v, X(xs[j]) - 8, H - 4));
    ctx.strokeStyle = "#ccc";
    ctx.beginPath();
    let started = false;
    per.forEach((vals, j) => {
      if (!vals.length) return;
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      if (started) ctx.lineTo(X(xs[j]), Y(mean)); else { ctx.moveTo(X(xs[j]), Y(mean)); started = true; }
    });
    ctx.stroke();
    per.forEach((vals, j) => {
      if (!vals.length) return;
      const r = runs.find((r) => r.value === j);
      ctx.strokeStyle = "#777";
      ctx.beginPath();
      ctx.moveTo(X(xs[j]), Y(Math.min(...vals))); ctx.lineTo(X(xs[j]), Y(Math.max(...vals)));
      ctx.stroke();
      ctx.fillStyle = r ? r.colour : "#ccc";
      for (const v of vals) { ctx.beginPath(); ctx.arc(X(xs[j]), Y(v), 4, 0, 2 * Math.PI); ctx.fill(); }
    });
  }
  const PW = 420, PH = 110;
  const plots = data.plots.map((spec) => {
    const box = el("div", { className: "plot" }, plotsBox);
    el("h2", { textContent: spec.title }, box);
    const cv = el("canvas", { width: PW, height: PH }, box);
    let lo = Infinity, hi = -Infinity;
    for (const r of runs) {
      for (const v of r.metrics[spec.id] || []) {
        if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      }
    }
    if (spec.reference) { lo = Math.min(lo, spec.reference.value); hi = Math.max(hi, spec.reference.value); }
    if (!(hi > lo)) { lo -= 1; hi += 1; }
    const pad = 0.08 * (hi - lo);
    return { spec, cv, lo: lo - pad, hi: hi + pad };
  });
  // Hover a plot: every run's value at the step under the pointer.
  plots.forEach((p) => {
    p.cv.addEventListener("mousemove", (ev) => {
      const rect = p.cv.getBoundingClientRect();
      const x = (ev.clientX - rect.left) * (PW / rect.width);
      const step = x0 + ((x - 34) / (PW - 40)) * (x1 - x0);
      const lines = runs.map((r) => {
        let i = 0;
        while (i + 1 < r.steps.length && Math.abs(r.steps[i + 1] - step) < Math.abs(r.steps[i] - step)) i++;
        const v = (r.metrics[p.spec.id] || [])[i];
        return (runs.length > 1 ? r.name + ": " : "") + (Number.isFinite(v) ? v.toPrecision(4) : "—") + " at step " + r.steps[i];
      });
      tooltip.hidden = false;
      tooltip.style.left = ev.clientX + 12 + "px";
      tooltip.style.top = ev.clientY + 12 + "px";
      tooltip.textContent = p.spec.title.split(":")[0] + " · " + lines.join(" · ");
    });
    p.cv.addEventListener("mouseleave", () => { tooltip.hidden = true; });
  });
  const x0 = steps[0], x1 = Math.max(steps[last], x0 + 1);
  const px = (s) => 34 + ((s - x0) / (x1 - x0)) * (PW - 40);

  function drawPlot(p, step) {
    const ctx = p.cv.getContext("2d");
    const py = (v) => PH - 14 - ((v - p.lo) / (p.hi - p.lo)) * (PH - 20);
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, PW, PH);
    ctx.fillStyle = "#888";
    ctx.font = "10px sans-serif";
    ctx.fillText(p.hi.toPrecision(3), 2, 12);
    ctx.fillText(p.lo.toPrecision(3), 2, PH - 16);
    ctx.fillText(String(x0), 34, PH - 2);
    ctx.fillText(String(steps[last]), PW - 40, PH - 2);
    for (const r of runs) {
      for (const [s] of r.events) {
        ctx.strokeStyle = "#c87828";
        ctx.beginPath(); ctx.moveTo(px(s), 0); ctx.lineTo(px(s), PH - 12); ctx.stroke();
      }
    }
    if (p.spec.reference) {
      ctx.strokeStyle = "#777";
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(34, py(p.spec.reference.value)); ctx.lineTo(PW, py(p.spec.reference.value));
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#999";
      ctx.fillText(p.spec.reference.label, PW - 8 - ctx.measureText(p.spec.reference.label).width, py(p.spec.reference.value) - 3);
    }
    runs.forEach((r, k) => {
      const ys = r.metrics[p.spec.id] || [];
      ctx.strokeStyle = r.colour || p.spec.colour;
      ctx.setLineDash(data.kind === "compare" ? RUN_DASH[k % RUN_DASH.length] : []);
      ctx.beginPath();
      let started = false;
      ys.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        const x = px(r.steps[i]), y = py(v);
        if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
      });
      ctx.stroke();
      ctx.setLineDash([]);
    });
    ctx.strokeStyle = "#fff";
    ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(px(step), 0); ctx.lineTo(px(step), PH - 12); ctx.stroke();
    ctx.setLineDash([]);
  }

  // The timeline: the scrub bar with the events' ticks, play/pause, speed, the keys.
  const scrub = document.getElementById("scrub");
  scrub.max = String(last);
  const ticks = document.getElementById("ticks");
  const allEvents = runs.flatMap((r, k) =>
    r.events.map(([s, label]) => [s, (runs.length > 1 ? r.name + ": " : "") + label]));
  const indexOf = (step) => {
    let i = 0;
    while (i < last && steps[i + 1] <= step) i++;
    return i;
  };
  for (const [s, label] of allEvents) {
    el("span", { textContent: "▲ " + label }, ticks).style.left = (100 * indexOf(s) / Math.max(last, 1)) + "%";
  }
  const playButton = document.getElementById("play");
  const speed = document.getElementById("speed");
  let t = 0, playing = false, lastTime = null, hover = null;
  // Snapshots a second at 1×.
  const PACE = 8;

  function setPlaying(on) {
    playing = on;
    playButton.textContent = on ? "Pause" : "Play";
    if (on && t >= last) t = 0;
    lastTime = null;
  }
  playButton.addEventListener("click", () => setPlaying(!playing));
  scrub.addEventListener("input", () => { t = Number(scrub.value); setPlaying(false); });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === " ") { setPlaying(!playing); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft") { t = Math.max(0, Math.ceil(t) - 1); setPlaying(false); }
    else if (ev.key === "ArrowRight") { t = Math.min(last, Math.floor(t) + 1); setPlaying(false); }
  });

  // Hover a point: its class (and the probe sample itself, where the data are images).
  const tooltip = document.getElementById("tooltip");
  const thumbs = data.thumbs && (() => {
    const bin = atob(data.thumbs.data);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return { ...data.thumbs, bytes };
  })();
  function thumbnail(p) {
    const { channels: c, height: h, width: w, bytes } = thumbs;
    const small = el("canvas", { width: w, height: h });
    const ctx = small.getContext("2d");
    const img = ctx.createImageData(w, h);
    const plane = h * w, at = p * c * plane;
    for (let k = 0; k < plane; k++) {
      const g = bytes[at + k];
      img.data[4 * k] = g;
      img.data[4 * k + 1] = c >= 3 ? bytes[at + plane + k] : g;
      img.data[4 * k + 2] = c >= 3 ? bytes[at + 2 * plane + k] : g;
      img.data[4 * k + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    small.style.width = "72px";
    small.style.height = "72px";
    small.style.imageRendering = "pixelated";
    return small;
  }
  function showHover(v, best, x, y) {
    hover = best >= 0 ? { canvas: v, point: best } : null;
    if (!hover) { tooltip.hidden = true; return; }
    tooltip.hidden = false;
    tooltip.style.left = x + 12 + "px";
    tooltip.style.top = y + 12 + "px";
    tooltip.textContent = "probe sample " + (best + 1) + ": " + (data.classes[data.labels[best]] ?? data.labels[best]);
    if (thumbs) tooltip.appendChild(thumbnail(best));
  }
  canvases.forEach((v) => {
    v.cv.addEventListener("mousemove", (ev) => {
      const rect = v.cv.getBoundingClientRect();
      const x = (ev.clientX - rect.left) * (VIEW / rect.width);
      const y = (ev.clientY - rect.top) * (VIEW / rect.height);
      let best = -1, bestD = 36;
      const s = v.shown;
      for (let p = 0; s && p < n; p++) {
        const d = (s[2 * p] - x) ** 2 + (s[2 * p + 1] - y) ** 2;
        if (d < bestD) { bestD = d; best = p; }
      }
      showHover(v, best, ev.clientX, ev.clientY);
    });
    v.cv.addEventListener("mouseleave", () => { hover = null; tooltip.hidden = true; });
  });

  const caption = document.getElementById("caption");
  const status = document.getElementById("status");
  function draw(now) {
    if (playing) {
      if (lastTime !== null) t += ((now - lastTime) / 1000) * PACE * Number(speed.value);
      lastTime = now;
      if (t >= last) { t = last; setPlaying(false); }
    }
    const step = Math.round(steps[Math.floor(t)] + (steps[Math.min(Math.floor(t) + 1, last)] - steps[Math.floor(t)]) * (t - Math.floor(t)));
    scrub.value = String(t);
    canvases.forEach((v) => drawView(v, t));
    plots.forEach((p) => drawPlot(p, step));
    if (curve) drawCurve(step);
    const so_far = allEvents.filter(([s]) => s <= step).map(([s, label]) => label + " (step " + s + ")");
    caption.textContent = "step " + step + " of " + steps[last] +
      (so_far.length ? " · " + so_far.join(" · ") : " · no change yet");
    if (errors === 0) {
      root.dataset.status = "ok";
      status.textContent = "ready: " + steps.length + " snapshots, " + runs.length +
        (runs.length === 1 ? " run, " : " runs, ") + errors + " errors";
    }
    root.dataset.step = String(step);
  }
  function loop(now) {
    draw(now);
    requestAnimationFrame(loop);
  }
  // The address may ask for a step (`page.html#step=600`): the recorded one at or before it.
  const asked = /step=(\d+)/.exec(window.location.hash);
  if (asked) t = indexOf(Number(asked[1]));
  // A headless browser may not run animation frames before it is dumped: draw once now.
  draw(performance.now());
  // Milliseconds from the page's start to its first frame drawn; where the first sphere view
  // is on the page (x, y, width, height in CSS pixels), for a test that reads a screenshot.
  root.dataset.readyMs = performance.now().toFixed(0);
  const first = canvases[0].cv.getBoundingClientRect();
  root.dataset.sphereRect = [first.left, first.top, first.width, first.height].map((v) => v.toFixed(0)).join(",");
  // `#hover=N`: the card of probe sample N (counted from 1) over the first view, as a pointer
  // on it would show it.
  const hovered = /hover=(\d+)/.exec(window.location.hash);
  if (hovered && canvases[0].shown) {
    const p = Math.min(Math.max(Number(hovered[1]) - 1, 0), n - 1);
    const rect = canvases[0].cv.getBoundingClientRect();
    showHover(canvases[0], p, rect.left + canvases[0].shown[2 * p], rect.top + canvases[0].shown[2 * p + 1]);
    draw(performance.now());
  }
  // `#bench`: draw 120 frames across the whole run and say what one costs (the scrub's pace).
  if (/bench/.test(window.location.hash)) {
    const t0 = performance.now();
    const frames = 120;
    for (let k = 0; k < frames; k++) {
      t = (k * last) / frames;
      draw(performance.now());
    }
    root.dataset.frameMs = ((performance.now() - t0) / frames).toFixed(2);
    t = 0;
    draw(performance.now());
  }
  requestAnimationFrame(loop);
})();
