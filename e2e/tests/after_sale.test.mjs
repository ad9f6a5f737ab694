// After-sale (售后), end to end in real Chromium against the real binary (dev mode): an order is
// booked, paid (dev API) and completed over the API; the customer opens an after-sale request
// with a photo on the order page (phone); the provider does not answer; the dev clock passes the
// 48 h SLA; the job accepts the request and the customer sees the refund on the order page; the
// operator's trial balance still sums to ¥0.00 (desktop).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_ADMIN, VIEWPORTS, clickAndNavigate, loginPassword, screenshot, textOf, useApp } from '../lib/harness.mjs';

const app = useApp();
const PASSWORD = 'Linli2026';
const CUSTOMER = '13900000001';
const PROVIDER = '13600000001';
const [PHONE, DESKTOP] = VIEWPORTS;
const MINUTE = 60_000;

/** A real 2×2 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==',
  'base64',
);

/** JSON API call with a bearer token; asserts the status. */
async function api(request, method, path, token, data, expect = 200) {
  const res = await request.fetch(path, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    data,
  });
  assert.equal(res.status(), expect, `${method} ${path}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

async function login(request, phone) {
  return (await api(request, 'POST', '/api/v1/auth/login', null, { phone, password: PASSWORD })).access_token;
}

/** Books one of the demo provider's services for the demo customer and takes it to `completed`. */
async function completedOrder(request) {
  let customer = await login(request, CUSTOMER);
  let provider = await login(request, PROVIDER);
  const address = await api(request, 'POST', '/api/v1/me/addresses', customer, {
    district_code: '310101',
    detail: '南京东路 100 号 1201 室',
    contact_name: '王小明',
    contact_phone: '13912345678',
  }, 201);
  const listings = (await api(request, 'GET', '/api/v1/provider/listings', provider)).filter((l) => l.status === 'published');
  let order = null;
  for (const l of listings) {
    for (let d = 2; d <= 10 && !order; d++) {
      const date = new Date(Date.now() + d * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
      const res = await request.get(`/api/v1/listings/${l.id}/slots?address=${address.id}&date=${date}`, {
        headers: { authorization: `Bearer ${customer}` },
      });
      if (res.status() !== 200) continue;
      const slots = await res.json();
      if (!slots.served || slots.times.length === 0) continue;
      order = await api(request, 'POST', '/api/v1/orders', customer, { listing: l.id, address: address.id, date, time: slots.times[0] }, 201);
    }
    if (order) break;
  }
  assert.ok(order, 'a bookable service of the demo provider');
  const paid = await api(request, 'POST', `/api/v1/dev/orders/${order.id}/pay`, customer, {});
  if (paid.status === 'awaiting_acceptance') {
    await api(request, 'POST', `/api/v1/provider/orders/${order.id}/accept`, provider, {});
  }
  // Start is allowed from an hour before: move the dev clock to 30 minutes before the start.
  const now = (await api(request, 'POST', '/api/v1/dev/clock', null, { minutes: 1 })).now_ms;
  let left = Math.ceil((order.start_ms - 30 * MINUTE - now) / MINUTE);
  while (left > 0) {
    const step = Math.min(left, 10_080);
    await api(request, 'POST', '/api/v1/dev/clock', null, { minutes: step });
    left -= step;
  }
  customer = await login(request, CUSTOMER);
  provider = await login(request, PROVIDER);
  await api(request, 'POST', `/api/v1/provider/orders/${order.id}/check-in`, provider, {
    lat_micro: 31_234_000,
    lng_micro: 121_475_000,
    reason: '测试打卡',
  });
  const visit = await api(request, 'GET', `/api/v1/orders/${order.id}/visit`, customer);
  const coded = await api(request, 'POST', `/api/v1/provider/orders/${order.id}/service-code`, provider, { code: visit.service_code });
  for (const item of coded.checklist) {
    const res = await request.post(`/api/v1/provider/orders/${order.id}/checklist/${item.index}`, {
      headers: { authorization: `Bearer ${provider}`, 'content-type': 'image/png' },
      data: item.photo_required ? PNG : Buffer.alloc(0),
    });
    assert.equal(res.status(), 200, await res.text());
  }
  const done = await api(request, 'POST', `/api/v1/provider/orders/${order.id}/complete`, provider, {});
  assert.equal(done.status, 'completed');
  return order;
}

/** Reloads `path` until `check` holds (jobs run in the background). */
async function eventually(page, path, what, check) {
  for (let i = 0; i < 40; i++) {
    await page.goto(path);
    if (await check()) return;
    await page.waitForTimeout(500);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('after-sale', () => {
  test('a request with a photo the provider leaves unanswered is refunded when the SLA passes', async () => {
    const customerCtx = await app.newContext(PHONE);
    const adminCtx = await app.newContext(DESKTOP);
    try {
      const page = await customerCtx.newPage();
      const order = await completedOrder(page.request);
      const orderPath = `/orders/${order.id}`;

      // ---- the customer asks for a full refund with a photo (phone) ----------------------
      await loginPassword(page, CUSTOMER, PASSWORD);
      await page.goto(orderPath);
      const form = page.locator('#after-sale-form');
      await form.waitFor();
      await page.locator('#after-sale-kind').selectOption('full_refund');
      await page.locator('#after-sale-reason').fill('厨房油污没有清理，和描述不符。');
      await page.locator('#after-sale-photos').setInputFiles({ name: 'kitchen.png', mimeType: 'image/png', buffer: PNG });
      await screenshot(page, 'after-sale-form-phone');
      await clickAndNavigate(page, '#after-sale-submit');
      assert.equal(new URL(page.url()).pathname, orderPath);
      assert.equal(await textOf(page, '#flash'), '售后申请已提交，商家将在 48 小时内答复');
      const item = page.locator('#after-sale-list li').first();
      await item.waitFor();
      assert.equal(await item.getAttribute('data-status'), 'pending');
      const img = item.locator('img.after-sale-photo');
      assert.equal(await img.count(), 1);
      await img.evaluate((el) => (el.complete ? null : new Promise((r) => el.addEventListener('load', r, { once: true }))));
      assert.ok(await img.evaluate((el) => el.naturalWidth > 0), 'the photo loads for the customer');
      await screenshot(page, 'after-sale-pending-phone');

      // ---- nobody answers; the clock passes the 48 h SLA ---------------------------------
      await api(page.request, 'POST', '/api/v1/dev/clock', null, { minutes: 48 * 60 + 5 });
      await eventually(page, orderPath, 'the automatic acceptance', async () =>
        (await page.locator('#after-sale-list li').first().getAttribute('data-status')) === 'resolved');
      const outcome = await textOf(page, '#after-sale-outcome');
      assert.ok(outcome.includes('已退款'), outcome);
      assert.ok(outcome.includes('超时自动同意'), outcome);
      assert.equal(await textOf(page, '#after-sale-award'), await textOf(page, '#order-paid'), 'everything paid comes back');
      assert.ok((await textOf(page, '#order-timeline')).includes('退款'), 'the refund is on the timeline');
      await screenshot(page, 'after-sale-refunded-phone');

      // ---- the books still balance -------------------------------------------------------
      const admin = await adminCtx.newPage();
      await loginPassword(admin, DEMO_ADMIN.phone, DEMO_ADMIN.password);
      await eventually(admin, '/admin/finance', 'the balanced books', async () =>
        (await textOf(admin, '#trial-total')).includes('¥0.00'));
      await admin.goto('/admin/after-sales?status=resolved');
      assert.ok((await admin.locator('#after-sale-queue').innerText()).includes('全额退款'));
      await screenshot(admin, 'after-sale-admin-queue-desktop');
    } finally {
      await customerCtx.close();
      await adminCtx.close();
    }
  });
});
