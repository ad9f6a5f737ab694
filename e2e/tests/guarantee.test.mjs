// 先行赔付, end to end in real Chromium against the real binary (dev mode): an order is booked,
// paid and completed over the API; the customer sees the countdown on the order page and files a
// claim; the operator approves part of it at /admin/guarantee (with the fund's balance on the
// page); the customer sees 已赔付 and the provider's /pro/earnings shows the charge. Run twice:
// customer on a phone and operator on a desktop, then the other way round.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_ADMIN, VIEWPORTS, clickAndNavigate, loginPassword, screenshot, textOf, useApp } from '../lib/harness.mjs';
import { CUSTOMER, PASSWORD, PROVIDER, completedOrder } from '../lib/journey.mjs';

const app = useApp();
const [PHONE, DESKTOP] = VIEWPORTS;

async function claimAndApprove(customerViewport, operatorViewport, { claim, approve }) {
  const customerCtx = await app.newContext(customerViewport);
  const operatorCtx = await app.newContext(operatorViewport);
  const providerCtx = await app.newContext(operatorViewport);
  const c = customerViewport.name;
  const o = operatorViewport.name;
  try {
    const page = await customerCtx.newPage();
    const order = await completedOrder(page.request);
    const orderPath = `/orders/${order.id}`;

    // ---- the customer sees the countdown and files a claim ---------------------------------
    await loginPassword(page, CUSTOMER, PASSWORD);
    await page.goto(orderPath);
    const countdown = await textOf(page, '#guarantee-countdown');
    assert.match(countdown, /距申请截止还有\s*1[34]\s*天/, countdown);
    assert.equal(
      await page.locator('#order-complain').getAttribute('href'),
      `/complaints?order=${order.id}`,
    );
    await page.locator('#guarantee-kind').selectOption('damage');
    await page.locator('#guarantee-description').fill('搬动家具时刮花了实木地板，附近的墙面也有划痕。');
    await page.locator('#guarantee-amount').fill(claim);
    await page.locator('#order-guarantee').scrollIntoViewIfNeeded();
    await screenshot(page, `guarantee-form-${c}`);
    await clickAndNavigate(page, '#guarantee-submit');
    assert.equal(new URL(page.url()).pathname, orderPath);
    assert.equal(await textOf(page, '#flash'), '先行赔付申请已提交，平台将尽快审核');
    const item = page.locator('#guarantee-claims li').first();
    assert.equal(await item.getAttribute('data-status'), 'open');
    assert.equal((await item.locator('.claim-status').innerText()).trim(), '平台审核中');

    // ---- the operator approves part of it ----------------------------------------------------
    const admin = await operatorCtx.newPage();
    await loginPassword(admin, DEMO_ADMIN.phone, DEMO_ADMIN.password);
    await admin.goto('/admin');
    await clickAndNavigate(admin, '#nav-guarantee');
    assert.equal(new URL(admin.url()).pathname, '/admin/guarantee');
    assert.match(await textOf(admin, '#guarantee-fund-balance'), /^¥\d+\.\d\d$/);
    const row = admin.locator(`#guarantee-queue li[data-status="open"]`).filter({ hasText: '刮花了实木地板' }).first();
    await row.waitFor();
    assert.ok((await row.innerText()).includes(`¥${claim}`));
    await row.locator('.decision-amount').fill(approve);
    await row.locator('.decision-note').fill('照片属实，按维修报价赔付');
    await screenshot(admin, `guarantee-admin-queue-${o}`);
    await Promise.all([admin.waitForNavigation(), row.locator('.decision-approve').click()]);
    assert.equal(await textOf(admin, '#flash'), '已赔付，款项已进入用户补偿金');
    await admin.goto('/admin/guarantee?status=approved');
    assert.ok((await admin.locator('#guarantee-queue').innerText()).includes(`¥${approve}`));
    await screenshot(admin, `guarantee-admin-approved-${o}`);

    // ---- the customer sees 已赔付 -------------------------------------------------------------
    await page.goto(orderPath);
    const paid = page.locator('#guarantee-claims li').first();
    assert.equal(await paid.getAttribute('data-status'), 'approved');
    assert.equal((await paid.locator('.claim-status').innerText()).trim(), '已赔付');
    assert.equal((await paid.locator('.claim-approved').innerText()).trim(), `已赔付 ¥${approve}`);
    await page.locator('#order-guarantee').scrollIntoViewIfNeeded();
    await screenshot(page, `guarantee-paid-${c}`);

    // ---- the provider's earnings show the charge ---------------------------------------------
    const pro = await providerCtx.newPage();
    await loginPassword(pro, PROVIDER, PASSWORD);
    await pro.goto('/pro/earnings');
    const earnings = await pro.locator('body').innerText();
    assert.ok(earnings.includes('先行赔付'), 'the payout entry is listed');
    assert.ok(earnings.includes(approve), `the charge of ¥${approve} is shown`);
    await screenshot(pro, `guarantee-provider-earnings-${o}`);
    await clickAndNavigate(pro, '#nav-deposit');
    assert.equal(await textOf(pro, '#deposit-held'), '¥0.00');
    assert.ok((await textOf(pro, '#deposit-ok')).length > 0, 'no category of the demo asks a deposit');
    await screenshot(pro, `deposit-page-${o}`);
  } finally {
    await customerCtx.close();
    await operatorCtx.close();
    await providerCtx.close();
  }
}

describe('先行赔付', () => {
  test('a claim filed on a phone is paid by an operator at a desktop', async () => {
    await claimAndApprove(PHONE, DESKTOP, { claim: '300.00', approve: '180.00' });
  });
  test('a claim filed at a desktop is paid by an operator on a phone', async () => {
    await claimAndApprove(DESKTOP, PHONE, { claim: '120.00', approve: '120.00' });
  });
});
