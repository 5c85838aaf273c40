// Shared pieces of the browser tests: Debian's Chromium, headless, with the flags that keep it
// off the (closed) network, a login helper, and screenshots kept as test artefacts.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ARTIFACTS = process.env.CHISO_E2E_ARTIFACTS
  || join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
export const PASSWORD = 'chiso-demo-2026';

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

/** A fresh context (cookie jar) and page; phone-sized when asked. */
export async function newPage(browser, { phone = false } = {}) {
  const context = await browser.newContext(phone
    ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
    : { viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  return page;
}

export async function login(page, base, username, password = PASSWORD) {
  await page.goto(`${base}/dang-nhap`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/dang-nhap"] button[type=submit]')]);
  if (page.url().includes('/dang-nhap')) throw new Error(`login as ${username} failed`);
}

export async function logout(page) {
  await page.click('form[action="/dang-xuat"] button');
  await page.waitForURL(/dang-nhap/);
}

export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** How many pixels the page is wider than the screen (0 when nothing scrolls sideways). */
export async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Runs a story: prints the error and exits 1 on failure, always closes the browser. */
export async function run(story) {
  const base = process.argv[2];
  if (!base) { console.error('usage: node <story>.mjs http://127.0.0.1:PORT'); process.exit(2); }
  const browser = await launch();
  try {
    await story(browser, base.replace(/\/$/, ''));
    console.log('story passed');
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
