// fashion.js — Fashion-MNIST from the user's own files, the lower half of the
// "Train a network" panel: it renders into the element #train-fmnist. The
// four .gz files are gunzipped and parsed in a worker of its own
// (fashion_worker.js), which trains there in chunks of steps and reports
// after each; the page draws the curves, a grid of test images with their
// predicted labels and the confusion matrix, and downloads the checkpoint
// (`nabla train --save`'s format: `nabla eval --load` and PyTorch read it).
'use strict';
const Fashion = {
    CLASSES: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    FILES: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
    // the settings block of web/nabla_web_fmnist.h
    B: { MODEL: 0, KIND: 1, CONV: 2, LR: 3, MOMENTUM: 4, BETA: 5, BETA1: 6, BETA2: 7, EPS: 8, WD: 9, BATCH: 10, EPOCHS: 11, SEED: 12, NORMALIZE: 13, LEN: 14 },
    st: { model: 'mlp', opt: 'adam', conv: 'torch', lr: '', momentum: '', beta: '', beta1: '', beta2: '', eps: '', wd: '', batch: 128, epochs: 1, seed: 0, normalize: 'yes' },
    loaded: [false, false, false, false],
    running: false,
};

// Which of the four a file is, by its name as distributed (with or without .gz).
Fashion.role = (name) => Fashion.FILES.findIndex((f) => name === f || name === f + '.gz');

Fashion.mount = (host, module) => {
    const F = Fashion, el = UI.el;
    F.host = host;
    host.classList.add('fmnist');
    host.append(el('h3', {}, 'Fashion-MNIST from your disk'));
    host.append(el('p', { class: 'note' }, 'Pick the four files as distributed (<code>train-images-idx3-ubyte.gz</code>, <code>train-labels-idx1-ubyte.gz</code>, <code>t10k-images-idx3-ubyte.gz</code>, <code>t10k-labels-idx1-ubyte.gz</code>; Debian\'s <code>dataset-fashion-mnist</code> puts them in /usr/share/datasets/fashion-mnist). They stay on this machine: gunzipped and read by nabla\'s own IDX reader in the page.'));
    const top = el('div', { class: 'fm-top' });
    const ctl = el('div', { class: 'controls' });
    F.input = el('input', { type: 'file', id: 'fm-files', multiple: '', accept: '.gz,application/gzip,application/octet-stream', 'aria-label': 'Fashion-MNIST files' });
    F.input.addEventListener('change', () => { F.pick([...F.input.files]); F.input.value = ''; });
    F.list = el('div', { class: 'note', id: 'fm-list' });
    F.err = el('div', { class: 'err', role: 'alert', id: 'fm-error' });
    ctl.append(el('div', { class: 'field wide' }, '<label for="fm-files">files</label>'), F.list, F.err);
    ctl.querySelector('.field').append(F.input);
    const sel = (key, label, opts) => {
        const box = el('div', { class: 'field wide' }), s = el('select', { id: `fm-${key}` });
        for (const [v, t] of opts) s.append(el('option', { value: v }, t));
        s.value = F.st[key];
        s.addEventListener('change', () => { F.st[key] = s.value; F.knobs(); });
        box.append(el('label', { for: `fm-${key}` }, label), s);
        return box;
    };
    const txt = (key, label, ph) => {
        const box = el('div', { class: 'field wide', 'data-key': key }), t = el('input', { type: 'text', id: `fm-${key}`, inputmode: 'decimal', spellcheck: 'false', placeholder: ph || 'default' });
        t.value = String(F.st[key]);
        t.addEventListener('change', () => { F.st[key] = t.value.trim(); });
        box.append(el('label', { for: `fm-${key}` }, label), t);
        return box;
    };
    ctl.append(sel('model', 'model', [['mlp', 'MLP 784-256-256-10'], ['cnn', 'CNN 16c3-p2-32c3-p2-10']]),
               sel('opt', 'optimizer', NB.KINDS.map((k) => [k, k])),
               sel('conv', 'convention', [['torch', 'torch'], ['handout', 'handout']]),
               sel('normalize', 'inputs', [['yes', 'standardised (--normalize)'], ['no', 'pixels / 255']]));
    F.knobBoxes = {};
    for (const [k, l] of [['lr', 'α (lr)'], ['momentum', 'momentum'], ['beta', 'β'], ['beta1', 'β₁'], ['beta2', 'β₂'], ['eps', 'ε'], ['wd', 'weight decay']])
        ctl.append((F.knobBoxes[k] = txt(k, l)));
    ctl.append(txt('batch', 'batch', '128'), txt('epochs', 'epochs', '1'), txt('seed', 'seed', '0'));
    const row = el('div', { class: 'row' });
    F.trainBtn = UI.button('Train', () => F.train(), { id: 'fm-train' });
    F.stopBtn = UI.button('Stop', () => F.worker.postMessage({ cmd: 'stop' }), { id: 'fm-stop' });
    F.saveBtn = UI.button('Save model', () => F.worker.postMessage({ cmd: 'save' }), { id: 'fm-save' });
    row.append(F.trainBtn, F.stopBtn, F.saveBtn);
    F.stats = el('div', { class: 'readout', id: 'fm-stats', 'aria-live': 'polite' }, 'no files yet');
    ctl.append(row, F.stats);
    const plots = el('div', { class: 'plots' });
    F.figLoss = UI.figure('fm-loss', 'training loss (per chunk of steps) and test loss (per epoch)');
    F.figAcc = UI.figure('fm-acc', 'training accuracy (per chunk) and test accuracy (per epoch)');
    F.grid = el('div', { class: 'fm-grid', id: 'fm-grid' });
    F.conf = el('div', { id: 'fm-confusion' });
    const gridFig = el('figure'), confFig = el('figure');
    gridFig.append(F.grid, el('figcaption', {}, 'the first test images: predicted (true); red when wrong'));
    confFig.append(F.conf, el('figcaption', {}, 'confusion matrix on the test split: rows the true class, columns the predicted'));
    plots.append(F.figLoss, F.figAcc, gridFig, confFig);
    top.append(ctl, plots);
    host.append(top);
    F.knobs();
    F.buttons();
    F.drawList();
    F.draw();
    // the worker: core.js + fashion_worker.js, its own instance of the module
    const url = URL.createObjectURL(new Blob([NABLA_FASHION_WORKER_SRC], { type: 'text/javascript' }));
    F.worker = new Worker(url);
    F.worker.onmessage = (ev) => F.on(ev.data);
    F.worker.postMessage({ cmd: 'init', module });
};

