// Sign-up, SMS-code sign-in, password sign-in and sign-out, clicked through in Chromium.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  VIEWPORTS,
  clickAndNavigate,
  logout,
  pathOf,
  randomPhone,
  readSmsCode,
  register,
  screenshot,
  textOf,
  useApp,
  waitForPath,
  withPage,
} from '../lib/harness.mjs';

const app = useApp();

describe('accounts', () => {
  for (const vp of VIEWPORTS) {
    test(`a new customer registers, signs out, signs back in with an SMS code and then with the password (${vp.name})`, async () => {
      await withPage(app, vp, async (page, ctx) => {
        const phone = randomPhone();
        const password = 'Secret123';

        // Register: lands on /me, signed in, with a flash and the full phone on the profile.
        await page.goto('/register');
        await screenshot(page, `register-${vp.name}`);
        await register(page, { phone, password, nickname: `测试${phone.slice(-4)}` });
        await waitForPath(page, '/me');
        assert.ok(await page.locator('#flash').isVisible(), 'flash shown after registering');
        assert.equal(await textOf(page, '#profile-phone'), phone);
        assert.equal(await textOf(page, '#profile-nickname'), `测试${phone.slice(-4)}`);
        assert.equal(await page.locator('#logout').count(), 1, 'signed in after registering');
        await screenshot(page, `me-${vp.name}`);

        // Log out: back on /login, signed out.
        await logout(page);
        assert.equal(new URL(page.url()).pathname, '/login');
        assert.equal(await page.locator('#logout').count(), 0, 'signed out');
        assert.equal(await page.locator('#nav-login').count(), 1, 'login link shown when signed out');

        // SMS login: send a code, read it from the dev inbox, sign in with it.
        await page.goto('/login?tab=sms');
        assert.ok(await page.locator('#tab-sms.active').isVisible(), 'SMS tab is active');
        await page.locator('#sms-phone').fill(phone);
        const sent = await clickAndNavigate(page, '#send-code');
        assert.equal(sent.status(), 200);
        // Post/Redirect/Get: back on the login page (a reload cannot send a second SMS).
        assert.equal(new URL(page.url()).pathname, '/login');
        assert.ok(await page.locator('#flash.flash-ok').isVisible(), 'notice that the code was sent');
        assert.equal(await page.locator('#form-error').count(), 0);
        assert.equal(await page.locator('#sms-phone').inputValue(), phone, 'phone stays filled in');
        assert.ok(await page.locator('#send-code').isDisabled(), 'the send button counts down the resend cooldown');
        assert.match(await textOf(page, "#send-code"), /^\d+ 秒后重发$/);
        await screenshot(page, `login-sms-sent-${vp.name}`);

        const { code, text } = await readSmsCode(ctx, phone);
        assert.match(text, /验证码/);
        await page.locator('#code').fill(code);
        await clickAndNavigate(page, '#sms-submit');
        assert.equal(await page.locator('#logout').count(), 1, 'signed in with the SMS code');
        assert.equal(await page.locator('#form-error').count(), 0);
        await page.goto('/me');
        assert.equal(await textOf(page, '#profile-phone'), phone, 'the same account is signed in');

        // Log out again, then the password tab (the default).
        await logout(page);
        await page.goto('/login');
        assert.ok(await page.locator('#tab-password.active').isVisible(), 'password tab is the default');
        await screenshot(page, `login-${vp.name}`);
        await page.locator('#phone').fill(phone);
        await page.locator('#password').fill(password);
        await clickAndNavigate(page, '#login-submit');
        assert.equal(await page.locator('#logout').count(), 1, 'signed in with the password');
        await page.goto('/me');
        assert.equal(await textOf(page, '#profile-phone'), phone);
      });
    });

    test(`a wrong password is refused with an error and the visitor stays on the login form, signed out (${vp.name})`, async () => {
      await withPage(app, vp, async (page) => {
        const phone = randomPhone();
        await register(page, { phone, password: 'Secret123' });
        await waitForPath(page, '/me');
        await logout(page);

        await page.goto('/login');
        await page.locator('#phone').fill(phone);
        await page.locator('#password').fill('Wrong-password-1');
        const res = await clickAndNavigate(page, '#login-submit');
        assert.ok(res.status() >= 400 && res.status() < 500, `status ${res.status()} is a client error`);
        assert.ok(await page.locator('#form-error').isVisible(), 'error shown');
        assert.ok((await textOf(page, '#form-error')).length > 0, 'error has text');
        assert.ok(await page.locator('#login-submit').isVisible(), 'still the password login form');
        assert.equal(await page.locator('#phone').inputValue(), phone, 'phone kept in the form');
        assert.match(new URL(page.url()).pathname, /^\/login/);
        assert.equal(await page.locator('#logout').count(), 0, 'not signed in');
        await screenshot(page, `login-wrong-password-${vp.name}`);

        // And /me still needs a login.
        await page.goto('/me');
        assert.match(pathOf(page), /^\/login\?next=(%2Fme|\/me)$/);
      });
    });
  }
});
