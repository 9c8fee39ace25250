// panels.js — the page: a registry of panels, their state in the URL
// fragment, and the three labs. Every number comes from the wasm core.
'use strict';
const App = { panels: [], state: {}, active: null, core: null, worker: null, jobs: new Map(), nextJob: 1 };

// ---- state in the fragment: #tab=optim&optim.a1=0.5&... -------------------
App.register = (panel) => {
    App.panels.push(panel);
    App.state[panel.id] = { ...panel.defaults };
};
// Writing history is slow (tens of ms): a change schedules one write, after
// the input events of a drag have settled; leaving the page writes at once.
App.saveHash = () => {
    clearTimeout(App.hashTimer);
    App.hashTimer = setTimeout(App.writeHash, 250);
};
addEventListener('pagehide', () => { if (App.active) App.writeHash(); });
App.writeHash = () => {
    clearTimeout(App.hashTimer);
    const q = new URLSearchParams();
    q.set('tab', App.active);
    for (const p of App.panels)
        for (const [k, v] of Object.entries(App.state[p.id])) if (v !== p.defaults[k]) q.set(`${p.id}.${k}`, String(v));
    history.replaceState(null, '', '#' + q.toString());
};
App.readHash = () => {
    const q = new URLSearchParams(location.hash.slice(1));
    for (const [k, v] of q) {
        if (k === 'tab') { if (App.panels.some((p) => p.id === v)) App.active = v; continue; }
        const [pid, key] = k.split('.');
        const p = App.panels.find((x) => x.id === pid);
        if (!p || !(key in p.defaults)) continue;
        App.state[pid][key] = typeof p.defaults[key] === 'number' ? Number(v) : v;
    }
};

// ---- the worker: a Blob of core.js + worker.js with its own instance ------
App.startWorker = async (module) => {
    const url = URL.createObjectURL(new Blob([NABLA_WORKER_SRC], { type: 'text/javascript' }));
    App.worker = new Worker(url);
    App.worker.onmessage = (ev) => {
        const j = App.jobs.get(ev.data.id);
        if (!j) return;
        App.jobs.delete(ev.data.id);
        ev.data.ok ? j.resolve(ev.data) : j.reject(new Error(ev.data.error));
    };
    await App.run('init', { module });
};
App.run = (job, args) =>
    new Promise((resolve, reject) => {
        const id = App.nextJob++;
        App.jobs.set(id, { resolve, reject });
        App.worker.postMessage({ id, job, args });
    });

// ---- controls ------------------------------------------------------------
// A labelled slider with a text field showing (and taking) its value, and an
// error line. spec: key, label, min, max, step or log, digits.
const UI = {};
UI.el = (tag, attrs = {}, html) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (html !== undefined) e.innerHTML = html;
    return e;
};
UI.fmt = (v) => (typeof v === 'number' ? String(v) : v);
UI.slider = (panel, spec, onset) => {
    const id = `${panel.id}-${spec.key}`, st = App.state[panel.id];
    const box = UI.el('div', { class: 'field', 'data-key': spec.key });
    const lab = UI.el('label', { for: id }, spec.label);
    const steps = spec.n || 200;
    const range = UI.el('input', { type: 'range', id, min: 0, max: steps, step: 1, 'aria-label': spec.aria || spec.label.replace(/<[^>]+>/g, '') });
    const text = UI.el('input', { type: 'text', 'aria-label': `${spec.aria || spec.label.replace(/<[^>]+>/g, '')} value`, inputmode: 'decimal', spellcheck: 'false' });
    const err = UI.el('div', { class: 'err', role: 'alert' });
    const toPos = (v) => spec.log ? ((Math.log10(v) - Math.log10(spec.min)) / (Math.log10(spec.max) - Math.log10(spec.min))) * steps
                                  : ((v - spec.min) / (spec.max - spec.min)) * steps;
    const fromPos = (p) => {
        let v = spec.log ? 10 ** (Math.log10(spec.min) + (p / steps) * (Math.log10(spec.max) - Math.log10(spec.min)))
                         : spec.min + (p / steps) * (spec.max - spec.min);
        v = spec.int ? Math.round(v) : +v.toPrecision(spec.digits || 4);
        return v;
    };
    box.sync = () => {
        const v = st[spec.key];
        text.value = UI.fmt(v);
        text.classList.remove('bad');
        err.textContent = '';
        if (Number.isFinite(v)) range.value = Math.round(Math.min(steps, Math.max(0, toPos(v))));
        range.setAttribute('aria-valuetext', String(v));
    };
    range.addEventListener('input', () => onset(spec.key, fromPos(+range.value), box));
    const fromText = () => {
        const s = text.value.trim(), v = Number(s);
        if (s === '' || Number.isNaN(v)) { box.fail(`${spec.aria || spec.key}: '${s}' is not a number`); return; }
        onset(spec.key, v, box);
    };
    text.addEventListener('change', fromText);
    text.addEventListener('keydown', (e) => { if (e.key === 'Enter') fromText(); });
    box.fail = (msg) => { err.textContent = msg; text.classList.add('bad'); };
    box.append(lab, range, text, err);
    return box;
};
UI.select = (panel, key, label, options, onset) => {
    const id = `${panel.id}-${key}`, st = App.state[panel.id];
    const box = UI.el('div', { class: 'field wide', 'data-key': key });
    const sel = UI.el('select', { id });
    for (const [v, t] of options) sel.append(UI.el('option', { value: v }, t));
    const err = UI.el('div', { class: 'err', role: 'alert' });
    sel.addEventListener('change', () => onset(key, sel.value, box));
    box.sync = () => { sel.value = st[key]; err.textContent = ''; };
    box.fail = (msg) => { err.textContent = msg; };
    box.append(UI.el('label', { for: id }, label), sel, err);
    return box;
};
// The optimizer, its convention and its knobs (p.knobBoxes, shown as the
// optimizer has them); lrMax bounds the rate, wd adds the weight-decay knob.
UI.optimizer = (p, set, lrMax, wd) => {
    p.add(UI.select(p, 'opt', 'optimizer', NB.KINDS.map((k) => [k, k]), set));
    p.add(UI.select(p, 'conv', 'convention', [['handout', 'handout'], ['torch', 'torch']], set));
    const knob = (key, label, min, max, log = false) => p.add(UI.slider(p, { key, label, min, max, log }, set));
    p.knobBoxes = {
        lr: knob('lr', 'lr α', 1e-4, lrMax, true),
        momentum: knob('momentum', 'momentum m', 0, 0.99),
        beta: knob('beta', 'β', 0, 0.999),
        beta1: knob('beta1', 'β₁', 0, 0.999),
        beta2: knob('beta2', 'β₂', 0, 0.9999),
        eps: knob('eps', 'ε', 1e-12, 1, true),
    };
    if (wd) p.knobBoxes.wd = knob('wd', 'weight decay λ', 0, 2);
};
UI.button = (label, fn, attrs = {}) => {
    const b = UI.el('button', { class: 'small', type: 'button', ...attrs }, label);
    b.addEventListener('click', fn);
    return b;
};
UI.figure = (id, caption) => {
    const fig = UI.el('figure', { id });
    fig.plot = UI.el('div', { class: 'plot' });
    fig.svg = UI.el('div', { class: 'svg' });
    fig.plot.append(fig.svg);
    fig.cap = UI.el('figcaption');
    fig.cap.append(UI.el('span', {}, caption));
    fig.tools = UI.el('span', { class: 'row' });
    fig.cap.append(fig.tools);
    fig.append(fig.plot, fig.cap);
    return fig;
};
// A number in full (shortest round-trip form), as a student would copy it.
UI.num = (v) => (Number.isFinite(v) ? String(v) : String(v).toLowerCase());

