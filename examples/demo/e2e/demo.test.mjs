// Browser tests of examples/demo: builds the demo, starts it on free
// loopback ports with a temporary data folder, drives the system Chromium
// (/usr/bin/chromium) through playwright-core, stops the demo.
//
//   cd examples/demo/e2e && npm ci && npm test          # net/http
//   DEMO_FRAMEWORK=fiber npm test                        # gin, echo, fiber
//
// Screenshots go to artifacts/<framework>/ (gitignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const framework = process.env.DEMO_FRAMEWORK || 'nethttp';
const accessTTL = Number(process.env.DEMO_ACCESS_TTL || 5); // seconds
const artifacts = join(here, 'artifacts', framework);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
// Exactly these flags (no QUIC, no background traffic: loopback only).
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let tmp, demo, demoExit, api, app, backend, attacker, attackerServer, browser;
const ctx = {}; // browser contexts by name
const pages = {};
const signedInAt = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, name + '.png'), fullPage: true });
}

// startDemo builds the binary and waits for its "ready" line.
async function startDemo() {
  const bin = join(tmp, 'demo');
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: join(here, '..'), stdio: 'inherit' });
  demo = spawn(bin, ['-framework', framework, '-addr', '127.0.0.1:0', '-app-addr', '127.0.0.1:0',
    '-backend-addr', '127.0.0.1:0', '-data', join(tmp, 'data'), '-access-ttl', accessTTL + 's'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  demoExit = new Promise((resolve) => demo.on('exit', (code, signal) => resolve({ code, signal })));
  let logs = '';
  demo.stderr.on('data', (b) => { logs += b; });
  demo.logs = () => logs;
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the demo did not get ready in 60 s:\n' + out + logs)), 60000);
    demo.stdout.on('data', (b) => {
      out += b;
      if (/^ready$/m.test(out)) { clearTimeout(timer); resolve(); }
    });
    demo.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the demo exited (${code}):\n${out}${logs}`)); });
  });
  api = out.match(/^cookie mode \(same origin\):\s+(\S+)\/$/m)[1];
  app = out.match(/^header mode \(second origin\):\s+(\S+)\/$/m)[1];
  backend = out.match(/^second backend:\s+(\S+)\/whoami/m)[1];
}

// The attacker: a third origin (another loopback port, so the same site as
// the API: SameSite=Lax cookies are sent) whose pages try to use the
// victim's cookie session.
function attackerPages(apiBase) {
  const form = (action) => `<!doctype html><title>attacker</title><h1>Win a prize!</h1>
<form id="f" method="POST" action="${apiBase}${action}"><input type="hidden" name="x" value="1"><button>Claim</button></form>`;
  return {
    '/revoke-others': form('/api/sessions/revoke-others'),
    '/logout': form('/auth/logout'),
    '/fetch': `<!doctype html><title>attacker</title><h1>Reading your profile…</h1><pre id="out">running</pre>
<script>
(async () => {
  const lines = [];
  try {
    const r = await fetch(${JSON.stringify(apiBase)} + '/api/profile', { credentials: 'include' });
    lines.push('read profile: ' + r.status + ' ' + (await r.text()));
  } catch (e) { lines.push('read profile: blocked (' + e.name + ')'); }
  try {
    const r = await fetch(${JSON.stringify(apiBase)} + '/api/sessions/revoke-others', { method: 'POST', credentials: 'include' });
    lines.push('revoke others: ' + r.status);
  } catch (e) { lines.push('revoke others: blocked (' + e.name + ')'); }
  document.getElementById('out').textContent = lines.join('\\n');
  document.body.dataset.done = '1';
})();
</script>`,
  };
}

async function startAttacker() {
  const served = attackerPages(api);
  attackerServer = createServer((req, res) => {
    const body = served[req.url];
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(body || 'not found');
  });
  await new Promise((r) => attackerServer.listen(0, '127.0.0.1', r));
  attacker = `http://127.0.0.1:${attackerServer.address().port}`;
}

async function newPage(name, options = {}) {
  ctx[name] = await browser.newContext(options);
  ctx[name].setDefaultTimeout(10000);
  pages[name] = await ctx[name].newPage();
  pages[name].on('pageerror', (e) => console.error(`[${name}] page error:`, e.message));
  return pages[name];
}

async function signIn(page, origin, name) {
  await page.goto(origin + '/');
  await page.waitForSelector('#view-signin:not([hidden])');
  await page.fill('#name', name);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/profile') && r.status() === 200),
    page.click('#signin'),
  ]);
  await page.waitForSelector('#view-profile:not([hidden])');
  signedInAt.push(Date.now());
}