// Only the knobs this optimizer has (as `nabla train` takes them).
Fashion.knobs = () => {
    const has = KNOBS_OF[Fashion.st.opt];
    for (const [k, box] of Object.entries(Fashion.knobBoxes)) box.hidden = !has.includes(k);
};
Fashion.buttons = () => {
    const F = Fashion, ready = F.loaded.every(Boolean);
    F.trainBtn.disabled = !ready || F.running;
    F.stopBtn.disabled = !F.running;
    F.saveBtn.disabled = F.running || !F.trained;
    F.input.disabled = F.running;
};
Fashion.drawList = () => {
    Fashion.list.innerHTML = Fashion.FILES.map((f, i) => `${Fashion.loaded[i] ? '✓' : '·'} ${f}.gz`).join('<br>');
};
Fashion.error = (msg) => { Fashion.err.textContent = msg; };

Fashion.pick = (files) => {
    const F = Fashion, jobs = [];
    F.error('');
    for (const file of files) {
        const which = F.role(file.name);
        if (which < 0) {
            F.error(`${file.name}: not one of the four files (${F.FILES.map((f) => f + '.gz').join(', ')})`);
            return;
        }
        jobs.push({ which, file });
    }
    if (!jobs.length) return;
    F.stats.textContent = 'reading…';
    F.input.disabled = true;
    F.worker.postMessage({ cmd: 'files', files: jobs });
};

// The settings block; an empty knob is NaN (its default), a bad one an error.
Fashion.block = () => {
    const F = Fashion, st = F.st, B = F.B, b = new Array(B.LEN).fill(NaN);
    const num = (key, label) => {
        const s = String(st[key]).trim(), v = Number(s);
        if (s === '' || Number.isNaN(v)) throw new Error(`${label}: '${s}' is not a number`);
        return v;
    };
    b[B.MODEL] = st.model === 'cnn' ? 1 : 0;
    b[B.KIND] = NB.KINDS.indexOf(st.opt);
    b[B.CONV] = st.conv === 'torch' ? 1 : 0;
    const at = { lr: B.LR, momentum: B.MOMENTUM, beta: B.BETA, beta1: B.BETA1, beta2: B.BETA2, eps: B.EPS, wd: B.WD };
    for (const k of KNOBS_OF[st.opt]) if (String(st[k]).trim() !== '') b[at[k]] = num(k, k);
    b[B.BATCH] = num('batch', 'batch');
    b[B.EPOCHS] = num('epochs', 'epochs');
    b[B.SEED] = num('seed', 'seed');
    b[B.NORMALIZE] = st.normalize === 'yes' ? 1 : 0;
    return b;
};

