// train.js — panel 4, "Train a network": the playground. A small MLP learns a
// toy 2-D dataset in the worker (web/nabla_web_play.c: the library's model,
// loss, backward and optimizers), a run of steps at a time; the page draws
// what each run hands back. The settings live in the link; a change to the
// data or the network starts anew, any other knob applies from the next step.
'use strict';
const PLAY = {
    box: [-6, 6],
    grid: 100,    // the decision boundary's cells a side
    ugrid: 24,    // each unit's
    budget: 30,   // ms of training per run while running (then one frame drawn)
    curveMax: 1500, // points kept on the loss curves (halved when full)
    // what rebuilds the data or the network
    structural: ['data', 'n', 'noise', 'split', 'seed', 'depth', 'width', 'act'],
    // class 0 and class 1 (orange, blue) and the white between them
    c0: [232, 137, 12], c1: [8, 119, 189], mid: [247, 248, 250],
};
PLAY.pct = (v) => `${(100 * v).toFixed(1)}%`;
PLAY.knobsOf = (opt) => KNOBS_OF[opt].filter((k) => k !== 'wd');
PLAY.hex = (c) => `rgb(${c.join(',')})`;
// v in [-1, 1]: orange below 0, blue above, white at 0
PLAY.color = (v, depth = 0.85) => {
    const t = Math.min(1, Math.abs(v)) * depth, c = v < 0 ? PLAY.c0 : PLAY.c1;
    return [0, 1, 2].map((i) => Math.round(PLAY.mid[i] + t * (c[i] - PLAY.mid[i])));
};

const Train = UI.panel({
    id: 'train', title: 'Train a network',
    defaults: { data: 'spiral', n: 400, noise: 0.1, split: 0.5, seed: 0, depth: 3, width: 8, act: 'relu', batch: 16,
                opt: 'adam', conv: 'torch', lr: 0.01, momentum: 0.9, beta: 0.99, beta1: 0.9, beta2: 0.999, eps: 1e-8, l2: 0,
                speed: 20 },
});
Train.running = false;
Train.gen = 0;        // which network the worker holds; a run of an older one is dropped
Train.inflight = null; // the worker's run, while there is one

// The block of web/nabla_web.h (NBW_P_*); knobs the optimizer lacks are NaN.
Train.block = (st, withKnobs = true) => {
    const b = new Float64Array(NB.PLAY.LEN).fill(NaN), P = NB.PLAY;
    b[P.DATA] = NB.DATASETS.indexOf(st.data), b[P.N] = st.n, b[P.NOISE] = st.noise, b[P.TRAIN] = st.split, b[P.SEED] = st.seed;
    b[P.DEPTH] = st.depth, b[P.WIDTH] = st.width, b[P.ACT] = NB.ACTS.indexOf(st.act), b[P.BATCH] = st.batch;
    b[P.KIND] = NB.KINDS.indexOf(st.opt), b[P.CONV] = st.conv === 'torch' ? 1 : 0;
    if (withKnobs) {
        b[P.L2] = st.l2;
        for (const k of PLAY.knobsOf(st.opt)) b[P[k.toUpperCase()]] = st[k];
    }
    return b;
};
// The library's defaults for an optimizer and convention (on a fixed, valid setting).
Train.defaultsOf = (st) => {
    const i = App.core.playNew(Train.block({ ...Train.defaults, opt: st.opt, conv: st.conv }, false));
    return { lr: i.lr, momentum: i.momentum, beta: i.beta, beta1: i.beta1, beta2: i.beta2, eps: i.eps };
};
Train.onChange = (key) => {
    const st = App.state.train;
    if (key === 'opt' || key === 'conv') Object.assign(st, Train.defaultsOf(st));
};

