// The browser suite's Fashion-MNIST checks (web/fashion.js), called from
// suite.mjs: the real files through the file picker, one epoch of the MLP
// with Adam, the downloaded checkpoint held to `nabla eval --load`, and a
// corrupt and a wrong file, each one clear error with training still working.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from './lib.mjs';

const DATA = '/usr/share/datasets/fashion-mnist';
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

// A safetensors file's header: its metadata and its tensors' dtype and shape.
const header = (path) => {
    const b = readFileSync(path), n = Number(b.readBigUInt64LE(0)), h = JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
    const meta = h.__metadata__ || {};
    delete h.__metadata__;
    const tensors = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, `${v.dtype}${JSON.stringify(v.shape)}`]));
    return { meta, tensors };
};

export async function fashionTests(ctx, { check, skip, NABLA, tmp, problems }) {
    if (!FILES.every((f) => existsSync(join(DATA, f)))) {
        skip('Fashion-MNIST in the page', `no ${DATA} (apt-get install dataset-fashion-mnist)`);
        return;
    }
    const page = await open(ctx, 'tab=train');
    try {
        const host = '#train-fmnist';
        await page.setInputFiles('#fm-files', FILES.map((f) => join(DATA, f)));
        await page.waitForSelector(`${host}[data-files="4"]`, { timeout: 60000 });
        check('the four .gz files load through the file picker (gunzipped in the page, read by nb_idx_parse)',
              /train 60000 images, test 10000 images/.test(await page.textContent('#fm-stats')) && (await page.textContent('#fm-error')) === '');

        // ---- one epoch of the MLP with Adam (the panel's defaults: torch's Adam, batch 128, seed 0) ----
        const t0 = Date.now();
        await page.selectOption('#fm-model', 'mlp');
        await page.selectOption('#fm-opt', 'adam');
        await page.click('#fm-train');
        await page.waitForSelector(`${host}[data-state="done"], ${host}[data-state="failed"]`, { timeout: 240000 });
        const secs = (Date.now() - t0) / 1000, stats = await page.textContent('#fm-stats');
        const acc = await page.getAttribute(host, 'data-test-acc');
        check('one epoch of the MLP with Adam reaches test accuracy >= 0.84', acc !== null && +acc >= 0.84,
              `test accuracy ${acc}, ${secs.toFixed(1)} s; ${stats}`);
        console.log(`     (one epoch in the page: ${secs.toFixed(1)} s; ${stats.split('\n')[2]})`);
        check('the panel shows samples/s, curves, the test images with predictions and the confusion matrix',
              /[\d,]+ samples\/s/.test(stats) && (await page.$$('#fm-loss svg path')).length > 0 &&
              (await page.$$('#fm-grid canvas')).length === 32 && (await page.$$('#fm-confusion td')).length === 11 * 11);
        const conf = await page.$$eval('#fm-confusion tr:not(:first-child) td:not(:first-child)', (tds) => tds.map((t) => +t.textContent));
        check('the confusion matrix counts the 10,000 test images and its diagonal is the accuracy',
              conf.reduce((a, b) => a + b, 0) === 10000 && Math.abs(conf.filter((_, i) => i % 11 === 0).reduce((a, b) => a + b, 0) / 10000 - +acc) < 1e-9);

        mkdirSync('build/web/shots', { recursive: true });
        await page.screenshot({ path: 'build/web/shots/fmnist-desktop.png', fullPage: true });

        // ---- the checkpoint: downloaded, then `nabla eval --load` ----
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#fm-save')]);
        const ckpt = join(tmp, 'fashion.safetensors');
        copyFileSync(await dl.path(), ckpt);
        let out = '';
        try {
            out = execFileSync(NABLA, ['eval', '--load', ckpt, '--data', DATA], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        } catch (e) { out = String(e.stderr); }
        const m = /test_loss ([\d.]+)\s+test_acc ([\d.]+)/.exec(out), pageLoss = +/test loss ([\d.]+)/.exec(stats)[1];
        check('nabla eval --load on the downloaded checkpoint reports the accuracy the page showed',
              m && m[2] === acc && Math.abs(+m[1] - pageLoss) < 1e-4, `page ${acc} (loss ${pageLoss}), nabla eval: ${out.trim()}`);
        // the format of `nabla train --save`: the same metadata keys, tensors, dtypes and shapes
        const ref = join(tmp, 'ref.safetensors');
        execFileSync(NABLA, ['train', '--data', DATA, '--model', 'mlp', '--opt', 'adam', '--epochs', '0', '--normalize', '--save', ref], { stdio: 'ignore' });
        const a = header(ckpt), b = header(ref), keys = (o) => Object.keys(o).sort().join(',');
        const same = ['model', 'hidden', 'input', 'optimizer', 'convention', 'lr', 'beta1', 'beta2', 'eps', 'batch', 'norm_mean', 'norm_std', 'train_samples', 'labels_hash']
            .filter((k) => a.meta[k] !== b.meta[k]);
        check('the checkpoint has nabla train --save\'s format (metadata keys and values, tensor names, dtypes, shapes)',
              keys(a.meta) === keys(b.meta) && JSON.stringify(a.tensors) === JSON.stringify(b.tensors) && !same.length,
              `differs in ${same.join(', ') || 'keys, tensors or size'}`);
        let py = '';
        try { py = execFileSync('python3', ['tools/check_safetensors.py', 'read', ckpt], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); } catch (e) { py = 'FAILED ' + e.stderr; }
        check('an independent reader (tools/check_safetensors.py) validates the downloaded file', /fc|weight/.test(py) && !py.startsWith('FAILED'), py.slice(0, 200));

        // ---- a corrupt file and a wrong file: one clear error each, nothing breaks ----
        const corrupt = join(tmp, 'corrupt'), wrong = join(tmp, 'wrong');
        execFileSync('mkdir', ['-p', corrupt, wrong]);
        const gz = readFileSync(join(DATA, 't10k-labels-idx1-ubyte.gz'));
        gz[gz.length >> 1] ^= 0x5a; // a flipped byte in the deflate data: its CRC, if nothing sooner, says so
        writeFileSync(join(corrupt, 't10k-labels-idx1-ubyte.gz'), gz);
        copyFileSync(join(DATA, 't10k-labels-idx1-ubyte.gz'), join(wrong, 't10k-images-idx3-ubyte.gz')); // labels where images belong
        for (const [what, file, want] of [['a corrupt .gz', join(corrupt, 't10k-labels-idx1-ubyte.gz'), /^t10k-labels-idx1-ubyte\.gz: corrupt gzip data/],
                                          ['a wrong file (labels where images belong)', join(wrong, 't10k-images-idx3-ubyte.gz'), /^t10k-images-idx3-ubyte\.gz: wrong magic 0x00000801 \(expected 0x00000803/]]) {
            await page.setInputFiles('#fm-files', file);
            await page.waitForFunction(() => document.getElementById('fm-error').textContent !== '' && !document.getElementById('fm-files').disabled);
            const err = await page.textContent('#fm-error'), list = await page.textContent('#fm-list');
            check(`${what} shows one clear error naming the file, and the loaded files stay`,
                  want.test(err) && !err.includes('\n') && (await page.$$('#fm-error')).length === 1 && (list.match(/✓/g) || []).length === 4, err);
        }
        // training still works: start, see steps go by, stop
        await page.click('#fm-train');
        await page.waitForFunction(() => /step [1-9]/.test(document.getElementById('fm-stats').textContent));
        await page.click('#fm-stop');
        await page.waitForSelector(`${host}[data-state="stopped"], ${host}[data-state="done"], ${host}[data-state="failed"]`, { timeout: 60000 });
        check('after them, training still runs (and stops when asked)',
              (await page.getAttribute(host, 'data-state')) === 'stopped' && (await page.textContent('#fm-error')) === '');
    } finally {
        problems.push(...page.problems);
        await page.close();
    }
}
