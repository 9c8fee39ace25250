// Shared by the browser suite and the web benchmarks: headless Chromium on
// the page from file://, with the flags that keep it offline and quiet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pw from 'playwright-core';

export const PAGE = resolve('build/web/nabla-lab.html');
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// A fresh profile each run; close() removes it.
export async function launch() {
    const dir = mkdtempSync(join(tmpdir(), 'nabla-web-'));
    const ctx = await pw.chromium.launchPersistentContext(dir, {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: FLAGS,
        viewport: { width: 1280, height: 800 }, acceptDownloads: true,
    });
    return { ctx, close: async () => { await ctx.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export async function open(ctx, hash = '', viewport) {
    const page = await ctx.newPage();
    if (viewport) await page.setViewportSize(viewport);
    page.problems = [];
    page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => page.problems.push(`failed request: ${r.url().slice(0, 80)} ${r.failure()?.errorText}`));
    await page.goto('file://' + PAGE + (hash ? '#' + hash : ''));
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    return page;
}