const text = (page, sel) => page.textContent(sel);

// showDevices opens (or reopens) the devices view and waits for its list.
async function showDevices(page) {
  if (await page.evaluate(() => location.hash) === '#devices') {
    await page.click('#nav-profile');
    await page.waitForSelector('#view-profile:not([hidden])');
  }
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/auth/sessions') && r.status() === 200),
    page.click('#nav-devices'),
  ]);
  await page.waitForSelector('#view-devices:not([hidden])');
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'sessionguard-demo-e2e-'));
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  await startDemo();
  await startAttacker();
  // launch() runs Chromium with a fresh temporary --user-data-dir of its own
  // (removed on close); each context below is a separate cookie jar.
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
});

after(async () => {
  if (demo) writeFileSync(join(artifacts, 'demo.log'), demo.logs());
  await browser?.close();
  attackerServer?.close();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGINT'); // the demo's own graceful shutdown
    const { code } = await demoExit;
    assert.equal(code, 0, 'the demo exits 0 on SIGINT');
  }
  rmSync(tmp, { recursive: true, force: true });
});

test('sign in with cookies shows the profile and the second backend\'s answer', async () => {
  const page = await newPage('a');
  await page.goto(api + '/');
  await page.waitForSelector('#view-signin:not([hidden])');
  assert.equal(await page.isVisible('#nav'), false, 'no navigation while signed out');
  assert.match(await text(page, '#signin-form'), /Development sign-in/);
  await shot(page, '01-signin');
  await signIn(page, api, 'alice');
  assert.equal(await text(page, '#p-sub'), 'alice');
  assert.match(await text(page, '#p-source'), /^cookie/);
  assert.match(await text(page, '#p-backend'), /^verified alice, session \S+, token from the header/);
  assert.equal(await text(page, '#p-framework'), framework);
  const expiry = await text(page, '#p-expiry');
  assert.match(expiry, /^\d+ s$/);
  pages.a.sid = await text(page, '#p-sid');
  assert.match(pages.a.sid, /^[A-Za-z0-9_-]{16,}$/);

  // The cookies as Chromium keeps them: Secure works on plain http
  // 127.0.0.1 (a potentially trustworthy origin), the tokens are HttpOnly.
  const cookies = Object.fromEntries((await ctx.a.cookies(api)).map((c) => [c.name, c]));
  for (const name of ['access_token', 'refresh_marker']) {
    assert.ok(cookies[name], `${name} is kept`);
    assert.equal(cookies[name].secure, true, `${name} is Secure`);
    assert.equal(cookies[name].sameSite, 'Lax');
  }
  assert.equal(cookies.access_token.httpOnly, true);
  assert.equal(cookies.refresh_marker.httpOnly, false);
  const refreshCookie = (await ctx.a.cookies(api + '/auth/refresh')).find((c) => c.name === 'refresh_token');
  assert.ok(refreshCookie, 'the refresh cookie is kept for /auth');
  assert.equal(refreshCookie.path, '/auth');
  assert.equal(refreshCookie.httpOnly, true);
  assert.equal(await page.evaluate(() => document.cookie), 'refresh_marker=1', 'scripts see only the marker');
  const body = await page.content();
  for (const c of [cookies.access_token, refreshCookie]) assert.ok(!body.includes(c.value), 'no token in the page');
  await shot(page, '02-profile-cookie');
});

