// Booking: the three-step order from the home page to "awaiting payment"; the unpaid order
// expires when the (dev) clock passes the payment window and its slot is bookable again; a
// provider declines and the slot frees; the customer's notifications; the provider's
// working-hours editor; reschedule; cancel shows the policy's fee.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  VIEWPORTS,
  clickAndNavigate,
  loginPassword,
  randomPhone,
  register,
  screenshot,
  useApp,
  waitForPath,
} from '../lib/harness.mjs';

const app = useApp();
const PROVIDER = { phone: '13600000001', password: 'Linli2026', shop: '张阿姨家政' };
const HOUR = 3_600_000;

/** A fresh customer with an address in 黄浦区, which the demo provider serves. */
async function customer(page) {
  await register(page, { phone: randomPhone() });
  await waitForPath(page, '/me');
  await page.goto('/me/addresses/new');
  await page.locator('#district').selectOption('310101');
  await page.locator('#detail').fill('南京东路 100 号 1201 室');
  await page.locator('#contact-name').fill('王小明');
  await page.locator('#contact-phone').fill(randomPhone());
  await clickAndNavigate(page, '#address-submit');
  await waitForPath(page, '/me/addresses');
}

/** The demo provider's services found from the home page by the two-character query 保洁. */
async function providerServices(page) {
  await page.goto('/');
  await page.locator('#home-q').fill('保洁');
  await Promise.all([page.waitForNavigation(), page.locator('#home-q').press('Enter')]);
  const cards = page.locator('a[href^="/services/"]', { hasText: PROVIDER.shop });
  const hrefs = await cards.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.length > 0, 'the demo provider is found by 保洁');
  return hrefs;
}

/** On a booking page: picks the first day with free times and shows them. */
async function showFirstDayWithSlots(page) {
  const days = await page.locator('#book-date option').evaluateAll((os) => os.map((o) => o.value));
  for (const day of days.slice(1)) {
    await page.locator('#book-date').selectOption(day);
    await clickAndNavigate(page, '#book-find');
    if ((await page.locator('#book-slots input').count()) > 0) return day;
  }
  throw new Error('no bookable day in the horizon');
}

async function offeredTimes(page, bookUrl) {
  await page.goto(bookUrl);
  return page.locator('#book-slots input').evaluateAll((is) => is.map((i) => i.value));
}

async function status(page) {
  return page.locator('#order-status').getAttribute('data-status');
}

/** Reloads the order page until its status is `want` (the job runner polls every second). */
async function waitForStatus(page, want) {
  const deadline = Date.now() + 8_000;
  for (;;) {
    await page.reload();
    if ((await status(page)) === want) return;
    assert.ok(Date.now() < deadline, `order never became ${want}`);
    await page.waitForTimeout(300);
  }
}

