// The console and /docs in a real browser: Debian's chromium, headless, driven by puppeteer-core.
// Signs in on /console/ as syt.manager, chooses SYT-BN and a period, and checks that the bars show
// the API's own rollup numbers (fetched here with the same account); checks the unit search, the
// language toggle, the reporting board and the staff search against the API; checks that /docs
// renders its title, an operation and a curl line; that neither page asks anything of another
// host. Screenshots go to SCREENS. Prints "PASS name" / "FAIL name: why" / "SCREEN path" lines.
// Environment: BASE (the server), SCREENS (folder), CHROMIUM (default /usr/bin/chromium),
// BDHVS_DEMO_PASSWORD, PERIOD (default 2026Q3).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const BASE = process.env.BASE || 'http://127.0.0.1:8080';
const SCREENS = process.env.SCREENS || 'var/test/screens';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PASSWORD = process.env.BDHVS_DEMO_PASSWORD || 'demo-2026-BacNinh';
const PERIOD = process.env.PERIOD || '2026Q3';
const UNIT = 'SYT-BN';
const WAIT = { timeout: 120000 };

let failures = 0;
const pass = (name) => console.log(`PASS ${name}`);
const fail = (name, why) => {
  failures++;
  console.log(`FAIL ${name}: ${why}`);
};
const check = (name, ok, why) => (ok ? pass(name) : fail(name, why));