test('Secure cookies work on plain http://localhost too', async () => {
  const page = await newPage('localhost');
  const origin = api.replace('127.0.0.1', 'localhost');
  await signIn(page, origin, 'carol');
  assert.equal(await text(page, '#p-sub'), 'carol');
  const cookies = await ctx.localhost.cookies(origin);
  assert.ok(cookies.length >= 2 && cookies.every((c) => c.secure && c.domain === 'localhost'));
  await ctx.localhost.close();
});

test('a second browser context signs in as the same user', async () => {
  const page = await newPage('b');
  await signIn(page, api, 'alice');
  pages.b.sid = await text(page, '#p-sid');
  assert.notEqual(pages.b.sid, pages.a.sid);
});

test('header mode from the second origin', async () => {
  const page = await newPage('c');
  await signIn(page, app, 'bob');
  assert.match(await text(page, '#mode'), /^Header mode/);
  assert.equal(await text(page, '#p-sub'), 'bob');
  assert.match(await text(page, '#p-source'), /^Authorization: Bearer/);
  assert.match(await text(page, '#p-backend'), /^verified bob, session \S+, token from the header/);
  assert.deepEqual(await ctx.c.cookies(api), [], 'no cookie for the API in header mode');
  const stored = await page.evaluate(() => Object.keys(sessionStorage).sort());
  assert.deepEqual(stored, ['sessionguard-demo.access', 'sessionguard-demo.refresh']);
  const tokens = await page.evaluate(() => Object.values(sessionStorage));
  const body = await page.content();
  for (const t of tokens) assert.ok(!body.includes(t), 'no token in the page');
  await shot(page, '03-profile-header-mode');
});

test('past the access lifetime the next call refreshes transparently and retries', async () => {
  const wait = Math.max(...signedInAt) + (accessTTL + 2) * 1000 - Date.now();
  await sleep(wait);
  for (const name of ['a', 'c']) {
    const page = pages[name];
    const seen = [];
    const onResponse = (r) => { if (r.url().startsWith(api)) seen.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`); };
    page.on('response', onResponse);
    const sid = await text(page, '#p-sid');
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/profile') && r.status() === 200),
      page.click('#reload'),
    ]);
    page.off('response', onResponse);
    assert.deepEqual(seen.filter((l) => !l.startsWith('OPTIONS')),
      ['GET /api/profile 401', 'POST /auth/refresh 200', 'GET /api/profile 200'], `${name}: refresh then retry`);
    assert.equal(await text(page, '#p-refreshes'), '1');
    assert.equal(await text(page, '#p-sid'), sid, 'same session');
    assert.match(await text(page, '#p-expiry'), /^\d+ s$/);
  }
  await shot(pages.a, '04-profile-after-refresh');
});

test('your devices shows both sessions; revoking the other signs it out at its next refresh', async () => {
  const page = pages.a;
  await showDevices(page);
  await page.waitForFunction(() => document.querySelectorAll('#devices tr').length === 2);
  assert.equal(await page.locator('#devices tr .current').count(), 1);
  const current = await page.locator('#devices tr:has(.current)').getAttribute('data-sid');
  assert.equal(current, pages.a.sid);
  const rowText = await text(page, `#devices tr[data-sid="${pages.b.sid}"]`);
  assert.match(rowText, /Headless Chrome on Linux/);
  assert.match(rowText, /127\.0\.0\.1/);
  await shot(page, '05-devices-two');

  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/auth/sessions/revoke') && r.status() === 204),
    page.click(`#devices tr[data-sid="${pages.b.sid}"] button.revoke`),
  ]);
  await page.waitForFunction(() => document.querySelectorAll('#devices tr').length === 1);
  await shot(page, '06-devices-after-revoke');

  const b = pages.b; // its access token expired during the wait
  const refreshed = b.waitForResponse((r) => r.url().endsWith('/auth/refresh'));
  await b.click('#reload');
  assert.equal((await refreshed).status(), 401, 'the revoked session cannot refresh');
  await b.waitForSelector('#view-signin:not([hidden])');
  assert.equal(await b.isVisible('#nav'), false);
  assert.match(await text(b, '#notice'), /session has ended/);
  assert.deepEqual((await ctx.b.cookies(api)).map((c) => c.name), [], 'the refused refresh cleared the cookies');
  await shot(b, '07-revoked-device-lands-on-sign-in');
});