/** Pays from the order page at the sandbox cashier and waits until the payment is recorded. */
async function payAtCashier(page) {
  const orderPath = new URL(page.url()).pathname;
  await clickAndNavigate(page, '#order-pay');
  assert.match(new URL(page.url()).pathname, /^\/sandbox-psp\/cashier\//);
  await clickAndNavigate(page, '#pay');
  assert.equal(new URL(page.url()).pathname, orderPath);
  const deadline = Date.now() + 8_000;
  while ((await status(page)) === 'pending_payment') {
    assert.ok(Date.now() < deadline, 'the payment was never recorded');
    await page.waitForTimeout(200);
    await page.reload();
  }
}

async function advanceClock(page, minutes) {
  const res = await page.request.post('/api/v1/dev/clock', { data: { minutes } });
  assert.equal(res.status(), 200, await res.text());
  return (await res.json()).now_ms;
}

/** From the booking page of `service`, books the first free time; returns what was booked. */
async function book(page, service) {
  await page.goto(service);
  await clickAndNavigate(page, '#book-now');
  assert.match(new URL(page.url()).pathname, /^\/book\//);
  const day = await showFirstDayWithSlots(page);
  const address = await page.locator('#book-form input[name="address"]').getAttribute('value');
  const time = await page.locator('#book-slots input').first().getAttribute('value');
  assert.ok(await page.locator('#book-price').isVisible(), 'price explanation shown');
  await page.locator(`#book-slots input[value="${time}"]`).check();
  const bookUrl = `${new URL(page.url()).pathname}?address=${address}&date=${day}`;
  await clickAndNavigate(page, '#book-submit');
  assert.match(new URL(page.url()).pathname, /^\/orders\//);
  return { orderUrl: new URL(page.url()).pathname, bookUrl, day, time };
}

describe('booking', () => {
  for (const vp of VIEWPORTS) {
    test(`three steps from the home page to awaiting payment; an unpaid order expires and frees its slot (${vp.name})`, async () => {
      const ctx = await app.newContext(vp);
      try {
        const page = await ctx.newPage();
        await customer(page);
        const [service] = await providerServices(page);
        await page.goto(service);
        await clickAndNavigate(page, '#book-now');
        assert.equal(await page.locator('#book-steps li').count(), 3);
        await screenshot(page, `book-step1-${vp.name}`);
        const day = await showFirstDayWithSlots(page);
        await screenshot(page, `book-step3-${vp.name}`);
        const address = await page.locator('#book-form input[name="address"]').getAttribute('value');
        const time = await page.locator('#book-slots input').first().getAttribute('value');
        const total = (await page.locator('#book-total').innerText()).trim();
        await page.locator(`#book-slots input[value="${time}"]`).check();
        await clickAndNavigate(page, '#book-submit');
        const orderUrl = new URL(page.url()).pathname;
        assert.match(orderUrl, /^\/orders\//);
        assert.equal(await status(page), 'pending_payment');
        assert.ok(await page.locator('#pay-countdown').isVisible());
        assert.equal((await page.locator('#order-total').innerText()).trim(), total);
        assert.ok((await page.locator('#order-timeline').innerText()).includes('提交订单'));
        await screenshot(page, `order-awaiting-payment-${vp.name}`);

        const bookUrl = `${new URL(service, page.url()).pathname.replace('/services/', '/book/')}?address=${address}&date=${day}`;
        assert.ok(!(await offeredTimes(page, bookUrl)).includes(time), 'the held slot is not offered');

        await advanceClock(page, 16);
        await page.goto(orderUrl);
        await waitForStatus(page, 'expired');
        assert.ok((await page.locator('#order-timeline').innerText()).includes('超时未支付'));
        assert.ok((await offeredTimes(page, bookUrl)).includes(time), 'the slot is bookable again');
      } finally {
        await ctx.close();
      }
    });
  }

  test('a provider declines and the slot frees; reschedule; cancel shows the policy fee', async () => {
    const vp = VIEWPORTS[VIEWPORTS.length - 1];
    const customerCtx = await app.newContext(vp);
    const providerCtx = await app.newContext(vp);
    try {
      const page = await customerCtx.newPage();
      const pro = await providerCtx.newPage();
      await customer(page);
      await loginPassword(pro, PROVIDER.phone, PROVIDER.password);

      // A service that waits for the provider (not instant-book).
      let service = null;
      const [found] = await providerServices(page);
      await page.goto(found);
      await clickAndNavigate(page, '#provider-link');
      const all = await page
        .locator('a[href^="/services/"]')
        .evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
      for (const href of all) {
        await page.goto(href);
        await clickAndNavigate(page, '#book-now');
        await showFirstDayWithSlots(page);
        if ((await page.locator('#book-instant').count()) === 0) {
          service = href;
          break;
        }
      }
      assert.ok(service, 'the demo provider has a service that needs acceptance');

      const first = await book(page, service);
      await payAtCashier(page);
      assert.equal(await status(page), 'awaiting_acceptance');
      assert.ok(await page.locator('#accept-countdown').isVisible());

      await pro.goto('/pro/orders');
      const request = pro.locator('#requests li', { hasText: first.day.slice(5) });
      assert.ok((await request.count()) > 0, 'the request is listed');
      assert.ok((await request.first().innerText()).includes('***'), 'address masked before accepting');
      await screenshot(pro, 'pro-requests');
      await clickAndNavigate(pro, `#requests li[data-id="${first.orderUrl.split('/')[2]}"] button.decline`);
      await page.goto(first.orderUrl);
      assert.equal(await status(page), 'declined');
      assert.ok((await offeredTimes(page, first.bookUrl)).includes(first.time), 'a declined slot frees');

      // Book again; the provider accepts; the customer moves it, then cancels.
      const second = await book(page, service);
      await payAtCashier(page);
      await pro.goto('/pro/orders');
      await clickAndNavigate(pro, `#requests li[data-id="${second.orderUrl.split('/')[2]}"] button.accept`);
      await pro.goto(second.orderUrl);
      assert.equal(await status(pro), 'accepted');
      assert.ok(!(await pro.locator('#order-address').innerText()).includes('***'), 'address shown after accepting');
      // The customer hears about it on the notification list.
      await page.goto('/messages');
      assert.ok((await page.locator('#notifications').innerText()).includes('服务商已接单'));

      // The provider's working-hours editor keeps a day of leave.
      await pro.goto('/pro/schedule');
      assert.equal(await pro.locator('#day0').inputValue(), '09:00-18:00');
      const leaveDay = new Date(Date.parse(second.day) + 12 * 24 * HOUR).toISOString().slice(0, 10);
      await pro.locator('#exceptions').fill(`${leaveDay} leave`);
      await clickAndNavigate(pro, '#schedule-save');
      assert.equal(await pro.locator('#exceptions').inputValue(), `${leaveDay} leave`);
      await screenshot(pro, 'pro-schedule');

      await pro.goto('/pro/orders?view=week&from=' + second.day);
      assert.ok((await pro.locator(`.calendar-day[data-date="${second.day}"]`).innerText()).includes(second.time));
      await screenshot(pro, 'pro-calendar');

      await page.goto(second.orderUrl);
      await clickAndNavigate(page, '#order-reschedule');
      const dates = await page.locator('#reschedule-date option').evaluateAll((os) => os.map((o) => o.value));
      let moved = false;
      for (const d of dates.slice(2)) {
        await page.locator('#reschedule-date').selectOption(d);
        await clickAndNavigate(page, '#reschedule-show');
        if ((await page.locator('#reschedule-form input[name="time"]').count()) > 0) {
          await page.locator('#reschedule-form input[name="time"]').first().check();
          await clickAndNavigate(page, '#reschedule-submit');
          moved = true;
          break;
        }
      }
      assert.ok(moved, 'moved to another day');
      assert.ok((await page.locator('#order-timeline').innerText()).includes('改约'));

      // An hour before the start, cancelling costs what the policy says (50 % or 100 %).
      const startMs = Number(await page.locator('#order-summary').getAttribute('data-start-ms'));
      const policy = await page.locator('#order-summary').getAttribute('data-policy');
      const nowMs = await advanceClock(page, 1);
      const toOneHourBefore = Math.floor((startMs - HOUR - nowMs) / 60_000);
      if (toOneHourBefore > 0) await advanceClock(page, toOneHourBefore);
      await page.reload();
      await clickAndNavigate(page, '#order-cancel');
      const pct = { flexible: 50, standard: 100, strict: 100 }[policy];
      const shown = await page.locator('#cancel-fee').innerText();
      assert.ok(shown.includes(`（${pct}%）`), `${policy} 1 h before: ${shown}`);
      await screenshot(page, 'order-cancel-fee');
      await clickAndNavigate(page, '#cancel-confirm');
      assert.equal(await status(page), 'cancelled');
      const total = Number((await page.locator('#order-total').innerText()).replace(/[^0-9.]/g, ''));
      const fee = (total * pct) / 100;
      assert.ok(
        (await page.locator('#order-amounts').innerText()).includes(`¥${fee.toFixed(2)}`),
        'the fee kept is shown on the order',
      );
    } finally {
      await customerCtx.close();
      await providerCtx.close();
    }
  });
});
