// The browser suite: node tests/web/suite.mjs BUILD_DIR (from the repo root).
// Loads build/web/nabla-lab.html from file:// in headless Chromium and holds
// the page's numbers to the CLI's (BUILD_DIR/nabla) and the native library's
// (BUILD_DIR/web_native). Prints one line per check and "N passed, M failed".
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fashionTests } from './fashion.mjs';
import { launch, open } from './lib.mjs';

const B = process.argv[2] || 'build';
const NABLA = join(B, 'nabla'), NATIVE = join(B, 'web_native');
const SHOTS = 'build/web/shots';
const tmp = mkdtempSync(join(tmpdir(), 'nabla-web-suite-'));
let passed = 0, failed = 0, skipped = 0;
const check = (name, ok, detail = '') => {
    if (ok) passed++, console.log(`ok   ${name}`);
    else failed++, console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`);
};
const skip = (name, why) => { skipped++, console.log(`skip ${name}: skipped: ${why}`); };
const cli = (args) => execFileSync(NABLA, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const cliErr = (args) => {
    try { cli(args); return ''; } catch (e) { return String(e.stderr).trim(); }
};
// Reads `nabla optim --csv` back to doubles (%.17g round-trips exactly).
const readCsv = (text) => text.trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
const sameBits = (a, b) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
// A seeded generator, so a failure names a reproducible setting.
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const logU = (lo, hi) => +(10 ** (Math.log10(lo) + rnd() * (Math.log10(hi) - Math.log10(lo)))).toPrecision(6);

const KNOBS_OF = {
    gd: ['lr', 'wd'], momentum: ['lr', 'momentum', 'wd'], nesterov: ['lr', 'momentum', 'wd'],
    rmsprop: ['lr', 'momentum', 'beta', 'eps', 'wd'], adagrad: ['lr', 'beta', 'eps', 'wd'],
    adam: ['lr', 'beta1', 'beta2', 'eps', 'wd'], adamw: ['lr', 'beta1', 'beta2', 'eps', 'wd'],
};
const FLAG = { lr: 'lr', momentum: 'momentum', beta: 'beta', beta1: 'beta1', beta2: 'beta2', eps: 'eps', wd: 'weight-decay' };
const optimArgs = (s, csv) => {
    const a = ['optim', '--fn', s.fn];
    if (s.fn === 'quadratic') a.push('--a1', String(s.a1), '--a2', String(s.a2));
    a.push('--x0', `${s.x1},${s.x2}`, '--opt', s.opt, '--convention', s.conv, '--steps', String(s.steps));
    for (const k of KNOBS_OF[s.opt]) a.push(`--${FLAG[k]}`, String(s[k]));
    return [...a, '--csv', csv];
};
// The page's trajectory and CSV for a state, through the panel's own render.
const pageRun = (page, s) => page.evaluate((s) => {
    Object.assign(App.state.optim, s);
    Optim.render();
    Optim.syncAll();
    App.writeHash();
    const t = Optim.last;
    return { x1: Array.from(t.x1), x2: Array.from(t.x2), f: Array.from(t.f), csv: App.core.trajCsv() };
}, s);
const compareTraj = (t, rows) => {
    if (rows.length !== t.x1.length) return `page has ${t.x1.length} rows, CLI ${rows.length}`;
    for (let i = 0; i < rows.length; i++)
        for (const [q, col] of [[1, 'x1'], [2, 'x2'], [3, 'f']])
            if (!sameBits(t[col][i], rows[i][q])) return `step ${i} ${col}: page ${t[col][i]} CLI ${rows[i][q]}`;
    return '';
};
const randomSetting = () => {
    const opts = Object.keys(KNOBS_OF), opt = opts[Math.floor(rnd() * opts.length)];
    const s = { fn: rnd() < 0.25 ? 'rosenbrock' : 'quadratic', a1: logU(0.1, 10), a2: logU(0.1, 10), opt,
                conv: rnd() < 0.5 ? 'handout' : 'torch', x1: +(rnd() * 4 - 2).toPrecision(5), x2: +(rnd() * 4 - 2).toPrecision(5),
                steps: Math.floor(rnd() * 300), lr: logU(1e-4, opt.startsWith('ada') || opt === 'rmsprop' ? 0.5 : 0.3),
                momentum: +(rnd() * 0.95).toPrecision(4), beta: +(0.5 + rnd() * 0.49).toPrecision(4),
                beta1: +(rnd() * 0.95).toPrecision(4), beta2: +(0.9 + rnd() * 0.0999).toPrecision(5),
                eps: logU(1e-10, 1e-2), wd: rnd() < 0.5 ? 0 : +(rnd() * 0.5).toPrecision(3) };
    if (s.fn === 'rosenbrock') s.lr = logU(1e-5, 2e-3);
    return s;
};

const { ctx, close } = await launch();
try {
    const page = await open(ctx, 'tab=optim');
    // ---- every panel renders ---------------------------------------------------
    for (const [tab, sel] of [['jac', '#panel-jac [data-j="handout"] table'], ['optim', '#optim-path svg path'],
                              ['optim', '#optim-loss svg path'], ['optim', '#optim-rate canvas.under'], ['bv', '#bv-curves svg path'],
                              ['bv', '#bv-poly svg path']]) {
        await page.click(`#tab-${tab}`);
        check(`panel ${tab} renders ${sel}`, (await page.locator(sel).count()) > 0);
    }
    await page.waitForSelector('#bv-curves[data-mc="done"]', { timeout: 30000 });
    check('the Monte Carlo worker answered: estimates and 8 repeats at 25 penalties', await page.evaluate(() =>
        Bv.mc.est.length === 100 && Bv.mc.reps.length === 8 && Bv.mc.est.every(Number.isFinite)));

    // ---- panel 2: random settings, bit for bit against `nabla optim --csv` ------
    await page.click('#tab-optim');
    let bad = 0, tried = 0;
    for (let k = 0; k < 24; k++) {
        const s = randomSetting(), csv = join(tmp, `o${k}.csv`);
        const err = cliErr(optimArgs(s, csv));
        if (err) { console.log(`     (setting ${k} refused by the CLI: ${err})`); continue; }
        tried++;
        const t = await pageRun(page, s), text = readFileSync(csv, 'utf8'), why = compareTraj(t, readCsv(text));
        if (why || t.csv !== text) { bad++; console.log(`     setting ${JSON.stringify(s)}: ${why || 'CSV text differs'}`); }
    }
    check(`${tried} random panel-2 settings equal nabla optim --csv bit for bit (and as CSV text)`, tried >= 20 && bad === 0, `${bad} differ`);

    // ---- presets: `nabla figures`' parameters (read from its source) and points --
    const src = readFileSync('src/cli/cmd_optim.c', 'utf8');
    const fnOf = { WELL: /WELL = \{false, ([\d.]+), ([\d.]+)\}/.exec(src), ILL: /ILL = \{false, ([\d.]+), ([\d.]+)\}/.exec(src) };
    const x0 = /X0\[2\] = \{([-\d.]+), ([-\d.]+)\}/.exec(src);
    const specs = [...src.matchAll(/\{"(fig\w+)\.svg", "[^"]*", &(WELL|ILL), NB_OPT_(\w+), ([\d.]+), ([\d.]+), (\d+)\}/g)];
    check('found the five figure specs in cmd_optim.c', specs.length === 5 && fnOf.WELL && fnOf.ILL && x0, `${specs.length}`);
    for (const m of specs) {
        const [, name, fn, kind, lr, mom, steps] = m;
        await page.click(`[data-preset="${name}"]`);
        const st = await page.evaluate(() => ({ ...App.state.optim }));
        const want = { a1: +fnOf[fn][1], a2: +fnOf[fn][2], x1: +x0[1], x2: +x0[2], opt: kind.toLowerCase(), lr: +lr, steps: +steps, conv: 'handout' };
        if (+mom > 0) want.momentum = +mom;
        const diff = Object.keys(want).filter((k) => st[k] !== want[k]);
        const csv = join(tmp, `${name}.csv`);
        // the figure's run, as one_figure() makes it: handout defaults, lr (and momentum) set
        const args = ['optim', '--fn', 'quadratic', '--a1', String(want.a1), '--a2', String(want.a2), '--x0', `${want.x1},${want.x2}`,
                      '--opt', want.opt, '--lr', lr, '--steps', steps, '--csv', csv];
        if (+mom > 0) args.push('--momentum', mom);
        cli(args);
        const t = await page.evaluate(() => ({ x1: Array.from(Optim.last.x1), x2: Array.from(Optim.last.x2), f: Array.from(Optim.last.f) }));
        const why = compareTraj(t, readCsv(readFileSync(csv, 'utf8')));
        check(`preset ${name} has nabla figures' parameters and points`, !diff.length && !why, diff.length ? `differs in ${diff}` : why);
    }

    // ---- a CSV saved from panel 2 (the button) equals the CLI's -----------------
    {
        const s = { fn: 'quadratic', a1: 0.7, a2: 3.3, x1: -1.5, x2: 1.25, opt: 'adam', conv: 'torch', steps: 120, lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-7, wd: 0.01 };
        await pageRun(page, s);
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-save="optim-csv"]')]);
        const got = readFileSync(await dl.path(), 'utf8'), csv = join(tmp, 'saved.csv');
        cli(optimArgs(s, csv));
        check('the CSV saved from panel 2 equals nabla optim --csv byte for byte', got === readFileSync(csv, 'utf8'));
    }

    // ---- a slider moves the plot (keyboard and mouse) ------------------------------
    {
        await page.click('[data-preset="fig3"]');
        const before = await page.innerHTML('#optim-path .plot');
        await page.focus('#optim-lr');
        await page.keyboard.press('ArrowRight');
        const afterKey = await page.innerHTML('#optim-path .plot');
        const lrShown = await page.inputValue('[data-key="lr"] input[type=text]');
        check('arrow key on the lr slider changes the plot and the shown value', afterKey !== before && lrShown !== '0.05', lrShown);
        const r = await page.locator('#optim-a2').boundingBox();
        await page.mouse.move(r.x + r.width * 0.5, r.y + r.height / 2);
        await page.mouse.down();
        await page.mouse.move(r.x + r.width * 0.3, r.y + r.height / 2, { steps: 5 });
        await page.mouse.up();
        check('dragging the a2 slider changes the contour plot', (await page.innerHTML('#optim-path .plot')) !== afterKey);
    }

    // ---- a bad value: the library's message beside the field, the last plot kept ----
    {
        await page.click('[data-preset="fig2a"]');
        const plot = await page.innerHTML('#optim-path .plot');
        for (const [key, val, flag] of [['lr', '-0.5', '--lr'], ['a1', '-1', '--a1']]) {
            const box = `[data-key="${key}"]`;
            await page.fill(`${box} input[type=text]`, val);
            await page.press(`${box} input[type=text]`, 'Enter');
            const msg = await page.textContent(`${box} .err`);
            const args = ['optim', '--fn', 'quadratic', '--a1', '1', '--a2', '2', '--x0', '-2.5,1', '--opt', 'gd', '--lr', '0.2', '--steps', '30'];
            args[args.indexOf(flag) + 1] = val;
            const cliMsg = cliErr(args).replace(/^nabla optim: (--\w+: )?/, '');
            check(`bad ${key} = ${val} shows the one-line error beside the field`, msg && cliMsg.includes(msg.replace(/^optim: /, '').slice(0, 20)), `page '${msg}' CLI '${cliMsg}'`);
            check(`bad ${key} keeps the last good plot`, (await page.innerHTML('#optim-path .plot')) === plot);
        }
        await page.fill('[data-key="a1"] input[type=text]', 'abc');
        await page.press('[data-key="a1"] input[type=text]', 'Enter');
        check('a non-number is refused beside the field', /not a number/.test(await page.textContent('[data-key="a1"] .err')));
        check('the plot survives it', (await page.innerHTML('#optim-path .plot')) === plot);
    }

    // ---- a saved fragment reopens the same numbers ---------------------------------
    {
        await pageRun(page, { fn: 'quadratic', a1: 2.5, a2: 0.3, x1: 1.75, x2: -1.2, opt: 'nesterov', conv: 'torch', steps: 77, lr: 0.11, momentum: 0.6, wd: 0.05 });
        await page.evaluate(() => { App.state.bv.loglam = -1.5; App.state.jac.fn = 2; Jac.render(); Bv.render(); App.writeHash(); });
        const url = page.url();
        const grab = (p) => p.evaluate(() => ({ t: Array.from(Optim.last.f), x: Array.from(Optim.last.x1), bv: Array.from(Bv.here),
                                                 j: Array.from(Jac.last.JH), ro: Optim.readout.textContent }));
        const a = await grab(page);
        const p2 = await open(ctx, url.split('#')[1]);
        const b = await grab(p2);
        check('a page opened with the saved fragment shows the same numbers', JSON.stringify(a) === JSON.stringify(b));
        check('the fragment is not the default', url.includes('optim.opt=nesterov') && url.includes('bv.loglam'));
        page.problems.push(...p2.problems);
        await p2.close();
    }

    // ---- panel 1: nb_jacobian in both layouts, as the native library computes it ----
    {
        await page.click('#tab-jac');
        let bad = 0;
        for (let which = 0; which < 5; which++) {
            const d = 1 + Math.floor(rnd() * 4), n = 1 + Math.floor(rnd() * 4), r = (k) => Array.from({ length: k }, () => +(rnd() * 4 - 2).toPrecision(6));
            const A = r(d * n), x = r(d), v = r(n);
            const got = await page.evaluate(([which, d, n, A, x, v]) => {
                Object.assign(App.state.jac, { fn: which, d, n, A: A.join(','), x: x.join(','), v: v.join(',') });
                Jac.render(); Jac.syncAll();
                const r = Jac.last;
                return { shapeH: r.shapeH, shapeT: r.shapeT, JH: Array.from(r.JH), JT: Array.from(r.JT), shown: document.querySelector('#panel-jac h4').textContent };
            }, [which, d, n, A, x, v]);
            const want = JSON.parse(execFileSync(NATIVE, ['jac', String(which), String(d), String(n), A.join(','), x.join(','), v.join(',')], { encoding: 'utf8' }));
            const same = ['shapeH', 'shapeT', 'JH', 'JT'].every((k) => want[k].length === got[k].length && want[k].every((w, i) => sameBits(w, got[k][i])));
            if (!same || !got.shown.includes(`(${want.shapeH.join(', ')})`)) { bad++; console.log(`     jacobian ${which}: page ${JSON.stringify(got)} native ${JSON.stringify(want)}`); }
        }
        check('panel 1 Jacobians equal nb_jacobian (native) in both layouts, bit for bit', bad === 0);
        const rank3 = await page.evaluate(() => { App.state.jac.fn = 4; Jac.render(); return [Jac.last.shapeH, Jac.last.shapeT, Jac.last.gc.passed]; });
        check('f(X) = Xv has a rank-3 Jacobian (d, n, d) and (d, d, n), gradcheck passes', rank3[0].length === 3 && rank3[1].length === 3 && rank3[2]);
    }

    // ---- panel 3: exact columns against `nabla biasvar --csv` -----------------------
    {
        await page.click('#tab-bv');
        for (const st of [{ n: 40, d: 20, ntest: 200, sigma: 1, seed: 0 }, { n: 73, d: 9, ntest: 200, sigma: 0.45, seed: 7 }]) {
            await page.evaluate((st) => { Object.assign(App.state.bv, st); Bv.render(); Bv.syncAll(); App.writeHash(); }, st);
            await page.waitForSelector('#bv-curves[data-mc="done"]', { timeout: 30000 });
            const pg = await page.evaluate(() => ({ lams: BV_LAMS, ex: Array.from(Bv.exact), csv: Bv.csv() }));
            const csv = join(tmp, 'bv.csv');
            cli(['biasvar', '--n', String(st.n), '--d', String(st.d), '--ntest', String(st.ntest), '--noise', String(st.sigma), '--seed', String(st.seed),
                 '--trials', '1000', '--lambda', pg.lams.map(String).join(','), '--csv', csv]);
            const rows = readCsv(readFileSync(csv, 'utf8'));
            let worst = 0;
            rows.forEach((r, i) => {
                for (const [q, c] of [[0, 5], [1, 6], [3, 7]]) worst = Math.max(worst, Math.abs(pg.ex[4 * i + q] - r[c]) / Math.max(1, Math.abs(r[c])));
            });
            check(`panel 3 exact columns equal nabla biasvar --csv to 1e-12 (n=${st.n}, d=${st.d})`, rows.length === 25 && worst <= 1e-12, `worst ${worst}`);
            const head = pg.csv.split('\n')[0], cliHead = readFileSync(csv, 'utf8').split('\n')[0];
            check('panel 3 CSV has the CLI columns', head === cliHead, `${head} vs ${cliHead}`);
        }
    }

    // ---- the SIMD128 kernel sums as the portable one (what issue 13's bit-for-bit training needs) ----
    {
        const diffs = await page.evaluate(() => {
            const e = App.core.e, out = [];
            for (const [m, n, k] of [[37, 53, 29], [256, 256, 256], [5, 300, 7], [64, 9, 513]]) {
                const A = e.nbw_alloc(4 * m * k), B = e.nbw_alloc(4 * k * n), C1 = e.nbw_alloc(4 * m * n), C2 = e.nbw_alloc(4 * m * n);
                const f = new Float32Array(e.memory.buffer);
                for (let i = 0; i < m * k; i++) f[(A >> 2) + i] = Math.sin(1.3 * i);
                for (let i = 0; i < k * n; i++) f[(B >> 2) + i] = Math.cos(0.7 * i) * 3;
                const k1 = (e.nbw_sgemm(m, n, k, A, B, C1, 1), App.core.str(e.nbw_gemm_kernel()));
                e.nbw_gemm_portable(1);
                e.nbw_sgemm(m, n, k, A, B, C2, 1);
                e.nbw_gemm_portable(0);
                const u = new Uint32Array(e.memory.buffer);
                let d = 0;
                for (let i = 0; i < m * n; i++) d += u[(C1 >> 2) + i] !== u[(C2 >> 2) + i];
                out.push(`${m}x${n}x${k} ${k1}: ${d}`);
                [A, B, C1, C2].forEach((p) => e.nbw_free(p));
            }
            return out;
        });
        check('the wasm128 sgemm equals the portable kernel bit for bit', diffs.every((d) => d.includes('wasm128') && d.endsWith(': 0')), diffs.join(', '));
    }

    // ---- panel 4: the playground (web/train.js, web/nabla_web_play.c) ----------------
    // Bit for bit with the native library: the page runs the wasm128 GEMM kernel
    // and web_native the portable one, which sum in the same order with no FMA
    // (checked above); the f32 tanh/sigmoid/exp copies round alike on every ISA
    // (tests/test_vmath.c); the rest is the same C. libm's double exp, log, pow,
    // sin and cos differ between glibc and wasi-libc in the last bit of some
    // results (0.07% of exp's, 3% of sin's), but every one the playground uses
    // is rounded to f32, where none of 2 million samples of each differed.
    {
        // the suite's defaults: the spiral, 3 x 16 ReLU, Adam (torch) lr 0.01, batch 16
        const SPIRAL = 'train.data=spiral&train.n=400&train.noise=0.1&train.split=0.5&train.seed=0&train.depth=3&train.width=16' +
                       '&train.act=relu&train.batch=16&train.opt=adam&train.conv=torch&train.lr=0.01';
        const tp = await open(ctx, `tab=train&${SPIRAL}`);
        const ready = (p) => p.waitForFunction(() => Train.info && Train.info.step === 0 && Train.data, null, { timeout: 30000 });
        await ready(tp);
        check('panel train renders the boundary, the points and one map per unit',
              (await tp.locator('#train-boundary canvas.under').count()) === 1 &&
              (await tp.getAttribute('#train-boundary', 'data-points')) === '400' &&
              (await tp.locator('#train-units canvas.unit').count()) === 2 + 3 * 16 + 1);
        const spiral = await tp.evaluate(async () => {
            const o = await Train.advance(3000);
            return { info: o.info, shown: document.getElementById('train-readout').textContent };
        });
        check(`the spiral reaches >= 95% test accuracy within 3,000 steps (${(100 * spiral.info.testAcc).toFixed(1)}% at step ${spiral.info.step})`,
              spiral.info.step === 3000 && spiral.info.testAcc >= 0.95 && spiral.shown.includes(`${(100 * spiral.info.testAcc).toFixed(1)}%`),
              JSON.stringify(spiral.info));

        // `steps` steps in runs of `chunk`, an evaluation after each: what web_native play prints
        const playPage = (p, steps, chunk) => p.evaluate(async ([steps, chunk]) => {
            const loss = [], evals = [], row = (i) => evals.push(i.step, i.trainLoss, i.trainAcc, i.testLoss, i.testAcc);
            row(Train.info);
            for (let done = 0; done < steps; done += chunk) {
                const o = await Train.advance(Math.min(chunk, steps - done));
                loss.push(...o.losses);
                row(o.info);
            }
            const units = App.state.train.depth * App.state.train.width;
            const m = (await App.run('play-run', { steps: 0, chunk: 1, budget: 0, map: [8, 8, -6, 6], umap: [8, 8, -6, 6, units] })).out;
            return { loss, evals, x: Array.from(Train.data.x), y: Array.from(Train.data.y), prob: Array.from(m.prob), units: Array.from(m.units),
                     block: Array.from(Train.block(App.state.train)) };
        }, [steps, chunk]);
        const playNative = (block, steps, chunk, at, block2) => JSON.parse(execFileSync(NATIVE,
            ['play', block.join(','), String(steps), String(chunk), ...(at === undefined ? [] : [String(at), block2.join(',')])], { encoding: 'utf8' }));
        const firstDiff = (a, b) => {
            if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
            const i = a.findIndex((v, k) => !sameBits(v, b[k]));
            return i < 0 ? '' : `at ${i}: page ${a[i]}, native ${b[i]}`;
        };
        const settings = [
            ['tanh, adam (handout), L2', { data: 'circles', noise: 0.3, act: 'tanh', depth: 2, width: 6, opt: 'adam', conv: 'handout', lr: 0.03, l2: 0.001, seed: 7 }],
            ['sigmoid, momentum (torch), batch 10', { data: 'xor', noise: 0.2, act: 'sigmoid', depth: 4, width: 5, opt: 'momentum', conv: 'torch', lr: 0.1, batch: 10, seed: 3 }],
        ];
        for (const [name, s] of settings) {
            await tp.evaluate(async (s) => {
                Object.assign(App.state.train, Train.defaultsOf({ ...App.state.train, ...s }), s);
                Train.render();
                Train.syncAll();
                await Train.reset();
            }, s);
            const pg = await playPage(tp, 600, 100), nat = playNative(pg.block, 600, 100);
            const why = ['x', 'y', 'loss', 'evals', 'prob', 'units'].map((k) => (firstDiff(pg[k], nat[k]) ? `${k} ${firstDiff(pg[k], nat[k])}` : '')).filter(Boolean);
            check(`a fixed-seed playground run (${name}): 600 steps' losses, evaluations and maps equal web_native's bit for bit ` +
                  '(page wasm128 GEMM, native portable GEMM)', why.length === 0 && pg.loss.length === 600, why.join('; '));
        }

        // a knob changed mid-run (through its field) applies from the next step
        {
            await tp.evaluate(async () => { await Train.reset(); });
            const before = await playPage(tp, 200, 100);
            await tp.fill('#panel-train [data-key="lr"] input[type=text]', '0.05');
            await tp.press('#panel-train [data-key="lr"] input[type=text]', 'Enter');
            const after = await playPage(tp, 200, 100);
            const nat = playNative(before.block, 400, 100, 200, after.block), plain = playNative(before.block, 400, 100);
            const loss = [...before.loss, ...after.loss];
            check('lr changed after step 200 (through its field) gives web_native\'s run with the change at 200, bit for bit',
                  after.block[11] === 0.05 && before.block[11] !== 0.05 && !firstDiff(loss, nat.loss), firstDiff(loss, nat.loss));
            // step 201's loss is taken before its update (the first with the new lr), so step 202's is the first to differ
            check('...and up to step 201 the losses are the unchanged run\'s, from step 202 not',
                  !firstDiff(loss.slice(0, 201), plain.loss.slice(0, 201)) && !sameBits(loss[201], plain.loss[201]));
        }

        // pause, step once, reset
        {
            await tp.click('#train-reset');
            await ready(tp);
            const s0 = await tp.evaluate(() => Train.info.trainLoss);
            await tp.click('#train-run');
            await tp.waitForFunction(() => Train.info.step > 100, null, { timeout: 10000 });
            await tp.click('#train-run');
            await tp.evaluate(() => Train.inflight);
            const s1 = await tp.evaluate(() => Train.info.step);
            await tp.waitForTimeout(300);
            const s2 = await tp.evaluate(() => Train.info.step), rate = await tp.textContent('#train-readout');
            check('Run trains, Pause stops it (the step count stays), samples/s is shown',
                  s1 > 100 && s2 === s1 && /samples\/s +[\d,]+\n/.test(rate), `${s1} then ${s2}; ${rate}`);
            await tp.click('#train-step');
            await tp.waitForFunction((s) => Train.info.step === s + 1, s1, { timeout: 10000 });
            check('Step takes exactly one step', await tp.evaluate((s) => Train.info.step === s + 1 && !Train.running, s1));
            await tp.click('#train-reset');
            await tp.waitForFunction(() => Train.info.step === 0, null, { timeout: 10000 });
            check('Reset goes back to step 0 with the same initial network', await tp.evaluate((l) => Train.info.trainLoss === l, s0));
        }

        // a refused value: the library's message beside the field, nothing changed
        {
            const st = await tp.evaluate(() => JSON.stringify(App.state.train));
            await tp.fill('#panel-train [data-key="batch"] input[type=text]', '300');
            await tp.press('#panel-train [data-key="batch"] input[type=text]', 'Enter');
            const msg = await tp.textContent('#panel-train [data-key="batch"] .err');
            check('a batch larger than the training set is refused beside the field', /batch 300: .*1\.\.200/.test(msg) &&
                  (await tp.evaluate(() => JSON.stringify(App.state.train))) === st, msg);
        }

        // the settings round-trip through the link
        {
            await tp.selectOption('#train-data', 'gaussians');
            await tp.selectOption('#train-act', 'sigmoid');
            await tp.selectOption('#train-opt', 'rmsprop');
            for (const [k, v] of [['noise', '0.7'], ['width', '5'], ['batch', '12'], ['lr', '0.02'], ['l2', '0.002']]) {
                await tp.fill(`#panel-train [data-key="${k}"] input[type=text]`, v);
                await tp.press(`#panel-train [data-key="${k}"] input[type=text]`, 'Enter');
            }
            await tp.evaluate(() => App.writeHash());
            await ready(tp);
            const url = tp.url(), grab = (p) => p.evaluate(async () => {
                const o = await Train.advance(50);
                return { st: App.state.train, block: Array.from(Train.block(App.state.train)), losses: Array.from(o.losses), x: Array.from(Train.data.x) };
            });
            const a = await grab(tp), p2 = await open(ctx, url.split('#')[1]);
            await ready(p2);
            const b = await grab(p2);
            check('the playground\'s settings round-trip through the link (same settings, same 50 steps)',
                  JSON.stringify(a) === JSON.stringify(b) && /train\.data=gaussians/.test(url) && /train\.lr=0\.02/.test(url) &&
                  a.st.opt === 'rmsprop' && a.st.width === 5, `${url}`);
            page.problems.push(...p2.problems);
            await p2.close();
        }
        page.problems.push(...tp.problems);
        await tp.close();
    }

    // ---- each plot saves as SVG ----
    {
        await page.click('#tab-optim');
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#optim-path figcaption button:text("SVG")')]);
        const svg = readFileSync(await dl.path(), 'utf8');
        const ok = await page.evaluate((t) => {
            const d = new DOMParser().parseFromString(t, 'image/svg+xml');
            return !d.querySelector('parsererror') && d.querySelectorAll('g.under path').length === 14;
        }, svg);
        check('the contour plot saves as an SVG with its 14 contour levels', ok);
    }

    // ---- Fashion-MNIST from disk (tests/web/fashion.mjs) ----
    await fashionTests(ctx, { check, skip, NABLA, tmp, problems: page.problems });

    // ---- screenshots: every panel at desktop and phone width -------------------------
    mkdirSync(SHOTS, { recursive: true });
    for (const [label, vp] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
        const p = await open(ctx, 'tab=optim', vp);
        for (const tab of ['jac', 'optim', 'bv', 'train']) {
            await p.click(`#tab-${tab}`);
            if (tab === 'bv') await p.waitForSelector('#bv-curves[data-mc="done"]', { timeout: 30000 });
            await p.screenshot({ path: `${SHOTS}/${tab}-${label}.png`, fullPage: true });
        }
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        check(`${label} layout has no horizontal overflow`, overflow <= 1, `${overflow}px`);
        page.problems.push(...p.problems);
        await p.close();
    }
    check('no console error, page error or failed request', page.problems.length === 0, page.problems.join('; '));
} catch (e) {
    check('the suite ran to the end', false, e.stack);
} finally {
    await close();
    rmSync(tmp, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
