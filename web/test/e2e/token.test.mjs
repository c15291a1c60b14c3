// Without --dev: the widget gets its token from the integrator's endpoint
// (data-token-url) and the console signs in with a pasted token whose skills
// claim decides what "unassigned in my skills" shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { startBroker, webDir } from '../support/broker.mjs';
import { launchBrowser } from './browser.mjs';
import { ParleyClient } from '../../sdk/parley.js';
import { WebSocket } from '../support/sdk.mjs';

const SECRET = 'e2e-secret-for-the-web-tests';
let broker, site, browser;

function jwt(claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

before(async () => {
  broker = await startBroker({ args: ['--jwt-secret', SECRET, '--web-root', webDir] });
  site = http.createServer((req, res) => {
    if (req.url === '/token') {
      // The integrator's endpoint: it knows who its visitor is and signs for them.
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ token: jwt({ sub: 'visitor-jo', role: 'consumer', name: 'Jo Token' }) }));
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Signed-in shop</title></head><body><h1>Shop</h1>
<script type="module" src="${broker.httpUrl}/widget.js" data-token-url="/token" data-skill="sales"></script></body></html>`);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (site ? site.close(r) : r()));
  await broker?.stop();
});

test('the widget with a token from the integrator, the console with a pasted token; the console pages history back', async () => {
  const visitor = await (await browser.newContext()).newPage();
  visitor.setDefaultTimeout(15000);
  await visitor.goto(`http://localhost:${site.address().port}/`);
  await visitor.getByTestId('parley-launcher').click();
  await visitor.getByTestId('parley-input').fill('Signed in and asking');
  await visitor.getByTestId('parley-send').click();
  await visitor.locator('[data-testid="parley-message"][data-author="me"][data-seq]').waitFor();

  // The same visitor, from another device, writes a lot: the console then pages the start back in.
  const jo = new ParleyClient({ url: broker.wsUrl, WebSocket, token: jwt({ sub: 'visitor-jo', role: 'consumer', name: 'Jo Token' }) });
  await jo.connect();
  const { data } = await jo.call('listConversations', {});
  for (let i = 1; i <= 45; i++) await jo.sendMessage(data[0].id, `Detail ${i}`);
  await jo.close();

  const agent = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  agent.setDefaultTimeout(15000);
  await agent.goto(`${broker.httpUrl}/console/`);
  await agent.locator('#mode-token').click();
  await agent.locator('#login-token').fill(jwt({ sub: 'tara', role: 'agent', name: 'Tara Quinn', skills: ['sales'] }));
  await agent.getByTestId('console-login').click();
  await agent.getByTestId('inbox-item').filter({ hasText: 'Detail 45' }).click();
  const first = agent.getByTestId('console-message').filter({ hasText: 'Signed in and asking' });
  await agent.getByTestId('console-message').filter({ hasText: 'Detail 45' }).waitFor();
  assert.equal(await first.count(), 0, 'the first message is beyond the first page');
  // Scrolling to the top pages back, as a reader does.
  await agent.locator('#timeline').hover();
  await agent.mouse.wheel(0, -20000);
  await first.waitFor();
  const seqs = await agent.getByTestId('console-message').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.equal(new Set(seqs).size, 46);
  await agent.getByTestId('console-accept').click();
  await agent.getByTestId('console-accept').waitFor({ state: 'hidden' });
  await agent.getByTestId('console-input').fill('Hello Jo, Tara here.');
  await agent.getByTestId('console-send').click();
  await visitor.locator('[data-testid="parley-message"][data-author="agent"]').filter({ hasText: 'Tara here' }).waitFor();
  await visitor.getByText('Tara Quinn').first().waitFor();
});