Fashion.train = () => {
    const F = Fashion;
    let block;
    try { block = F.block(); } catch (e) { F.error(e.message); return; }
    F.error('');
    F.curve = { loss: [], acc: [], tloss: [], tacc: [] };
    F.prev = { seen: 0, lossSum: 0, correct: 0, epoch: 0 };
    F.preds = null, F.confusion = null, F.trained = false;
    F.running = true;
    F.host.dataset.state = 'training';
    F.buttons();
    F.draw();
    F.worker.postMessage({ cmd: 'train', block });
};

Fashion.on = (m) => {
    const F = Fashion, I = FMI_PAGE;
    if (m.cmd === 'ready') F.stats.textContent = 'no files yet';
    else if (m.cmd === 'file') {
        if (!m.ok && !F.err.textContent) F.error(m.error); // one error: the first
    } else if (m.cmd === 'loaded') {
        F.loaded = F.loaded.map((_, i) => ((m.info[I.FILES] >> i) & 1) === 1);
        F.sample = m.sample;
        F.input.disabled = false;
        F.drawList();
        F.buttons();
        F.stats.textContent = `train ${m.info[I.TRAIN_N]} images, test ${m.info[I.TEST_N]} images` + (F.loaded.every(Boolean) ? ': ready to train' : '');
        F.host.dataset.files = String(F.loaded.filter(Boolean).length);
        F.draw();
    } else if (m.cmd === 'started') {
        F.info = m.info;
    } else if (m.cmd === 'progress') {
        const info = m.info, B = +F.st.batch || 128, n = info[I.TRAIN_N];
        const seen = Math.min(info[I.STEP] * B, n), ep = info[I.EPOCH] - (info[I.STEP] === info[I.STEPS] ? 1 : 0);
        if (ep !== F.prev.epoch) F.prev = { seen: 0, lossSum: 0, correct: 0, epoch: ep };
        const lossSum = info[I.LOSS] * seen, correct = info[I.ACC] * seen, dn = seen - F.prev.seen;
        if (dn > 0) {
            const x = ep + seen / n;
            F.curve.loss.push([x, (lossSum - F.prev.lossSum) / dn]);
            F.curve.acc.push([x, (correct - F.prev.correct) / dn]);
        }
        F.prev.seen = seen, F.prev.lossSum = lossSum, F.prev.correct = correct;
        F.sps = info[I.SECONDS] > 0 ? seen / info[I.SECONDS] : 0;
        F.info = info;
        F.trained = true;
        F.drawStats();
        F.drawCurves();
    } else if (m.cmd === 'eval') {
        const info = m.info;
        F.curve.tloss.push([info[I.EPOCH], info[I.TEST_LOSS]]);
        F.curve.tacc.push([info[I.EPOCH], info[I.TEST_ACC]]);
        F.preds = m.preds, F.confusion = m.confusion, F.info = info;
        F.testAcc = info[I.TEST_ACC];
        F.host.dataset.testAcc = info[I.TEST_ACC].toFixed(4);
        F.drawStats();
        F.draw();
    } else if (m.cmd === 'done') {
        F.running = false;
        F.host.dataset.state = m.stopped ? 'stopped' : 'done';
        F.drawStats(m.stopped ? 'stopped' : 'done');
        F.buttons();
    } else if (m.cmd === 'saved') {
        const st = F.st, ep = F.info ? F.info[I.EPOCH] : 0;
        const name = `fashion-${st.model}-${st.opt}-epoch${ep}.safetensors`;
        const a = document.createElement('a');
        a.href = URL.createObjectURL(new Blob([m.bytes], { type: 'application/octet-stream' }));
        a.download = name;
        document.body.appendChild(a);
        a.click();
        setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    } else if (m.cmd === 'error') {
        F.error(m.error);
        if (m.during === 'train') {
            F.running = false;
            F.host.dataset.state = 'failed';
        }
        if (m.during === 'files') F.input.disabled = false;
        F.buttons();
    }
};
Fashion.drawStats = (state) => {
    const F = Fashion, I = FMI_PAGE, i = F.info;
    if (!i) return;
    let s = `epoch ${i[I.EPOCH] - (i[I.STEP] === i[I.STEPS] ? 1 : 0) + 1} of ${F.st.epochs}, step ${i[I.STEP]} of ${i[I.STEPS]}`;
    s += `\ntrain loss ${i[I.LOSS].toFixed(4)}, accuracy ${i[I.ACC].toFixed(4)} (this epoch, as trained)`;
    s += `\n${Math.round(F.sps || 0).toLocaleString('en-US')} samples/s (one thread, WebAssembly)`;
    if (F.testAcc !== undefined && F.curve && F.curve.tacc.length)
        s += `\ntest loss ${i[I.TEST_LOSS].toFixed(6)}, test accuracy ${i[I.TEST_ACC].toFixed(4)} (${i[I.TEST_CORRECT]} of ${i[I.TEST_N]})`;
    if (state) s += `\n${state}`;
    F.stats.textContent = s;
};

