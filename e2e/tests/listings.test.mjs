// Service listings: an approved provider publishes a service with photos and a checklist; a
// customer finds it in its category, opens the detail page, saves it, and sees whether an
// address is in the service area (不在服务范围 outside it).

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

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==',
  'base64',
);

/** Registers, applies as a provider serving 浦东新区 and gets approved by the demo operator. */
async function approvedProvider(page, adminPage, photo, shop) {
  await register(page, { phone: randomPhone() });
  await waitForPath(page, '/me');
  await page.goto('/pro');
  await page.locator('#display-name').fill(shop);
  await page.locator('#real-name').fill('钱多多');
  await page.locator('#id-number').fill('11010519491231002X');
  await page.locator('#categories input[value="cleaning"]').check();
  await page.locator('#districts input[value="310115"]').check();
  await page.locator('#intro').fill('专业家庭保洁，持证上岗，自带环保清洁剂。');
  await page.locator('#qualification').setInputFiles(photo);
  await page.locator('#qualification-expires').fill('2029-06-30');
  await clickAndNavigate(page, '#apply-submit');
  await loginPassword(adminPage, DEMO_ADMIN.phone, DEMO_ADMIN.password);
  await adminPage.goto('/admin/providers');
  const row = adminPage.locator('#providers-table tr', { hasText: shop });
  await Promise.all([adminPage.waitForNavigation(), row.locator('a').click()]);
  await clickAndNavigate(adminPage, '#approve');
}

describe('service listings', () => {
  for (const vp of VIEWPORTS) {
    test(`a provider publishes a service with a photo and a checklist, and a customer finds it and checks the area (${vp.name})`, async () => {
      const photo = join(tmpdir(), `linli-listing-${process.pid}-${vp.name}.png`);
      writeFileSync(photo, PNG);
      const providerCtx = await app.newContext(vp);
      const adminCtx = await app.newContext(vp);
      const customerCtx = await app.newContext(vp);
      try {
        const page = await providerCtx.newPage();
        const shop = `钱师傅保洁${randomPhone().slice(-3)}`;
        await approvedProvider(page, await adminCtx.newPage(), photo, shop);

        await page.goto('/pro/listings');
        await clickAndNavigate(page, '#new-listing');
        await page.locator('#category').selectOption('cleaning-deep');
        const title = `翡翠级深度保洁 ${randomPhone().slice(-4)}`;
        await page.locator('#title').fill(title);
        await page.locator('#description').fill('厨房卫生间重点清洁，\n家具表面除尘除螨。');
        await page.locator('#unit').selectOption('hour');
        await page.locator('#price').fill('55');
        await page.locator('#min-units').fill('4');
        await page.locator('#minutes').fill('240');
        await page.locator('#variants').fill('两室一厅|220|240\n三室一厅|300|300');
        await page.locator('#addons').fill('擦玻璃|40|30');
        await page.locator('#sop').fill('上门穿鞋套\n*厨房油污清洁\n*卫生间消毒\n完工检查');
        await page.locator('#photos').setInputFiles([photo, photo]);
        await screenshot(page, `listing-form-${vp.name}`);
        await clickAndNavigate(page, '#publish');
        assert.equal(new URL(page.url()).pathname, '/pro/listings');
        assert.doesNotMatch(await page.locator('#flash').getAttribute('class'), /flash-error/);
        const row = page.locator('#my-listings li', { hasText: title });
        assert.equal(await row.getAttribute('data-status'), 'published', 'a clean listing goes live at once');

        // A customer (a guest first) finds it by a two-character query within a second.
        const customer = await customerCtx.newPage();
        const published = Date.now();
        let found = false;
        while (!found && Date.now() - published < 3000) {
          await customer.goto('/search?q=' + encodeURIComponent('翡翠'));
          found = (await customer.locator(`#search-results li:has-text("${title}")`).count()) > 0;
        }
        const lag = Date.now() - published;
        assert.ok(found, 'the new service is searchable');
        assert.ok(lag < 1500, `searchable ${lag} ms after publishing`);
        assert.match(await customer.locator('#search-results .result-title').first().innerHTML(), /<em>翡翠<\/em>/);
        await screenshot(customer, `search-${vp.name}`);

        // … and in its category, and opens it.
        await customer.goto('/');
        await clickAndNavigate(customer, '.category-card[data-slug="cleaning"] a');
        assert.match(await textOf(customer, '#category-title'), /家庭保洁/);
        await clickAndNavigate(customer, `.service-card-item a:has-text("${title}")`);
        assert.equal(await textOf(customer, '#service-title'), title);
        assert.equal(await textOf(customer, '#service-price'), '¥55.00');
        assert.match(await textOf(customer, '#price-table'), /两室一厅[\s\S]*¥220\.00/);
        assert.match(await textOf(customer, '#sop'), /厨房油污清洁.*需拍照/);
        assert.equal(await customer.locator('.gallery img').count(), 2);
        await customer.locator('#coverage-district').selectOption('310151');
        await clickAndNavigate(customer, '#coverage-check');
        assert.match(await textOf(customer, '#coverage-result'), /不在服务范围/);
        await customer.locator('#coverage-district').selectOption('310115');
        await clickAndNavigate(customer, '#coverage-check');
        assert.equal(await customer.locator('#coverage-result').getAttribute('data-served'), '1');
        await screenshot(customer, `service-${vp.name}`);

        // Signed in, the customer saves it and finds it under 我的收藏.
        await register(customer, { phone: randomPhone() });
        await customer.goto('/me/favourites');
        assert.equal(await customer.locator('.service-card-item').count(), 0);
        await customer.goto('/categories/cleaning-deep');
        await clickAndNavigate(customer, `.service-card-item a:has-text("${title}")`);
        await clickAndNavigate(customer, '#favourite');
        assert.equal(await customer.locator('#favourite').getAttribute('data-on'), '1');
        await customer.goto('/me/favourites');
        assert.match(await textOf(customer, '#favourites'), new RegExp(title));

        // With an address in 浦东新区, search orders by distance and shows how far.
        await customer.goto('/me/addresses/new');
        await customer.locator('#district').selectOption('310115');
        await customer.locator('#detail').fill('世纪大道 100 号');
        await customer.locator('#contact-name').fill('顾客');
        await customer.locator('#contact-phone').fill(randomPhone());
        await clickAndNavigate(customer, '#address-submit');
        await customer.goto('/search?q=' + encodeURIComponent('保洁'));
        await customer.locator('#search-sort').selectOption('distance');
        await clickAndNavigate(customer, '#sort-submit');
        assert.match(new URL(customer.url()).search, /sort=distance/);
        assert.match(await textOf(customer, '#search-results'), /km/, 'distances are shown');
      } finally {
        await providerCtx.close();
        await adminCtx.close();
        await customerCtx.close();
      }
    });
  }
});
