// node web/build.mjs nabla.wasm out.html: the page as one file. The module is
// inlined as base64 and the CSS and scripts inline, so the page needs no
// server, no network and nothing beside it (it works from file:// and as an
// e-mail attachment).
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [wasmPath, out] = process.argv.slice(2);
if (!wasmPath || !out) {
    console.error('usage: node web/build.mjs nabla.wasm out.html');
    process.exit(2);
}
const read = (f) => readFileSync(join(here, f), 'utf8');
const wasm = readFileSync(wasmPath).toString('base64');
// The worker runs core.js + worker.js from a Blob; it gets them as text.
const workerSrc = read('core.js') + '\n' + read('worker.js');
const fashionWorkerSrc = read('core.js') + '\n' + read('fashion_worker.js');
const parts = {
    CSS: read('lab.css'),
    WASM: wasm,
    WORKER: JSON.stringify(workerSrc).replace(/<\//g, '<\\/'),
    FASHION_WORKER: JSON.stringify(fashionWorkerSrc).replace(/<\//g, '<\\/'),
    JS: [read('core.js'), read('plot.js'), read('panels.js'), read('train.js'), read('fashion.js')].join('\n').replace(/<\/script/g, '<\\/script'),
};
let html = read('template.html');
for (const [k, v] of Object.entries(parts)) {
    const mark = `@@${k}@@`;
    if (!html.includes(mark)) throw new Error(`template.html has no ${mark}`);
    html = html.split(mark).join(v);
}
const limit = 1.5 * 1024 * 1024;
if (html.length > limit) throw new Error(`the page is ${html.length} bytes, over the 1.5 MB budget`);
writeFileSync(out + '.tmp', html);
renameSync(out + '.tmp', out);
console.log(`${out}: ${html.length} bytes (module ${readFileSync(wasmPath).length} bytes)`);