Train.build = () => {
    const p = Train, set = p.set;
    p.controls.append(UI.el('h3', {}, 'Data'));
    p.add(UI.select(p, 'data', 'dataset', NB.DATASETS.map((d) => [d, d]), set));
    p.add(UI.slider(p, { key: 'noise', label: 'noise σ', min: 0, max: 2, n: 40 }, set));
    p.add(UI.slider(p, { key: 'split', label: 'train share', min: 0.1, max: 0.9, n: 16 }, set));
    p.add(UI.slider(p, { key: 'n', label: 'points', min: 50, max: 2000, int: true, n: 39 }, set));
    p.add(UI.slider(p, { key: 'seed', label: 'seed', min: 0, max: 99, int: true, n: 99 }, set));
    p.controls.append(UI.el('h3', {}, 'Network'));
    p.add(UI.slider(p, { key: 'depth', label: 'hidden layers', min: 1, max: 6, int: true, n: 5 }, set));
    p.add(UI.slider(p, { key: 'width', label: 'units a layer', min: 1, max: 16, int: true, n: 15 }, set));
    p.add(UI.select(p, 'act', 'activation', NB.ACTS.map((a) => [a, a]), set));
    p.controls.append(UI.el('h3', {}, 'Training'));
    p.add(UI.slider(p, { key: 'batch', label: 'batch', min: 1, max: 100, int: true, n: 99 }, set));
    UI.optimizer(p, set, 1, false);
    p.add(UI.slider(p, { key: 'l2', label: 'L2 λ', aria: 'L2 weight decay', min: 0, max: 0.05, n: 100 }, set));
    p.add(UI.slider(p, { key: 'speed', label: 'steps a frame', min: 1, max: 1000, log: true, int: true, n: 60 }, set));
    const row = UI.el('div', { class: 'row play-buttons' });
    p.runBtn = UI.button('▶ Run', () => (Train.running ? Train.pause() : Train.run()), { id: 'train-run', 'aria-pressed': 'false' });
    row.append(p.runBtn, UI.button('Step', () => Train.stepOnce(), { id: 'train-step' }),
               UI.button('Reset', () => Train.reset(), { id: 'train-reset' }));
    p.controls.append(row, p.errLine);
    p.readout = UI.el('div', { class: 'readout', 'aria-live': 'off', id: 'train-readout' });
    p.controls.append(p.readout);

    p.figMap = UI.figure('train-boundary', 'P(class 1) under the points: filled, training; rings, test');
    p.figCurve = UI.figure('train-curve', 'loss on the whole training and test sets');
    p.figUnits = UI.el('figure', { id: 'train-units' });
    p.units = UI.el('div', { class: 'units' });
    p.figUnits.append(p.units, UI.el('figcaption', {}, '<span>each unit\'s output over the same square: inputs, every hidden unit, the output</span>'));
    p.figMap.tools.append(UI.button('SVG', () => Plot.saveSvg(p.figMap, 'boundary.svg')));
    p.figCurve.tools.append(UI.button('SVG', () => Plot.saveSvg(p.figCurve, 'loss.svg')),
                            UI.button('CSV', () => Plot.download('loss.csv', Train.csv(), 'text/csv'), { 'data-save': 'train-csv' }));
    p.plots.append(p.figMap, p.figCurve, p.figUnits);
    // Fashion-MNIST from disk (web/fashion.js) renders here
    p.root.append(UI.el('div', { id: 'train-fmnist', class: 'wide-row' }));
    p.fields.push({ sync: () => {
        const st = App.state.train;
        for (const [k, box] of Object.entries(p.knobBoxes)) box.hidden = !PLAY.knobsOf(st.opt).includes(k);
    } });
};

