// The demo's single-page client: plain JavaScript, no build step.
//
// Cookie mode (served by the API itself): the browser keeps the session in
// HttpOnly cookies; this script never sees a token.
// Header mode (served by the second origin): the session is created with
// Session-Transfer: header; the tokens arrive in the Access-Token and
// Refresh-Token response headers and are kept in sessionStorage (this tab
// only), sent back as Authorization: Bearer. Tokens are never shown.
'use strict';

const cfg = window.DEMO || { api: '', mode: 'cookie' };
const headerMode = cfg.mode === 'header';
const keys = { access: 'sessionguard-demo.access', refresh: 'sessionguard-demo.refresh' };
const $ = (id) => document.getElementById(id);
let refreshes = 0;
let expiryTimer = null;

function authorization(kind) {
  if (!headerMode) return {};
  const t = sessionStorage.getItem(keys[kind]);
  return t ? { Authorization: 'Bearer ' + t } : {};
}

// keepTokens stores the header-mode tokens of a response; a field that is
// present and empty clears its token (logout, a refused refresh).
function keepTokens(res) {
  if (!headerMode) return;
  for (const [kind, name] of [['access', 'Access-Token'], ['refresh', 'Refresh-Token']]) {
    const v = res.headers.get(name);
    if (v === null) continue;
    if (v) sessionStorage.setItem(keys[kind], v); else sessionStorage.removeItem(keys[kind]);
  }
}

function send(path, { method = 'GET', body, headers = {} } = {}) {
  const h = { ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  return fetch(cfg.api + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: headerMode ? 'omit' : 'same-origin',
    cache: 'no-store',
  });
}

// refresh runs at most one refresh at a time: concurrent callers share it,
// so a rotated refresh token is never presented twice.
let refreshing = null;
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const res = await send('/auth/refresh', { method: 'POST', headers: authorization('refresh') });
      keepTokens(res);
      if (res.ok) $('p-refreshes').textContent = String(++refreshes);
      return res.ok;
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

// api calls the API with the session; on 401 TRY_REFRESH_TOKEN it refreshes
// the session transparently and retries once.
async function api(path, opts = {}) {
  for (let attempt = 0; ; attempt++) {
    const res = await send(path, { ...opts, headers: { ...authorization('access'), ...(opts.headers || {}) } });
    keepTokens(res);
    if (res.status !== 401 || attempt > 0) return res;
    const err = await res.clone().json().catch(() => ({}));
    if (err.error !== 'TRY_REFRESH_TOKEN' || !(await refresh())) return res;
  }
}

function notice(text) {
  $('notice').textContent = text || '';
  $('notice').hidden = !text;
}

function show(view) {
  for (const v of ['signin', 'profile', 'devices']) $('view-' + v).hidden = v !== view;
  $('nav').hidden = view === 'signin';
  $('nav-profile').classList.toggle('active', view === 'profile');
  $('nav-devices').classList.toggle('active', view === 'devices');
  document.body.dataset.view = view;
}

function signedOut(message) {
  sessionStorage.removeItem(keys.access);
  sessionStorage.removeItem(keys.refresh);
  clearInterval(expiryTimer);
  notice(message);
  if (location.hash !== '#signin') history.replaceState(null, '', '#signin');
  show('signin');
}

async function signIn(ev) {
  ev.preventDefault();
  notice('');
  const res = await send('/api/login', {
    method: 'POST',
    body: { name: $('name').value },
    headers: { 'Session-Transfer': headerMode ? 'header' : 'cookie' },
  });
  keepTokens(res);
  if (!res.ok) {
    const err = await res.json().catch(() => ({}));
    notice('Sign-in refused: ' + (err.message || res.status));
    return;
  }
  location.hash = '#profile'; // hashchange loads the profile
}

const sourceText = {
  cookie: 'cookie (HttpOnly, set by the API on its own origin)',
  header: 'Authorization: Bearer header (header mode)',
};

