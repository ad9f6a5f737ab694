// Money, end to end in real Chromium against the real binary (dev mode: the sandbox payment
// provider is served in-process under /sandbox-psp and its notifications come back signed):
// a customer books and pays at the sandbox cashier, the signed notification marks the order
// paid, the provider accepts, checks in, works through the visit and completes it, the customer confirms, the settlement
// job makes the earnings available, the provider withdraws them, the operator approves, the
// payout lands, and the trial balance still sums to ¥0.00.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEMO_ADMIN,
  VIEWPORTS,
  clickAndNavigate,
  loginPassword,
  randomPhone,
  register,
  screenshot,
  textOf,
  useApp,
  waitForPath,
} from '../lib/harness.mjs';

const app = useApp();
const PROVIDER = { phone: '13600000001', password: 'Linli2026', shop: '张阿姨家政' };
const [PHONE, DESKTOP] = VIEWPORTS;
const MINUTE = 60_000;

/** A fresh customer with an address in 黄浦区, which the demo provider serves. */
async function customer(page) {
  await register(page, { phone: randomPhone() });
  await waitForPath(page, '/me');
  await page.goto('/me/addresses/new');
  await page.locator('#district').selectOption('310101');
  await page.locator('#detail').fill('南京东路 100 号 1201 室');
  await page.locator('#contact-name').fill('王小明');
  await page.locator('#contact-phone').fill(randomPhone());
  await clickAndNavigate(page, '#address-submit');
  await waitForPath(page, '/me/addresses');
}

/** On a booking page: picks the first day with free times and shows them. */
async function showFirstDayWithSlots(page) {
  const days = await page.locator('#book-date option').evaluateAll((os) => os.map((o) => o.value));
  for (const day of days.slice(1)) {
    await page.locator('#book-date').selectOption(day);
    await clickAndNavigate(page, '#book-find');
    if ((await page.locator('#book-slots input').count()) > 0) return day;
  }
  throw new Error('no bookable day in the horizon');
}

/** A service of the demo provider that waits for acceptance (found from the home page). */
async function serviceNeedingAcceptance(page) {
  await page.goto('/');
  await page.locator('#home-q').fill('保洁');
  await Promise.all([page.waitForNavigation(), page.locator('#home-q').press('Enter')]);
  const card = page.locator('a[href^="/services/"]', { hasText: PROVIDER.shop }).first();
  await page.goto(await card.getAttribute('href'));
  await clickAndNavigate(page, '#provider-link');
  const all = await page
    .locator('a[href^="/services/"]')
    .evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
  for (const href of all) {
    await page.goto(href);
    await clickAndNavigate(page, '#book-now');
    await showFirstDayWithSlots(page);
    if ((await page.locator('#book-instant').count()) === 0) return href;
  }
  throw new Error('the demo provider has no service that needs acceptance');
}

/** A real 2×2 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==',
  'base64',
);

/** On the provider's order page: checks in at the address (browser geolocation), enters the
 * code the customer's page shows, and ticks the checklist (a photo where required). */
async function serveVisit(pro, providerCtx, customerPage, orderPath) {
  const visit = pro.locator('#order-visit');
  const lat = Number(await visit.getAttribute('data-lat-micro')) / 1e6;
  const lng = Number(await visit.getAttribute('data-lng-micro')) / 1e6;
  await providerCtx.grantPermissions(['geolocation']);
  await providerCtx.setGeolocation({ latitude: lat, longitude: lng, accuracy: 10 });
  await pro.reload();
  await pro.locator('#checkin-form[data-located="1"]').waitFor();
  await clickAndNavigate(pro, '#order-start');
  assert.equal(await status(pro), 'in_service');
  await customerPage.goto(orderPath);
  const code = await textOf(customerPage, '#service-code');
  await pro.locator('#service-code-input').fill(code);
  await clickAndNavigate(pro, '#service-code-submit');
  for (;;) {
    const form = pro.locator('#visit-checklist form.checklist-form').first();
    if ((await form.count()) === 0) break;
    const file = form.locator('input[type=file]');
    if ((await file.count()) > 0) {
      await file.setInputFiles({ name: 'done.png', mimeType: 'image/png', buffer: PNG });
    }
    await Promise.all([pro.waitForNavigation(), form.locator('button').click()]);
  }
}

async function status(page) {
  return page.locator('#order-status').getAttribute('data-status');
}

/** Reloads until `check()` is true (the server's job runner and the sandbox work in the background). */
async function eventually(page, what, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    assert.ok(Date.now() < deadline, `${what} did not happen in time`);
    await page.waitForTimeout(300);
    await page.reload();
  }
}

