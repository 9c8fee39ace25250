// plot.js — small SVG plots built as strings (fast to redraw on every input
// event), marching-squares contours, raster maps, and saving as SVG / CSV.
'use strict';
const Plot = {};
Plot.esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
Plot.colors = ['#2457c5', '#d1495b', '#2a9d8f', '#e9a03b', '#7b4fb5', '#6b7280', '#0f766e'];

// A frame: the data box mapped onto a w x h picture with margins.
Plot.frame = (o) => {
    const f = { w: o.w || 460, h: o.h || 340, m: { l: 58, r: 12, t: 26, b: 40 }, ...o };
    const tx = (v, log) => (log ? Math.log10(v) : v);
    const [x0, x1] = [tx(f.xlim[0], f.xlog), tx(f.xlim[1], f.xlog)], [y0, y1] = [tx(f.ylim[0], f.ylog), tx(f.ylim[1], f.ylog)];
    const W = f.w - f.m.l - f.m.r, H = f.h - f.m.t - f.m.b;
    f.sx = (x) => f.m.l + ((tx(x, f.xlog) - x0) / (x1 - x0)) * W;
    f.sy = (y) => f.m.t + (1 - (tx(y, f.ylog) - y0) / (y1 - y0)) * H;
    f.inv = (px, py) => {
        let x = x0 + ((px - f.m.l) / W) * (x1 - x0), y = y0 + (1 - (py - f.m.t) / H) * (y1 - y0);
        return [f.xlog ? 10 ** x : x, f.ylog ? 10 ** y : y];
    };
    f.W = W, f.H = H;
    return f;
};
Plot.ticks = (lo, hi, log) => {
    if (log) {
        const out = [];
        for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(10 ** e);
        const step = Math.max(1, Math.ceil(out.length / 7));
        return out.filter((_, i) => i % step === 0);
    }
    const span = hi - lo, raw = span / 6, mag = 10 ** Math.floor(Math.log10(raw));
    const st = [1, 2, 5, 10].map((k) => k * mag).find((s) => span / s <= 7);
    const out = [];
    for (let v = Math.ceil(lo / st) * st; v <= hi + st * 1e-9; v += st) out.push(Math.abs(v) < st * 1e-9 ? 0 : v);
    return out;
};
Plot.tickLabel = (v, log) => (log ? `1e${Math.round(Math.log10(v))}` : String(+v.toPrecision(6)));
// The axes, labels and title; body is the plot's own SVG, clipped to the box.
Plot.svg = (f, body, id, under = false) => {
    const cl = `clip-${id}`;
    let s = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.w} ${f.h}" font-family="system-ui, sans-serif" font-size="11" data-plot="${id}">`;
    if (!under) s += `<rect width="${f.w}" height="${f.h}" fill="#fff"/>`;
    s += `<defs><clipPath id="${cl}"><rect x="${f.m.l}" y="${f.m.t}" width="${f.W}" height="${f.H}"/></clipPath></defs>`;
    let ax = '';
    for (const t of Plot.ticks(f.xlim[0], f.xlim[1], f.xlog)) {
        const x = f.sx(t).toFixed(1);
        if (!under) ax += `<line x1="${x}" x2="${x}" y1="${f.m.t}" y2="${f.m.t + f.H}" stroke="#eef0f4"/>`;
        ax += `<text x="${x}" y="${f.m.t + f.H + 14}" text-anchor="middle" fill="#444">${Plot.tickLabel(t, f.xlog)}</text>`;
    }
    for (const t of Plot.ticks(f.ylim[0], f.ylim[1], f.ylog)) {
        const y = f.sy(t).toFixed(1);
        if (!under) ax += `<line y1="${y}" y2="${y}" x1="${f.m.l}" x2="${f.m.l + f.W}" stroke="#eef0f4"/>`;
        ax += `<text x="${f.m.l - 5}" y="${+y + 4}" text-anchor="end" fill="#444">${Plot.tickLabel(t, f.ylog)}</text>`;
    }
    s += ax + `<g clip-path="url(#${cl})">${under ? '<g class="under"></g>' : ''}${body}</g>`;
    s += `<rect x="${f.m.l}" y="${f.m.t}" width="${f.W}" height="${f.H}" fill="none" stroke="#888"/>`;
    if (f.title) s += `<text x="${f.m.l}" y="16" font-size="12" font-weight="600" fill="#222">${Plot.esc(f.title)}</text>`;
    if (f.xlabel) s += `<text x="${f.m.l + f.W / 2}" y="${f.h - 6}" text-anchor="middle" fill="#222">${Plot.esc(f.xlabel)}</text>`;
    if (f.ylabel) s += `<text transform="translate(13 ${f.m.t + f.H / 2}) rotate(-90)" text-anchor="middle" fill="#222">${Plot.esc(f.ylabel)}</text>`;
    return s + '</svg>';
};
Plot.path = (f, xs, ys, style) => {
    let d = '', pen = false;
    for (let i = 0; i < xs.length; i++) {
        const x = f.sx(xs[i]), y = f.sy(ys[i]);
        if (!Number.isFinite(x) || !Number.isFinite(y) || Math.abs(x) > 1e5 || Math.abs(y) > 1e5) { pen = false; continue; }
        d += `${pen ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
        pen = true;
    }
    return `<path d="${d}" fill="none" stroke="${style.color}" stroke-width="${style.width || 1.6}"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>`;
};
// Markers as one path of circles (one element however many points).
Plot.dots = (f, xs, ys, style) => {
    const r = style.r || 2.5;
    let d = '';
    for (let i = 0; i < xs.length; i++) {
        const x = f.sx(xs[i]), y = f.sy(ys[i]);
        if (Number.isFinite(x) && Number.isFinite(y) && Math.abs(x) < 1e5 && Math.abs(y) < 1e5)
            d += `M${(x - r).toFixed(1)} ${y.toFixed(1)}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`;
    }
    return `<path d="${d}" fill="${style.fill || style.color}" stroke="${style.color}"/>`;
};
Plot.star = (f, x, y, color, r = 7) => {
    const cx = f.sx(x), cy = f.sy(y);
    let p = '';
    for (let k = 0; k < 10; k++) {
        const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r * 0.45 : r;
        p += `${k ? 'L' : 'M'}${(cx + rr * Math.cos(a)).toFixed(1)} ${(cy + rr * Math.sin(a)).toFixed(1)}`;
    }
    return `<path d="${p}Z" fill="${color}" stroke="#000" stroke-width=".6"/>`;
};
Plot.legend = (f, items) => {
    let s = '', y = f.m.t + 12;
    for (const { label, color, dash } of items) {
        const x = f.m.l + f.W - 150;
        s += `<line x1="${x}" x2="${x + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${x + 22}" y="${y}" fill="#222">${Plot.esc(label)}</text>`;
        y += 14;
    }
    return `<rect x="${f.m.l + f.W - 156}" y="${f.m.t + 2}" width="152" height="${items.length * 14 + 4}" fill="#fff" fill-opacity=".85"/>` + s;
};
// Contour segments of z (ny rows of nx values over the frame's box) at each
// level (ascending), by marching squares: per level, x0 y0 x1 y1 in picture
// coordinates. Each point's band (levels below it) is found once, so a cell
// is only looked at for the levels that cross it.
Plot.contourSegs = (f, z, nx, ny, levels) => {
    const [xa, xb] = f.xlim, [ya, yb] = f.ylim, nl = levels.length;
    const X = new Float64Array(nx), Y = new Float64Array(ny), band = new Uint8Array(nx * ny);
    for (let i = 0; i < nx; i++) X[i] = f.sx(xa + ((xb - xa) * i) / (nx - 1));
    for (let j = 0; j < ny; j++) Y[j] = f.sy(ya + ((yb - ya) * j) / (ny - 1));
    for (let q = 0; q < nx * ny; q++) {
        const v = z[q];
        let b = 0;
        while (b < nl && v > levels[b]) b++;
        band[q] = b;
    }
    const out = levels.map(() => []);
    for (let j = 0; j < ny - 1; j++) {
        const r0 = j * nx, r1 = r0 + nx, y0 = Y[j], y1 = Y[j + 1];
        for (let i = 0; i < nx - 1; i++) {
            const ba = band[r0 + i], bb = band[r0 + i + 1], bc = band[r1 + i + 1], be = band[r1 + i];
            const lo = Math.min(ba, bb, bc, be), hi = Math.max(ba, bb, bc, be);
            if (lo === hi) continue;
            const a = z[r0 + i], b = z[r0 + i + 1], c = z[r1 + i + 1], e = z[r1 + i], x0 = X[i], x1 = X[i + 1];
            for (let l = lo; l < hi; l++) {
                // level l separates bands <= l from bands > l; crossings on the
                // edges bottom (a-b), right (b-c), top (e-c), left (a-e)
                const L = levels[l], seg = out[l], sa = ba > l, sb = bb > l, sc = bc > l, se = be > l;
                let k = 0, p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0;
                if (sa !== sb) { const t = (L - a) / (b - a); p0 = x0 + t * (x1 - x0), p1 = y0, k = 2; }
                if (sb !== sc) { const t = (L - b) / (c - b), px = x1, py = y0 + t * (y1 - y0); if (k) p2 = px, p3 = py; else p0 = px, p1 = py; k += 2; }
                if (se !== sc) { const t = (L - e) / (c - e), px = x0 + t * (x1 - x0), py = y1; if (k === 0) p0 = px, p1 = py; else if (k === 2) p2 = px, p3 = py; else p4 = px, p5 = py; k += 2; }
                if (sa !== se) { const t = (L - a) / (e - a), px = x0, py = y0 + t * (y1 - y0); if (k === 2) p2 = px, p3 = py; else p6 = px, p7 = py; k += 2; }
                seg.push(p0, p1, p2, p3);
                if (k === 8) seg.push(p4, p5, p6, p7);
            }
        }
    }
    return out;
};
// The same as SVG paths (for saving) and onto a canvas (for the screen).
Plot.segsSvg = (segs, color) => segs.map((s) => {
    let d = '';
    for (let q = 0; q < s.length; q += 4)
        d += `M${Math.round(s[q] * 10) / 10} ${Math.round(s[q + 1] * 10) / 10}L${Math.round(s[q + 2] * 10) / 10} ${Math.round(s[q + 3] * 10) / 10}`;
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width=".8"/>`;
}).join('');
// A canvas under a figure's SVG, covering the picture; returns its context
// scaled to picture coordinates.
Plot.under = (fig, f) => {
    let cv = fig.plot.querySelector('canvas.under');
    if (!cv) {
        cv = document.createElement('canvas');
        cv.className = 'under';
        fig.plot.prepend(cv);
    }
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    if (cv.width !== f.w * dpr) cv.width = f.w * dpr, cv.height = f.h * dpr;
    const cx = cv.getContext('2d');
    cx.setTransform(dpr, 0, 0, dpr, 0, 0);
    cx.clearRect(0, 0, f.w, f.h);
    cx.save();
    cx.beginPath();
    cx.rect(f.m.l, f.m.t, f.W, f.H);
    cx.clip();
    return cx;
};
Plot.segsCanvas = (cx, segs, color) => {
    cx.strokeStyle = color;
    cx.lineWidth = 0.8;
    cx.beginPath();
    for (const s of segs)
        for (let q = 0; q < s.length; q += 4) cx.moveTo(s[q], s[q + 1]), cx.lineTo(s[q + 2], s[q + 3]);
    cx.stroke();
    cx.restore();
};
// A raster (ny rows of nx values, row 0 at the bottom) as a small canvas.
Plot.rasterCanvas = (z, nx, ny, colorOf) => {
    const cv = document.createElement('canvas');
    cv.width = nx, cv.height = ny;
    const cx = cv.getContext('2d'), img = cx.createImageData(nx, ny);
    for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
            const [r, g, b] = colorOf(z[j * nx + i]), o = ((ny - 1 - j) * nx + i) * 4;
            img.data[o] = r, img.data[o + 1] = g, img.data[o + 2] = b, img.data[o + 3] = 255;
        }
    cx.putImageData(img, 0, 0);
    return cv;
};
Plot.rasterDraw = (cx, f, cv) => {
    cx.imageSmoothingEnabled = false;
    cx.drawImage(cv, f.m.l, f.m.t, f.W, f.H);
    cx.restore();
};
Plot.rasterSvg = (f, cv) =>
    `<image href="${cv.toDataURL()}" x="${f.m.l}" y="${f.m.t}" width="${f.W}" height="${f.H}" preserveAspectRatio="none" style="image-rendering:pixelated"/>`;
