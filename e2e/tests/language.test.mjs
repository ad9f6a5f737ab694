// The language switch in the top bar: zh-CN by default, English on demand, and back.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VIEWPORTS, clickAndNavigate, screenshot, useApp, withPage } from '../lib/harness.mjs';

const app = useApp();

/** Text of the navigation a person sees at this viewport: the bottom tab bar on phones, else the top nav. */
async function visibleNavText(page) {
  const tabbar = page.locator('nav.tabbar');
  const nav = (await tabbar.isVisible()) ? tabbar : page.locator('nav.topnav');
  assert.ok(await nav.isVisible(), 'a navigation bar is visible');
  return (await nav.innerText()).trim();
}

describe('language', () => {
  for (const vp of VIEWPORTS) {
    test(`the language switch turns the site into English and back into Chinese, and the choice sticks across pages (${vp.name})`, async () => {
      await withPage(app, vp, async (page) => {
        await page.goto('/');
        assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN', 'Chinese by default');
        assert.match(await visibleNavText(page), /首页/);
        await screenshot(page, `home-${vp.name}`);

        await clickAndNavigate(page, '#lang-switch');
        assert.equal(new URL(page.url()).pathname, '/', 'back on the page it was switched from');
        assert.equal(await page.locator('html').getAttribute('lang'), 'en');
        const en = await visibleNavText(page);
        assert.match(en, /Home/);
        assert.doesNotMatch(en, /首页/);
        await screenshot(page, `home-en-${vp.name}`);

        // The choice is remembered on the next page.
        await page.goto('/login');
        assert.equal(await page.locator('html').getAttribute('lang'), 'en');
        assert.match(await page.locator('h1').first().innerText(), /[A-Za-z]/);
        await screenshot(page, `login-en-${vp.name}`);

        await page.goto('/');
        await clickAndNavigate(page, '#lang-switch');
        assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
        assert.match(await visibleNavText(page), /首页/);
      });
    });
  }
});