test('an attacker page on a third origin cannot use the cookie session', async () => {
  // Another device of alice's, which a successful "revoke others" would end.
  await signIn(await newPage('d'), api, 'alice');
  // A live session to abuse: a fresh access cookie (refreshed if need be).
  await Promise.all([
    pages.a.waitForResponse((r) => r.url().endsWith('/api/profile') && r.status() === 200),
    pages.a.click('#nav-profile'),
  ]);
  const page = await ctx.a.newPage();
  for (const path of ['/revoke-others', '/logout']) {
    await page.goto(attacker + path);
    const [resp] = await Promise.all([page.waitForNavigation(), page.click('#f button')]);
    assert.equal(resp.status(), 403, `${path}: the form POST is refused`);
    assert.match(await page.textContent('body'), /CROSS_ORIGIN_REQUEST/);
    if (path === '/revoke-others') await shot(page, '08-attacker-form-post-refused');
  }
  await page.goto(attacker + '/fetch');
  await page.waitForSelector('body[data-done="1"]');
  const out = await page.textContent('#out');
  assert.match(out, /read profile: blocked \(TypeError\)/, 'CORS hides the answer');
  assert.match(out, /revoke others: blocked \(TypeError\)/);
  await shot(page, '09-attacker-fetch-blocked');
  await page.close();

  // Nothing happened: still signed in, both devices still there.
  await pages.a.click('#reload');
  await pages.a.waitForSelector('#view-profile:not([hidden])');
  assert.equal(await text(pages.a, '#p-sid'), pages.a.sid);
  await showDevices(pages.a);
  assert.equal(await pages.a.locator('#devices tr').count(), 2);
});

test('sign out everywhere else', async () => {
  const d = pages.d;
  const page = pages.a;
  await showDevices(page);
  await page.waitForFunction(() => document.querySelectorAll('#devices tr').length === 2);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/sessions/revoke-others') && r.status() === 204),
    page.click('#revoke-others'),
  ]);
  await page.waitForFunction(() => document.querySelectorAll('#devices tr').length === 1);
  // The other device is refused at once (the revocation check), not only at its next refresh.
  await d.click('#reload');
  await d.waitForSelector('#view-signin:not([hidden])');
});

test('sign out', async () => {
  const page = pages.a;
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/auth/logout') && r.status() === 204),
    page.click('#signout'),
  ]);
  await page.waitForSelector('#view-signin:not([hidden])');
  assert.match(await text(page, '#notice'), /You signed out/);
  assert.deepEqual((await ctx.a.cookies(api)).map((c) => c.name), []);
  await page.reload();
  await page.waitForSelector('#view-signin:not([hidden])');
  await shot(page, '10-signed-out');

  const c = pages.c; // header mode
  await Promise.all([
    c.waitForResponse((r) => r.url().endsWith('/auth/logout') && r.status() === 204),
    c.click('#signout'),
  ]);
  await c.waitForSelector('#view-signin:not([hidden])');
  assert.deepEqual(await c.evaluate(() => Object.keys(sessionStorage)), []);
});

test('no token in the demo\'s logs', () => {
  const logs = demo.logs();
  assert.doesNotMatch(logs, /eyJ[A-Za-z0-9_-]{10,}\./, 'no JWS in the logs');
});