// viridis-like ramp for t in [0, 1], from a 256-entry table
Plot.rampLut = (() => {
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], lut = [];
    for (let q = 0; q < 256; q++) {
        const t = (q / 255) * (stops.length - 1), k = Math.min(stops.length - 2, Math.floor(t)), u = t - k;
        lut.push(stops[k].map((v, i) => Math.round(v + u * (stops[k + 1][i] - v))));
    }
    return lut;
})();
Plot.ramp = (t) => Plot.rampLut[Math.round(Math.min(1, Math.max(0, t)) * 255) || 0];
Plot.download = (name, text, type) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
};
// The figure's SVG; a canvas layer under it (fig.underSvg) goes in as SVG.
Plot.svgText = (fig) => {
    const svg = fig.querySelector('svg').cloneNode(true), g = svg.querySelector('g.under');
    if (g && fig.underSvg) {
        g.innerHTML = fig.underSvg();
        svg.insertAdjacentHTML('afterbegin', `<rect width="100%" height="100%" fill="#fff"/>`);
    }
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg.outerHTML;
};
Plot.saveSvg = (fig, name) => Plot.download(name, Plot.svgText(fig), 'image/svg+xml');
// C's printf("%.17g") for a double, so a CSV the page writes reads as the CLI's.
Plot.g17 = (x) => {
    if (Number.isNaN(x)) return 'nan';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    if (x === 0) return Object.is(x, -0) ? '-0' : '0';
    const [m, e] = x.toExponential(16).split('e'), ex = +e;
    const strip = (s) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
    if (ex < -4 || ex >= 17) return `${strip(m)}e${ex < 0 ? '-' : '+'}${String(Math.abs(ex)).padStart(2, '0')}`;
    return strip(x.toFixed(16 - ex));
};
