// After-sale (售后), end to end in real Chromium against the real binary (dev mode): an order is
// booked, paid (dev API) and completed over the API; the customer opens an after-sale request
// with a photo on the order page (phone); the provider does not answer; the dev clock passes the
// 48 h SLA; the job accepts the request and the customer sees the refund on the order page; the
// operator's trial balance still sums to ¥0.00 (desktop). And a re-service: the provider accepts
// a re-service request; the customer books the free visit on the phone; the provider accepts it
// in the console on a desktop.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_ADMIN, VIEWPORTS, clickAndNavigate, loginPassword, screenshot, textOf, useApp } from '../lib/harness.mjs';
import { CUSTOMER, PASSWORD, PNG, PROVIDER, api, completedOrder, eventually, login } from '../lib/journey.mjs';

const app = useApp();
const [PHONE, DESKTOP] = VIEWPORTS;

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
      // The panel loads after the page: the job may have resolved the request between the two,
      // so the timeline is read from a page rendered after the resolution was seen.
      await page.goto(orderPath);
      await page.locator('#after-sale-list li[data-status="resolved"]').first().waitFor();
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

  test('an accepted re-service request is booked free on the phone and accepted in the console', async () => {
    const customerCtx = await app.newContext(PHONE);
    const proCtx = await app.newContext(DESKTOP);
    try {
      const page = await customerCtx.newPage();
      const order = await completedOrder(page.request);
      const orderPath = `/orders/${order.id}`;

      // ---- the customer asks for a re-service; the provider accepts it (API) -------------
      await loginPassword(page, CUSTOMER, PASSWORD);
      await page.goto(orderPath);
      await page.locator('#after-sale-form').waitFor();
      await page.locator('#after-sale-kind').selectOption('reservice');
      await page.locator('#after-sale-reason').fill('窗台没有擦，请再来一次。');
      await clickAndNavigate(page, '#after-sale-submit');
      const rid = await page.locator('#after-sale-list li').first().getAttribute('data-after-sale');
      const provider = await login(page.request, PROVIDER);
      await api(page.request, 'POST', `/api/v1/provider/after-sales/${rid}/answer`, provider, { action: 'accept' });

      // ---- the customer books the visit: a day, a free time, ¥0 -------------------------
      await eventually(page, orderPath, 'the re-service button', async () =>
        (await page.locator('#reservice-book').count()) === 1);
      await clickAndNavigate(page, '#reservice-book');
      assert.equal(new URL(page.url()).pathname, `/after-sales/${rid}/reservice`);
      const days = await page.locator('#reservice-date option').evaluateAll((os) => os.map((o) => o.value));
      let found = false;
      for (const day of days.slice(1)) {
        await page.locator('#reservice-date').selectOption(day);
        await clickAndNavigate(page, '#reservice-show');
        if ((await page.locator('#reservice-slots input').count()) > 0) {
          found = true;
          break;
        }
      }
      assert.ok(found, 'a free time in the next two weeks');
      assert.ok((await textOf(page, '#reservice-price')).includes('¥0.00'), 'nothing to pay');
      await screenshot(page, 'reservice-slots-phone');
      await page.locator('#reservice-slots input').first().check();
      await clickAndNavigate(page, '#reservice-submit');
      const reservicePath = new URL(page.url()).pathname;
      assert.notEqual(reservicePath, orderPath);
      assert.equal(await textOf(page, '#flash'), '返工已预约，等待商家确认');
      assert.equal(await page.locator('#order-status').getAttribute('data-status'), 'awaiting_acceptance');
      assert.ok((await textOf(page, '#order-reservice')).includes('售后返工'));
      await screenshot(page, 'reservice-order-phone');

      // ---- the original order links to it; a second booking is not offered --------------
      await page.goto(orderPath);
      await page.locator('#reservice-order-link').waitFor();
      assert.equal(await page.locator('#reservice-book').count(), 0);

      // ---- the provider accepts it in the console (desktop) ------------------------------
      const pro = await proCtx.newPage();
      await loginPassword(pro, PROVIDER, PASSWORD);
      await pro.goto('/pro/orders');
      const id = reservicePath.split('/').pop();
      const row = pro.locator(`#requests li[data-id="${id}"]`);
      await row.waitFor();
      assert.ok((await row.innerText()).includes('售后返工'), 'marked in the console');
      await screenshot(pro, 'reservice-request-desktop');
      await Promise.all([pro.waitForNavigation(), row.locator('button.accept').click()]);
      await page.goto(reservicePath);
      assert.equal(await page.locator('#order-status').getAttribute('data-status'), 'accepted');
    } finally {
      await customerCtx.close();
      await proCtx.close();
    }
  });
});