/** Moves the server's dev clock forward by `minutes` (in steps the API accepts). */
async function advanceClock(page, minutes) {
  let left = Math.max(1, Math.ceil(minutes));
  let now = 0;
  while (left > 0) {
    const step = Math.min(left, 10_080);
    const res = await page.request.post('/api/v1/dev/clock', { data: { minutes: step } });
    assert.equal(res.status(), 200, await res.text());
    now = (await res.json()).now_ms;
    left -= step;
  }
  return now;
}

const fen = async (page, id) => Number(await page.locator(`#${id}`).getAttribute('data-fen'));
const yuan = (f) => `¥${(f / 100).toFixed(2)}`;

describe('money', () => {
  test('pay at the sandbox cashier, serve, confirm, settle, withdraw, approve: the ledger still balances', async () => {
    const customerCtx = await app.newContext(PHONE);
    const providerCtx = await app.newContext(DESKTOP);
    const adminCtx = await app.newContext(DESKTOP);
    try {
      // ---- the customer books and pays (phone) -------------------------------------------
      const page = await customerCtx.newPage();
      await customer(page);
      const service = await serviceNeedingAcceptance(page);
      await page.goto(service);
      await clickAndNavigate(page, '#book-now');
      assert.equal(await page.locator('#book-steps li').count(), 3, 'three steps');
      await showFirstDayWithSlots(page);
      const time = await page.locator('#book-slots input').first().getAttribute('value');
      await page.locator(`#book-slots input[value="${time}"]`).check();
      await clickAndNavigate(page, '#book-submit');
      const orderPath = new URL(page.url()).pathname;
      assert.match(orderPath, /^\/orders\//);
      const orderId = orderPath.split('/')[2];
      assert.equal(await status(page), 'pending_payment');
      const total = await textOf(page, '#order-total');
      assert.match(total, /^¥\d+\.\d{2}$/);

      await clickAndNavigate(page, '#order-pay');
      assert.match(new URL(page.url()).pathname, /^\/sandbox-psp\/cashier\//, 'at the sandbox cashier');
      assert.equal(await textOf(page, '#amount'), total, 'the cashier asks for the order total');
      await screenshot(page, 'money-cashier-phone');
      await clickAndNavigate(page, '#pay');
      assert.equal(new URL(page.url()).pathname, orderPath, 'back on the order after paying');
      await eventually(page, 'the payment notification', async () => (await status(page)) === 'awaiting_acceptance');
      assert.ok((await page.locator('#order-timeline').innerText()).includes('完成支付'));
      assert.equal(await page.locator('#order-pay').count(), 0, 'no pay button once paid');
      assert.equal(await textOf(page, '#order-paid'), total, 'what was paid is shown');
      await screenshot(page, 'money-order-paid-phone');

      // ---- the provider accepts, starts and completes (desktop) --------------------------
      const pro = await providerCtx.newPage();
      await loginPassword(pro, PROVIDER.phone, PROVIDER.password);
      await pro.goto('/pro/orders');
      await clickAndNavigate(pro, `#requests li[data-id="${orderId}"] button.accept`);
      await pro.goto(orderPath);
      assert.equal(await status(pro), 'accepted');
      assert.equal(await pro.locator('#order-start').count(), 0, 'too early to start');

      // Start is allowed from an hour before the start time: move the clock to 30 min before.
      const startMs = Number(await pro.locator('#order-summary').getAttribute('data-start-ms'));
      const nowMs = await advanceClock(pro, 1);
      await advanceClock(pro, (startMs - 30 * MINUTE - nowMs) / MINUTE);
      const day = new Date(startMs + 8 * 3_600_000).toISOString().slice(0, 10);
      await pro.goto(`/pro/orders?view=day&from=${day}`);
      const job = pro.locator(`.job-row[data-id="${orderId}"]`);
      assert.ok(await job.isVisible(), 'the job is on the calendar');
      // Check-in is on the order page: the phone's position, the customer's service code and
      // the checklist (tests/visits.test.mjs covers the refusals).
      await clickAndNavigate(pro, `.job-row[data-id="${orderId}"] a.start`);
      assert.equal(new URL(pro.url()).pathname, orderPath);
      await serveVisit(pro, providerCtx, page, orderPath);
      await pro.goto(`/pro/orders?view=day&from=${day}`);
      assert.ok(await pro.locator(`.job-row[data-id="${orderId}"] button.complete`).isVisible(), 'now it can be completed');
      await screenshot(pro, 'money-pro-calendar-in-service');
      await pro.goto(orderPath);
      assert.equal(await status(pro), 'in_service');
      await clickAndNavigate(pro, '#order-complete');
      assert.equal(await status(pro), 'completed');

      // ---- the customer confirms --------------------------------------------------------
      await page.goto(orderPath);
      assert.ok(await page.locator('#confirm-hint').isVisible());
      await clickAndNavigate(page, '#order-confirm');
      assert.equal(await status(page), 'confirmed');
      assert.ok((await page.locator('#order-timeline').innerText()).includes('确认完成'));

      // ---- pending, then available after the settlement delay (a job) ---------------------
      await pro.goto('/pro/earnings');
      const share = await fen(pro, 'earnings-pending');
      assert.ok(share > 0, 'released to pending');
      assert.equal(await fen(pro, 'earnings-available'), 0);
      await advanceClock(pro, 24 * 60 + 2);
      await eventually(pro, 'settlement', async () => (await fen(pro, 'earnings-available')) === share);
      assert.equal(await fen(pro, 'earnings-pending'), 0);
      assert.equal(await textOf(pro, '#earnings-available'), yuan(share));
      const entries = await pro.locator('#entries').innerText();
      assert.ok(entries.includes('确认完成结算') && entries.includes('结算到可提现'), entries);
      assert.ok(entries.includes(`+${yuan(share)}`), 'the release is shown as a credit');
      assert.ok((await pro.locator('#chart-income rect.bar').count()) === 30, 'a bar per day');
      assert.ok((await pro.locator('#top-income').innerText()).length > 0);

      // ---- payout account and withdrawal ---------------------------------------------------
      assert.ok(await pro.locator('#payout-account-none').isVisible());
      await pro.locator('#account-kind').selectOption('bank_card');
      await pro.locator('#account-no').fill('6222 0202 0202 0202');
      await pro.locator('#holder-name').fill('张阿姨');
      await clickAndNavigate(pro, '#account-save');
      assert.equal(await textOf(pro, '#payout-account-current'), '银行卡 ****0202 张阿姨');
      assert.ok((await textOf(pro, '#withdraw-rules')).includes('¥10.00'), 'minimum shown');
      assert.equal(await pro.locator('#withdraw-amount').inputValue(), (share / 100).toFixed(2));
      await clickAndNavigate(pro, '#withdraw-submit');
      const flash = (await pro.locator('#flash').count()) ? await textOf(pro, '#flash') : '';
      assert.equal(await fen(pro, 'earnings-withdrawing'), share, `after withdrawing: ${flash}`);
      assert.equal(await fen(pro, 'earnings-available'), 0);
      const row = pro.locator('#withdrawals tbody tr').first();
      assert.equal(await row.getAttribute('data-status'), 'requested');
      assert.ok((await row.innerText()).includes('待审核'));
      const withdrawalId = await row.getAttribute('data-id');
      await screenshot(pro, 'money-earnings-withdrawing-desktop');

      // ---- the operator approves; the payout lands -----------------------------------------
      const admin = await adminCtx.newPage();
      await loginPassword(admin, DEMO_ADMIN.phone, DEMO_ADMIN.password);
      const queue = await admin.goto('/admin/finance/withdrawals');
      assert.equal(queue.status(), 200, 'the admin withdrawal queue exists');
      await clickAndNavigate(admin, `button[data-approve="${withdrawalId}"]`);
      await pro.goto('/pro/earnings');
      await eventually(pro, 'the payout', async () => (await fen(pro, 'earnings-withdrawn')) === share);
      assert.equal(await fen(pro, 'earnings-withdrawing'), 0);
      assert.equal(await pro.locator('#withdrawals tbody tr').first().getAttribute('data-status'), 'paid');
      assert.ok((await pro.locator('#withdrawals').innerText()).includes('已到账'));
      assert.equal(await textOf(pro, '#earnings-withdrawn'), yuan(share));
      await screenshot(pro, 'money-earnings-withdrawn-desktop');

      await admin.goto('/admin/finance');
      assert.ok((await textOf(admin, '#trial-total')).includes('¥0.00'), 'the trial balance sums to zero');
      await screenshot(admin, 'money-admin-trial-balance');

      // The same earnings page at a phone's width.
      const phonePro = await app.newContext(PHONE);
      try {
        const p2 = await phonePro.newPage();
        await loginPassword(p2, PROVIDER.phone, PROVIDER.password);
        await p2.goto('/pro/earnings');
        assert.equal(await fen(p2, 'earnings-withdrawn'), share);
        await screenshot(p2, 'money-earnings-phone');
      } finally {
        await phonePro.close();
      }
    } finally {
      await customerCtx.close();
      await providerCtx.close();
      await adminCtx.close();
    }
  });
});
