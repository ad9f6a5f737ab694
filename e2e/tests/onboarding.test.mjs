// Provider onboarding (服务商入驻): a customer applies with a licence photo, an operator
// reveals the identity (audited) and approves, and the provider's public profile goes live.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

// A real 2×2 opaque PNG: the server decodes it and stores a re-encoded JPEG and a thumbnail.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==',
  'base64',
);

describe('provider onboarding', () => {
  for (const vp of VIEWPORTS) {
    test(`a customer applies with a licence photo, an operator reveals the identity and approves, and the profile goes live (${vp.name})`, async () => {
      const photo = join(tmpdir(), `linli-cert-${process.pid}-${vp.name}.png`);
      writeFileSync(photo, PNG);
      const applicantCtx = await app.newContext(vp);
      const adminCtx = await app.newContext(vp);
      try {
        const page = await applicantCtx.newPage();
        await register(page, { phone: randomPhone() });
        await waitForPath(page, '/me');
        await page.goto('/pro');
        assert.ok(await page.locator('#apply-form').isVisible(), 'the application form is offered');
        const shop = `周师傅保洁${randomPhone().slice(-3)}`;
        await page.locator('#display-name').fill(shop);
        await page.locator('#real-name').fill('周丽华');
        await page.locator('#id-number').fill('11010519491231002X');
        await page.locator('#categories input[value="cleaning"]').check();
        await page.locator('#districts input[value="310115"]').check();
        await page.locator('#intro').fill('八年家政经验，擅长深度保洁和开荒保洁，自带工具。');
        await page.locator('#licence').setInputFiles(photo);
        await page.locator('#licence-expires').fill('2029-06-30');
        await screenshot(page, `apply-${vp.name}`);
        await clickAndNavigate(page, '#apply-submit');
        assert.equal(new URL(page.url()).pathname, '/pro');
        assert.doesNotMatch(await page.locator('#flash').getAttribute('class'), /flash-error/);
        assert.equal(await page.locator('#application-status').getAttribute('data-status'), 'pending');
        assert.doesNotMatch(await page.content(), /11010519491231002X|周丽华/, 'identity is masked for the applicant too');
        const thumbOk = await page.locator('.doc-thumb').first().evaluate((img) => img.complete && img.naturalWidth > 0);
        assert.ok(thumbOk, 'the certificate thumbnail is served to its owner');

        // The operator reviews.
        const admin = await adminCtx.newPage();
        await loginPassword(admin, DEMO_ADMIN.phone, DEMO_ADMIN.password);
        await admin.goto('/admin/providers');
        const row = admin.locator('#providers-table tr', { hasText: shop });
        assert.equal(await row.count(), 1, 'the application is in the pending queue');
        await Promise.all([admin.waitForNavigation(), row.locator('a').click()]);
        assert.equal(await textOf(admin, '#id-number'), '1101**********002X', 'masked until revealed');
        // A rejection without a reason is refused.
        await clickAndNavigate(admin, '#reject');
        assert.match(await admin.locator('#flash').getAttribute('class'), /flash-error/);
        await clickAndNavigate(admin, '#reveal');
        assert.equal(await textOf(admin, '#id-number'), '11010519491231002X');
        assert.equal(await textOf(admin, '#real-name'), '周丽华');
        assert.match(await textOf(admin, '#audit'), /identity\.reveal/, 'the reveal is audited');
        await screenshot(admin, `review-${vp.name}`);
        await clickAndNavigate(admin, '#approve');
        assert.doesNotMatch(await admin.locator('#flash').getAttribute('class'), /flash-error/);
        assert.match(await textOf(admin, '#application-title'), /已通过/);

        // The provider sees the approval and the public profile.
        await page.goto('/pro');
        assert.equal(await page.locator('#application-status').getAttribute('data-status'), 'approved');
        assert.match(await textOf(page, '#notifications'), /已通过/);
        await clickAndNavigate(page, '#public-profile');
        assert.match(new URL(page.url()).pathname, /^\/providers\/[0-9a-f-]{36}$/);
        assert.equal(await textOf(page, '#provider-name'), shop);
        assert.ok(await page.locator('#badge-identity').isVisible(), '实名认证 badge');
        assert.ok(await page.locator('#badge-qualification').isVisible(), '资质认证 badge');
        assert.match(await textOf(page, '#provider-areas'), /浦东新区/);
        assert.doesNotMatch(await page.content(), /周丽华|11010519491231002X/, 'the public profile shows no identity');
        await screenshot(page, `provider-profile-${vp.name}`);
      } finally {
        await applicantCtx.close();
        await adminCtx.close();
      }
    });
  }
});