// A panel's change: apply, render; if the core refuses, put its message beside
// the field, restore the last good state and keep the last good plots.
UI.change = (panel, key, value, box) => {
    const st = App.state[panel.id], old = { ...st };
    st[key] = value;
    if (panel.onChange) panel.onChange(key, old);
    try {
        panel.render();
    } catch (e) {
        Object.assign(st, old);
        if (box) box.fail(e.message);
        else panel.status(e.message);
        return;
    }
    panel.syncAll();
    App.saveHash();
};

// A standard panel: controls on the left, figures on the right.
UI.panel = (p) => {
    p.root = UI.el('section', { class: 'panel', id: `panel-${p.id}`, role: 'tabpanel', 'aria-label': p.title });
    p.controls = UI.el('div', { class: 'controls' });
    p.plots = UI.el('div', { class: 'plots' });
    p.root.append(p.controls, p.plots);
    p.fields = [];
    p.add = (box) => { p.fields.push(box); p.controls.append(box); return box; };
    p.set = (key, v, box) => UI.change(p, key, v, box);
    p.syncAll = () => p.fields.forEach((f) => f.sync && f.sync());
    p.errLine = UI.el('div', { class: 'err', role: 'alert' });
    p.status = (m) => { p.errLine.textContent = m; };
    return p;
};

