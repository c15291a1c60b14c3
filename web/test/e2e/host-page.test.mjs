// The widget embedded by one <script> tag in a page of another origin whose
// CSS is hostile to everything it can reach: it still renders at its own size,
// works by keyboard, shows quick replies, cards and files, counts unread
// messages, announces them, and keeps its conversation across a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startBroker, webDir } from '../support/broker.mjs';
import { devClient } from '../support/sdk.mjs';
import { launchBrowser, watchPage } from './browser.mjs';

const HOSTILE = `div, button, input, textarea, span, p { display: none !important }
* { font-size: 80px !important; color: red !important }`;

let broker, site, browser, page, agent, conversationId;
let problems = [];

// No data-url: the widget finds the broker's socket from its own script's address.
function hostPage(widgetSrc) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Someone else's shop</title>
<style>${HOSTILE}</style></head>
<body><h1>An integrator's page</h1><p>Text the page hides.</p>
<script type="module" src="${widgetSrc}" data-dev-user="visitor-hostile" data-name="Hostile Page Visitor" data-skill="sales"></script>
</body></html>`;
}

before(async () => {
  broker = await startBroker({ args: ['--dev', '--web-root', webDir] });
  const widgetSrc = `${broker.httpUrl}/widget.js`;
  site = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(hostPage(widgetSrc));
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  context.setDefaultTimeout(15000);
  page = await context.newPage();
  problems = watchPage(page, 'host page');
  agent = devClient(broker.wsUrl, 'kim', 'agent', { dev: { userId: 'kim', role: 'agent', name: 'Kim Park' } });
  await agent.connect();
});

after(async () => {
  await browser?.close();
  await agent?.close();
  await new Promise((r) => (site ? site.close(r) : r()));
  await broker?.stop();
});

test('on another origin with hostile CSS the widget renders at its own size and works by keyboard', async () => {
  // localhost, not 127.0.0.1: another origin than the broker's.
  await page.goto(`http://localhost:${site.address().port}/`);
  const launcher = page.getByTestId('parley-launcher');
  await launcher.waitFor({ state: 'visible' });
  const box = await launcher.boundingBox();
  assert.equal(Math.round(box.width), 60);
  assert.equal(Math.round(box.height), 60);

  await launcher.focus();
  await page.keyboard.press('Enter');
  const input = page.getByTestId('parley-input');
  await input.waitFor({ state: 'visible' });
  const panel = await page.locator('#parley-panel').boundingBox();
  assert.equal(Math.round(panel.width), 370);
  assert.equal(Math.round(panel.height), 560);
  assert.equal(await input.evaluate((el) => el === el.getRootNode().activeElement), true, 'the input has the focus');
  await page.keyboard.type('Typed on a hostile page');
  await page.keyboard.press('Enter');
  const mine = page.locator('[data-testid="parley-message"][data-author="me"][data-seq]');
  await mine.waitFor();
  const style = await mine.locator('.bubble').evaluate((el) => {
    const s = getComputedStyle(el);
    return { fontSize: s.fontSize, color: s.color, display: s.display };
  });
  assert.deepEqual(style, { fontSize: '14px', color: 'rgb(255, 255, 255)', display: 'block' });
});

test('quick replies, a card and a file from the agent; unread count and the live region', async () => {
  const list = await agent.call('listConversations', { filter: { state: 'OPEN' } });
  conversationId = list.data[0].id;
  await agent.call('assign', { conversationId, userId: 'kim' });
  await agent.sendMessage(conversationId, 'Shall I send you our catalogue?', { quickReplies: ['Yes please', { title: 'No thanks', value: 'no' }] });
  await page.getByTestId('parley-quick-reply').filter({ hasText: 'Yes please' }).click();
  await page.locator('[data-testid="parley-message"][data-author="me"]').filter({ hasText: 'Yes please' }).waitFor();
  assert.equal(await page.getByTestId('parley-quick-reply').count(), 0, 'answered quick replies go');

  await agent.call('sendRichContent', {
    conversationId,
    content: { type: 'card', title: 'Autumn catalogue', text: 'Forty teas, with brewing notes.', buttons: [{ title: 'Open it', url: 'https://example.com/catalogue' }] },
  });
  await agent.call('sendFile', { conversationId, url: 'https://example.com/catalogue.pdf', name: 'catalogue.pdf', mimeType: 'application/pdf', size: 2400000 });
  await page.getByRole('link', { name: 'Open it' }).waitFor();
  const file = page.locator('a.file');
  await file.waitFor();
  assert.equal(await file.getAttribute('href'), 'https://example.com/catalogue.pdf');

  // Closed panel: new messages count on the launcher and are announced.
  await page.keyboard.press('Escape');
  await page.getByTestId('parley-input').waitFor({ state: 'hidden' });
  await agent.sendMessage(conversationId, 'It is in your inbox now.');
  await agent.sendMessage(conversationId, 'Anything else?');
  const unread = page.getByTestId('parley-unread');
  await unread.filter({ hasText: /^2$/ }).waitFor();
  const live = await page.locator('[aria-live="polite"]').last().textContent();
  assert.match(live, /Anything else\?/);
  await page.getByTestId('parley-launcher').click();
  await unread.waitFor({ state: 'hidden' });
});

test('the conversation survives a reload', async () => {
  const seqs = () =>
    page.locator('[data-testid="parley-message"][data-seq]').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
  const before = await seqs();
  await page.reload();
  await page.getByTestId('parley-launcher').click();
  await page.locator('[data-testid="parley-message"]').filter({ hasText: 'Anything else?' }).waitFor();
  assert.deepEqual(await seqs(), before);
  await page.getByTestId('parley-input').fill('Back after a reload');
  await page.getByTestId('parley-send').click();
  await page.locator('[data-testid="parley-message"][data-seq]').filter({ hasText: 'Back after a reload' }).waitFor();
  const { data } = await agent.call('queryMessages', { conversationId, order: 'desc', limit: 1 });
  assert.equal(data[0].body.text, 'Back after a reload');
  assert.deepEqual(problems, []);
});

test('history pages back: older messages come on demand, in order, once each', async () => {
  const line = (i) => page.locator('[data-testid="parley-message"] .text').filter({ hasText: new RegExp(`^Line ${i}$`) });
  for (let i = 1; i <= 35; i++) await agent.sendMessage(conversationId, `Line ${i}`);
  await line(35).waitFor();
  await page.reload();
  await page.getByTestId('parley-launcher').click();
  await line(35).waitFor();
  const first = page.locator('[data-testid="parley-message"]').filter({ hasText: 'Typed on a hostile page' });
  assert.equal(await first.count(), 0, 'the first message is beyond the first page');
  // "Show earlier messages" (its button is at the top, so reaching it by scrolling pages back just the same).
  await page.getByRole('button', { name: 'Show earlier messages' }).dispatchEvent('click');
  await first.waitFor();
  const seqs = await page.locator('[data-testid="parley-message"][data-seq]').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in seq order');
  assert.equal(new Set(seqs).size, seqs.length, 'once each');
  for (let i = 1; i <= 35; i++) assert.equal(await line(i).count(), 1, `Line ${i}`);
});
