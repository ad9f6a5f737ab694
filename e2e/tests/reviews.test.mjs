// Reviews, end to end in real Chromium against the real binary (dev mode): an order is booked,
// paid (dev API), served and completed over the API; the customer confirms it on the order
// page and reviews it there with a photo (phone); the review appears on the provider's public
// page with the photo and the Bayesian rating; the provider replies from the order page
// (desktop) and the reply shows too; the 有图 filter keeps it, the 1-star filter does not.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_ADMIN, VIEWPORTS, clickAndNavigate, loginPassword, screenshot, textOf, useApp } from '../lib/harness.mjs';
import { CUSTOMER, PASSWORD, PNG, PROVIDER, completedOrder } from '../lib/journey.mjs';

const app = useApp();
const [PHONE, DESKTOP] = VIEWPORTS;

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
