// worker.js — heavy Monte Carlo off the page's thread. Runs after core.js in
// a Blob worker with its own instance of the module the page sends.
let core = null;
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
        } else throw new Error(`unknown job ${job}`);
        self.postMessage({ id, ok: true, out, ms: performance.now() - t0 });
    } catch (e) {
        self.postMessage({ id, ok: false, error: String(e.message || e) });
    }
};
