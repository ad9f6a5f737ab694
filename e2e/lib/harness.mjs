// Test harness for the browser suite: starts the real `linli` binary on a free port with a fresh
// SQLite data dir (dev mode, demo data), launches Debian's Chromium through playwright-core, and
// tears both down after the test file. One server and one browser per test file.

import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The binary under test: `E2E_BINARY` (not `LINLI_*`: those are the server's config), else the debug build in `CARGO_TARGET_DIR` or `target/`. */
export const BINARY =
  process.env.E2E_BINARY ?? join(process.env.CARGO_TARGET_DIR ?? join(REPO_ROOT, 'target'), 'debug', 'linli');
export const ARTIFACTS = join(REPO_ROOT, 'e2e', 'artifacts');
export const CHROMIUM = '/usr/bin/chromium';

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;

/** The two viewports every flow runs at. */
export const VIEWPORTS = [
  {
    name: 'phone',
    options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  },
  {
    name: 'desktop',
    options: { viewport: { width: 1280, height: 800 } },
  },
];

/** The demo operator seeded in dev mode. */
export const DEMO_ADMIN = { phone: '13800000000', password: 'Linli2026' };

/** A free TCP port on 127.0.0.1 (listen on 0, read the port, close). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `target/debug/linli serve` on a free port with a fresh data dir and waits until
 * `/healthz` answers 200 `ok`. Returns `{ baseURL, stop }`.
 */
export async function startServer() {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'linli-e2e-'));
  const baseURL = `http://127.0.0.1:${port}`;
  const child = spawn(BINARY, ['serve'], {
    cwd: dataDir,
    env: {
      ...process.env,
      LINLI_LISTEN: `127.0.0.1:${port}`,
      LINLI_DATA_DIR: dataDir,
      LINLI_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exitedPromise = new Promise((r) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      r();
    });
  });
  child.on('error', (err) => {
    output += `\nspawn error: ${err.message}`;
  });

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`linli exited before it was ready (${JSON.stringify(exited)}):\n${output}`);
    }
    try {
      const res = await fetch(`${baseURL}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200 && (await res.text()).trim() === 'ok') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`linli did not answer /healthz within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await sleep(READY_POLL_MS);
  }
  return { baseURL, stop, output: () => output };
}

/** Launches headless Chromium from Debian's package. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
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

/**
 * Registers `before`/`after` hooks for the calling test file (or suite) that start a server and
 * a browser. The returned object is filled in once `before` has run.
 */
export function useApp() {
  const app = {
    baseURL: '',
    browser: null,
    server: null,
    /** A new isolated browser context (own cookies) at a viewport, zh-CN, Shanghai time. */
    async newContext(viewport) {
      const ctx = await app.browser.newContext({
        ...viewport.options,
        baseURL: app.baseURL,
        locale: 'zh-CN',
        timezoneId: 'Asia/Shanghai',
      });
      ctx.setDefaultTimeout(10_000);
      ctx.setDefaultNavigationTimeout(15_000);
      return ctx;
    },
    /** A page in a new context; close its context with `page.context().close()`. */
    async newPage(viewport) {
      const ctx = await app.newContext(viewport);
      return ctx.newPage();
    },
  };
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app.server = await startServer();
    app.baseURL = app.server.baseURL;
    try {
      app.browser = await launchBrowser();
    } catch (e) {
      await app.server.stop();
      throw e;
    }
  });
  after(async () => {
    if (app.browser) await app.browser.close().catch(() => {});
    if (app.server) await app.server.stop();
  });
  return app;
}

/** Runs `fn(page)` in a fresh context at `viewport` and always closes the context. */
export async function withPage(app, viewport, fn) {
  const ctx = await app.newContext(viewport);
  try {
    const page = await ctx.newPage();
    return await fn(page, ctx);
  } finally {
    await ctx.close();
  }
}

/**
 * Saves what a person sees (the viewport) as `e2e/artifacts/<name>.png` and, when the page is
 * taller than the viewport, the whole page as `<name>-full.png`. (In a full-page shot, fixed
 * elements such as the phone tab bar appear where the first screen ends, not at the bottom.)
 */
export async function screenshot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  const taller = await page.evaluate(() => document.documentElement.scrollHeight > window.innerHeight + 1);
  if (taller) await page.screenshot({ path: join(ARTIFACTS, `${name}-full.png`), fullPage: true });
  return path;
}

const usedTails = new Set();

/** A fresh mainland mobile number, `139` + 8 random digits, with a last-4 tail unique in this process. */
export function randomPhone() {
  for (;;) {
    const phone = `139${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
    const tail = phone.slice(-4);
    if (!usedTails.has(tail)) {
      usedTails.add(tail);
      return phone;
    }
  }
}

/** How the pages mask a phone: first 3 and last 4 digits kept. */
export function maskPhone(phone) {
  return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

/** The path (plus query) of the page's current URL. */
export function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

/** Waits until the page's path equals `path` (query ignored unless given). */
export async function waitForPath(page, path) {
  await page.waitForURL((u) => (path.includes('?') ? u.pathname + u.search : u.pathname) === path);
}

/** Trimmed text of the first element matching `selector`. */
export async function textOf(page, selector) {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

/** Clicks `selector` and waits for the navigation it starts; returns the main response. */
export async function clickAndNavigate(page, selector) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator(selector).click(),
  ]);
  return response;
}

/** Registers a new account through `/register`; the page ends on `/me`, signed in. */
export async function register(page, { phone, password = 'Secret123', nickname } = {}) {
  await page.goto('/register');
  await page.locator('#phone').fill(phone);
  await page.locator('#password').fill(password);
  await page.locator('#password-confirm').fill(password);
  if (nickname) await page.locator('#nickname').fill(nickname);
  const response = await clickAndNavigate(page, '#register-submit');
  return response;
}

/** Signs in with the password form at `/login`. */
export async function loginPassword(page, phone, password, next) {
  await page.goto(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
  await page.locator('#phone').fill(phone);
  await page.locator('#password').fill(password);
  return clickAndNavigate(page, '#login-submit');
}

/** Clicks the top bar's `#logout` button; the page ends on `/login`. */
export async function logout(page) {
  const response = await clickAndNavigate(page, '#logout');
  await waitForPath(page, '/login');
  return response;
}

/**
 * Reads the newest login code sent to `phone` from the dev SMS inbox at `/dev/sms`, using a
 * separate page of the same context.
 */
export async function readSmsCode(context, phone) {
  const inbox = await context.newPage();
  try {
    const res = await inbox.goto('/dev/sms');
    if (!res || res.status() !== 200) throw new Error(`/dev/sms answered ${res && res.status()}`);
    const body = inbox.locator(`li.sms[data-tail="${phone.slice(-4)}"] .sms-body`).first();
    const text = (await body.textContent()) ?? '';
    const m = text.match(/(?<!\d)(\d{6})(?!\d)/);
    if (!m) throw new Error(`no 6-digit code in SMS: ${text}`);
    return { code: m[1], text: text.trim() };
  } finally {
    await inbox.close();
  }
}
