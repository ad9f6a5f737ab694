// Complaints, end to end in real Chromium against the real binary: a customer files a
// complaint on /complaints (phone) and sees the 24-hour countdown; an operator (desktop) finds it
// in /admin/complaints, adds an internal note and a public reply and resolves it; the customer
// sees the reply and the new status but never the internal note. The provider sees its
// reliability score with its parts at /pro/reliability.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_ADMIN, VIEWPORTS, clickAndNavigate, loginPassword, screenshot, textOf, useApp } from '../lib/harness.mjs';

const app = useApp();
const PASSWORD = 'Linli2026';
const CUSTOMER = '13900000001';
const PROVIDER = '13600000001';
const [PHONE, DESKTOP] = VIEWPORTS;

describe('complaints', () => {
  test('a customer files a complaint, the operator notes, replies and resolves, the customer sees only the reply', async () => {
    const customerCtx = await app.newContext(PHONE);
    const opCtx = await app.newContext(DESKTOP);
    try {
      // ---- the customer files (phone) ----------------------------------------------------
      const page = await customerCtx.newPage();
      await loginPassword(page, CUSTOMER, PASSWORD);
      await page.goto('/complaints');
      await page.locator('#complaint-category').selectOption('platform');
      await page.locator('#complaint-text').fill('支付成功后订单一直显示待支付');
      await screenshot(page, 'complaints-form-phone');
      await clickAndNavigate(page, '#complaint-submit');
      const ticketPath = new URL(page.url()).pathname;
      assert.match(ticketPath, /^\/complaints\/[0-9a-f-]{36}$/);
      assert.equal(await textOf(page, '#flash'), '投诉已提交，我们会在 24 小时内回复');
      assert.equal(await textOf(page, '#complaint-status'), '待处理');
      assert.match(await textOf(page, '#complaint-sla'), /剩余 2[34]h/);
      const id = ticketPath.split('/').pop();

      // ---- the operator handles it (desktop) ---------------------------------------------
      const op = await opCtx.newPage();
      await loginPassword(op, DEMO_ADMIN.phone, DEMO_ADMIN.password);
      await op.goto('/admin');
      await clickAndNavigate(op, '#nav-complaints');
      const row = op.locator(`#complaint-queue li[data-complaint="${id}"]`);
      assert.equal(await row.count(), 1);
      await screenshot(op, 'complaints-admin-queue-desktop');
      await clickAndNavigate(op, `#complaint-queue li[data-complaint="${id}"] a`);
      await op.locator('#note-text').fill('内部：疑似支付回调延迟，已转技术排查');
      await clickAndNavigate(op, '#note-internal');
      await op.locator('#note-text').fill('您好，支付已到账，订单状态已修复，给您带来不便深表歉意。');
      await clickAndNavigate(op, '#note-reply');
      assert.equal(await textOf(op, '#complaint-status'), '处理中');
      await op.locator('#status-select').selectOption('resolved');
      await clickAndNavigate(op, '#status-submit');
      assert.equal(await textOf(op, '#complaint-status'), '已解决');
      assert.equal(await op.locator('#complaint-thread li[data-kind="internal"]').count(), 1);
      await screenshot(op, 'complaints-admin-ticket-desktop');

      // ---- the customer follows it --------------------------------------------------------
      await page.goto(ticketPath);
      assert.equal(await textOf(page, '#complaint-status'), '已解决');
      const thread = await textOf(page, '#complaint-thread');
      assert.ok(thread.includes('支付已到账'), 'the public reply is shown');
      assert.ok(!(await page.content()).includes('支付回调延迟'), 'the internal note is not');
      assert.equal(await page.locator('#complaint-thread li[data-kind="internal"]').count(), 0);
      await screenshot(page, 'complaints-resolved-phone');
      await page.goto('/complaints');
      assert.equal(await page.locator('#complaints li[data-status="resolved"]').count(), 1);

      // ---- the provider's reliability page ------------------------------------------------
      const pro = await opCtx.browser().newContext({ ...DESKTOP.options, baseURL: app.baseURL, locale: 'zh-CN' });
      try {
        const pp = await pro.newPage();
        await loginPassword(pp, PROVIDER, PASSWORD);
        await pp.goto('/pro');
        await clickAndNavigate(pp, '#nav-reliability');
        assert.match(await textOf(pp, '#reliability-score'), /^\d+/);
        assert.equal(await pp.locator('#reliability-parts tbody tr').count(), 6);
        await screenshot(pp, 'reliability-desktop');
      } finally {
        await pro.close();
      }
    } finally {
      await customerCtx.close();
      await opCtx.close();
    }
  });
});