async function loadProfile() {
  const res = await api('/api/profile');
  if (res.status === 401) return signedOut('Your session has ended. Please sign in.');
  if (!res.ok) return notice('The API answered ' + res.status);
  const p = await res.json();
  $('p-sub').textContent = p.sub;
  $('p-sid').textContent = p.sid;
  $('p-source').textContent = sourceText[p.source] || p.source;
  $('p-framework').textContent = p.framework;
  if (p.backend) {
    const b = p.backend;
    $('p-backend').textContent = `verified ${b.sub}, session ${b.sid}, token from the ${b.source} (forwarded by the API)`;
  } else {
    $('p-backend').textContent = p.backend_error || 'no answer';
  }
  clearInterval(expiryTimer);
  const tick = () => {
    const s = Math.round(p.expires_at - Date.now() / 1000);
    $('p-expiry').textContent = s > 0 ? s + ' s' : 'expired (the next request refreshes it)';
  };
  tick();
  expiryTimer = setInterval(tick, 1000);
  show('profile');
}

function browserOf(ua) {
  if (!ua) return 'unknown';
  const b = /Edg\//.test(ua) ? 'Edge' : /HeadlessChrome/.test(ua) ? 'Headless Chrome'
    : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox'
      : /Safari\//.test(ua) ? 'Safari' : ua.split(/[ /]/)[0];
  const os = /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Android/.test(ua) ? 'Android'
    : /iPhone|iPad/.test(ua) ? 'iOS' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${b} on ${os}` : b;
}

const when = (unix) => new Date(unix * 1000).toLocaleString();

async function loadDevices() {
  const res = await api('/auth/sessions');
  if (res.status === 401) return signedOut('Your session has ended. Please sign in.');
  if (!res.ok) return notice('The API answered ' + res.status);
  const { sessions } = await res.json();
  const rows = sessions.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.sid = s.sid;
    for (const text of [browserOf(s.user_agent), s.ip || 'unknown', when(s.created_at), when(s.refreshed_at)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement('td');
    if (s.current) {
      td.textContent = 'this device';
      td.className = 'current';
    } else {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = 'Revoke';
      btn.className = 'revoke';
      btn.addEventListener('click', () => revoke(s.sid));
      td.append(btn);
    }
    tr.append(td);
    return tr;
  });
  $('devices').replaceChildren(...rows);
  $('revoke-others').disabled = sessions.length < 2;
  show('devices');
}

async function revoke(sid) {
  const res = await api('/auth/sessions/revoke', { method: 'POST', body: { sid } });
  notice(res.status === 204 ? 'That device is signed out.' : 'Revoking failed: ' + res.status);
  await loadDevices();
}

async function revokeOthers() {
  const res = await api('/api/sessions/revoke-others', { method: 'POST' });
  notice(res.status === 204 ? 'Every other device is signed out.' : 'Failed: ' + res.status);
  await loadDevices();
}

async function signOut() {
  // Cookie mode: the cookies name the session. Header mode: the refresh
  // token does (valid whether or not the access token has expired).
  await send('/auth/logout', { method: 'POST', headers: authorization('refresh') });
  signedOut('You signed out.');
}

async function route() {
  const view = location.hash.slice(1);
  if (view === 'devices') return loadDevices();
  return loadProfile(); // sign-in shows when there is no session
}

$('mode').textContent = headerMode
  ? `Header mode: second origin ${location.origin} calling the API at ${cfg.api} (tokens in sessionStorage)`
  : `Cookie mode: served by the API at ${location.origin} (tokens in HttpOnly cookies)`;
$('signin-form').addEventListener('submit', signIn);
$('reload').addEventListener('click', loadProfile);
$('revoke-others').addEventListener('click', revokeOthers);
$('signout').addEventListener('click', signOut);
window.addEventListener('hashchange', () => { if (location.hash !== '#signin') route(); });
route();
