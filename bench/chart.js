// The latency chart of bench/compare.sh --rates: end-to-end p50 and p99
// against the fixed rate, every row in one SVG. Reads the compare.json of
// each rate (bench/compare_report.js writes them), no npm packages:
//   node bench/chart.js --out FILE.svg OUT/rate-1000/compare.json OUT/rate-4000/compare.json ...
// p50 is a solid line with dots, p99 a dashed line with squares; the y
// axis is logarithmic; an INVALID run's points are drawn hollow.
'use strict';

const fs = require('fs');

let outFile = null;
const inputs = [];
for (let i = 2; i < process.argv.length; ++i) {
  if (process.argv[i] === '--out') outFile = process.argv[++i];
  else inputs.push(process.argv[i]);
}
if (!outFile || inputs.length === 0) {
  console.error('usage: node bench/chart.js --out FILE.svg COMPARE.json...');
  process.exit(1);
}

const COLOURS = {
  'parley': '#2b6cb0', 'parley-redis': '#38a169', 'nchan': '#c05621', 'nchan-redis': '#b7791f',
  'socketio': '#718096', 'socketio-redis': '#a0aec0',
};
const series = new Map();  // row -> {label, points: [{rate, p50, p99, valid}]}
let load = [];
let params = null;
for (const file of inputs) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const rate = Number(doc.params && doc.params.rate);
  if (!rate) continue;  // flat out: not a point on a rate axis
  params = params || doc.params;
  load.push(doc.load_average);
  for (const x of doc.rows) {
    if (!series.has(x.row)) series.set(x.row, { label: x.label, points: [] });
    series.get(x.row).points.push({ rate, p50: x.figures.e2e_p50_ms, p99: x.figures.e2e_p99_ms,
                                    valid: x.valid });
  }
}
for (const s of series.values()) s.points.sort((a, b) => a.rate - b.rate);
const rates = [...new Set([...series.values()].flatMap((s) => s.points.map((p) => p.rate)))]
  .sort((a, b) => a - b);
const values = [...series.values()].flatMap((s) => s.points.flatMap((p) => [p.p50, p.p99]))
  .filter((v) => typeof v === 'number' && v > 0);
if (rates.length === 0 || values.length === 0) {
  console.error('chart.js: no fixed-rate figures in the inputs');
  process.exit(1);
}

const W = 760, H = 460, left = 70, right = 230, top = 50, bottom = 60;
const plotW = W - left - right, plotH = H - top - bottom;
const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values))));
const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values))));
const minRate = rates[0], maxRate = rates[rates.length - 1];
const x = (rate) => left + (maxRate === minRate ? plotW / 2 : (plotW * (rate - minRate)) / (maxRate - minRate));
const y = (ms) => top + plotH - (plotH * (Math.log10(ms) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const num = (v) => v.toLocaleString('en-US');

let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n`;
svg += `<rect width="${W}" height="${H}" fill="white"/>\n`;
const p = params || {};
svg += `<text x="10" y="22" font-size="15">end-to-end latency against the rate — ${esc(p.conversations)} conversations × ${esc(p.subscribers)} subscribers, ${esc(p.size)} B</text>\n`;
// Axes and grid.
for (let d = lo; d <= hi * 1.0001; d *= 10) {
  for (const m of [1, 2, 5]) {
    const v = d * m;
    if (v > hi * 1.0001) break;
    const yy = y(v).toFixed(1);
    svg += `<line x1="${left}" y1="${yy}" x2="${left + plotW}" y2="${yy}" stroke="#e2e8f0"/>\n`;
    svg += `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v >= 1 ? num(v) : v.toPrecision(1)}</text>\n`;
  }
}
for (const r of rates) {
  svg += `<line x1="${x(r).toFixed(1)}" y1="${top}" x2="${x(r).toFixed(1)}" y2="${top + plotH}" stroke="#edf2f7"/>\n`;
  svg += `<text x="${x(r).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${num(r)}</text>\n`;
}
svg += `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#4a5568"/>\n`;
svg += `<text x="${left + plotW / 2}" y="${H - 18}" text-anchor="middle">messages/s in all (each to ${esc(p.subscribers)} subscribers)</text>\n`;
svg += `<text x="18" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${top + plotH / 2})">ms (log scale)</text>\n`;
// The series.
let legendY = top + 6;
for (const [row, s] of series) {
  const colour = COLOURS[row] || '#000';
  for (const [key, dash] of [['p50', ''], ['p99', ' stroke-dasharray="6 4"']]) {
    const pts = s.points.filter((q) => typeof q[key] === 'number' && q[key] > 0);
    if (pts.length > 1)
      svg += `<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${pts.map((q) => `${x(q.rate).toFixed(1)},${y(q[key]).toFixed(1)}`).join(' ')}"/>\n`;
    for (const q of pts) {
      const fill = q.valid ? colour : 'white';
      if (key === 'p50')
        svg += `<circle cx="${x(q.rate).toFixed(1)}" cy="${y(q[key]).toFixed(1)}" r="3.5" fill="${fill}" stroke="${colour}"><title>${esc(s.label)} p50 at ${q.rate}/s: ${+q[key].toPrecision(3)} ms</title></circle>\n`;
      else
        svg += `<rect x="${(x(q.rate) - 3.5).toFixed(1)}" y="${(y(q[key]) - 3.5).toFixed(1)}" width="7" height="7" fill="${fill}" stroke="${colour}"><title>${esc(s.label)} p99 at ${q.rate}/s: ${+q[key].toPrecision(3)} ms</title></rect>\n`;
    }
  }
  const lx = left + plotW + 16;
  svg += `<line x1="${lx}" y1="${legendY}" x2="${lx + 24}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>\n`;
  svg += `<text x="${lx + 30}" y="${legendY + 4}">${esc(s.label)} p50</text>\n`;
  svg += `<line x1="${lx}" y1="${legendY + 18}" x2="${lx + 24}" y2="${legendY + 18}" stroke="${colour}" stroke-width="2" stroke-dasharray="6 4"/>\n`;
  svg += `<text x="${lx + 30}" y="${legendY + 22}">${esc(s.label)} p99</text>\n`;
  legendY += 44;
}
svg += `<text x="10" y="${H - 4}" font-size="10" fill="#555">bench/compare.sh --rates; load average per rate: ${esc(load.join(' | '))}; hollow: INVALID run</text>\n`;
svg += '</svg>\n';
fs.writeFileSync(outFile, svg);
