// Deposits (保证金), end to end in real Chromium against the real binary (dev mode, with the
// sandbox payment provider in-process): the operator asks a deposit of ¥500 for home cleaning
// at /admin/categories (desktop); the demo provider's cleaning service then shows a notice
// instead of 立即预约 to a customer (phone); the provider pays the deposit at /pro/deposit
// through the sandbox cashier (desktop); the signed notification credits it and the service can
// be booked again.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_ADMIN, VIEWPORTS, clickAndNavigate, loginPassword, screenshot, textOf, useApp } from '../lib/harness.mjs';
import { CUSTOMER, PASSWORD, PROVIDER, api, eventually, login } from '../lib/journey.mjs';

const app = useApp();
const [PHONE, DESKTOP] = VIEWPORTS;

describe('deposits', () => {
  test('a category deposit blocks booking until the provider pays it at the sandbox cashier', async () => {
    const operatorCtx = await app.newContext(DESKTOP);
    const customerCtx = await app.newContext(PHONE);
    const providerCtx = await app.newContext(DESKTOP);
    try {
      // ---- the operator asks ¥500 for home cleaning ----------------------------------------
      const admin = await operatorCtx.newPage();
      await loginPassword(admin, DEMO_ADMIN.phone, DEMO_ADMIN.password);
      await admin.goto('/admin/categories');
      const cleaning = admin.locator('section[data-category="cleaning"] > form.deposit-form');
      await cleaning.locator('input[name="deposit"]').fill('500');
      await Promise.all([admin.waitForNavigation(), cleaning.locator('button').click()]);
      assert.equal(await cleaning.locator('input[name="deposit"]').inputValue(), '500.00');

      // ---- a customer cannot book the provider's cleaning service --------------------------
      const token = await login(admin.request, PROVIDER);
      const listings = await api(admin.request, 'GET', '/api/v1/provider/listings', token);
      const service = listings.find((l) => l.status === 'published' && l.category.startsWith('cleaning'));
      assert.ok(service, 'a published cleaning service of the demo provider');
      const customer = await customerCtx.newPage();
      await loginPassword(customer, CUSTOMER, PASSWORD);
      await customer.goto(`/services/${service.id}`);
      assert.ok((await textOf(customer, '#deposit-required')).length > 0, 'the service says why');
      assert.equal(await customer.locator('#book-now').count(), 0, 'no 立即预约');
      await screenshot(customer, 'deposit-service-blocked-phone');

      // ---- the provider pays the deposit at the sandbox cashier ----------------------------
      const pro = await providerCtx.newPage();
      await loginPassword(pro, PROVIDER, PASSWORD);
      await pro.goto('/pro/deposit');
      assert.equal(await pro.locator('#deposit-required').getAttribute('data-fen'), '50000');
      assert.equal(await textOf(pro, '#deposit-held'), '¥0.00');
      assert.ok((await textOf(pro, '#deposit-short')).length > 0);
      await screenshot(pro, 'deposit-due-desktop');
      await clickAndNavigate(pro, '#deposit-pay');
      assert.match(new URL(pro.url()).pathname, /^\/sandbox-psp\/cashier\//, 'at the sandbox cashier');
      assert.equal(await textOf(pro, '#amount'), '¥500.00', 'the cashier asks for the deposit due');
      await clickAndNavigate(pro, '#pay');
      await eventually(pro, '/pro/deposit', 'the deposit notification', async () => (await textOf(pro, '#deposit-held')) === '¥500.00');
      assert.equal(await textOf(pro, '#deposit-due'), '¥0.00');
      assert.ok((await textOf(pro, '#deposit-ok')).length > 0);
      await screenshot(pro, 'deposit-paid-desktop');

      // ---- the service can be booked again -------------------------------------------------
      await customer.goto(`/services/${service.id}`);
      assert.equal(await customer.locator('#deposit-required').count(), 0);
      assert.equal(await customer.locator('#book-now').count(), 1, '立即预约 is back');
    } finally {
      await operatorCtx.close();
      await customerCtx.close();
      await providerCtx.close();
    }
  });
});
