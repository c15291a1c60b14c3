// Browser end-to-end support: Debian's Chromium driven by playwright-core (no
// browser download), and the screenshots the README shows.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { chromium } from 'playwright-core';

export const chromiumPath = process.env.PARLEY_CHROMIUM || '/usr/bin/chromium';

export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Every page error and console error of a page, for the assertion messages. */
export function watchPage(page, name) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.location()?.url || '')) problems.push(`${name}: console: ${m.text()}`);
  });
  return problems;
}

/**
 * NAME.png in $PARLEY_SCREENSHOTS_DIR when it is set (`PARLEY_SCREENSHOTS_DIR=../docs/img npm test`
 * refreshes the README's pictures), else in the system's temporary folder, so a test run leaves
 * the checkout as it found it.
 */
export async function screenshot(page, name) {
  const dir = process.env.PARLEY_SCREENSHOTS_DIR
    ? path.resolve(process.env.PARLEY_SCREENSHOTS_DIR)
    : path.join(os.tmpdir(), 'parley-screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

/** Everything a page holds as text or markup, the widget's shadow root included. */
export function everything(page) {
  return page.evaluate(() => {
    const parts = [document.documentElement.outerHTML];
    for (const el of document.querySelectorAll('*')) if (el.shadowRoot) parts.push(el.shadowRoot.innerHTML);
    return parts.join('\n');
  });
}

/** Signs in to the console as a dev user. */
export async function signIn(page, userId, skills, { role = 'agent', name = '' } = {}) {
  await page.getByTestId('console-login-user').fill(userId);
  await page.locator('#login-name').fill(name);
  await page.getByTestId('console-login-role').selectOption(role);
  await page.getByTestId('console-login-skills').fill(skills);
  await page.getByTestId('console-login').click();
  await page.getByTestId('console-presence').waitFor();
}

/** The address of one of the web pages a broker node serves. */
export function pageUrl(node, path) {
  return `${node.httpUrl}${path}`;
}
