// Who may open the admin console: guests are sent to log in, customers are refused with 403.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  VIEWPORTS,
  pathOf,
  randomPhone,
  register,
  screenshot,
  useApp,
  waitForPath,
  withPage,
} from '../lib/harness.mjs';

const app = useApp();

describe('admin access', () => {
  for (const vp of VIEWPORTS) {
    test(`a guest opening /admin is redirected to the login page with next=/admin (${vp.name})`, async () => {
      await withPage(app, vp, async (page) => {
        const res = await page.goto('/admin');
        assert.equal(res.status(), 200);
        assert.match(pathOf(page), /^\/login\?next=(%2Fadmin|\/admin)$/);
        assert.ok(await page.locator('#login-submit').isVisible(), 'the login form is shown');
        assert.equal(await page.locator('#admin-title').count(), 0);
      });
    });

    test(`a signed-in customer who opens /admin gets a 403 error page and no console (${vp.name})`, async () => {
      await withPage(app, vp, async (page) => {
        await register(page, { phone: randomPhone() });
        await waitForPath(page, '/me');

        const res = await page.goto('/admin');
        assert.equal(res.status(), 403);
        assert.ok(await page.locator('#error-title').isVisible(), 'error title shown');
        assert.match(await page.locator('.error-code').innerText(), /403/);
        assert.equal(await page.locator('#admin-title').count(), 0, 'no admin dashboard');
        assert.equal(await page.locator('aside.sidebar').count(), 0, 'no console sidebar');
        await screenshot(page, `admin-forbidden-${vp.name}`);

        for (const path of ['/admin/users', '/admin/roles']) {
          const r = await page.goto(path);
          assert.equal(r.status(), 403, `${path} is refused too`);
          assert.ok(await page.locator('#error-title').isVisible());
        }
      });
    });
  }
});
