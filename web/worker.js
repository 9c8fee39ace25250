// worker.js — heavy Monte Carlo and the playground's training off the page's
// thread. Runs after core.js in a Blob worker with its own instance of the
// module the page sends.
let core = null;
// The playground's maps: map = [nx, ny, lo, hi] for the probability of class 1,
// umap = [nx, ny, lo, hi, units] for the hidden units (either may be absent).
const playMaps = ({ map, umap }) => ({ prob: map ? core.playMap(...map, 0).prob : null, units: umap ? core.playMap(...umap).units : null });
self.onmessage = async (ev) => {
    const { id, job, args } = ev.data;
    try {
        if (job === 'init') {
            core = await NB.open(args.module);
            self.postMessage({ id, ok: true });
            return;
        }
        const t0 = performance.now();
        let out;
        if (job === 'mc') {
            // the estimate itself (the CLI's noise seed, seed + 1) and `batches`
            // independent repeats whose spread gives its standard error
            const { block, lams, trials, seed, batches } = args;
            const { est, se } = core.bvMcSe(block, lams, trials, seed + 1);
            const reps = [];
            for (let b = 0; b < batches; b++) reps.push(core.bvMc(block, lams, trials, seed + 1000003 + b));
            out = { est, se, reps };
        } else if (job === 'poly') {
            const { degree, n, sigma, K, lambda, trials, seed } = args;
            out = core.bvPoly(degree, n, sigma, K, lambda, trials, seed);
        } else if (job === 'play-new') { // the playground (web/train.js): one network per worker
            const info = core.playNew(args.block);
            out = { info, ...core.playData(info.ntrain + info.ntest), ...playMaps(args) };
        } else if (job === 'play-set') {
            out = { info: core.playSet(args.block) };
        } else if (job === 'play-run') {
            // `steps` steps in runs of `chunk`; with a budget (ms), only the runs that
            // start within it; then an evaluation and the maps
            const { steps, chunk, budget } = args, losses = [], t0 = performance.now();
            let n = 0;
            while (n < steps && !(budget && performance.now() - t0 >= budget)) {
                const k = Math.min(chunk, steps - n);
                for (const l of core.playRun(k)) losses.push(l);
                n += k;
            }
            const trainMs = performance.now() - t0;
            out = { losses: Float64Array.from(losses), trainMs, info: core.playEval(), ...playMaps(args) };
        } else throw new Error(`unknown job ${job}`);
        self.postMessage({ id, ok: true, out, ms: performance.now() - t0 });
    } catch (e) {
        self.postMessage({ id, ok: false, error: String(e.message || e) });
    }
};
