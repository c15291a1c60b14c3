// The SDK's size as shipped: esbuild bundle + minify, then gzip. Fails above the bound.
//   node scripts/size.mjs [--max BYTES]   (default 8192: 8 KiB)
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--max');
const max = i > 0 ? Number(process.argv[i + 1]) : 8192;
const result = await build({
  entryPoints: [path.join(web, 'sdk/parley.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  write: false,
});
const min = result.outputFiles[0].contents;
const gz = gzipSync(min, { level: 9 }).length;
console.log(`sdk/parley.js: ${min.length} bytes minified, ${gz} bytes minified+gzip (bound ${max})`);
if (gz > max) {
  console.error(`too big: ${gz} > ${max} bytes`);
  process.exit(1);
}
