// core.js — the wasm core and its calls, shared by the page and its worker.
// Each call copies f64 arrays into the module's memory, calls the C API of
// web/nabla_web.c, and throws an Error carrying nb_errmsg() on failure.
'use strict';
const NB = {};
NB.bytes = (b64) => {
    const s = atob(b64), u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
    return u;
};
// The module's only imports are WASI's stdio, clock, sleep and sched_yield,
// from libc and the thread team's waits, which a one-thread module never
// reaches: inert stubs (52 is WASI's ENOSYS), and a real monotonic clock.
NB.imports = (mod, memory) => {
    const im = {};
    for (const { module, name } of WebAssembly.Module.imports(mod)) {
        (im[module] ||= {})[name] =
            name === 'sched_yield' ? () => 0
            : name === 'clock_time_get' ? (id, prec, ptr) => {
                new DataView(memory().buffer).setBigUint64(ptr, BigInt(Math.round(performance.now() * 1e6)), true);
                return 0;
            } : () => 52;
    }
    return im;
};
NB.open = async (mod) => {
    let exports = null;
    const inst = await WebAssembly.instantiate(mod, NB.imports(mod, () => exports.memory));
    exports = inst.exports;
    inst.exports._initialize();
    return new NB.Core(inst.exports);
};
// Lab block and bias-variance block indices (web/nabla_web.h).
NB.LAB = { FN: 0, A1: 1, A2: 2, KIND: 3, CONV: 4, X1: 5, X2: 6, LR: 7, MOMENTUM: 8, BETA: 9, BETA1: 10, BETA2: 11, EPS: 12, WD: 13, LEN: 14 };
NB.KINDS = ['gd', 'momentum', 'nesterov', 'rmsprop', 'adagrad', 'adam', 'adamw'];
NB.KNOBS = ['lr', 'momentum', 'beta', 'beta1', 'beta2', 'eps', 'weight_decay'];
// The playground's block and info (web/nabla_web.h NBW_P_*, NBW_PI_*).
NB.PLAY = { DATA: 0, N: 1, NOISE: 2, TRAIN: 3, SEED: 4, DEPTH: 5, WIDTH: 6, ACT: 7, BATCH: 8, KIND: 9, CONV: 10,
            LR: 11, MOMENTUM: 12, BETA: 13, BETA1: 14, BETA2: 15, EPS: 16, L2: 17, LEN: 18 };
NB.PINFO = ['step', 'trainLoss', 'trainAcc', 'testLoss', 'testAcc', 'params', 'ntrain', 'ntest',
            'lr', 'momentum', 'beta', 'beta1', 'beta2', 'eps', 'l2'];
NB.DATASETS = ['circles', 'xor', 'gaussians', 'spiral'];
NB.ACTS = ['relu', 'tanh', 'sigmoid'];

