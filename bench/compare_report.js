// The table of bench/compare.sh: reads OUT/run-ROW-ROUND.json (parley-bench
// --json, one run each), takes each figure's median over the rounds, and
// prints one table with the ratio of Parley's memory row to every row.
// Writes OUT/compare.json and OUT/compare.svg (delivered messages/s). The
// connect rows (parley-connect, nchan-connect) get a table of their own,
// with the ratio of Parley's connections/s to each.
'use strict';

const fs = require('fs');
const path = require('path');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1];
const out = args.out;
const allRows = args.rows.split(',');
const rows = allRows.filter((r) => !r.endsWith('-connect'));
const connectRows = allRows.filter((r) => r.endsWith('-connect'));
const rounds = Number(args.rounds || 1);

const LABELS = {
  'parley': 'Parley, memory engine',
  'parley-redis': 'Parley, Redis engine',
  'nchan': 'nginx + Nchan, memory',
  'nchan-redis': 'nginx + Nchan, Redis',
  'socketio': 'Socket.IO',
  'socketio-redis': 'Socket.IO + Redis adapter',
  'parley-connect': 'Parley (upgrade + authenticate; then subscribe)',
  'nchan-connect': 'nginx + Nchan (upgrade to /sub/<channel>)',
};
const CONNECT_FIGURES = ['connections', 'connect_per_sec', 'handshake_p50_ms', 'handshake_p99_ms',
                         'broker_us_per_connect', 'tool_us_per_connect', 'bytes_per_connection',
                         'subscribe_per_sec'];
const FIGURES = ['delivered_per_sec', 'acks_per_sec', 'e2e_p50_ms', 'e2e_p99_ms', 'ack_p99_ms',
                 'broker_cpu_pct', 'broker_ns_per_msg', 'tool_cpu_pct', 'tool_ns_per_msg',
                 'redis_cpu_pct', 'broker_runq_wait_pct'];

