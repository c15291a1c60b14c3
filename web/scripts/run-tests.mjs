// Runs `node --test` over the test files (*.test.mjs, *.test.js) found under
// the folders given (default test/sdk and test/e2e); a missing folder is skipped.
// Node 20's --test takes no globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dirs = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));

function list(p) {
  if (!existsSync(p)) return [];
  if (statSync(p).isFile()) return [p];
  return readdirSync(p, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? list(path.join(p, e.name)) : /\.test\.m?js$/.test(e.name) ? [path.join(p, e.name)] : []
  );
}

const files = (dirs.length ? dirs : ['test/sdk', 'test/e2e']).flatMap((d) => list(path.resolve(web, d))).sort();
if (!files.length) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', ...flags, ...files], { stdio: 'inherit', cwd: web });
process.exit(r.status ?? 1);
