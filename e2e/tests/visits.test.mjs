// Verified visits, end to end in real Chromium against the real binary (dev mode): an order is
// booked, paid (dev API) and accepted; the customer's order page shows the 6-digit service
// code with its QR code (phone); on the provider's phone the browser's geolocation (set near
// the address) checks in, a wrong code is refused, the right one confirms the visit,
// completion is refused while the checklist is unfinished, the checklist is worked through
// with a photo, and the job completes; the customer then sees the checklist with the photo.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VIEWPORTS, clickAndNavigate, loginPassword, screenshot, textOf, useApp } from '../lib/harness.mjs';
import { CUSTOMER, PASSWORD, PNG, PROVIDER, acceptedOrder as acceptedJourney } from '../lib/journey.mjs';

const app = useApp();
const [PHONE] = VIEWPORTS;

/** A booked, paid and accepted order of a service with a photo in its checklist, the dev clock
 * 30 minutes before its start. */
function acceptedOrder(request) {
  return acceptedJourney(request, (l) => l.sop.some((s) => s.photo));
}

async function status(page) {
  return page.locator('#order-status').getAttribute('data-status');
}

describe('visits', () => {
  test('the provider checks in by position, enters the service code, works through the checklist with a photo and completes; the customer sees the photo', async () => {
    const customerCtx = await app.newContext(PHONE);
    const providerCtx = await app.newContext(PHONE);
    try {
      const page = await customerCtx.newPage();
      const order = await acceptedOrder(page.request);
      const orderPath = `/orders/${order.id}`;

      // ---- the customer sees the service code and its QR code (phone) ---------------------
      await loginPassword(page, CUSTOMER, PASSWORD);
      await page.goto(orderPath);
      assert.equal(await status(page), 'accepted');
      const code = await textOf(page, '#service-code');
      assert.match(code, /^\d{6}$/);
      assert.equal(await page.locator('#service-code-qr svg').count(), 1, 'a QR code');
      await screenshot(page, 'visits-service-code-phone');

      // ---- the provider checks in with the phone's position --------------------------------
      const pro = await providerCtx.newPage();
      await loginPassword(pro, PROVIDER, PASSWORD);
      await pro.goto(orderPath);
      assert.equal(await pro.locator('#service-code').count(), 0, 'the provider never sees the code');
      const visit = pro.locator('#order-visit');
      const lat = Number(await visit.getAttribute('data-lat-micro')) / 1e6;
      const lng = Number(await visit.getAttribute('data-lng-micro')) / 1e6;
      await providerCtx.grantPermissions(['geolocation']);
      // About 50 m north of the address.
      await providerCtx.setGeolocation({ latitude: lat + 0.00045, longitude: lng, accuracy: 10 });
      await pro.reload();
      await pro.locator('#checkin-form[data-located="1"]').waitFor();
      await screenshot(pro, 'visits-check-in-phone');
      await clickAndNavigate(pro, '#order-start');
      assert.equal(await status(pro), 'in_service');
      const checkin = await textOf(pro, '#visit-checkin');
      const metres = Number(/(\d+) m/.exec(checkin)?.[1]);
      assert.ok(metres >= 30 && metres <= 70, checkin);

      // ---- a wrong code is refused, the right one confirms the visit ----------------------
      const wrong = code === '000000' ? '111111' : '000000';
      await pro.locator('#service-code-input').fill(wrong);
      await clickAndNavigate(pro, '#service-code-submit');
      assert.equal(await textOf(pro, '#flash'), '核销码不正确，请向客户核对');
      await pro.locator('#service-code-input').fill(code);
      await clickAndNavigate(pro, '#service-code-submit');
      assert.ok(await pro.locator('#service-code-ok').isVisible());

      // ---- completion is refused while the checklist is unfinished -------------------------
      await clickAndNavigate(pro, '#order-complete');
      assert.equal(await status(pro), 'in_service');
      assert.match(await textOf(pro, '#flash'), /服务清单还有未完成的项目或缺少照片/);

      // ---- the checklist, a photo where one is required ------------------------------------
      let photos = 0;
      for (;;) {
        const form = pro.locator('#visit-checklist form.checklist-form').first();
        if ((await form.count()) === 0) break;
        const file = form.locator('input[type=file]');
        if ((await file.count()) > 0) {
          await file.setInputFiles({ name: 'done.png', mimeType: 'image/png', buffer: PNG });
          photos += 1;
        }
        await Promise.all([pro.waitForNavigation(), form.locator('button').click()]);
        assert.equal(await textOf(pro, '#flash'), '已完成该项');
      }
      assert.ok(photos >= 1, 'at least one item needed a photo');
      assert.equal(await pro.locator('#visit-checklist li[data-done="false"]').count(), 0);
      await screenshot(pro, 'visits-checklist-done-phone');
      await clickAndNavigate(pro, '#order-complete');
      assert.equal(await status(pro), 'completed');
      assert.ok(await pro.locator('#visit-duration').isVisible(), 'the actual time is shown');

      // ---- the customer sees the checklist with its photo -----------------------------------
      await page.goto(orderPath);
      assert.equal(await status(page), 'completed');
      assert.equal(await page.locator('#service-code').count(), 0, 'a used code is not shown');
      const img = page.locator('#visit-checklist img').first();
      await img.waitFor();
      const src = await img.getAttribute('src');
      assert.match(src, new RegExp(`^/orders/${order.id}/visit-photos/`));
      const res = await page.request.get(src);
      assert.equal(res.status(), 200);
      assert.match(res.headers()['content-type'], /^image\//);
      assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'the photo loads');
      assert.ok((await page.locator('#order-timeline').innerText()).includes('签到'));
      await screenshot(page, 'visits-customer-checklist-phone');
    } finally {
      await customerCtx.close();
      await providerCtx.close();
    }
  });
});