// ---- the worker's network ----------------------------------------------------
// The maps each run brings back: the boundary's, and each unit's (coarser).
Train.maps = () => {
    const st = App.state.train, [lo, hi] = PLAY.box;
    return { map: [PLAY.grid, PLAY.grid, lo, hi], umap: [PLAY.ugrid, PLAY.ugrid, lo, hi, st.depth * st.width] };
};
Train.render = () => {
    const st = App.state.train, block = Train.block(st);
    App.core.playNew(block); // the library's checks, here and now: a refusal goes beside the field
    Train.status('');
    const rebuild = !Train.built || PLAY.structural.some((k) => Train.built[k] !== st[k]), key = block.join();
    Train.built = { ...st };
    if (rebuild) return Train.rebuild(block);
    if (key !== Train.setKey) App.run('play-set', { block }).catch((e) => Train.status(e.message));
    Train.setKey = key;
};
// A fresh network (and data) in the worker: step 0.
Train.rebuild = (block = Train.block(App.state.train)) => {
    const gen = ++Train.gen;
    Train.setKey = block.join();
    Train.curve = [];
    Train.rate = 0;
    Train.figUnits.dataset.units = '';
    const job = App.run('play-new', { block, ...Train.maps() }).then((r) => {
        if (gen !== Train.gen) return;
        Train.data = { x: r.out.x, y: r.out.y };
        Train.apply(r.out);
        Train.drawPoints();
    });
    job.catch((e) => { if (gen === Train.gen) { Train.pause(); Train.status(e.message); } });
    return job;
};
// `steps` steps (with a budget: as many as fit in it), then draw. Resolves to the run's output.
Train.advance = (steps, budget = 0) => {
    const gen = Train.gen, batch = App.state.train.batch;
    const job = App.run('play-run', { steps, chunk: budget ? Math.min(steps, 4) : Math.min(steps, 500), budget, ...Train.maps() }).then((r) => {
        const o = r.out;
        if (gen !== Train.gen) return o;
        if (o.losses.length) Train.rate = (o.losses.length * batch) / (o.trainMs / 1000);
        Train.apply(o);
        return o;
    });
    const done = job.catch(() => {}).then(() => { if (Train.inflight === done) Train.inflight = null; });
    Train.inflight = done;
    return job;
};
Train.run = () => {
    if (Train.running) return;
    Train.running = true;
    Train.runBtn.textContent = '❚❚ Pause';
    Train.runBtn.setAttribute('aria-pressed', 'true');
    Train.status('');
    const loop = () => {
        if (!Train.running) return;
        Train.advance(App.state.train.speed, PLAY.budget).then(() => requestAnimationFrame(loop), (e) => { Train.pause(); Train.status(e.message); });
    };
    (Train.inflight || Promise.resolve()).then(loop);
};
Train.pause = () => {
    Train.running = false;
    Train.runBtn.textContent = '▶ Run';
    Train.runBtn.setAttribute('aria-pressed', 'false');
};
Train.stepOnce = async () => {
    Train.pause();
    await Train.inflight;
    try { await Train.advance(1); } catch (e) { Train.status(e.message); }
};
Train.reset = async () => {
    const was = Train.running;
    Train.pause();
    await Train.inflight;
    Train.status('');
    await Train.rebuild();
    if (was) Train.run();
};