// ---- panel 2: optimizers on a quadratic (handout §3, Figures 2-4) ----------
// Which knobs each optimizer has (as `nabla optim` accepts them).
const KNOBS_OF = {
    gd: ['lr', 'wd'], momentum: ['lr', 'momentum', 'wd'], nesterov: ['lr', 'momentum', 'wd'],
    rmsprop: ['lr', 'momentum', 'beta', 'eps', 'wd'], adagrad: ['lr', 'beta', 'eps', 'wd'],
    adam: ['lr', 'beta1', 'beta2', 'eps', 'wd'], adamw: ['lr', 'beta1', 'beta2', 'eps', 'wd'],
};
// `nabla figures`' optimizer figures (src/cli/cmd_optim.c figures_optim).
// From x0 = (-2.5, 1), handout convention, every other knob at its default.
const PRESETS = {
    fig2a: { a1: 1, a2: 2, opt: 'gd', lr: 0.2, steps: 30 },
    fig2b: { a1: 0.5, a2: 5.5, opt: 'gd', lr: 0.2, steps: 14 },
    fig2c: { a1: 0.5, a2: 5.5, opt: 'gd', lr: 0.02, steps: 60 },
    fig3: { a1: 0.5, a2: 5.5, opt: 'momentum', lr: 0.05, momentum: 0.7, steps: 50 },
    fig4: { a1: 0.5, a2: 5.5, opt: 'rmsprop', lr: 0.1, steps: 40 },
};
const Optim = UI.panel({
    id: 'optim', title: 'Optimizers',
    defaults: { fn: 'quadratic', a1: 0.5, a2: 5.5, x1: -2.5, x2: 1, opt: 'momentum', conv: 'handout', lr: 0.05, momentum: 0.7,
                beta: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0, steps: 50 },
});
Optim.box = () => (App.state.optim.fn === 'rosenbrock' ? [-2, 2, -1, 3] : [-3, 3, -2, 2]);
// The parameter block of web/nabla_web.h; knobs the optimizer lacks are NaN.
Optim.block = (st, withKnobs = true) => {
    const b = new Float64Array(NB.LAB.LEN).fill(NaN), L = NB.LAB;
    b[L.FN] = st.fn === 'rosenbrock' ? 1 : 0;
    b[L.A1] = st.a1, b[L.A2] = st.a2, b[L.KIND] = NB.KINDS.indexOf(st.opt), b[L.CONV] = st.conv === 'torch' ? 1 : 0;
    b[L.X1] = st.x1, b[L.X2] = st.x2;
    const at = { lr: L.LR, momentum: L.MOMENTUM, beta: L.BETA, beta1: L.BETA1, beta2: L.BETA2, eps: L.EPS, wd: L.WD };
    if (withKnobs) for (const k of KNOBS_OF[st.opt]) b[at[k]] = st[k];
    return b;
};
// The library's defaults for this optimizer and convention.
Optim.defaultsOf = (st) => {
    const r = App.core.optim(Optim.block({ ...st, fn: 'quadratic', a1: 1, a2: 1, x1: 0, x2: 0 }, false), 0);
    return { lr: r.cfg.lr, momentum: r.cfg.momentum, beta: r.cfg.beta, beta1: r.cfg.beta1, beta2: r.cfg.beta2, eps: r.cfg.eps, wd: r.cfg.weight_decay };
};
Optim.onChange = (key) => {
    const st = App.state.optim;
    if (key === 'opt' || key === 'conv') Object.assign(st, Optim.defaultsOf(st));
};
Optim.preset = (name) => {
    const st = App.state.optim, pr = PRESETS[name];
    const base = { fn: 'quadratic', x1: -2.5, x2: 1, conv: 'handout', opt: pr.opt };
    Object.assign(st, base, Optim.defaultsOf({ ...st, ...base }), pr);
    Optim.render();
    Optim.syncAll();
    App.saveHash();
};
Optim.build = () => {
    const p = Optim, set = p.set;
    p.controls.append(UI.el('h3', {}, 'Function'));
    p.add(UI.select(p, 'fn', 'f(x)', [['quadratic', 'a₁x₁² + a₂x₂²'], ['rosenbrock', 'Rosenbrock']], set));
    p.add(UI.slider(p, { key: 'a1', label: 'a₁', min: 0.05, max: 20, log: true }, set));
    p.add(UI.slider(p, { key: 'a2', label: 'a₂', min: 0.05, max: 20, log: true }, set));
    p.add(UI.slider(p, { key: 'x1', label: 'x₀ (1)', min: -3, max: 3 }, set));
    p.add(UI.slider(p, { key: 'x2', label: 'x₀ (2)', min: -2, max: 3 }, set));
    p.controls.append(UI.el('h3', {}, 'Optimizer'));
    UI.optimizer(p, set, 2, true);
    p.add(UI.slider(p, { key: 'steps', label: 'steps', min: 0, max: 1000, int: true, n: 1000 }, set));
    p.controls.append(UI.el('h3', {}, 'Figures of the handout'));
    const row = UI.el('div', { class: 'row' });
    for (const k of Object.keys(PRESETS)) row.append(UI.button(`Figure ${k.slice(3)}`, () => Optim.preset(k), { 'data-preset': k }));
    p.controls.append(row, p.errLine);
    p.readout = UI.el('div', { class: 'readout', 'aria-live': 'polite' });
    p.controls.append(p.readout);
    p.figPath = UI.figure('optim-path', 'click to set x₀');
    p.figLoss = UI.figure('optim-loss', 'f(x_t), log scale; dashed: predicted rate');
    p.figRate = UI.figure('optim-rate', 'heavy-ball rate over (α, m); click to pick');
    p.rateText = UI.el('div', { class: 'note' });
    p.figRate.cap.prepend(p.rateText);
    p.figPath.tools.append(UI.button('SVG', () => Plot.saveSvg(p.figPath, 'optim-path.svg')),
                           UI.button('CSV', () => Plot.download('optim.csv', App.core.trajCsv(), 'text/csv'), { 'data-save': 'optim-csv' }));
    p.figLoss.tools.append(UI.button('SVG', () => Plot.saveSvg(p.figLoss, 'optim-loss.svg')));
    p.figRate.tools.append(UI.button('SVG', () => Plot.saveSvg(p.figRate, 'optim-rate.svg')),
                           UI.button('CSV', () => Plot.download('optim-rate.csv', Optim.rateCsv(), 'text/csv')));
    p.plots.append(p.figPath, p.figLoss, p.figRate);
    p.figPath.plot.addEventListener('click', (e) => {
        const svg = p.figPath.querySelector('svg');
        if (!svg || !p.frame) return;
        const r = svg.getBoundingClientRect(), f = p.frame;
        const [x, y] = f.inv(((e.clientX - r.left) / r.width) * f.w, ((e.clientY - r.top) / r.height) * f.h);
        const st = App.state.optim, old = { ...st };
        st.x1 = +x.toPrecision(4), st.x2 = +y.toPrecision(4);
        try { p.render(); } catch (err) { Object.assign(st, old); p.status(err.message); return; }
        p.syncAll();
        App.saveHash();
    });
    p.figRate.plot.addEventListener('click', (e) => {
        const svg = p.figRate.querySelector('svg');
        if (!svg || !p.rframe) return;
        const r = svg.getBoundingClientRect(), f = p.rframe;
        const [lr, m] = f.inv(((e.clientX - r.left) / r.width) * f.w, ((e.clientY - r.top) / r.height) * f.h);
        if (!(lr > 0 && m >= 0 && m < 1)) return;
        const st = App.state.optim;
        if (st.opt !== 'momentum') { st.opt = 'momentum'; Object.assign(st, Optim.defaultsOf(st)); }
        st.lr = +lr.toPrecision(4), st.momentum = +m.toPrecision(4);
        try { p.render(); } catch (err) { p.status(err.message); return; }
        p.syncAll();
        App.saveHash();
    });
};
Optim.cache = {};
Optim.render = () => {
    const p = Optim, st = App.state.optim, core = App.core;
    const block = Optim.block(st);
    const t = core.optim(block, st.steps);
    p.status('');
    p.last = t;
    for (const [k, box] of Object.entries(p.knobBoxes)) box.hidden = !KNOBS_OF[st.opt].includes(k);
    for (const k of ['a1', 'a2']) p.fields.find((f) => f.dataset.key === k).hidden = st.fn === 'rosenbrock';
    // contours on a 200 x 200 grid, log-spaced levels as `nabla optim --svg`
    const box = Optim.box(), key = `${st.fn},${st.a1},${st.a2}`;
    const f = Plot.frame({ xlim: [box[0], box[1]], ylim: [box[2], box[3]], w: 470, h: 340, title: st.fn === 'rosenbrock' ? 'Rosenbrock (1 − x₁)² + 100 (x₂ − x₁²)²' : `f = ${st.a1} x₁² + ${st.a2} x₂²`, xlabel: 'x₁', ylabel: 'x₂' });
    if (Optim.cache.key !== key) {
        const N = 200, z = core.grid(block, box, N, N);
        const fmax = Math.max(z[0], z[N - 1], z[N * (N - 1)], z[N * N - 1]), fmin = fmax * (st.fn === 'rosenbrock' ? 1e-4 : 2e-3);
        const lv = [];
        for (let i = 0; i < 14; i++) lv.push(fmin * (fmax / fmin) ** (i / 13));
        Optim.cache = { key, segs: Plot.contourSegs(f, z, N, N, lv) };
    }
    const segs = Optim.cache.segs;
    const opt = st.fn === 'rosenbrock' ? [1, 1] : [0, 0];
    let body = Plot.path(f, t.x1, t.x2, { color: Plot.colors[0] });
    if (t.n <= 400) body += Plot.dots(f, t.x1, t.x2, { color: Plot.colors[0], r: 2.2 });
    body += Plot.star(f, opt[0], opt[1], '#ffd400') + Plot.dots(f, [st.x1], [st.x2], { color: '#000', fill: '#fff', r: 4 });
    p.figPath.svg.innerHTML = Plot.svg(f, body, 'optim-path', true);
    Plot.segsCanvas(Plot.under(p.figPath, f), segs, '#9aa4b8');
    p.figPath.underSvg = () => Plot.segsSvg(segs, '#9aa4b8');
    p.frame = f;
    // loss against step, with the predicted linear rate (f falls as r^(2t) on a quadratic)
    const steps = Array.from({ length: t.n }, (_, i) => i);
    const fpos = Array.from(t.f).filter((v) => v > 0 && Number.isFinite(v));
    let lo = Math.min(...fpos, 1), hi = Math.max(...fpos, 1e-300);
    lo = Math.max(lo, hi * 1e-30);
    const g = Plot.frame({ xlim: [0, Math.max(1, t.n - 1)], ylim: [lo / 2, hi * 2], ylog: true, w: 470, h: 340, title: 'loss', xlabel: 'step', ylabel: 'f(x)' });
    let lb = Plot.path(g, steps, t.f, { color: Plot.colors[0] });
    const legend = [{ label: st.opt, color: Plot.colors[0] }];
    if (Number.isFinite(t.pred) && t.pred > 0) {
        lb += Plot.path(g, steps, steps.map((s) => t.f[0] * t.pred ** (2 * s)), { color: Plot.colors[1], dash: '5 4' });
        legend.push({ label: `predicted r = ${t.pred.toPrecision(4)}`, color: Plot.colors[1], dash: '5 4' });
    }
    p.figLoss.svg.innerHTML = Plot.svg(g, lb + Plot.legend(g, legend), 'optim-loss');
    // heavy ball's rate map over (lr, momentum) for this quadratic
    p.figRate.hidden = st.fn === 'rosenbrock';
    if (st.fn !== 'rosenbrock') {
        if (Optim.rcache?.key !== `${st.a1},${st.a2}`) {
            // 64² spectral radii: drawn a frame later, so a slider stays at 60 frames/s
            if (!Optim.rcache?.pending) requestAnimationFrame(() => { Optim.rcache.pending = false; Optim.rateRender(); });
            Optim.rcache = { ...(Optim.rcache || {}), pending: true };
        }
        if (!Optim.rcache.pending) Optim.rateRender();
    }
    const kappa = Math.max(st.a1, st.a2) / Math.min(st.a1, st.a2);
    p.readout.textContent =
        (st.fn === 'rosenbrock' ? '' : `κ = ${UI.num(kappa)}\n`) +
        `steps run       ${t.n - 1}${t.diverged ? '  (diverged: stopped at the first inf/nan)' : ''}\n` +
        `final x         (${UI.num(t.x1[t.n - 1])}, ${UI.num(t.x2[t.n - 1])})\n` +
        `final f         ${UI.num(t.f[t.n - 1])}\n` +
        `predicted rate  ${Number.isNaN(t.pred) ? 'n/a' : UI.num(t.pred)}\n` +
        `measured rate   ${Number.isNaN(t.meas) ? 'n/a' : UI.num(t.meas)}`;
};
// The rate map's numbers: lr, momentum, rate (the spectral radius).
Optim.rateCsv = () => {
    const rc = Optim.rcache, M = rc.M;
    let s = 'lr,momentum,rate\n';
    for (let j = 0; j < M; j++)
        for (let i = 0; i < M; i++)
            s += `${Plot.g17(rc.lr[0] + ((rc.lr[1] - rc.lr[0]) * i) / (M - 1))},${Plot.g17(rc.m[0] + ((rc.m[1] - rc.m[0]) * j) / (M - 1))},${Plot.g17(rc.z[j * M + i])}\n`;
    return s;
};
// The heavy-ball rate map of the current quadratic (cached per a1, a2).
Optim.rateRender = () => {
    const p = Optim, st = App.state.optim, core = App.core;
    if (st.fn === 'rosenbrock') return;
    const lrMax = 2 / Math.max(st.a1, st.a2), M = 64, mr = [0, 0.99], rkey = `${st.a1},${st.a2}`;
    const h = Plot.frame({ xlim: [lrMax / M, lrMax], ylim: mr, w: 470, h: 340, title: 'heavy-ball rate (spectral radius)', xlabel: 'learning rate α', ylabel: 'momentum m' });
    if (Optim.rcache?.key !== rkey) {
        const z = core.rateMap(st.a1, st.a2, h.xlim, mr, M, M);
        let best = 0;
        for (let i = 1; i < z.length; i++) if (z[i] < z[best]) best = i;
        const cv = Plot.rasterCanvas(z, M, M, (r) => (r >= 1 ? [225, 228, 234] : Plot.ramp(1 - r)));
        const bx = h.xlim[0] + ((h.xlim[1] - h.xlim[0]) * (best % M)) / (M - 1), by = mr[0] + ((mr[1] - mr[0]) * Math.floor(best / M)) / (M - 1);
        Optim.rcache = { key: rkey, cv, z, M, lr: h.xlim, m: mr, best: [bx, by, z[best]] };
    }
    const rc = Optim.rcache;
    let rb = Plot.star(h, rc.best[0], rc.best[1], '#ff4d4d', 8);
    if (st.opt === 'momentum' && st.lr <= lrMax) rb += Plot.dots(h, [st.lr], [st.momentum], { color: '#000', fill: '#fff', r: 4.5 });
    p.figRate.svg.innerHTML = Plot.svg(h, rb, 'optim-rate', true);
    Plot.rasterDraw(Plot.under(p.figRate, h), h, rc.cv);
    p.figRate.underSvg = () => Plot.rasterSvg(h, rc.cv);
    p.rframe = h;
    p.figRate.dataset.key = rkey;
    p.rateText.textContent = `best heavy ball α = ${rc.best[0].toPrecision(4)}, m = ${rc.best[1].toPrecision(4)}: rate ${rc.best[2].toPrecision(4)}`;
};
App.register(Optim);

