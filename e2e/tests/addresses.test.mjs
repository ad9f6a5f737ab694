// A customer's service addresses.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  VIEWPORTS,
  clickAndNavigate,
  maskPhone,
  randomPhone,
  register,
  screenshot,
  useApp,
  waitForPath,
  withPage,
} from '../lib/harness.mjs';

const app = useApp();

describe('addresses', () => {
  for (const vp of VIEWPORTS) {
    test(`a customer adds an address in 浦东新区 and sees it listed with the contact phone masked (${vp.name})`, async () => {
      await withPage(app, vp, async (page) => {
        await register(page, { phone: randomPhone() });
        await waitForPath(page, '/me');

        await page.goto('/me/addresses');
        assert.equal(await page.locator('#addresses').count(), 0, 'no addresses yet');
        await clickAndNavigate(page, '#add-address');
        assert.equal(new URL(page.url()).pathname, '/me/addresses/new');

        const detail = `世纪大道${100 + Math.floor(Math.random() * 800)}号 8 楼`;
        const contactPhone = randomPhone();
        await page.locator('#district').selectOption('310115');
        assert.equal(
          (await page.locator('#district option:checked').innerText()).trim(),
          '浦东新区',
        );
        await page.locator('#detail').fill(detail);
        await page.locator('#contact-name').fill('王阿姨');
        await page.locator('#contact-phone').fill(contactPhone);
        await screenshot(page, `address-form-${vp.name}`);
        await clickAndNavigate(page, '#address-submit');

        await waitForPath(page, '/me/addresses');
        const list = page.locator('#addresses');
        assert.ok(await list.isVisible(), 'address list shown');
        const text = await list.innerText();
        assert.ok(text.includes(detail), 'detail listed');
        assert.ok(text.includes('浦东新区'), 'district listed');
        assert.ok(text.includes('王阿姨'), 'contact listed');
        assert.ok(text.includes(maskPhone(contactPhone)), 'contact phone masked');
        assert.ok(!(await page.content()).includes(contactPhone), 'full contact phone not in the page');
        assert.equal(await page.locator('#addresses li').count(), 1);
        await screenshot(page, `addresses-${vp.name}`);
      });
    });
  }
});
