// fashion_worker.js — the Fashion-MNIST trainer's worker (web/fashion.js),
// after core.js in a Blob of its own, with its own instance of the module
// (its memory holds the 55 MB of images). The files are gunzipped here and
// parsed by the library; training runs in chunks of about 100 ms, each
// followed by a report and a turn of the event loop, where 'stop' gets in.
'use strict';
const FMI = { TRAIN_N: 0, TEST_N: 1, ROWS: 2, COLS: 3, EPOCH: 4, STEP: 5, STEPS: 6, LOSS: 7, ACC: 8, SECONDS: 9,
              TEST_LOSS: 10, TEST_ACC: 11, TEST_CORRECT: 12, BYTES: 13, FILES: 14, LEN: 15 };
const FM_GRID = 32; // the test images the page shows with their predictions
const FM_MAX_BYTES = 256 << 20; // an MNIST-format file is far smaller; a bigger one is not one
let fm = null, stopping = false, busy = false;

const post = (m, transfer) => self.postMessage(m, transfer || []);
const fmInfo = () => Array.from(new Float64Array(fm.e.memory.buffer, fm.e.nbw_fm_info(), FMI.LEN));
// A turn of the event loop without setTimeout's 4 ms clamp.
const yieldTurn = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });

// The file's bytes, gunzipped when they start with gzip's magic (as the
// library's reader decides), straight into the module's memory.
const fileBytes = async (file) => {
    let u = new Uint8Array(await file.arrayBuffer());
    if (u.length >= 2 && u[0] === 0x1f && u[1] === 0x8b) {
        const parts = [];
        let total = 0;
        try {
            const rd = new Blob([u]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
            for (;;) {
                const { done, value } = await rd.read();
                if (done) break;
                total += value.length;
                if (total > FM_MAX_BYTES) {
                    rd.cancel();
                    throw new RangeError(`${file.name}: more than ${FM_MAX_BYTES >> 20} MB once gunzipped: not an MNIST-format file`);
                }
                parts.push(value);
            }
        } catch (e) {
            if (e instanceof RangeError) throw e;
            throw new Error(`${file.name}: corrupt gzip data (${e.message || e})`);
        }
        u = new Uint8Array(total);
        let at = 0;
        for (const p of parts) u.set(p, at), (at += p.length);
    }
    return u;
};

const loadFile = async (which, file) => {
    const u = await fileBytes(file);
    const name = new TextEncoder().encode(file.name + '\0');
    const p = fm.e.nbw_alloc(u.length), q = fm.e.nbw_alloc(name.length);
    try {
        new Uint8Array(fm.e.memory.buffer).set(u, p);
        new Uint8Array(fm.e.memory.buffer).set(name, q);
        fm.check(fm.e.nbw_fm_file(which, p, u.length, q));
    } finally {
        fm.e.nbw_free(p);
        fm.e.nbw_free(q);
    }
};

// The first FM_GRID test images and their labels, for the page's grid.
const testSample = (info) => {
    const n = Math.min(FM_GRID, info[FMI.TEST_N]), d = info[FMI.ROWS] * info[FMI.COLS];
    if (!n) return null;
    const m = fm.e.memory.buffer;
    return { n, rows: info[FMI.ROWS], cols: info[FMI.COLS],
             pixels: new Uint8Array(m, fm.e.nbw_fm_test_pixels(), n * d).slice(),
             labels: Array.from(new Int32Array(m, fm.e.nbw_fm_test_labels(), n)) };
};

const evaluate = () => {
    fm.check(fm.e.nbw_fm_eval());
    const m = fm.e.memory.buffer, info = fmInfo();
    return { info, confusion: Array.from(new Float64Array(m, fm.e.nbw_fm_confusion(), 100)),
             preds: Array.from(new Int32Array(m, fm.e.nbw_fm_preds(), Math.min(FM_GRID, info[FMI.TEST_N]))) };
};

const train = async (block) => {
    fm.with([block], (p) => fm.check(fm.e.nbw_fm_new(p)));
    const epochs = block[11], done = fm.e.nbw_alloc(4);
    let chunk = 2, info = fmInfo(), epoch = 0;
    post({ cmd: 'started', info });
    try {
        while (!stopping) {
            const t0 = performance.now();
            const rc = fm.e.nbw_fm_train(chunk, done);
            const ms = performance.now() - t0, k = new Int32Array(fm.e.memory.buffer, done, 1)[0];
            info = fmInfo();
            if (rc !== 0) throw new Error(fm.err());
            post({ cmd: 'progress', info, steps: k, ms });
            // about 100 ms a chunk: often enough to report and stop, rarely enough to cost nothing
            if (k === chunk) chunk = Math.max(1, Math.min(4096, Math.round((chunk * 100) / Math.max(ms, 1))));
            if (info[FMI.EPOCH] !== epoch) {
                epoch = info[FMI.EPOCH];
                post({ cmd: 'eval', ...evaluate() });
                if (epoch >= epochs) break;
            }
            await yieldTurn();
        }
    } finally {
        fm.e.nbw_free(done);
    }
    return stopping;
};

self.onmessage = async (ev) => {
    const m = ev.data;
    if (m.cmd === 'stop') { stopping = true; return; }
    try {
        if (m.cmd === 'init') {
            fm = await NB.open(m.module);
            post({ cmd: 'ready' });
        } else if (m.cmd === 'files') {
            // each file on its own: a bad one is reported and the others still load
            for (const { which, file } of m.files) {
                try {
                    await loadFile(which, file);
                    post({ cmd: 'file', which, name: file.name, ok: true });
                } catch (e) {
                    post({ cmd: 'file', which, name: file.name, ok: false, error: String(e.message || e) });
                }
            }
            const info = fmInfo();
            post({ cmd: 'loaded', info, sample: testSample(info) });
        } else if (m.cmd === 'train') {
            if (busy) throw new Error('train: a run is under way');
            busy = true, stopping = false;
            try {
                const stopped = await train(Float64Array.from(m.block));
                post({ cmd: 'done', stopped, info: fmInfo() });
            } finally { busy = false; }
        } else if (m.cmd === 'save') {
            const p = fm.e.nbw_fm_save();
            if (!p) throw new Error(fm.err());
            const n = fmInfo()[FMI.BYTES], bytes = new Uint8Array(fm.e.memory.buffer, p, n).slice();
            post({ cmd: 'saved', bytes }, [bytes.buffer]);
        } else throw new Error(`unknown command ${m.cmd}`);
    } catch (e) {
        post({ cmd: 'error', during: m.cmd, error: String(e.message || e), info: fm ? fmInfo() : null });
    }
};