function median(values) {
  const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// The runs of `row`, one per round ({failed: true} where there is none).
function readRuns(row) {
  const runs = [];
  for (let r = 1; r <= rounds; ++r) {
    try {
      const doc = JSON.parse(fs.readFileSync(path.join(out, `run-${row}-${r}.json`), 'utf8'));
      if (doc.runs && doc.runs.length) runs.push(doc.runs[0]);
      else runs.push({ failed: true });
    } catch (e) {
      runs.push({ failed: true });
    }
  }
  return runs;
}

function summarize(row, figures, main) {
  const runs = readRuns(row);
  const ok = runs.filter((x) => !x.failed);
  const fig = {};
  for (const f of figures) fig[f] = median(ok.map((x) => x.metrics[f]));
  return {
    row, label: LABELS[row], rounds: runs.length, completed: ok.length,
    valid: ok.length === runs.length && ok.every((x) => x.valid),
    figures: fig, [`${main}_runs`]: ok.map((x) => x.metrics[main]),
    params: ok.length ? ok[0].params : null,
    notes: [...new Set(ok.flatMap((x) => x.notes || []))].slice(0, 4),
  };
}

const result = rows.map((row) => summarize(row, FIGURES, 'delivered_per_sec'));
const params = (result.find((x) => x.params) || {}).params || null;
for (const x of result) delete x.params;
const base = result.find((x) => x.row === 'parley');
for (const x of result) {
  const d = x.figures.delivered_per_sec;
  x.parley_ratio = base && base.figures.delivered_per_sec && d ? base.figures.delivered_per_sec / d : null;
}

const fmtInt = (v) => (v == null ? '-' : Math.round(v).toLocaleString('en-US'));
const fmt = (v, p) => (v == null ? '-' : v.toFixed(p));
const header = ['row', 'delivered/s', 'acks/s', 'e2e p50 ms', 'e2e p99 ms', 'server CPU %',
                'server ns/delivery', 'tool CPU %', 'valid', 'Parley memory ÷ row'];
const lines = result.map((x) => [
  x.label, fmtInt(x.figures.delivered_per_sec), fmtInt(x.figures.acks_per_sec),
  fmt(x.figures.e2e_p50_ms, 1), fmt(x.figures.e2e_p99_ms, 1),
  fmtInt(x.figures.broker_cpu_pct) + (x.figures.redis_cpu_pct != null ? ` (+redis ${fmtInt(x.figures.redis_cpu_pct)})` : ''),
  fmtInt(x.figures.broker_ns_per_msg), fmtInt(x.figures.tool_cpu_pct),
  x.valid ? 'VALID' : (x.completed ? 'INVALID' : 'FAILED'),
  x.parley_ratio == null ? '-' : x.parley_ratio.toFixed(x.parley_ratio >= 10 ? 0 : 1) + '×',
]);
const p = params || {};
if (result.length) {
  console.log(`fanout: ${p.conversations} conversations × ${p.subscribers} subscribers, ` +
              `${p.publishers} publishers, rate ${p.rate}, window ${p.window}, ${p.size}-byte texts, ` +
              `${p.duration} s measured; ${rounds} round(s), medians; load average ${args.load}`);
  console.log(`command: ${args.command}\n`);
  console.log('| ' + header.join(' | ') + ' |');
  console.log('|' + header.map((_, i) => (i === 0 ? '---' : '---:')).join('|') + '|');
  for (const l of lines) console.log('| ' + l.join(' | ') + ' |');
  for (const x of result) for (const n of x.notes) console.log(`note (${x.row}): ${n}`);
}

// The connect rows.
const connect = connectRows.map((row) => summarize(row, CONNECT_FIGURES, 'connect_per_sec'));
const connectBase = connect.find((x) => x.row === 'parley-connect');
for (const x of connect) {
  const c = x.figures.connect_per_sec;
  x.parley_ratio = connectBase && connectBase.figures.connect_per_sec && c
    ? connectBase.figures.connect_per_sec / c : null;
}
if (connect.length) {
  const cp = (connect.find((x) => x.params) || {}).params || {};
  console.log(`\nconnect: ${cp.connections} sockets, ${cp.concurrency} handshakes in flight, ` +
              `${cp.conversations} conversations/channels; ${rounds} round(s), medians; ` +
              `load average ${args.load}\n`);
  const h = ['row', 'connections/s', 'handshake p50 ms', 'handshake p99 ms', 'server µs/connection',
             'tool µs/connection', 'server bytes/idle socket', 'valid', 'Parley ÷ row'];
  console.log('| ' + h.join(' | ') + ' |');
  console.log('|' + h.map((_, i) => (i === 0 ? '---' : '---:')).join('|') + '|');
  for (const x of connect) {
    const f = x.figures;
    console.log('| ' + [x.label, fmtInt(f.connect_per_sec), fmt(f.handshake_p50_ms, 2),
                        fmt(f.handshake_p99_ms, 2), fmt(f.broker_us_per_connect, 1),
                        fmt(f.tool_us_per_connect, 1), fmtInt(f.bytes_per_connection),
                        x.valid ? 'VALID' : (x.completed ? 'INVALID' : 'FAILED'),
                        x.parley_ratio == null ? '-' : x.parley_ratio.toFixed(2) + '×'].join(' | ') + ' |');
  }
  for (const x of connect) for (const n of x.notes) console.log(`note (${x.row}): ${n}`);
  for (const x of connect) delete x.params;
}

fs.writeFileSync(path.join(out, 'compare.json'), JSON.stringify({
  tool: 'parley-bench', scenario: 'fanout', params: p, rounds, load_average: args.load,
  command: args.command, rows: result, connect_rows: connect,
}, null, 2) + '\n');

// A horizontal bar chart of delivered messages/s.
const W = 720, rowH = 34, left = 220, top = 40, barMax = W - left - 110;
const max = Math.max(1, ...result.map((x) => x.figures.delivered_per_sec || 0));
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${top + rowH * result.length + 30}" font-family="sans-serif" font-size="13">\n`;
svg += `<text x="10" y="22" font-size="15">delivered messages/s — fanout ${esc(p.conversations)} × ${esc(p.subscribers)}, ${esc(p.publishers)} publishers, ${esc(p.size)} B</text>\n`;
result.forEach((x, i) => {
  const y = top + i * rowH;
  const v = x.figures.delivered_per_sec || 0;
  const w = Math.max(1, Math.round((barMax * v) / max));
  const colour = x.row.startsWith('parley') ? '#2b6cb0' : '#a0aec0';
  svg += `<text x="${left - 8}" y="${y + 18}" text-anchor="end">${esc(x.label)}</text>\n`;
  svg += `<rect x="${left}" y="${y + 4}" width="${w}" height="${rowH - 10}" fill="${colour}"/>\n`;
  const tag = `${fmtInt(v)}${x.valid ? '' : ' (INVALID)'}`;
  svg += `<text x="${left + w + 6}" y="${y + 18}">${esc(tag)}</text>\n`;
});
svg += `<text x="10" y="${top + rowH * result.length + 20}" font-size="11" fill="#555">load average ${esc(args.load)}; median of ${rounds} round(s)</text>\n</svg>\n`;
fs.writeFileSync(path.join(out, 'compare.svg'), svg);