// ---- panel 1: gradients and Jacobians (handout §2) ---------------------------
const JAC_FNS = [
    { name: '‖x‖² (w.r.t. x)', closed: '2x', input: 'x' },
    { name: 'Aᵀx (w.r.t. x)', closed: 'A', input: 'x' },
    { name: '‖Aᵀx‖² (w.r.t. x)', closed: '2AAᵀx', input: 'x' },
    { name: '‖Aᵀx‖² (w.r.t. A)', closed: '2xxᵀA', input: 'A' },
    { name: 'f(X) = Xv (w.r.t. X)', closed: '[i = k] v_j', input: 'X' },
];
const Jac = UI.panel({
    id: 'jac', title: 'Gradients & Jacobians',
    defaults: { fn: 3, d: 3, n: 2, A: '1,-2,0.5,3,-1,2', x: '0.5,-1,1', v: '2,-0.5' },
});
Jac.parse = (s, len, name) => {
    const v = String(s).split(',').map((t) => Number(t.trim()));
    if (v.length !== len) throw new Error(`jacobian: ${name} needs ${len} numbers, got ${v.length}`);
    return v;
};
Jac.build = () => {
    const p = Jac;
    p.add(UI.select(p, 'fn', 'function', JAC_FNS.map((f, i) => [String(i), f.name]), (k, v, b) => p.set(k, +v, b)));
    p.add(UI.slider(p, { key: 'd', label: 'd (rows of A, X; length of x)', min: 1, max: 5, int: true, n: 4 }, p.set));
    p.add(UI.slider(p, { key: 'n', label: 'n (columns; length of v)', min: 1, max: 5, int: true, n: 4 }, p.set));
    p.inputs = UI.el('div');
    p.controls.append(UI.el('h3', {}, 'Inputs (edit any entry)'), p.inputs, p.errLine,
                      UI.button('random entries', () => {
                          const st = App.state.jac, r = (k) => Array.from({ length: k }, () => +(Math.random() * 4 - 2).toFixed(2)).join(',');
                          st.A = r(st.d * st.n), st.x = r(st.d), st.v = r(st.n);
                          p.render(); p.syncAll(); App.saveHash();
                      }));
    p.out = UI.el('div', { class: 'jac' });
    p.readout = UI.el('div', { class: 'readout' });
    const fig = UI.el('figure', { id: 'jac-out' });
    const tools = UI.el('div', { class: 'row' });
    tools.append(UI.button('CSV', () => Plot.download('jacobian.csv', Jac.csv(), 'text/csv')));
    fig.append(p.out, p.readout, tools);
    p.plots.append(fig);
    p.fields.push({ sync: () => p.drawInputs() });
};
// A (d x n), x (d), v (n) as tables of text fields.
Jac.drawInputs = () => {
    const st = App.state.jac, p = Jac;
    const mats = [['A', st.d, st.n], ['x', st.d, 1], ['v', 1, st.n]];
    p.inputs.innerHTML = '';
    for (const [name, r, c] of mats) {
        let vals;
        try { vals = Jac.parse(st[name], r * c, name); } catch { vals = new Array(r * c).fill(0); }
        const t = UI.el('table', { class: 'mat', 'aria-label': name });
        for (let i = 0; i < r; i++) {
            const tr = UI.el('tr');
            for (let j = 0; j < c; j++) {
                const td = UI.el('td'), inp = UI.el('input', { type: 'text', value: vals[i * c + j], 'aria-label': `${name}[${i}][${j}]`, 'data-m': name, 'data-i': i * c + j });
                inp.addEventListener('change', () => {
                    const cur = Jac.parse(App.state.jac[name], r * c, name).map(String);
                    cur[i * c + j] = inp.value.trim();
                    Jac.set(name, cur.join(','), { fail: (m) => { p.status(m); inp.classList.add('bad'); } });
                });
                td.append(inp), tr.append(td);
            }
            t.append(tr);
        }
        p.inputs.append(UI.el('div', { class: 'note' }, `${name} (${r === 1 ? c : c === 1 ? r : `${r}×${c}`})`), t);
    }
};
Jac.onChange = (key, old) => {
    const st = App.state.jac;
    if (key === 'd' || key === 'n') {
        // keep what fits of the old entries, zeros for the new
        const re = (s, or, oc, r, c) => {
            let v = [];
            try { v = Jac.parse(s, or * oc, ''); } catch { v = []; }
            const out = [];
            for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.push(i < or && j < oc ? v[i * oc + j] ?? 0 : 1);
            return out.join(',');
        };
        st.A = re(old.A, old.d, old.n, st.d, st.n), st.x = re(old.x, old.d, 1, st.d, 1), st.v = re(old.v, 1, old.n, 1, st.n);
    }
};
// One row per entry: its index in the handout's layout, nb_jacobian's value
// there, the value at the transposed index in PyTorch's layout, the closed form.
Jac.csv = () => {
    const r = Jac.last, sh = r.shapeH, nin = App.state.jac.fn >= 3 ? 2 : 1;
    const inN = sh.slice(0, nin).reduce((a, b) => a * b, 1), outN = r.JH.length / inN;
    let s = sh.map((_, k) => `i${k}`).join(',') + ',handout,torch,closed_form\n';
    for (let q = 0; q < r.JH.length; q++) {
        const idx = [];
        let rem = q;
        for (let k = sh.length - 1; k >= 0; k--) idx.unshift(rem % sh[k]), (rem = Math.floor(rem / sh[k]));
        const a = Math.floor(q / outN), b = q % outN; // flat (input, output) -> PyTorch's (output, input)
        s += `${idx.join(',')},${Plot.g17(r.JH[q])},${Plot.g17(r.JT[b * inN + a])},${Plot.g17(r.closed[q])}\n`;
    }
    return s;
};
Jac.table = (vals, rows, cols, off = 0) => {
    let s = '<table class="mat">';
    for (let i = 0; i < rows; i++) {
        s += '<tr>';
        for (let j = 0; j < cols; j++) s += `<td>${UI.num(vals[off + i * cols + j])}</td>`;
        s += '</tr>';
    }
    return s + '</table>';
};
// A tensor of rank 1..3 as tables (rank 3: one table per leading index).
Jac.show = (vals, shape) => {
    if (shape.length <= 1) return Jac.table(vals, 1, shape[0] || 1);
    if (shape.length === 2) return Jac.table(vals, shape[0], shape[1]);
    let s = '';
    const blk = shape[1] * shape[2];
    for (let i = 0; i < shape[0]; i++) s += `<div class="note">[${i}, :, :]</div>` + Jac.table(vals, shape[1], shape[2], i * blk);
    return s;
};
Jac.render = () => {
    const st = App.state.jac, p = Jac, F = JAC_FNS[st.fn];
    const A = Jac.parse(st.A, st.d * st.n, 'A'), x = Jac.parse(st.x, st.d, 'x'), v = Jac.parse(st.v, st.n, 'v');
    const r = App.core.jac(st.fn, st.d, st.n, A, x, v);
    p.status('');
    p.last = r;
    let diff = 0;
    for (let i = 0; i < r.JH.length; i++) diff = Math.max(diff, Math.abs(r.JH[i] - r.closed[i]));
    p.out.innerHTML =
        `<div><h4>nb_jacobian, handout layout (input dims first): shape (${r.shapeH.join(', ')})</h4><div data-j="handout">${Jac.show(r.JH, r.shapeH)}</div></div>` +
        `<div><h4>PyTorch layout (output dims first): shape (${r.shapeT.join(', ')})</h4><div data-j="torch">${Jac.show(r.JT, r.shapeT)}</div></div>` +
        `<div><h4>the handout's closed form ${Plot.esc(F.closed)}</h4>${Jac.show(r.closed, r.shapeH)}</div>`;
    p.readout.textContent =
        `f = ${F.name}\nmax |J − closed form| = ${UI.num(diff)}\n` +
        `gradcheck (central differences, eps 1e-6, atol 1e-5, rtol 1e-3): ${r.gc.passed ? 'passed' : 'FAILED'}; ` +
        `max abs err ${r.gc.maxAbs.toExponential(3)}, max rel err ${r.gc.maxRel.toExponential(3)}`;
    p.drawInputs();
};
App.register(Jac);