async function api(path, token, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body) headers['Content-Type'] = 'application/json';
  const r = await fetch(BASE + path, { ...opts, headers });
  const text = await r.text();
  if (!r.ok) throw new Error(`${opts.method || 'GET'} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

async function shot(page, name, fullPage = true) {
  const path = join(SCREENS, name);
  await page.screenshot({ path, fullPage });
  console.log(`SCREEN ${path}`);
}

mkdirSync(SCREENS, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'bdhvs-chromium-'));
let browser;
try {
  // What the bars must show: the API's numbers for the same account, unit and period.
  const login = await api('/api/v1/auth/login', null, {
    method: 'POST', body: JSON.stringify({ username: 'syt.manager', password: PASSWORD }),
  });
  const token = login.access_token;
  const units = await api(`/api/v1/units?q=${UNIT}`, token);
  const unit = units.items.find((u) => u.code === UNIT);
  if (!unit) throw new Error(`${UNIT} is not in the demo data`);
  const rollup = await api(`/api/v1/indicators/rollup?unit_id=${unit.id}&period=${PERIOD}&depth=0`, token);
  const want = rollup.units.find((u) => u.unit_id === unit.id).indicators;
  const board = await api(`/api/v1/reporting-status?unit_id=${unit.id}&period=${PERIOD}`, token);
  const risk = await api(`/api/v1/indicators/at-risk?unit_id=${unit.id}&limit=10`, token);
  const staff = await api('/api/v1/staff?q=hoa&active=true&limit=50', token);

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    protocolTimeout: 180000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--window-size=1280,900'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const foreign = [];
  const consoleErrors = [];
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(BASE + '/') && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // Sign in.
  await page.goto(`${BASE}/console/`, { waitUntil: 'load', ...WAIT });
  await page.waitForSelector('#login:not([hidden])', WAIT);
  await shot(page, 'console-signin.png');
  await page.type('#username', 'syt.manager');
  await page.type('#password', PASSWORD);
  await Promise.all([
    page.waitForSelector('body[data-ready="tree"], body[data-ready="error"]', WAIT),
    page.click('#login button[type=submit]'),
  ]);
  if (await page.$('body[data-ready="error"]')) {
    throw new Error(`the console could not load the unit tree: ${await page.$eval('#tree', (el) => el.textContent)}`);
  }
  const who = await page.$eval('#who', (el) => el.textContent);
  check('console: syt.manager signs in', who.includes('manager'), `header shows "${who}"`);
  const stored = await page.evaluate(() => sessionStorage.getItem('bdhvs.token') !== null && localStorage.length === 0);
  check('console: the token is kept in sessionStorage, not localStorage', stored, 'storage is not as expected');

  // The unit tree and its search (diacritics ignored).
  const treeCodes = await page.$$eval('#tree span[data-code]', (els) => els.map((e) => e.dataset.code));
  check('console: the unit tree lists SYT-BN and the units under it',
    treeCodes.includes(UNIT) && treeCodes.includes('TTYT-SD') && treeCodes.includes('TYT-ANLAC'),
    `tree has ${treeCodes.join(' ')}`);
  await page.type('#tree-search', 'son dong');
  const found = await page.$$eval('#tree span[data-code]', (els) => els.map((e) => e.dataset.code));
  check('console: the unit search "son dong" finds TTYT-SD and not 24001',
    found.includes('TTYT-SD') && !found.includes('24001'), `search shows ${found.join(' ')}`);
  await page.$eval('#tree-search', (el) => { el.value = ''; el.dispatchEvent(new Event('input')); });

  // SYT-BN for the period: the bars against the API's rollup.
  await page.$eval('#period', (el, p) => { el.value = p; }, PERIOD);
  await Promise.all([
    page.waitForSelector('body[data-ready="unit"]', WAIT),
    page.click(`#tree span[data-code="${UNIT}"]`),
  ]);
  const bars = await page.$$eval('.bar', (els) => els.map((e) => ({
    code: e.dataset.code, numerator: e.dataset.numerator, denominator: e.dataset.denominator,
    value: e.dataset.value, target: e.dataset.target, figure: e.querySelector('.figure').textContent,
    width: e.querySelector('.fill').style.width,
  })));
  check('console: five bars CT1-CT5', bars.map((b) => b.code).join(',') === 'CT1,CT2,CT3,CT4,CT5',
    `bars ${bars.map((b) => b.code).join(',')}`);
  for (const w of want) {
    const b = bars.find((x) => x.code === w.code);
    const figure = `${w.value}% (${w.numerator}/${w.denominator})`;
    const ok = b && b.numerator === String(w.numerator) && b.denominator === String(w.denominator) &&
      b.value === String(w.value ?? '') && b.target === String(w.target ?? '') && b.figure.startsWith(figure) &&
      b.figure.includes(`${w.target}%`) && b.width === `${Math.max(0, Math.min(100, w.value ?? 0))}%`;
    check(`console: ${UNIT} ${PERIOD} ${w.code} bar shows the API's ${figure}, target ${w.target}%`, ok,
      `bar ${JSON.stringify(b)}`);
  }
  const riskRows = await page.$$eval('#at-risk tr', (els) => els.length - 1);
  check(`console: at-risk units listed as by the API (${risk.items.length})`, riskRows === Math.max(0, risk.items.length) ||
    (risk.items.length === 0 && riskRows === -1), `${riskRows} rows`);
  const summary = await page.$eval('#board-summary', (el) => ({ ...el.dataset }));
  const boardRows = await page.$$eval('#board tr', (els) => els.length - 1);
  check(`console: reporting board ${board.summary.received}/${board.summary.expected} received, ${board.items.length} units`,
    summary.expected === String(board.summary.expected) && summary.received === String(board.summary.received) &&
    boardRows === board.items.length, `board ${JSON.stringify(summary)}, ${boardRows} rows`);
  await shot(page, 'console-SYT-BN.png');

  // Staff search.
  await page.type('#staff-q', 'hoa');
  await Promise.all([page.waitForSelector('body[data-staff="done"]', WAIT), page.click('#staff-form button')]);
  const staffRows = await page.$$eval('#staff tr', (els) => els.length - 1);
  check(`console: staff search "hoa" lists the API's ${staff.items.length} people`,
    staffRows === staff.items.length || (staff.items.length === 0 && staffRows === -1), `${staffRows} rows`);

  // English labels.
  const viTitle = await page.$eval('header h1', (el) => el.textContent);
  // The toggle relabels at once and reloads the unit's figures (data-ready: loading, then unit).
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en' && document.body.dataset.ready === 'unit', WAIT);
  const enTitle = await page.$eval('header h1', (el) => el.textContent);
  const enBoard = await page.$eval('#board', (el) => el.textContent);
  check('console: the language toggle switches Vietnamese labels to English',
    viTitle.includes('Bảng điều hành') && enTitle.includes('Department console') && enBoard.includes('received'),
    `"${viTitle}" -> "${enTitle}"`);
  await shot(page, 'console-SYT-BN-en.png');
  check('console: no script error on the page', consoleErrors.length === 0, consoleErrors.join('; '));

  // /docs: the offline reference.
  await page.goto(`${BASE}/docs`, { waitUntil: 'load', ...WAIT });
  await page.waitForFunction(() => document.body.innerText.includes('Sign in with a username and password'), WAIT);
  const title = await page.title();
  const text = await page.evaluate(() => document.body.innerText);
  check('docs: /docs renders the title and the operation "Sign in with a username and password"',
    title === 'bdhvs API reference' && text.includes('Sign in with a username and password'), `title "${title}"`);
  check('docs: operations carry a curl line', text.includes('curl --fail-with-body'), 'no curl line in the page');
  await page.goto(`${BASE}/docs#tag/auth/operation/login`, { waitUntil: 'load', ...WAIT });
  await page.waitForFunction(() => document.body.innerText.includes('Sign in with a username and password'), WAIT);
  await shot(page, 'docs.png', false); // the whole reference is too tall for one image
  check('console and docs load nothing from another host', foreign.length === 0, foreign.slice(0, 5).join(' '));
  check('docs: no script error on the page', consoleErrors.length === 0, consoleErrors.join('; '));
} catch (e) {
  fail('browser check', e && e.stack ? e.stack : String(e));
} finally {
  if (browser) await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
