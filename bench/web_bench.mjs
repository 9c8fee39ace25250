// node bench/web_bench.mjs BUILD_DIR: the page's speed in headless Chromium,
// each figure beside its peer measured in the same run (bench/web.sh).
//   - a panel-2 slider move: 200 steps, contours on a 200x200 grid, redraw
//     (the a1 slider, so the contours are recomputed), against the 16 ms frame;
//   - one 1000-trial Monte Carlo point (n 100, d 20, ntest 200), against 50 ms
//     (and, for scale, the native library's time);
//   - sgemm 256^3 on one thread: the wasm SIMD128 kernel against native
//     nabla's AVX2 kernel (`nabla bench gemm --kernel avx2 --threads 1`).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { launch, open } from '../tests/web/lib.mjs';

const B = process.argv[2] || 'build';
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const { ctx, close } = await launch();
try {
    const page = await open(ctx, 'tab=optim');
    // ---- slider move ----
    const moves = await page.evaluate(() => {
        Optim.preset('fig3');
        App.state.optim.steps = 200;
        Optim.render(); Optim.syncAll();
        const r = document.getElementById('optim-a1'), out = [];
        for (let i = 0; i < 120; i++) {
            const t = performance.now();
            r.value = String(60 + (i % 40));
            r.dispatchEvent(new Event('input', { bubbles: true }));
            document.getElementById('optim-path').getBoundingClientRect(); // layout, as a frame would
            out.push(performance.now() - t);
        }
        return { ms: out.slice(20), n: Optim.last.n };
    });
    const slider = med(moves.ms);
    console.log(`slider move: ${moves.ms.length} moves of ${moves.n - 1} steps, median ${slider.toFixed(2)} ms, best ${Math.min(...moves.ms).toFixed(2)} ms`);
    // ---- Monte Carlo point ----
    const mc = await page.evaluate(() => {
        const block = Float64Array.from([100, 20, 200, 0, 1]), out = [];
        for (let r = 0; r < 25; r++) {
            const t = performance.now();
            App.core.bvMc(block, [1], 1000, r + 1);
            out.push(performance.now() - t);
        }
        return out.slice(5);
    });
    const mcMs = med(mc), mcNative = +execFileSync(join(B, 'web_native'), ['bench-mc'], { encoding: 'utf8' });
    console.log(`Monte Carlo point: wasm median ${mcMs.toFixed(2)} ms (best ${Math.min(...mc).toFixed(2)}), native median ${mcNative.toFixed(2)} ms`);
    // ---- sgemm 256^3 ----
    const gemm = await page.evaluate(() => {
        const c = App.core, e = c.e, N = 256;
        const A = e.nbw_alloc(4 * N * N), Bm = e.nbw_alloc(4 * N * N), C = e.nbw_alloc(4 * N * N);
        const f = new Float32Array(e.memory.buffer);
        for (let i = 0; i < N * N; i++) f[(A >> 2) + i] = Math.sin(i), f[(Bm >> 2) + i] = Math.cos(0.7 * i);
        // V8 compiles wasm in tiers: run until the optimised tier is in
        const w = performance.now();
        while (performance.now() - w < 2000) e.nbw_sgemm(N, N, N, A, Bm, C, 1);
        const gf = [];
        for (let r = 0; r < 15; r++) {
            const t = performance.now();
            e.nbw_sgemm(N, N, N, A, Bm, C, 10);
            gf.push((2 * N ** 3 * 10) / ((performance.now() - t) * 1e6));
        }
        return { kernel: c.str(e.nbw_gemm_kernel()), gf };
    });
    const wasmGf = med(gemm.gf);
    const nat = execFileSync(join(B, 'nabla'), ['bench', 'gemm', '--m', '256', '--n', '256', '--k', '256', '--threads', '1', '--kernel', 'avx2', '--reps', '15'], { encoding: 'utf8' });
    const natGf = +/median ([\d.]+) GFLOP\/s/.exec(nat)[1];
    console.log(`sgemm 256^3, 1 thread: wasm (${gemm.kernel}) median ${wasmGf.toFixed(1)} GFLOP/s (best ${Math.max(...gemm.gf).toFixed(1)}), native avx2 median ${natGf.toFixed(1)} GFLOP/s (best ${(/best ([\d.]+) GFLOP/.exec(nat) || [0, '?'])[1]})`);
    const r2 = (x) => x.toFixed(2);
    console.log(`BENCH|web panel-2 slider move, 200 steps + 200² contours + redraw (vs the 16 ms frame)|${r2(slider)}|16|${r2(16 / slider)}|>=1.00|ms`);
    console.log(`BENCH|web Monte Carlo point, 1000 trials, n=100 d=20 (vs the 50 ms budget)|${r2(mcMs)}|50|${r2(50 / mcMs)}|>=1.00|ms`);
    console.log(`BENCH|web Monte Carlo point, wasm vs native nabla (1 thread)|${r2(mcMs)}|${r2(mcNative)}|${r2(mcNative / mcMs)}|-|ms`);
    console.log(`BENCH|web sgemm 256³ 1 thread, wasm ${gemm.kernel} vs native avx2|${wasmGf.toFixed(1)}|${natGf.toFixed(1)}|${r2(wasmGf / natGf)}|>=0.40|GFLOP/s`);
} finally {
    await close();
}
