// The visitor (the demo shop's widget) and agents (the console) in real
// Chromium, on two broker nodes sharing one private Redis: the visitor's page
// and one agent on node 1, the first agent on node 2, so every step also
// crosses nodes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, startRedis, webDir } from '../support/broker.mjs';
import { devClient } from '../support/sdk.mjs';
import { launchBrowser, watchPage, screenshot, everything, signIn, pageUrl } from './browser.mjs';

const WAIT = 15000;
let redis, node1, node2, browser;
let visitorContext, visitor, alice, bob;
const problems = {};
const others = [];

/** A locator whose text is exactly `text` (a string) or matches it (a RegExp). */
function withText(locator, text) {
  return locator.filter({ hasText: typeof text === 'string' ? new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) : text });
}

function visitorMessages() {
  return visitor.locator('[data-testid="parley-message"][data-author]:not([data-author="system"])');
}

async function visitorSeqs() {
  return visitorMessages().evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
}

before(async () => {
  redis = await startRedis();
  const args = ['--dev', '--redis', redis.url, '--web-root', webDir];
  [node1, node2] = await Promise.all([startBroker({ args }), startBroker({ args })]);
  browser = await launchBrowser();

  // Two visitors already waiting in the queue, so the inbox has company.
  for (const [id, name, text] of [
    ['visitor-marta', 'Marta Lindqvist', 'Do you ship to Norway? And how long does it take?'],
    ['visitor-sam', 'Sam Okafor', 'My order #1042 has not arrived yet.'],
  ]) {
    const c = devClient(node2.wsUrl, id, 'consumer', { dev: { userId: id, role: 'consumer', name } });
    await c.connect();
    const conv = await c.call('createConversation', { displayName: name, skillId: 'sales', channel: 'web', postSurvey: true });
    await c.sendMessage(conv.id, text);
    others.push(c);
  }

  visitorContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  visitorContext.setDefaultTimeout(WAIT);
  visitor = await visitorContext.newPage();
  const visitorProblems = watchPage(visitor, 'visitor');

  const aliceContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  aliceContext.setDefaultTimeout(WAIT);
  alice = await aliceContext.newPage();
  const aliceProblems = watchPage(alice, 'alice');

  const bobContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  bobContext.setDefaultTimeout(WAIT);
  bob = await bobContext.newPage();
  const bobProblems = watchPage(bob, 'bob');
  problems.visitor = visitorProblems;
  problems.alice = aliceProblems;
  problems.bob = bobProblems;
});

after(async () => {
  await browser?.close();
  for (const c of others) await c.close();
  await Promise.all([node1?.stop(), node2?.stop()]);
  await redis?.stop();
});

test('the visitor writes; the agent sees it arrive in the inbox live, accepts it and replies', async () => {
  await alice.goto(pageUrl(node2, '/console/'));
  await signIn(alice, 'alice', 'sales', { name: 'Alice Martin' });
  await withText(alice.getByTestId('inbox-count'), '2').waitFor();
  await alice.getByTestId('inbox-item').nth(1).waitFor();

  await visitor.goto(pageUrl(node1, '/?visitor=visitor-ann&name=Ann%20Carter'));
  await visitor.getByTestId('parley-launcher').click();
  await visitor.getByTestId('parley-input').fill('Hello! Is the Harvest Oolong in stock?');
  await visitor.getByTestId('parley-send').click();
  await visitor.locator('[data-testid="parley-message"][data-author="me"][data-seq]').waitFor();

  const item = alice.getByTestId('inbox-item').filter({ hasText: 'Harvest Oolong in stock' });
  await item.waitFor();
  await withText(alice.getByTestId('inbox-count'), '3').waitFor();
  await item.click();
  await alice.getByTestId('console-message').filter({ hasText: 'Harvest Oolong in stock' }).waitFor();
  await alice.getByTestId('console-accept').click();
  await alice.getByTestId('console-accept').waitFor({ state: 'hidden' });
  // Accepted: it leaves "unassigned" and counts under "mine".
  await item.waitFor({ state: 'detached' });
  await withText(alice.locator('[data-count="mine"]'), '1').waitFor();
  assert.deepEqual([...problems.visitor, ...problems.alice], []);
});

test('the visitor sees the agent typing, then the reply; the agent sees the read receipt', async () => {
  await alice.getByTestId('console-input').pressSequentially('Hi Ann, yes', { delay: 20 });
  await visitor.getByTestId('parley-typing').waitFor({ state: 'visible' });
  await alice.getByTestId('console-input').pressSequentially(': we have plenty of it.');
  await alice.getByTestId('console-send').click();
  const reply = visitor.locator('[data-testid="parley-message"][data-author="agent"]').filter({ hasText: 'we have plenty of it' });
  await reply.waitFor();
  await visitor.getByTestId('parley-typing').waitFor({ state: 'hidden' });
  // The panel is open, so the visitor has read it: the console says so.
  await alice.getByTestId('console-receipt').waitFor();
  const seq = Number(await reply.getAttribute('data-seq'));
  assert.equal(await alice.locator(`[data-testid="console-message"][data-seq="${seq}"] [data-testid="console-receipt"]`).count(), 1);
});

