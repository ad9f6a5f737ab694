// Console pages for content: the operator edits the sensitive-word list, search synonyms and
// pinned words, and category attributes; the demo provider adds a radius service area.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEMO_ADMIN,
  VIEWPORTS,
  clickAndNavigate,
  loginPassword,
  randomPhone,
  screenshot,
  textOf,
  useApp,
} from '../lib/harness.mjs';

const app = useApp();
const DEMO_PROVIDER = { phone: '13600000001', password: 'Linli2026' };

describe('content administration', () => {
  for (const vp of VIEWPORTS) {
    test(`the operator edits words, synonyms, pinned words and attributes, and a provider adds a radius area (${vp.name})`, async () => {
      const ctx = await app.newContext(vp);
      const providerCtx = await app.newContext(vp);
      try {
        const page = await ctx.newPage();
        await loginPassword(page, DEMO_ADMIN.phone, DEMO_ADMIN.password);
        const tag = randomPhone().slice(-4);

        // Sensitive words are stored normalised (spaces and width do not matter).
        await page.goto('/admin/words');
        await page.locator('#word').fill(`禁 用 词${tag}`);
        await page.locator('#severity').selectOption('reject');
        await clickAndNavigate(page, '#add-word');
        assert.doesNotMatch(await page.locator('#flash').getAttribute('class'), /flash-error/);
        assert.match(await textOf(page, '#words'), new RegExp(`禁用词${tag}`));

        // Synonyms and pinned words; the pinned words appear on the empty search page.
        await page.goto('/admin/search');
        await page.locator('#synonym-words').fill(`洗衣${tag}，洗衣服${tag}`);
        await clickAndNavigate(page, '#add-synonyms');
        assert.match(await textOf(page, '#synonyms'), new RegExp(`洗衣服${tag}`));
        await page.locator('#pinned-words').fill(`保洁，钟点工${tag}`);
        await clickAndNavigate(page, '#pinned-form button');
        await page.goto('/search');
        assert.match(await textOf(page, '#search-pinned'), new RegExp(`钟点工${tag}`));

        // A category attribute shows up in its category's card.
        await page.goto('/admin/categories');
        const cat = page.locator('li[data-category="moving-home"]');
        await cat.locator('input[name=name]').fill(`楼层${tag}`.slice(0, 10));
        await cat.locator('select[name=kind]').selectOption('number');
        await Promise.all([page.waitForNavigation(), cat.locator('form.attr-form button').click()]);
        assert.match(await textOf(page, 'li[data-category="moving-home"]'), new RegExp(`楼层${tag}`.slice(0, 10)));
        await screenshot(page, `admin-categories-${vp.name}`);

        // The demo provider adds a 5 km zone around 黄浦区 with a ¥15 surcharge.
        const pro = await providerCtx.newPage();
        await loginPassword(pro, DEMO_PROVIDER.phone, DEMO_PROVIDER.password);
        await pro.goto('/pro/areas');
        const before = await pro.locator('#areas li').count();
        const radius = pro.locator('#area-radius-form');
        await radius.locator('select[name=center]').selectOption('310101');
        await radius.locator('input[name=km]').fill('5');
        await radius.locator('input[name=surcharge]').fill('15');
        await Promise.all([pro.waitForNavigation(), radius.locator('button').click()]);
        assert.equal(await pro.locator('#areas li').count(), before + 1);
        assert.match(await textOf(pro, '#areas'), /黄浦区中心 5 公里内.*¥15\.00/s);
        await screenshot(pro, `pro-areas-${vp.name}`);
      } finally {
        await ctx.close();
        await providerCtx.close();
      }
    });
  }
});