// ---- panel 3: bias and variance (handout §1) ---------------------------------
const BV_LAMS = Array.from({ length: 25 }, (_, i) => 10 ** (-3 + (6 * i) / 24));
const Bv = UI.panel({
    id: 'bv', title: 'Bias & variance',
    defaults: { n: 40, d: 20, ntest: 200, sigma: 1, loglam: 0, trials: 1000, seed: 0, degree: 3, pn: 30, psigma: 0.3, plam: 0 },
});
Bv.block = (st) => Float64Array.from([st.n, st.d, st.ntest, st.seed, st.sigma]);
Bv.build = () => {
    const p = Bv, set = p.set;
    p.controls.append(UI.el('h3', {}, 'Ridge on a fixed design'));
    p.add(UI.slider(p, { key: 'n', label: 'n (samples)', min: 2, max: 400, int: true, n: 398 }, set));
    p.add(UI.slider(p, { key: 'd', label: 'd (features)', min: 1, max: 60, int: true, n: 59 }, set));
    p.add(UI.slider(p, { key: 'sigma', label: 'noise σ', min: 0, max: 3 }, set));
    p.add(UI.slider(p, { key: 'loglam', label: 'log₁₀ λ', min: -3, max: 3, n: 120 }, set));
    p.add(UI.slider(p, { key: 'trials', label: 'MC trials', min: 10, max: 5000, int: true, n: 499 }, set));
    p.add(UI.slider(p, { key: 'seed', label: 'seed', min: 0, max: 100, int: true, n: 100 }, set));
    p.controls.append(UI.el('h3', {}, 'Polynomial fits of sin 2πx'));
    p.add(UI.slider(p, { key: 'degree', label: 'degree', min: 0, max: 15, int: true, n: 15 }, set));
    p.add(UI.slider(p, { key: 'pn', label: 'n (points)', min: 2, max: 100, int: true, n: 98 }, set));
    p.add(UI.slider(p, { key: 'psigma', label: 'noise σ', min: 0, max: 1 }, set));
    p.add(UI.slider(p, { key: 'plam', label: 'ridge λ', min: 0, max: 1 }, set));
    p.controls.append(p.errLine);
    p.readout = UI.el('div', { class: 'readout', 'aria-live': 'polite' });
    p.controls.append(p.readout);
    p.figCurve = UI.figure('bv-curves', 'lines: exact; markers: Monte Carlo ± 2 s.e. (Web Worker)');
    p.figPoly = UI.figure('bv-poly', '20 fits from fresh noise (the picture of variance)');
    p.figCurve.tools.append(UI.button('SVG', () => Plot.saveSvg(p.figCurve, 'biasvar.svg')),
                            UI.button('CSV', () => Plot.download('biasvar.csv', Bv.csv(), 'text/csv'), { 'data-save': 'bv-csv' }));
    p.figPoly.tools.append(UI.button('SVG', () => Plot.saveSvg(p.figPoly, 'biasvar-poly.svg')),
                           UI.button('CSV', () => Plot.download('biasvar-poly.csv', Bv.polyCsv(), 'text/csv')));
    p.plots.append(p.figCurve, p.figPoly);
};
// The CLI's columns (nabla biasvar --csv), the MC ones once the worker is done.
Bv.csv = () => {
    const ex = Bv.exact, mc = Bv.mc?.est, se = Bv.mc?.se;
    let s = 'lambda,bias2,variance,noise,mse,bias2_exact,variance_exact,mse_exact,bias2_se,variance_se,noise_se,mse_se,note\n';
    BV_LAMS.forEach((l, i) => {
        const m = mc ? [0, 1, 2, 3].map((q) => Plot.g17(mc[4 * i + q])) : ['', '', '', ''];
        const e = se ? [0, 1, 2, 3].map((q) => Plot.g17(se[4 * i + q])) : ['', '', '', ''];
        s += `${Plot.g17(l)},${m.join(',')},${Plot.g17(ex[4 * i])},${Plot.g17(ex[4 * i + 1])},${Plot.g17(ex[4 * i + 3])},` +
             `${e.join(',')},\n`;
    });
    return s;
};
Bv.names = ['bias²', 'variance', 'noise σ²', 'MSE'];
Bv.render = () => {
    const st = App.state.bv, p = Bv, core = App.core, block = Bv.block(st);
    const lam = 10 ** st.loglam;
    const ex = core.bvExact(block, BV_LAMS), here = core.bvExact(block, [lam]);
    const curves = core.polyCurves(st.degree, st.pn, st.psigma, st.plam, 20, st.seed, 101);
    p.status('');
    p.exact = ex, p.here = here;
    p.draw();
    p.drawPoly(curves);
    p.readout.textContent = `at λ = ${UI.num(lam)} (exact):\n` + Bv.names.map((nm, q) => `  ${nm.padEnd(9)} ${UI.num(here[q])}`).join('\n');
    // Monte Carlo in the worker; a newer request supersedes an older one
    const ticket = (p.ticket = (p.ticket || 0) + 1);
    p.mcBusy = true;
    App.run('mc', { block, lams: BV_LAMS, trials: st.trials, seed: st.seed, batches: 8 })
        .then((r) => {
            if (ticket !== p.ticket) return;
            p.mc = r.out, p.mcMs = r.ms, p.mcBusy = false;
            p.draw();
        })
        .catch((e) => { if (ticket === p.ticket) { p.mcBusy = false; p.status(e.message); } });
    App.run('poly', { degree: st.degree, n: st.pn, sigma: st.psigma, K: 50, lambda: st.plam, trials: 1000, seed: st.seed })
        .then((r) => { if (ticket === p.ticket) { p.polyStats = r.out; p.drawPoly(curves); } })
        .catch((e) => { if (ticket === p.ticket) p.status(e.message); });
};
Bv.draw = () => {
    const p = Bv, ex = p.exact, st = App.state.bv, lam = 10 ** st.loglam;
    let top = 0;
    for (let i = 0; i < BV_LAMS.length; i++) top = Math.max(top, ex[4 * i + 3]);
    const f = Plot.frame({ xlim: [1e-3, 1e3], ylim: [0, top * 1.1 || 1], xlog: true, w: 470, h: 340, title: 'bias–variance of ridge regression', xlabel: 'λ', ylabel: 'error at a test input (average)' });
    let body = `<line x1="${f.sx(lam)}" x2="${f.sx(lam)}" y1="${f.m.t}" y2="${f.m.t + f.H}" stroke="#111" stroke-dasharray="3 3"/>`;
    const legend = [];
    for (let q = 0; q < 4; q++) {
        const ys = BV_LAMS.map((_, i) => ex[4 * i + q]);
        body += Plot.path(f, BV_LAMS, ys, { color: Plot.colors[q] });
        legend.push({ label: Bv.names[q], color: Plot.colors[q] });
    }
    if (p.mc) {
        const { est, reps } = p.mc, B = reps.length;
        for (let q = 0; q < 4; q++)
            for (let i = 0; i < BV_LAMS.length; i += 3) {
                const m = est[4 * i + q], xs = reps.map((r) => r[4 * i + q]);
                const mean = xs.reduce((a, b) => a + b, 0) / B, se = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (B - 1) / B);
                const x = f.sx(BV_LAMS[i]);
                body += `<line x1="${x}" x2="${x}" y1="${f.sy(m - 2 * se)}" y2="${f.sy(m + 2 * se)}" stroke="${Plot.colors[q]}"/>` + Plot.dots(f, [BV_LAMS[i]], [m], { color: Plot.colors[q], fill: '#fff', r: 3 });
            }
    }
    p.figCurve.svg.innerHTML = Plot.svg(f, body + Plot.legend(f, legend), 'bv-curves');
    p.figCurve.dataset.mc = p.mc ? 'done' : 'pending';
};
// x, the true function and the 20 fitted curves.
Bv.polyCsv = () => {
    const c = Bv.curves, N = 101;
    let s = 'x,truth,' + Array.from({ length: 20 }, (_, k) => `fit${k}`).join(',') + '\n';
    for (let q = 0; q < N; q++) {
        const x = q / (N - 1);
        s += `${Plot.g17(x)},${Plot.g17(Math.sin(2 * Math.PI * x))}`;
        for (let k = 0; k < 20; k++) s += ',' + Plot.g17(c[k * N + q]);
        s += '\n';
    }
    return s;
};
Bv.drawPoly = (curves) => {
    Bv.curves = curves;
    const p = Bv, st = App.state.bv, N = 101, xs = Array.from({ length: N }, (_, k) => k / (N - 1));
    const f = Plot.frame({ xlim: [0, 1], ylim: [-2, 2], w: 470, h: 340, title: `degree ${st.degree}, n = ${st.pn}, λ = ${st.plam}`, xlabel: 'x', ylabel: 'y' });
    let body = '';
    for (let c = 0; c < 20; c++) body += Plot.path(f, xs, xs.map((_, k) => curves[c * N + k]), { color: 'rgba(36,87,197,.35)', width: 1 });
    body += Plot.path(f, xs, xs.map((x) => Math.sin(2 * Math.PI * x)), { color: '#111', width: 2.2 });
    let leg = [{ label: 'sin 2πx', color: '#111' }, { label: 'fits', color: 'rgba(36,87,197,.6)' }];
    if (p.polyStats) leg.push({ label: `bias² ${p.polyStats[0].toPrecision(3)}, var ${p.polyStats[1].toPrecision(3)}`, color: '#fff' });
    p.figPoly.svg.innerHTML = Plot.svg(f, body + Plot.legend(f, leg), 'bv-poly');
};
App.register(Bv);