test('a private message and a note never reach the visitor', async () => {
  await alice.getByTestId('console-input').fill('Internal: check the Rotterdam warehouse first');
  await alice.getByTestId('console-send-private').click();
  await alice.locator('[data-testid="console-message"][data-visibility="agents"]').filter({ hasText: 'Rotterdam warehouse' }).waitFor();
  await alice.getByTestId('console-note-input').fill('Regular customer: offer the 10% loyalty code');
  await alice.getByTestId('console-note-save').click();
  await alice.getByTestId('console-note').filter({ hasText: 'loyalty code' }).waitFor();
  // A public message after both: once the visitor has it, anything before it has arrived too.
  await alice.getByTestId('console-input').fill('Would you like 250 g or 500 g?');
  await alice.getByTestId('console-send').click();
  await visitor.locator('[data-testid="parley-message"][data-author="agent"]').filter({ hasText: 'Would you like 250 g' }).waitFor();
  await visitor.getByTestId('parley-input').fill('500 g please!');
  await visitor.getByTestId('parley-send').click();
  await alice.getByTestId('console-message').filter({ hasText: '500 g please' }).waitFor();

  const all = await everything(visitor);
  assert.ok(!all.includes('Rotterdam'), 'the private message reached the visitor');
  assert.ok(!all.includes('loyalty code'), 'the note reached the visitor');
  await visitor.reload();
  await visitor.getByTestId('parley-launcher').click();
  await visitor.locator('[data-testid="parley-message"]').filter({ hasText: '500 g please' }).waitFor();
  const reloaded = await everything(visitor);
  assert.ok(!reloaded.includes('Rotterdam') && !reloaded.includes('loyalty code'), 'agents-only content in the history');

  // The shop's assistant (a bot member) offers quick replies; the visitor answers with one.
  const conversationId = await alice.locator('#tabs [role="tab"]').getAttribute('data-conversation-id');
  const bot = devClient(node1.wsUrl, 'teabot', 'bot', { dev: { userId: 'teabot', role: 'bot', name: 'Fernhill Assistant' } });
  others.push(bot);
  await bot.connect();
  await bot.call('join', { conversationId });
  await bot.sendMessage(conversationId, 'Shall I put 500 g of Harvest Oolong in your basket?', { quickReplies: ['Yes, add it', 'Not now'] });
  const offer = visitor.locator('[data-testid="parley-message"][data-author="bot"]').filter({ hasText: 'in your basket' });
  await offer.getByTestId('parley-quick-reply').first().waitFor();
  await screenshot(visitor, 'widget');
  await offer.getByTestId('parley-quick-reply').filter({ hasText: 'Yes, add it' }).click();
  await visitor.locator('[data-testid="parley-message"][data-author="me"][data-seq]').filter({ hasText: 'Yes, add it' }).waitFor();
  await alice.locator('[data-testid="console-message"].consumer').filter({ hasText: 'Yes, add it' }).waitFor();
  await alice.getByTestId('console-typing').waitFor({ state: 'hidden' });
  await alice.getByTestId('inbox-filter-open').click();
  await alice.getByTestId('inbox-item').nth(2).waitFor();
  await screenshot(alice, 'console');
});

test('offline for 5 s: the banner shows and goes, and no message is missing or doubled', async () => {
  const before = await visitorSeqs();
  assert.equal(new Set(before).size, before.length);
  await visitorContext.setOffline(true);
  await visitor.getByTestId('parley-banner').waitFor({ state: 'visible' });
  // Meanwhile the agent writes twice and the visitor once (queued by the SDK until the link is back).
  for (const text of ['Packed and ready.', 'It ships tomorrow morning.']) {
    await alice.getByTestId('console-input').fill(text);
    await alice.getByTestId('console-send').click();
    await alice.getByTestId('console-message').filter({ hasText: text }).waitFor();
  }
  await visitor.getByTestId('parley-input').fill('Written while offline');
  await visitor.getByTestId('parley-send').click();
  await new Promise((r) => setTimeout(r, 5000));
  // The link really was down: nothing the agent wrote got through.
  assert.equal(await visitorMessages().filter({ hasText: 'Packed and ready.' }).count(), 0);
  await visitorContext.setOffline(false);
  await visitor.getByTestId('parley-banner').waitFor({ state: 'hidden' });
  await visitor.locator('[data-testid="parley-message"]').filter({ hasText: 'It ships tomorrow morning.' }).waitFor();
  await alice.getByTestId('console-message').filter({ hasText: 'Written while offline' }).waitFor();
  await visitor.locator('[data-testid="parley-message"][data-author="me"][data-seq]').filter({ hasText: 'Written while offline' }).waitFor();

  // The visitor's list is the console's list of messages the visitor may see: same seqs, once each.
  const seen = await visitorSeqs();
  const agentSide = await alice
    .locator('[data-testid="console-message"][data-visibility="all"]')
    .evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
  assert.equal(new Set(seen).size, seen.length, `duplicates: ${seen}`);
  assert.deepEqual(seen, agentSide);
  for (const text of ['Packed and ready.', 'It ships tomorrow morning.', 'Written while offline']) {
    assert.equal(await visitorMessages().filter({ hasText: text }).count(), 1, text);
  }
});

