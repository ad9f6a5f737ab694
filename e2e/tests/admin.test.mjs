// The admin console: the demo operator creates a role, grants it to a new account, and the
// account list masks every phone.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEMO_ADMIN,
  VIEWPORTS,
  clickAndNavigate,
  loginPassword,
  maskPhone,
  randomPhone,
  register,
  screenshot,
  textOf,
  useApp,
  waitForPath,
} from '../lib/harness.mjs';

const app = useApp();
const FULL_PHONE = /(?<!\d)1[3-9]\d{9}(?!\d)/;

describe('admin console', () => {
  for (const vp of VIEWPORTS) {
    test(`the operator creates a role, grants it to a new account that can then open the console, and the user list masks phones (${vp.name})`, async () => {
      const adminCtx = await app.newContext(vp);
      const staffCtx = await app.newContext(vp);
      try {
        const page = await adminCtx.newPage();
        await loginPassword(page, DEMO_ADMIN.phone, DEMO_ADMIN.password);
        assert.equal(await page.locator('#logout').count(), 1, 'operator signed in');

        const home = await page.goto('/admin');
        assert.equal(home.status(), 200);
        assert.ok(await page.locator('#admin-title').isVisible(), 'dashboard shown');
        assert.ok(await page.locator('aside.sidebar').isVisible(), 'console sidebar shown');
        await screenshot(page, `admin-${vp.name}`);

        // Create a role with two permissions.
        const roleName = `客服${randomPhone().slice(-4)}`;
        await page.goto('/admin/roles');
        await page.locator('#role-name').fill(roleName);
        const create = page.locator('#role-create');
        await create.locator('input[name=permissions][value="console.access"]').check();
        await create.locator('input[name=permissions][value="users.view"]').check();
        await clickAndNavigate(page, '#role-create-submit');
        assert.ok(await page.locator('#flash').isVisible(), 'flash after creating the role');
        assert.doesNotMatch(await page.locator('#flash').getAttribute('class'), /flash-error/);
        const row = page.locator(`form.role-row[data-role="${roleName}"]`);
        assert.ok(await row.isVisible(), 'the new role is listed');
        assert.match(await row.innerText(), new RegExp(roleName));
        assert.ok(await row.locator('input[value="console.access"]').isChecked());
        assert.ok(await row.locator('input[value="users.view"]').isChecked());
        assert.ok(!(await row.locator('input[value="roles.manage"]').isChecked()));

        // A second account registers in its own browser context; a customer cannot open /admin.
        const staffPhone = randomPhone();
        const staff = await staffCtx.newPage();
        await register(staff, { phone: staffPhone, nickname: `员工${staffPhone.slice(-4)}` });
        await waitForPath(staff, '/me');
        assert.equal((await staff.goto('/admin')).status(), 403);

        // Grant it the new role.
        await page.locator('#grant-phone').fill(staffPhone);
        await page.locator('#grant-role').selectOption({ label: roleName });
        await clickAndNavigate(page, '#grant-submit');
        assert.ok(await page.locator('#flash').isVisible(), 'flash after granting');
        assert.doesNotMatch(await page.locator('#flash').getAttribute('class'), /flash-error/);
        const entry = page.locator('#staff-list li', { hasText: maskPhone(staffPhone) });
        assert.equal(await entry.count(), 1, 'the account is listed as staff');
        assert.match(await entry.innerText(), new RegExp(roleName));
        assert.doesNotMatch(await textOf(page, '#staff-list'), FULL_PHONE, 'staff phones are masked');
        await screenshot(page, `admin-roles-${vp.name}`);

        // The granted account now opens the console, but not the role management it lacks.
        const staffHome = await staff.goto('/admin');
        assert.equal(staffHome.status(), 200);
        assert.ok(await staff.locator('#admin-title').isVisible());
        assert.equal(await staff.locator('#nav-users').count(), 1, 'users.view shows the users link');
        assert.equal(await staff.locator('#nav-roles').count(), 0, 'no roles link without roles.manage');
        assert.equal((await staff.goto('/admin/roles')).status(), 403);

        // The user list masks every phone.
        const users = await page.goto('/admin/users');
        assert.equal(users.status(), 200);
        const table = page.locator('#users-table');
        assert.ok(await table.isVisible());
        const tableText = await table.innerText();
        assert.match(tableText, /\*\*\*\*/);
        assert.doesNotMatch(tableText, FULL_PHONE, 'no full 11-digit phone in the table');
        const html = await page.content();
        for (const full of [staffPhone, DEMO_ADMIN.phone]) {
          assert.ok(!html.includes(full), `${full} does not appear anywhere in the page`);
        }
        await screenshot(page, `admin-users-${vp.name}`);

        // Searching by the full number finds the account, still masked.
        await page.locator('#user-search').fill(staffPhone);
        await page.locator('#user-search').press('Enter');
        await page.waitForURL(/\/admin\/users\?q=/);
        const found = await page.locator('#users-table tbody').innerText();
        assert.match(found, new RegExp(maskPhone(staffPhone).replace(/\*/g, '\\*')));
        assert.doesNotMatch(found, FULL_PHONE);
      } finally {
        await adminCtx.close();
        await staffCtx.close();
      }
    });
  }
});