// ---- start: the core, the worker, the tabs, the state from the link ------------
App.show = (id) => {
    App.active = id;
    for (const p of App.panels) {
        p.root.hidden = p.id !== id;
        p.tab.setAttribute('aria-selected', String(p.id === id));
    }
    App.writeHash();
};
App.start = async () => {
    const order = ['jac', 'optim', 'bv', 'train'];
    App.panels.sort((a, b) => (order.indexOf(a.id) + 1 || 99) - (order.indexOf(b.id) + 1 || 99));
    const module = await WebAssembly.compile(NB.bytes(document.getElementById('nabla-wasm').textContent.trim()));
    App.core = await NB.open(module);
    await App.startWorker(module);
    App.active = App.panels[0].id;
    App.readHash();
    const tabs = document.getElementById('tabs'), main = document.getElementById('panels');
    for (const p of App.panels) {
        p.tab = UI.el('button', { role: 'tab', type: 'button', id: `tab-${p.id}` }, p.title);
        p.tab.addEventListener('click', () => App.show(p.id));
        tabs.append(p.tab);
        p.build();
        main.append(p.root);
        try { p.render(); } catch (e) { p.status(e.message); }
        p.syncAll();
    }
    // Fashion-MNIST from disk (web/fashion.js) renders into the training panel's #train-fmnist
    if (typeof Fashion !== 'undefined') Fashion.mount(document.getElementById('train-fmnist'), module);
    App.show(App.active);
    document.getElementById('kernel').textContent = `GEMM kernel: ${App.core.str(App.core.e.nbw_gemm_kernel())}`;
    document.getElementById('status').textContent = 'ready';
    document.body.dataset.ready = '1';
};
// after the whole script has run: the panels of the files after this one (train.js) register first
Promise.resolve().then(App.start).catch((e) => {
    document.getElementById('status').textContent = `the core failed to start: ${e.message}`;
    console.error(e);
});
