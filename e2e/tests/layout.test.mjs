// Responsive layout (tab bar on phones, sidebar in the consoles) and CSRF protection of forms.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEMO_ADMIN,
  VIEWPORTS,
  loginPassword,
  randomPhone,
  register,
  screenshot,
  useApp,
  waitForPath,
  withPage,
} from '../lib/harness.mjs';

const app = useApp();

describe('layout', () => {
  for (const vp of VIEWPORTS) {
    const phone = vp.name === 'phone';

    test(`the bottom tab bar is ${phone ? 'shown' : 'hidden'} at ${vp.name} width and the page does not scroll sideways (${vp.name})`, async () => {
      await withPage(app, vp, async (page) => {
        await page.goto('/');
        const tabbar = page.locator('nav.tabbar');
        assert.equal(await tabbar.count(), 1);
        assert.equal(await tabbar.isVisible(), phone);
        if (phone) {
          assert.match(await tabbar.innerText(), /首页[\s\S]*订单[\s\S]*消息[\s\S]*我的/);
          const box = await tabbar.boundingBox();
          assert.ok(Math.abs(box.y + box.height - 844) <= 1, `tab bar sits at the bottom (y=${box.y}, h=${box.height})`);
        } else {
          assert.ok(await page.locator('nav.topnav').isVisible(), 'top nav on desktop');
        }
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
      });
    });

    test(`the provider and admin consoles show a sidebar (${vp.name})`, async () => {
      await withPage(app, vp, async (page) => {
        await loginPassword(page, DEMO_ADMIN.phone, DEMO_ADMIN.password);
        assert.equal(await page.locator('#logout').count(), 1);
        for (const [path, name] of [['/pro', 'pro'], ['/admin', 'admin-console']]) {
          const res = await page.goto(path);
          assert.equal(res.status(), 200, `${path} opens`);
          assert.ok(await page.locator('aside.sidebar').isVisible(), `${path} shows the sidebar`);
          assert.ok(await page.locator('main.console-main').isVisible());
          assert.equal(await page.locator('nav.tabbar').count(), 0, 'consoles have no customer tab bar');
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${path}: no horizontal overflow (${overflow}px)`);
          await screenshot(page, `${name}-${vp.name}`);
        }
      });
    });

    test(`a POST without its CSRF token is refused with 403 and does not sign the user out (${vp.name})`, async () => {
      await withPage(app, vp, async (page) => {
        await register(page, { phone: randomPhone() });
        await waitForPath(page, '/me');

        const status = await page.evaluate(() => fetch('/logout', { method: 'POST' }).then((r) => r.status));
        assert.equal(status, 403);
        const forged = await page.evaluate(() =>
          fetch('/logout', {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: '_csrf=forged',
          }).then((r) => r.status),
        );
        assert.equal(forged, 403, 'a wrong token is refused too');

        await page.reload();
        assert.equal(new URL(page.url()).pathname, '/me', 'still on /me');
        assert.equal(await page.locator('#logout').count(), 1, 'still signed in');
      });
    });
  }
});
