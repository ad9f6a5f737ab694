// Reviews, end to end in real Chromium against the real binary (dev mode): an order is booked,
// paid (dev API), served and completed over the API; the customer confirms it on the order
// page and reviews it there with a photo (phone); the review appears on the provider's public
// page with the photo and the Bayesian rating; the provider replies from the order page
// (desktop) and the reply shows too; the 有图 filter keeps it, the 1-star filter does not.

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

describe('reviews', () => {
  test('the customer confirms and reviews with a photo; it shows on the provider page with the photo and the reply', async () => {
    const customerCtx = await app.newContext(PHONE);
    const providerCtx = await app.newContext(DESKTOP);
    try {
      const page = await customerCtx.newPage();
      const order = await completedOrder(page.request);
      const orderPath = `/orders/${order.id}`;

      // ---- the customer confirms, then reviews on the order page (phone) ------------------
      await loginPassword(page, CUSTOMER, PASSWORD);
      await page.goto(orderPath);
      await clickAndNavigate(page, '#order-confirm');
      assert.equal(await page.locator('#order-status').getAttribute('data-status'), 'confirmed');
      const form = page.locator('#review-form');
      await form.waitFor();
      await page.locator('#review-stars').selectOption('5');
      await page.locator('#review-punctual').selectOption('5');
      await page.locator('#review-professional').selectOption('4');
      await page.locator('#review-attitude').selectOption('5');
      await page.locator('#review-text').fill('阿姨很细心，厨房擦得很干净，还准时到达。');
      await page.locator('#review-photos').setInputFiles({ name: 'kitchen.png', mimeType: 'image/png', buffer: PNG });
      await screenshot(page, 'reviews-form-phone');
      await clickAndNavigate(page, '#review-submit');
      assert.equal(new URL(page.url()).pathname, orderPath);
      assert.equal(await textOf(page, '#flash'), '评价已发布，感谢您的反馈');
      const mine = page.locator('#my-review');
      await mine.waitFor();
      assert.ok((await mine.innerText()).includes('阿姨很细心'));
      assert.equal(await page.locator('#review-form').count(), 0, 'no second review form');
      await screenshot(page, 'reviews-order-reviewed-phone');

      // ---- the provider replies from the order page (desktop) ----------------------------
      const pro = await providerCtx.newPage();
      await loginPassword(pro, PROVIDER, PASSWORD);
      await pro.goto(orderPath);
      await pro.locator('#reply-text').waitFor();
      await pro.locator('#reply-text').fill('谢谢您的认可，期待再次为您服务！');
      await clickAndNavigate(pro, '#reply-send');
      assert.equal(await textOf(pro, '#flash'), '回复已提交');

      // ---- the provider's public page shows the review with its photo ---------------------
      await page.goto(`/providers/${order.provider_id}`);
      const item = page.locator('#review-list li.review').first();
      assert.ok((await item.innerText()).includes('阿姨很细心'));
      assert.ok((await item.innerText()).includes('谢谢您的认可'), 'the reply is shown');
      const img = item.locator('img.review-photo');
      assert.equal(await img.count(), 1);
      await img.evaluate((el) => (el.complete ? null : new Promise((r) => el.addEventListener('load', r, { once: true }))));
      assert.ok(await img.evaluate((el) => el.naturalWidth > 0), 'the thumbnail loads');
      // One five-star review: (5 × 4.5 + 5) / 6 = 4.6, not 5.0.
      assert.equal(await textOf(page, '#provider-rating'), '4.6');
      assert.match(await textOf(page, '#reviews-rating'), /^4\.6 · 1 条评价$/);
      await screenshot(page, 'reviews-provider-page-phone');
      await clickAndNavigate(page, '#filter-photos');
      assert.equal(await page.locator('#review-list li.review').count(), 1, '有图 keeps it');
      await clickAndNavigate(page, '#review-filters a[data-stars="1"]');
      assert.ok(await page.locator('#reviews-empty').isVisible(), 'no 1-star reviews with photos');

      // ---- and the service page too -------------------------------------------------------
      await page.goto(`/services/${order.listing_id}`);
      assert.equal(await page.locator('#review-list img.review-photo').count(), 1);
      assert.match(await textOf(page, '#service-rating'), /4\.6/);
      await screenshot(pro, 'reviews-order-replied-desktop');

      // ---- reported by someone signed in, hidden by an operator from the queue ----------------
      await pro.goto(`/providers/${order.provider_id}`);
      await pro.locator('#review-list .review-report summary').first().click();
      await pro.locator('#review-list .review-report input[name="reason"]').first().fill('内容与服务不符');
      await clickAndNavigate(pro, '#review-list .review-report button');
      assert.equal(await textOf(pro, '#flash'), '举报已提交，我们会尽快处理');
      const admin = await providerCtx.browser().newContext({ ...DESKTOP.options, baseURL: app.baseURL, locale: 'zh-CN' });
      try {
        const op = await admin.newPage();
        await loginPassword(op, DEMO_ADMIN.phone, DEMO_ADMIN.password);
        await op.goto('/admin');
        await clickAndNavigate(op, '#nav-reviews');
        const queued = op.locator('#review-queue li');
        assert.equal(await queued.count(), 1);
        assert.ok((await queued.innerText()).includes('内容与服务不符'), 'the reason is shown');
        await screenshot(op, 'reviews-admin-queue-desktop');
        await clickAndNavigate(op, '#review-queue li button[value="hide"]');
        assert.ok(await op.locator('#review-queue-empty').isVisible());
      } finally {
        await admin.close();
      }
      await page.goto(`/providers/${order.provider_id}`);
      assert.ok(await page.locator('#reviews-empty').isVisible(), 'a hidden review is not shown');
      assert.equal(await textOf(page, '#provider-rating'), '-', 'nor counted');
    } finally {
      await customerCtx.close();
      await providerCtx.close();
    }
  });
});