test('transfer to a skill; another agent on the other node takes it, closes it; the survey and its rating reach the console', async () => {
  await bob.goto(pageUrl(node1, '/console/'));
  await signIn(bob, 'bob', 'billing', { name: 'Bob Chen' });
  await withText(bob.getByTestId('inbox-count'), '0').waitFor();

  await alice.getByTestId('console-transfer-skill').fill('billing');
  await alice.getByTestId('console-transfer').click();
  const item = bob.getByTestId('inbox-item').filter({ hasText: 'Ann Carter' });
  await item.waitFor();
  await withText(bob.getByTestId('inbox-count'), '1').waitFor();
  await withText(alice.locator('[data-count="mine"]'), '0').waitFor();
  await item.click();
  await bob.getByTestId('console-accept').click();
  await bob.getByTestId('console-accept').waitFor({ state: 'hidden' });
  await bob.getByTestId('console-input').fill('Hello, Bob from billing here. Your invoice is on its way.');
  await bob.getByTestId('console-send').click();
  await visitor.locator('[data-testid="parley-message"][data-author="agent"]').filter({ hasText: 'Bob from billing' }).waitFor();

  await bob.getByTestId('console-close').click();
  await visitor.getByTestId('parley-csat').waitFor({ state: 'visible' });
  await bob.getByTestId('console-reopen').waitFor({ state: 'hidden' });
  await visitor.getByTestId('parley-csat-rate-5').click();
  await visitor.getByTestId('parley-new-chat').waitFor({ state: 'visible' });
  await bob.getByTestId('console-csat').filter({ hasText: '5/5' }).waitFor();
  await bob.getByTestId('console-reopen').waitFor({ state: 'visible' });
  await withText(bob.locator('[data-count="closed"]'), '1').waitFor();
  assert.deepEqual([...problems.visitor, ...problems.alice, ...problems.bob].filter((p) => !/WebSocket|ERR_INTERNET_DISCONNECTED/.test(p)), []);
});

test('the console: search, several conversations in tabs, the other filters', async () => {
  await alice.getByTestId('console-search').fill('norway');
  const found = alice.getByTestId('inbox-item');
  await withText(alice.getByTestId('inbox-count'), '1').waitFor();
  await found.filter({ hasText: 'Marta Lindqvist' }).click();
  await alice.getByTestId('console-message').filter({ hasText: 'ship to Norway' }).waitFor();
  await alice.locator('#tabs [role="tab"]').nth(1).waitFor();
  assert.equal(await alice.locator('#tabs [role="tab"]').count(), 2, "Ann's and Marta's");
  // Back to Ann's tab: her conversation, closed, with its rating.
  await alice.locator('#tabs [role="tab"]').filter({ hasText: 'Ann Carter' }).locator('.tab-name').click();
  await alice.getByTestId('console-csat').filter({ hasText: '5/5' }).waitFor();

  await alice.getByTestId('console-search').fill('');
  await alice.getByTestId('inbox-filter-open').click();
  await withText(alice.getByTestId('inbox-count'), '2').waitFor();
  await alice.getByTestId('inbox-item').filter({ hasText: 'Sam Okafor' }).waitFor();
  await alice.getByTestId('inbox-filter-closed').click();
  await withText(alice.getByTestId('inbox-count'), '1').waitFor();
  await alice.getByTestId('inbox-item').filter({ hasText: 'Ann Carter' }).waitFor();
  assert.equal(await alice.getByTestId('inbox-item').count(), 1);
});

test('transfer to an agent: the suggested agent accepts it, and the first agent sees who has it', async () => {
  await alice.locator('#tabs [role="tab"]').filter({ hasText: 'Marta Lindqvist' }).locator('.tab-name').click();
  await alice.getByTestId('console-message').filter({ hasText: 'ship to Norway' }).waitFor();
  await alice.getByTestId('console-transfer-agent').fill('bob');
  await alice.getByTestId('console-transfer').click();
  await alice.getByTestId('console-event').filter({ hasText: 'Transferred to Bob Chen' }).waitFor();

  await bob.getByTestId('inbox-filter-open').click();
  await bob.getByTestId('inbox-item').filter({ hasText: 'Marta Lindqvist' }).click();
  await withText(bob.getByTestId('console-accept'), 'Accept transfer').click();
  await bob.getByTestId('console-accept').waitFor({ state: 'hidden' });
  await alice.locator('#conv-sub').filter({ hasText: 'Assigned to Bob Chen' }).waitFor();
  await withText(bob.locator('[data-count="mine"]'), '1').waitFor();
});