NB.Core = class {
    constructor(e) { this.e = e; }
    f64() { return new Float64Array(this.e.memory.buffer); }
    str(p) {
        const u = new Uint8Array(this.e.memory.buffer);
        let q = p;
        while (u[q]) q++;
        return new TextDecoder().decode(u.subarray(p, q));
    }
    err() { return this.str(this.e.nbw_errmsg()); }
    check(rc) { if (rc !== 0) throw new Error(this.err()); }
    // Copies each array into fresh memory, calls fn with the pointers, frees them.
    with(arrays, fn) {
        const ps = arrays.map((a) => {
            const n = typeof a === 'number' ? a : a.length, p = this.e.nbw_alloc(8 * n);
            if (typeof a !== 'number') this.f64().set(a, p >> 3);
            return p;
        });
        try { return fn(...ps); } finally { ps.forEach((p) => this.e.nbw_free(p)); }
    }
    read(p, n) { return this.f64().slice(p >> 3, (p >> 3) + n); }
    // panel 2
    optim(block, steps) {
        this.with([block], (p) => this.check(this.e.nbw_optim(p, steps)));
        const info = this.read(this.e.nbw_traj_info(), 11), n = info[0];
        const cfg = {};
        NB.KNOBS.forEach((k, i) => { cfg[k] = info[4 + i]; });
        return { n, diverged: !!info[1], pred: info[2], meas: info[3], cfg,
                 x1: this.read(this.e.nbw_traj(0), n), x2: this.read(this.e.nbw_traj(1), n), f: this.read(this.e.nbw_traj(2), n) };
    }
    trajCsv() { return this.str(this.e.nbw_traj_csv()); }
    grid(block, box, nx, ny) {
        return this.with([block, nx * ny], (p, o) => {
            this.check(this.e.nbw_lab_grid(p, box[0], box[1], box[2], box[3], nx, ny, o));
            return this.read(o, nx * ny);
        });
    }
    rateMap(a1, a2, lr, m, nx, ny) {
        return this.with([nx * ny], (o) => {
            this.check(this.e.nbw_rate_map(a1, a2, lr[0], lr[1], m[0], m[1], nx, ny, o));
            return this.read(o, nx * ny);
        });
    }
    // panel 1
    jac(which, d, n, A, x, v) {
        this.with([A, x, v], (pa, px, pv) => this.check(this.e.nbw_jac(which, d, n, pa, px, pv)));
        const info = this.read(this.e.nbw_jac_result(3), 21);
        const shape = (o) => Array.from(info.slice(o + 1, o + 1 + info[o]));
        const sh = shape(0), st = shape(9), numel = sh.reduce((a, b) => a * b, 1);
        return { shapeH: sh, shapeT: st, JH: this.read(this.e.nbw_jac_result(0), numel),
                 JT: this.read(this.e.nbw_jac_result(1), numel), closed: this.read(this.e.nbw_jac_result(2), numel),
                 gc: { maxAbs: info[18], maxRel: info[19], passed: !!info[20] } };
    }
    // panel 3
    bvExact(block, lams) {
        return this.with([block, lams, 4 * lams.length], (p, l, o) => {
            this.check(this.e.nbw_bv_exact(p, lams.length, l, o));
            return this.read(o, 4 * lams.length);
        });
    }
    bvMc(block, lams, trials, seed) {
        return this.with([block, lams, 4 * lams.length], (p, l, o) => {
            this.check(this.e.nbw_bv_mc(p, lams.length, l, trials, seed, o, 0));
            return this.read(o, 4 * lams.length);
        });
    }
    // the estimates and their standard errors (the CLI's _se columns)
    bvMcSe(block, lams, trials, seed) {
        return this.with([block, lams, 4 * lams.length, 4 * lams.length], (p, l, o, e) => {
            this.check(this.e.nbw_bv_mc(p, lams.length, l, trials, seed, o, e));
            return { est: this.read(o, 4 * lams.length), se: this.read(e, 4 * lams.length) };
        });
    }
    bvPoly(degree, n, sigma, K, lambda, trials, seed) {
        return this.with([4], (o) => {
            this.check(this.e.nbw_bv_poly(degree, n, sigma, K, lambda, trials, seed, o));
            return this.read(o, 4);
        });
    }
    // the playground (web/nabla_web_play.c)
    playNew(block) { this.with([block], (p) => this.check(this.e.nbw_play_new(p))); return this.playInfo(); }
    playSet(block) { this.with([block], (p) => this.check(this.e.nbw_play_set(p))); return this.playInfo(); }
    playRun(k) {
        this.check(this.e.nbw_play_run(k));
        return this.read(this.e.nbw_play_losses(), k);
    }
    playEval() { this.check(this.e.nbw_play_eval()); return this.playInfo(); }
    playInfo() {
        const v = this.read(this.e.nbw_play_info(), NB.PINFO.length), o = {};
        NB.PINFO.forEach((k, i) => { o[k] = v[i]; });
        return o;
    }
    // the points (n x 2) and labels; the first ntrain are the training set
    playData(n) {
        const b = this.e.memory.buffer;
        return { x: new Float32Array(b, this.e.nbw_play_x(), 2 * n).slice(), y: new Int32Array(b, this.e.nbw_play_y(), n).slice() };
    }
    playMap(nx, ny, lo, hi, nunits) {
        return this.with([nx * ny, nunits ? nunits * nx * ny : 0], (p, u) => {
            this.check(this.e.nbw_play_map(nx, ny, lo, hi, p, nunits ? u : 0));
            return { prob: this.read(p, nx * ny), units: nunits ? this.read(u, nunits * nx * ny) : null };
        });
    }
    polyCurves(degree, n, sigma, lambda, ncurves, seed, npts) {
        return this.with([ncurves * npts], (o) => {
            this.check(this.e.nbw_poly_curves(degree, n, sigma, lambda, ncurves, seed, npts, o));
            return this.read(o, ncurves * npts);
        });
    }
};
