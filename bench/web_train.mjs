// node bench/web_train.mjs BUILD_DIR (from bench/web_train.sh): training speed
// in the browser, each figure beside its peer measured in the same run.
// The MLP 784-256-256-10, batch 128, Adam (lr 0.001), random data:
//   - nabla's WebAssembly build in the page (file://, one thread): the page's
//     own trainer (web/nabla_web_fmnist.c) on 16,384 random samples;
//   - TensorFlow.js 4.x in the same headless Chromium, WebAssembly backend
//     (SIMD on; one thread, as file:// pages and pages without cross-origin
//     isolation get) and the CPU backend: optimizer.minimize on random batches;
//   - native nabla, `nabla train --threads 1` on the same random data as IDX files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launch, open } from '../tests/web/lib.mjs';

const B = process.argv[2] || 'build';
const N = 16384, BATCH = 128;
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const r0 = (x) => String(Math.round(x));
const r2 = (x) => x.toFixed(2);
const TFJS = resolve('bench/tfjs/node_modules/@tensorflow');

// Random IDX files (seeded), made by the same code in the page and here, so
// native nabla trains on the same bytes.
function makeFiles(N) {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const idx = (magic, dims, fill) => {
        const h = 4 + 4 * dims.length, n = dims.reduce((a, b) => a * b, 1), u = new Uint8Array(h + n), dv = new DataView(u.buffer);
        dv.setUint32(0, magic);
        dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d));
        for (let i = 0; i < n; i++) u[h + i] = fill();
        return u;
    };
    return [idx(0x803, [N, 28, 28], () => (rnd() * 256) | 0), idx(0x801, [N], () => (rnd() * 10) | 0),
            idx(0x803, [1000, 28, 28], () => (rnd() * 256) | 0), idx(0x801, [1000], () => (rnd() * 10) | 0)];
}
const files = makeFiles(N);
const dir = mkdtempSync(join(tmpdir(), 'nabla-web-train-'));
['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].forEach((f, i) => writeFileSync(join(dir, f), files[i]));

const { ctx, close } = await launch();
try {
    // ---- nabla, WebAssembly, in the page ----
    const page = await open(ctx);
    await page.evaluate(`window.benchFiles = (${makeFiles})(${N}), 0`); // not the files back to Node
    const wasm = await page.evaluate(async ({ BATCH }) => {
        const c = App.core, e = c.e, files = window.benchFiles;
        const name = e.nbw_alloc(2);
        new Uint8Array(e.memory.buffer).set([120, 0], name);
        files.forEach((u, w) => {
            const p = e.nbw_alloc(u.length);
            new Uint8Array(e.memory.buffer).set(u, p);
            c.check(e.nbw_fm_file(w, p, u.length, name));
            e.nbw_free(p);
        });
        // MLP, Adam (torch), batch 128, seed 0, pixels / 255 (as `nabla train` without --normalize)
        const block = [0, 5, 1, NaN, NaN, NaN, NaN, NaN, NaN, NaN, BATCH, 1000, 0, 0];
        c.with([block], (p) => c.check(e.nbw_fm_new(p)));
        // steps done: a call stops at the end of an epoch (128 steps here)
        const done = e.nbw_alloc(4), run = (k) => (c.check(e.nbw_fm_train(k, done)), new Int32Array(e.memory.buffer, done, 1)[0]);
        const w = performance.now();
        while (performance.now() - w < 3000) run(10); // V8 tiers up
        const sps = [];
        for (let r = 0; r < 9; r++) {
            const t = performance.now();
            let k = run(40);
            if (k < 40) k += run(40 - k); // the rest in the next epoch
            sps.push((k * BATCH * 1000) / (performance.now() - t));
        }
        return { sps, kernel: c.str(e.nbw_gemm_kernel()) };
    }, { BATCH });
    const wasmSps = med(wasm.sps);
    console.log(`nabla wasm (${wasm.kernel}, 1 thread): median ${r0(wasmSps)} samples/s (best ${r0(Math.max(...wasm.sps))}, worst ${r0(Math.min(...wasm.sps))})`);
    page.problems.length && console.log(page.problems.join('\n'));
    await page.close();

    // ---- native nabla, one thread, the same data ----
    const out = execFileSync(join(B, 'nabla'), ['train', '--data', dir, '--model', 'mlp', '--opt', 'adam', '--batch', String(BATCH),
                                                '--epochs', '7', '--seed', '0', '--threads', '1'], { encoding: 'utf8' });
    const nat = [...out.matchAll(/ ([\d.]+) samples\/s/g)].map((m) => +m[1]).slice(1); // epoch 1 grows the arenas
    const natSps = med(nat);
    console.log(`nabla native (--threads 1): median ${r0(natSps)} samples/s over epochs 2..7 (best ${r0(Math.max(...nat))})`);

    // ---- TensorFlow.js, the same model, optimizer and batch ----
    const tf = {};
    if (!existsSync(join(TFJS, 'tfjs/dist/tf.min.js')) || !existsSync(join(TFJS, 'tfjs-backend-wasm/dist/tf-backend-wasm.min.js'))) {
        console.log('web_train: TF.js rows skipped: no bench/tfjs/node_modules (cd bench/tfjs && npm ci)');
    } else {
        const version = JSON.parse(readFileSync(join(TFJS, 'tfjs/package.json'), 'utf8')).version;
        // served from a made-up origin by the route below (the wasm backend fetches its .wasm)
        const origin = 'http://tfjs.bench';
        const serve = {
            '/': ['text/html', '<!doctype html><meta charset="utf-8"><title>tfjs</title>'],
            '/tf.min.js': ['text/javascript', readFileSync(join(TFJS, 'tfjs/dist/tf.min.js'))],
            '/tf-backend-wasm.min.js': ['text/javascript', readFileSync(join(TFJS, 'tfjs-backend-wasm/dist/tf-backend-wasm.min.js'))],
        };
        for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'])
            serve['/' + f] = ['application/wasm', readFileSync(join(TFJS, 'tfjs-backend-wasm/dist', f))];
        const tp = await ctx.newPage();
        await tp.route(`${origin}/**`, (route) => {
            const s = serve[new URL(route.request().url()).pathname];
            return s ? route.fulfill({ status: 200, contentType: s[0], body: s[1] }) : route.fulfill({ status: 404, body: '' });
        });
        await tp.goto(origin + '/');
        await tp.addScriptTag({ url: origin + '/tf.min.js' });
        await tp.addScriptTag({ url: origin + '/tf-backend-wasm.min.js' });
        for (const backend of ['wasm', 'cpu']) {
            tf[backend] = await tp.evaluate(async ({ backend, origin, BATCH }) => {
                if (backend === 'wasm') tf.wasm.setWasmPaths(origin + '/');
                await tf.setBackend(backend);
                await tf.ready();
                const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
                    tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10 })] });
                const opt = tf.train.adam(0.001);
                const xs = [], ys = [];
                for (let i = 0; i < 4; i++) {
                    xs.push(tf.randomUniform([BATCH, 784]));
                    ys.push(tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32'), 10));
                }
                let k = 0;
                const step = () => {
                    const i = k++ % 4;
                    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(ys[i], model.apply(xs[i])), true);
                    return loss;
                };
                const steps = backend === 'wasm' ? 20 : 4, reps = backend === 'wasm' ? 7 : 3;
                const w = performance.now();
                while (performance.now() - w < (backend === 'wasm' ? 3000 : 1500)) { const l = step(); l.dataSync(); l.dispose(); }
                const sps = [];
                for (let r = 0; r < reps; r++) {
                    const t = performance.now();
                    for (let s = 0; s < steps; s++) { const l = step(); if (s === steps - 1) l.dataSync(); l.dispose(); }
                    sps.push((steps * BATCH * 1000) / (performance.now() - t));
                }
                const env = tf.env();
                return { sps, simd: backend === 'wasm' ? env.getBool('WASM_HAS_SIMD_SUPPORT') : null,
                         threads: backend === 'wasm' ? env.getBool('WASM_HAS_MULTITHREAD_SUPPORT') : null, backend: tf.getBackend() };
            }, { backend, origin, BATCH });
            const r = tf[backend];
            r.med = med(r.sps);
            console.log(`TF.js ${version} ${r.backend}${backend === 'wasm' ? ` (SIMD ${r.simd ? 'on' : 'OFF'}, threads ${r.threads ? 'on' : 'off'})` : ''}: median ${r0(r.med)} samples/s (best ${r0(Math.max(...r.sps))})`);
        }
        await tp.close();
    }
    if (tf.wasm) console.log(`BENCH|web train MLP 784-256-256-10 Adam b128, nabla wasm vs TF.js wasm (SIMD, 1 thread)|${r0(wasmSps)}|${r0(tf.wasm.med)}|${r2(wasmSps / tf.wasm.med)}|>=8.00|samples/s`);
    if (tf.cpu) console.log(`BENCH|web train MLP 784-256-256-10 Adam b128, nabla wasm vs TF.js cpu|${r0(wasmSps)}|${r0(tf.cpu.med)}|${r2(wasmSps / tf.cpu.med)}|-|samples/s`);
    console.log(`BENCH|web train MLP 784-256-256-10 Adam b128, nabla wasm vs native nabla --threads 1|${r0(wasmSps)}|${r0(natSps)}|${r2(wasmSps / natSps)}|>=0.40|samples/s`);
} finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
}