Fashion.drawCurves = () => {
    const F = Fashion, c = F.curve || { loss: [], acc: [], tloss: [], tacc: [] }, E = Math.max(1, +F.st.epochs || 1);
    const one = (fig, train, test, ylim, ylabel, id) => {
        const f = Plot.frame({ xlim: [0, E], ylim, w: 470, h: 300, xlabel: 'epoch', ylabel });
        let body = Plot.path(f, train.map((p) => p[0]), train.map((p) => p[1]), { color: Plot.colors[0] });
        if (test.length) body += Plot.dots(f, test.map((p) => p[0]), test.map((p) => p[1]), { color: Plot.colors[1], r: 4 });
        body += Plot.legend(f, [{ label: 'train', color: Plot.colors[0] }, { label: 'test', color: Plot.colors[1] }]);
        fig.svg.innerHTML = Plot.svg(f, body, id);
    };
    const top = Math.max(1, ...c.loss.map((p) => p[1]).filter(Number.isFinite));
    one(F.figLoss, c.loss, c.tloss, [0, Math.min(top, 3) * 1.05], 'cross-entropy', 'fm-loss');
    one(F.figAcc, c.acc, c.tacc, [0, 1], 'accuracy', 'fm-acc');
};

Fashion.draw = () => {
    const F = Fashion;
    F.drawCurves();
    // the grid of test images
    const s = F.sample;
    F.grid.innerHTML = '';
    if (s) {
        const d = s.rows * s.cols;
        for (let k = 0; k < s.n; k++) {
            const cell = UI.el('div', { class: 'fm-cell' }), cv = UI.el('canvas', { width: s.cols, height: s.rows });
            const cx = cv.getContext('2d'), im = cx.createImageData(s.cols, s.rows);
            for (let j = 0; j < d; j++) {
                const v = 255 - s.pixels[k * d + j];
                im.data[4 * j] = im.data[4 * j + 1] = im.data[4 * j + 2] = v, im.data[4 * j + 3] = 255;
            }
            cx.putImageData(im, 0, 0);
            const y = s.labels[k], p = F.preds ? F.preds[k] : -1;
            const lab = UI.el('div', { class: p >= 0 && p !== y ? 'fm-lab bad' : 'fm-lab' },
                              p >= 0 ? `${F.CLASSES[p]} (${F.CLASSES[y]})` : F.CLASSES[y]);
            cell.append(cv, lab);
            F.grid.append(cell);
        }
    }
    // the confusion matrix
    const m = F.confusion;
    if (!m) { F.conf.innerHTML = '<p class="note">after the first epoch</p>'; return; }
    let top = 1;
    for (let i = 0; i < 10; i++) top = Math.max(top, ...m.slice(10 * i, 10 * i + 10));
    let h = '<table class="mat fm-conf"><tr><td></td>' + F.CLASSES.map((c, j) => `<td title="${c}">${j}</td>`).join('') + '</tr>';
    for (let i = 0; i < 10; i++) {
        h += `<tr><td title="${F.CLASSES[i]}">${i} ${F.CLASSES[i]}</td>`;
        for (let j = 0; j < 10; j++) {
            const v = m[10 * i + j], a = (v / top) ** 0.5, bg = i === j ? `rgba(36,87,197,${a})` : `rgba(209,73,91,${a})`;
            h += `<td style="background:${bg};color:${a > 0.55 ? '#fff' : 'inherit'}">${v}</td>`;
        }
        h += '</tr>';
    }
    F.conf.innerHTML = h + '</table>';
};
// nbw_fm_info's indices (web/nabla_web_fmnist.h), as the worker has them.
const FMI_PAGE = { TRAIN_N: 0, TEST_N: 1, ROWS: 2, COLS: 3, EPOCH: 4, STEP: 5, STEPS: 6, LOSS: 7, ACC: 8, SECONDS: 9,
                   TEST_LOSS: 10, TEST_ACC: 11, TEST_CORRECT: 12, BYTES: 13, FILES: 14 };