// ---- drawing -----------------------------------------------------------------
Train.apply = (o) => {
    const i = (Train.info = o.info);
    if (!Train.curve.length || i.step > Train.curve[Train.curve.length - 1][0]) {
        Train.curve.push([i.step, i.trainLoss, i.testLoss, i.trainAcc, i.testAcc]);
        if (Train.curve.length > PLAY.curveMax) Train.curve = Train.curve.filter((_, k) => k % 2 === 0 || k === Train.curve.length - 1);
    }
    if (o.prob) Train.drawMap(o.prob);
    if (o.units) Train.drawUnits(o.units);
    Train.drawCurve();
    Train.showReadout();
};
Train.frame = () => Plot.frame({ xlim: PLAY.box, ylim: PLAY.box, w: 400, h: 400, title: `${App.state.train.data}: the decision boundary`, xlabel: 'x₁', ylabel: 'x₂' });
Train.drawPoints = () => {
    const f = Train.frame(), { x, y } = Train.data, nt = Train.info.ntrain;
    let body = '';
    for (const [cls, color] of [[0, PLAY.c0], [1, PLAY.c1]]) {
        const tx = [], ty = [], sx = [], sy = [];
        for (let i = 0; i < y.length; i++) {
            if (y[i] !== cls) continue;
            (i < nt ? tx : sx).push(x[2 * i]);
            (i < nt ? ty : sy).push(x[2 * i + 1]);
        }
        body += Plot.dots(f, tx, ty, { color: '#fff', fill: PLAY.hex(color), r: 3.2 });
        body += Plot.dots(f, sx, sy, { color: PLAY.hex(color), fill: '#fff', r: 2.6 });
    }
    Train.figMap.svg.innerHTML = Plot.svg(f, body, 'train-boundary', true);
    Train.figMap.dataset.points = String(y.length);
    Train.mapFrame = f;
    if (Train.lastProb) Train.drawMap(Train.lastProb);
};
Train.drawMap = (prob) => {
    Train.lastProb = prob;
    const f = Train.mapFrame || Train.frame(), G = PLAY.grid;
    const cv = Plot.rasterCanvas(prob, G, G, (p) => PLAY.color(2 * p - 1, 0.55));
    const cx = Plot.under(Train.figMap, f);
    cx.imageSmoothingEnabled = true; // a smooth boundary between the cells
    cx.drawImage(cv, f.m.l, f.m.t, f.W, f.H);
    cx.restore();
    Train.figMap.underSvg = () => Plot.rasterSvg(f, cv);
};
// One small canvas per unit: the inputs x₁ and x₂, each hidden unit, the output.
Train.unitCanvas = (label, cls = '') => {
    const cv = UI.el('canvas', { class: `unit ${cls}`, width: PLAY.ugrid, height: PLAY.ugrid, title: label, 'aria-label': label });
    return cv;
};
Train.layoutUnits = () => {
    const st = App.state.train, key = `${st.depth}x${st.width}`;
    if (Train.figUnits.dataset.units === key) return;
    Train.figUnits.dataset.units = key;
    const u = Train.units;
    u.innerHTML = '';
    Train.unitCv = [];
    const row = (name, cvs) => {
        const r = UI.el('div', { class: 'layer' });
        r.append(UI.el('span', { class: 'note' }, name), ...cvs);
        u.append(r);
    };
    Train.inputCv = [Train.unitCanvas('x₁'), Train.unitCanvas('x₂')];
    row('input', Train.inputCv);
    for (let l = 0; l < st.depth; l++) {
        const cvs = [];
        for (let k = 0; k < st.width; k++) cvs.push(Train.unitCanvas(`layer ${l + 1}, unit ${k + 1}`));
        Train.unitCv.push(...cvs);
        row(`layer ${l + 1}`, cvs);
    }
    Train.outCv = Train.unitCanvas('P(class 1)', 'out');
    row('output', [Train.outCv]);
    // the inputs do not change: x₁ and x₂ themselves
    const G = PLAY.ugrid;
    Train.inputCv.forEach((cv, which) => {
        const z = new Float64Array(G * G);
        for (let j = 0; j < G; j++) for (let i = 0; i < G; i++) z[j * G + i] = ((which ? j : i) + 0.5) / G * 2 - 1;
        Train.paint(cv, z, 0, 1);
    });
};
// values z (G x G, row 0 at the bottom) around centre, scaled by scale
Train.paint = (cv, z, centre, scale, off = 0) => {
    const G = cv.width, cx = cv.getContext('2d'), img = cx.createImageData(G, G);
    for (let j = 0; j < G; j++)
        for (let i = 0; i < G; i++) {
            const c = PLAY.color((z[off + j * G + i] - centre) / scale), o = ((G - 1 - j) * G + i) * 4;
            img.data[o] = c[0], img.data[o + 1] = c[1], img.data[o + 2] = c[2], img.data[o + 3] = 255;
        }
    cx.putImageData(img, 0, 0);
};
Train.drawUnits = (units) => {
    if (!units) return;
    Train.layoutUnits();
    const st = App.state.train, G2 = PLAY.ugrid * PLAY.ugrid;
    if (units.length !== Train.unitCv.length * G2) return; // a map of an older network
    // sigmoid's outputs sit around 1/2, ReLU's and tanh's around 0; each unit on its own scale
    const centre = st.act === 'sigmoid' ? 0.5 : 0;
    Train.unitCv.forEach((cv, k) => {
        let m = 1e-6;
        for (let q = k * G2; q < (k + 1) * G2; q++) m = Math.max(m, Math.abs(units[q] - centre));
        Train.paint(cv, units, centre, m, k * G2);
    });
    if (Train.lastProb) {
        const G = PLAY.grid, g = PLAY.ugrid, z = new Float64Array(g * g);
        for (let j = 0; j < g; j++) for (let i = 0; i < g; i++) z[j * g + i] = Train.lastProb[Math.floor(((j + 0.5) * G) / g) * G + Math.floor(((i + 0.5) * G) / g)];
        Train.paint(Train.outCv, z, 0.5, 0.5);
    }
    Train.figUnits.dataset.drawn = String(Train.info.step);
};
Train.drawCurve = () => {
    const c = Train.curve, last = c[c.length - 1];
    let lo = Infinity, hi = 0;
    for (const r of c) for (const v of [r[1], r[2]]) if (v > 0 && Number.isFinite(v)) lo = Math.min(lo, v), hi = Math.max(hi, v);
    if (!(hi > 0)) lo = 0.01, hi = 1;
    const f = Plot.frame({ xlim: [0, Math.max(10, last[0])], ylim: [Math.min(lo / 1.5, hi / 10), hi * 1.5], ylog: true, w: 470, h: 340,
                           title: `cross-entropy, step ${last[0]}`, xlabel: 'step', ylabel: 'loss' });
    const xs = c.map((r) => r[0]);
    const body = Plot.path(f, xs, c.map((r) => r[1]), { color: PLAY.hex(PLAY.c1), width: 2 }) +
                 Plot.path(f, xs, c.map((r) => r[2]), { color: PLAY.hex(PLAY.c0), width: 2 }) +
                 Plot.dots(f, [last[0]], [last[1]], { color: PLAY.hex(PLAY.c1), r: 3 }) + Plot.dots(f, [last[0]], [last[2]], { color: PLAY.hex(PLAY.c0), r: 3 }) +
                 Plot.legend(f, [{ label: `train ${PLAY.pct(last[3])}`, color: PLAY.hex(PLAY.c1) }, { label: `test ${PLAY.pct(last[4])}`, color: PLAY.hex(PLAY.c0) }]);
    Train.figCurve.svg.innerHTML = Plot.svg(f, body, 'train-curve');
};
Train.showReadout = () => {
    const i = Train.info, st = App.state.train;
    const sizes = [2, ...Array(st.depth).fill(st.width), 2].join('-');
    Train.readout.textContent =
        `step        ${i.step}\n` +
        `samples/s   ${Train.rate ? Math.round(Train.rate).toLocaleString('en-US') : '–'}\n` +
        `train loss  ${i.trainLoss.toFixed(4)}   accuracy ${PLAY.pct(i.trainAcc)}\n` +
        `test loss   ${i.testLoss.toFixed(4)}   accuracy ${PLAY.pct(i.testAcc)}\n` +
        `network     ${sizes} ${st.act}, ${i.params} parameters\n` +
        `data        ${i.ntrain} training, ${i.ntest} test points`;
    Train.readout.dataset.step = String(i.step);
};
// The curve as numbers: step, losses and accuracies on both sets.
Train.csv = () => 'step,train_loss,test_loss,train_acc,test_acc\n' + Train.curve.map((r) => r.map(Plot.g17).join(',')).join('\n') + '\n';
App.register(Train);
