// The integrator's token endpoint, with Node's standard library only.
//
// Your web page asks your own server for a Parley token; your server knows who
// the user is (its session cookie, here a query parameter for the example) and
// signs a short-lived HS256 JWT with the secret the broker was given
// (`parley --jwt-secret SECRET`). The SDK calls it through `getToken`:
//
//   new ParleyClient({ url, getToken: async () => (await (await fetch('/token')).json()).token })
//
// Run:  PARLEY_JWT_SECRET=s3cret node examples/token-server.mjs [--port 8081] [--ttl 300]
// Then: curl 'http://127.0.0.1:8081/token?user=ann&role=consumer'  →  {"token":"eyJ…"}
//
// Replace `identify` with your own authentication: never let the caller choose
// its user id and role in production.

import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const b64url = (v) => Buffer.from(typeof v == 'string' ? v : JSON.stringify(v)).toString('base64url');

/**
 * Signs `claims` as an HS256 JWT.
 * @param {Record<string, unknown>} claims  sub (user id), tenant, role, name, skills, exp, …
 * @param {string} secret
 */
export function signToken(claims, secret) {
  const head = b64url({ alg: 'HS256', typ: 'JWT' }) + '.' + b64url(claims);
  return head + '.' + createHmac('sha256', secret).update(head).digest('base64url');
}

/**
 * The claims of a token for a request. The example trusts the query string;
 * yours reads its own session.
 * @param {URL} url
 */
function identify(url) {
  const sub = url.searchParams.get('user');
  if (!sub) return null;
  return {
    sub,
    role: url.searchParams.get('role') || 'consumer',
    tenant: url.searchParams.get('tenant') || 'default',
    name: url.searchParams.get('name') || sub,
  };
}

/**
 * A server answering `GET /token` with `{token}`.
 * @param {{secret: string, ttlSec?: number}} opts
 */
export function tokenServer({ secret, ttlSec = 300 }) {
  return createServer((req, res) => {
    const url = new URL(req.url || '/', 'http://localhost');
    if (req.method != 'GET' || url.pathname != '/token') {
      res.writeHead(404).end();
      return;
    }
    const who = identify(url);
    if (!who) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"who are you?"}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const token = signToken({ ...who, iat: now, exp: now + ttlSec }, secret);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ token }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.PARLEY_JWT_SECRET;
  if (!secret) {
    console.error('set PARLEY_JWT_SECRET to the broker\'s --jwt-secret');
    process.exit(1);
  }
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const port = arg('--port', 8081);
  tokenServer({ secret, ttlSec: arg('--ttl', 300) }).listen(port, '127.0.0.1', () =>
    console.log(`token server on http://127.0.0.1:${port}/token?user=ID&role=ROLE`)
  );
}
