// The customer's own profile: nickname, avatar upload, password change.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  VIEWPORTS,
  clickAndNavigate,
  loginPassword,
  logout,
  randomPhone,
  register,
  screenshot,
  textOf,
  useApp,
  waitForPath,
  withPage,
} from '../lib/harness.mjs';

const app = useApp();

// A real 2×2 PNG (opaque red), so the server decodes and re-encodes it.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==',
  'base64',
);

describe('profile', () => {
  for (const vp of VIEWPORTS) {
    test(`a customer renames themself, uploads an avatar and changes the password (${vp.name})`, async () => {
      const png = join(tmpdir(), `linli-avatar-${process.pid}-${vp.name}.png`);
      writeFileSync(png, PNG);
      const notImage = join(tmpdir(), `linli-not-image-${process.pid}-${vp.name}.png`);
      writeFileSync(notImage, '<svg onload="alert(1)"></svg>');
      await withPage(app, vp, async (page) => {
        const phone = randomPhone();
        await register(page, { phone });
        await waitForPath(page, '/me');

        await page.locator('#nickname').fill('邻里新昵称');
        await clickAndNavigate(page, '#save-nickname');
        assert.equal(await textOf(page, '#profile-nickname'), '邻里新昵称');

        // A disguised file is refused with a friendly message and changes nothing.
        await page.locator('#avatar').setInputFiles(notImage);
        await clickAndNavigate(page, '#upload-avatar');
        assert.match(await page.locator('#flash').getAttribute('class'), /flash-error/);
        assert.equal(await page.locator('img#avatar-img').count(), 0, 'still no avatar');

        await page.locator('#avatar').setInputFiles(png);
        await clickAndNavigate(page, '#upload-avatar');
        assert.doesNotMatch(await page.locator('#flash').getAttribute('class'), /flash-error/);
        const src = await page.locator('img#avatar-img').getAttribute('src');
        assert.match(src, /^\/files\/avatars\/[0-9a-f-]{36}\.jpg$/, 'a generated name; opaque images become JPEG');
        const loaded = await page.locator('img#avatar-img').evaluate((img) => img.complete && img.naturalWidth === 2);
        assert.ok(loaded, 'the re-encoded avatar is served and renders');
        await screenshot(page, `profile-${vp.name}`);

        await clickAndNavigate(page, '#link-password');
        await page.locator('#old-password').fill('Secret123');
        await page.locator('#new-password').fill('Changed456');
        await page.locator('#new-password-confirm').fill('Changed456');
        await clickAndNavigate(page, '#password-submit');
        await waitForPath(page, '/me');
        assert.doesNotMatch(await page.locator('#flash').getAttribute('class'), /flash-error/);

        await logout(page);
        await loginPassword(page, phone, 'Secret123');
        assert.ok(await page.locator('#form-error').isVisible(), 'the old password no longer works');
        await loginPassword(page, phone, 'Changed456');
        assert.equal(await page.locator('#logout').count(), 1, 'the new password works');
      });
    });
  }
});
