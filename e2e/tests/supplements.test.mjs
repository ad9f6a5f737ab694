// Overrun supplements (补款), end to end in real Chromium against the real binary (dev mode,
// with the sandbox payment provider in-process): an hourly job is booked, paid, accepted,
// checked in and worked through (shared journey); the dev clock passes the booked time by 20
// minutes and the provider checks out on the phone — the order does not complete but waits
// for the customer, who sees 待补款 ¥X with the explanation on a phone, pays it at the sandbox
// cashier, comes back to the order (no longer waiting), confirms it (已完成), and the
// provider's pending earnings grow by the share of the booking plus the supplement. On a
// desktop, another customer's overrun is declined with a reason (拒绝补款): the order completes
// at the amount paid and the timeline records the decline.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_ADMIN, VIEWPORTS, clickAndNavigate, loginPassword, screenshot, textOf, useApp } from '../lib/harness.mjs';
import { CUSTOMER, PASSWORD, PROVIDER, advanceClock, api, eventually, login, servedOrder } from '../lib/journey.mjs';

const app = useApp();
const [PHONE, DESKTOP] = VIEWPORTS;

async function status(page) {
  return page.locator('#order-status').getAttribute('data-status');
}

describe('supplements', () => {
  test('an hourly job that ran over waits for 补款, which the customer pays at the sandbox cashier before confirming', async () => {
    const customerCtx = await app.newContext(PHONE);
    const providerCtx = await app.newContext(PHONE);
    try {
      const page = await customerCtx.newPage();
      const order = await servedOrder(page.request, { hourly: true, complete: false });
      const orderPath = `/orders/${order.id}`;
      const booked = Math.round((order.quote.minutes));
      assert.ok(booked >= 60, `an hourly booking (${booked} min)`);

      // ---- the booked time passes by 20 minutes; the provider checks out -------------------
      await advanceClock(page.request, booked + 20);
      const pro = await providerCtx.newPage();
      await loginPassword(pro, PROVIDER, PASSWORD);
      await pro.goto(orderPath);
      await clickAndNavigate(pro, '#order-complete');
      assert.equal(await status(pro), 'awaiting_supplement');
      assert.match(await textOf(pro, '#flash'), /等待客户支付补款/);
      assert.ok((await textOf(pro, '#supplement-provider-hint')).length > 0);
      await screenshot(pro, 'supplement-provider-checked-out-phone');

      // ---- the customer sees 待补款 ¥X with the explanation (phone) --------------------------
      await loginPassword(page, CUSTOMER, PASSWORD);
      await page.goto(orderPath);
      assert.equal(await status(page), 'awaiting_supplement');
      assert.equal(await textOf(page, '#order-status'), '待补款');
      const due = await textOf(page, '#supplement-due');
      const amount = /¥\d+\.\d{2}/.exec(due)?.[0];
      assert.ok(amount && amount !== '¥0.00', due);
      const extraFen = Number(await page.locator('#order-supplement').getAttribute('data-amount-fen'));
      assert.ok(extraFen > 0);
      const why = await textOf(page, '#supplement-explanation');
      // The dev clock also moves with real time: a started minute counts as a whole one.
      const actual = Number(new RegExp(`预约 ${booked} 分钟，实际 (\\d+) 分钟`).exec(why)?.[1]);
      assert.ok(actual >= booked + 20 && actual <= booked + 22, why);
      assert.match(why, /每 15 分钟向上取整计 30 分钟/);
      assert.ok(await page.locator('#supplement-pay').isVisible());
      assert.ok(await page.locator('#supplement-decline-open').isVisible());
      await screenshot(page, 'supplement-due-phone');

      // ---- pays at the sandbox cashier -----------------------------------------------------
      await clickAndNavigate(page, '#supplement-pay');
      assert.match(new URL(page.url()).pathname, /^\/sandbox-psp\/cashier\//, 'at the sandbox cashier');
      assert.equal(await textOf(page, '#amount'), amount, 'the cashier asks for the supplement');
      await screenshot(page, 'supplement-cashier-phone');
      await clickAndNavigate(page, '#pay');
      await eventually(page, orderPath, 'the supplement notification', async () => (await status(page)) === 'completed');
      assert.equal(await page.locator('#order-supplement').getAttribute('data-state'), 'paid');
      const paid = await textOf(page, '#order-paid');
      const total = await textOf(page, '#order-total');
      const fen = (s) => Math.round(Number(s.replace('¥', '')) * 100);
      assert.equal(fen(paid), fen(total) + extraFen, 'the paid amount includes the supplement');
      assert.equal(await page.locator('#supplement-pay').count(), 0);

      // ---- the customer confirms: 已完成; the provider's earnings include the supplement ----
      const provider = await login(pro.request, PROVIDER);
      const before = (await api(pro.request, 'GET', '/api/v1/provider/earnings', provider)).pending_fen;
      await clickAndNavigate(page, '#order-confirm');
      assert.equal(await status(page), 'confirmed');
      assert.equal(await textOf(page, '#order-status'), '已完成');
      await screenshot(page, 'supplement-confirmed-phone');
      const admin = await login(pro.request, DEMO_ADMIN.phone);
      const ledger = await api(pro.request, 'GET', `/api/v1/admin/finance/ledger/orders/${order.id}`, admin);
      const release = ledger.entries.find((e) => e.kind === 'release');
      assert.ok(release, 'escrow released');
      const escrow = release.postings.find((p) => p.account === `escrow:${order.id}`);
      assert.equal(escrow.amount_fen, fen(total) + extraFen, 'released with the supplement');
      const share = release.postings.find((p) => p.account.startsWith('provider_pending:'));
      await pro.goto('/pro/earnings');
      const after = Number(await pro.locator('#earnings-pending').getAttribute('data-fen'));
      assert.equal(after - before, -share.amount_fen, 'pending earnings grew by the share of booking plus supplement');
      assert.ok(-share.amount_fen > fen(total) * 0.5, 'the share counts the supplement');
      await screenshot(pro, 'supplement-earnings-phone');
    } finally {
      await customerCtx.close();
      await providerCtx.close();
    }
  });

  test('declining 补款 on a desktop completes the order at the amount already paid', async () => {
    const customerCtx = await app.newContext(DESKTOP);
    try {
      const page = await customerCtx.newPage();
      const order = await servedOrder(page.request, { hourly: true, complete: false });
      const orderPath = `/orders/${order.id}`;
      await advanceClock(page.request, order.quote.minutes + 40);
      const provider = await login(page.request, PROVIDER);
      const out = await api(page.request, 'POST', `/api/v1/provider/orders/${order.id}/complete`, provider, {});
      assert.equal(out.status, 'awaiting_supplement');

      await loginPassword(page, CUSTOMER, PASSWORD);
      await page.goto(orderPath);
      assert.equal(await status(page), 'awaiting_supplement');
      const paidBefore = await textOf(page, '#order-paid');
      await page.locator('#supplement-decline-open').click();
      await page.locator('#supplement-reason').fill('服务者迟到了 40 分钟');
      await screenshot(page, 'supplement-decline-desktop');
      await clickAndNavigate(page, '#supplement-decline');
      assert.equal(await textOf(page, '#flash'), '已拒绝补款，订单按已付金额完成');
      assert.equal(await status(page), 'completed');
      assert.equal(await page.locator('#order-supplement').getAttribute('data-state'), 'declined');
      assert.equal(await textOf(page, '#order-paid'), paidBefore, 'nothing more charged');
      assert.ok((await textOf(page, '#order-timeline li[data-action="supplement_declined"]')).includes('服务者迟到了 40 分钟'));
      assert.equal(await page.locator('#supplement-pay').count(), 0);
      assert.ok(await page.locator('#order-confirm').isVisible(), 'the customer may confirm as usual');
      await screenshot(page, 'supplement-declined-desktop');
    } finally {
      await customerCtx.close();
    }
  });
});
