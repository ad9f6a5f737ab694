// Journeys several browser tests share, over the JSON API of the server under test: sign in,
// and book one of the demo provider's services for the demo customer and take it through the
// whole job to `completed` (paid in dev mode, accepted, checked in, service code, checklist).

import assert from 'node:assert/strict';

export const PASSWORD = 'Linli2026';
export const CUSTOMER = '13900000001';
export const PROVIDER = '13600000001';
const MINUTE = 60_000;

/** A real 2×2 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==',
  'base64',
);

/** JSON API call with a bearer token; asserts the status. */
export async function api(request, method, path, token, data, expect = 200) {
  const res = await request.fetch(path, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    data,
  });
  assert.equal(res.status(), expect, `${method} ${path}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

export async function login(request, phone) {
  return (await api(request, 'POST', '/api/v1/auth/login', null, { phone, password: PASSWORD })).access_token;
}

/** Books one of the demo provider's services for the demo customer and takes it to `completed`. */
export async function completedOrder(request) {
  return servedOrder(request);
}

/** Moves the dev clock forward by `minutes` (at least one); returns its time (ms). */
export async function advanceClock(request, minutes) {
  let now = 0;
  let left = Math.max(1, Math.ceil(minutes));
  while (left > 0) {
    const step = Math.min(left, 10_080);
    now = (await api(request, 'POST', '/api/v1/dev/clock', null, { minutes: step })).now_ms;
    left -= step;
  }
  return now;
}

/** Books the first bookable service of the demo provider that `accept(listing)` takes, for the
 * demo customer; pays (dev API), accepts, and moves the dev clock to 30 minutes before the
 * start (a start is allowed from an hour before). */
export async function acceptedOrder(request, accept = () => true) {
  const customer = await login(request, CUSTOMER);
  const provider = await login(request, PROVIDER);
  const address = await api(request, 'POST', '/api/v1/me/addresses', customer, {
    district_code: '310101',
    detail: '南京东路 100 号 1201 室',
    contact_name: '王小明',
    contact_phone: '13912345678',
  }, 201);
  const listings = (await api(request, 'GET', '/api/v1/provider/listings', provider))
    .filter((l) => l.status === 'published' && accept(l));
  let order = null;
  for (const l of listings) {
    for (let d = 2; d <= 10 && !order; d++) {
      const date = new Date(Date.now() + d * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
      const res = await request.get(`/api/v1/listings/${l.id}/slots?address=${address.id}&date=${date}`, {
        headers: { authorization: `Bearer ${customer}` },
      });
      if (res.status() !== 200) continue;
      const slots = await res.json();
      if (!slots.served || slots.times.length === 0) continue;
      order = await api(request, 'POST', '/api/v1/orders', customer, { listing: l.id, address: address.id, date, time: slots.times[0] }, 201);
    }
    if (order) break;
  }
  assert.ok(order, 'a bookable service of the demo provider');
  const paid = await api(request, 'POST', `/api/v1/dev/orders/${order.id}/pay`, customer, {});
  if (paid.status === 'awaiting_acceptance') {
    await api(request, 'POST', `/api/v1/provider/orders/${order.id}/accept`, provider, {});
  }
  const now = (await api(request, 'POST', '/api/v1/dev/clock', null, { minutes: 1 })).now_ms;
  await advanceClock(request, (order.start_ms - 30 * MINUTE - now) / MINUTE);
  return order;
}

/** Books one of the demo provider's services for the demo customer (with `hourly`, an hourly
 * one) and takes it through the job: paid, accepted, checked in, service code, checklist; then,
 * unless `complete` is false, checked out. */
export async function servedOrder(request, { hourly = false, complete = true } = {}) {
  const order = await acceptedOrder(request, (l) => !hourly || l.unit === 'hour');
  const customer = await login(request, CUSTOMER);
  const provider = await login(request, PROVIDER);
  await api(request, 'POST', `/api/v1/provider/orders/${order.id}/check-in`, provider, {
    lat_micro: 31_234_000,
    lng_micro: 121_475_000,
    reason: '测试打卡',
  });
  const visit = await api(request, 'GET', `/api/v1/orders/${order.id}/visit`, customer);
  const coded = await api(request, 'POST', `/api/v1/provider/orders/${order.id}/service-code`, provider, { code: visit.service_code });
  for (const item of coded.checklist) {
    const res = await request.post(`/api/v1/provider/orders/${order.id}/checklist/${item.index}`, {
      headers: { authorization: `Bearer ${provider}`, 'content-type': 'image/png' },
      data: item.photo_required ? PNG : Buffer.alloc(0),
    });
    assert.equal(res.status(), 200, await res.text());
  }
  if (!complete) return order;
  const done = await api(request, 'POST', `/api/v1/provider/orders/${order.id}/complete`, provider, {});
  assert.equal(done.status, 'completed');
  return order;
}

/** Reloads `path` until `check` holds (jobs run in the background). */
export async function eventually(page, path, what, check) {
  for (let i = 0; i < 40; i++) {
    await page.goto(path);
    if (await check()) return;
    await page.waitForTimeout(500);
  }
  assert.fail(`timed out waiting for ${what}`);
}
