// The dashboard of `pgward serve` in a real headless Chromium, against a real PostgreSQL with real
// migrations (one pending), two backups, a restore drill and failed jobs: read like a person would
// read it, with markup planted in a migration name, job errors and the environment's label (nothing
// may execute), an axe-core accessibility check, and a screenshot. A second test proves that page
// loads never query the watched database (bytes counted on a TCP proxy in front of it).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { ensureJournal } from '../src/deploy/journal.js';
import { recordRehearsal } from '../src/rehearse/record.js';
import { launchBrowser } from './harness/browser.js';
import { TEST_PASSWORD } from './harness/cluster.js';
import { adminQuery, createTestDatabase } from './harness/db.js';
import { makeProject, migration, ROOT, runCli, writeFile } from './harness/project.js';
import { afterRefreshes, get, startServe } from './harness/serve.js';

const TOKEN = 'dashboard-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const LABEL = `Staging <img src=x onerror=alert(1)>"><script>window.__pwned=1</script>`;
const HOSTILE_NAME = `"><img src=x onerror=alert(2)>`;
const JOB_ERROR = `backup failed: <img src=x onerror=alert(3)> "><script>window.__pwned=3</script>`;
const DEPLOY_DETAIL = `health check failed: <svg onload=alert(4)>`;
const OUT = join(ROOT, 'test', '_scratch-dashboard');

async function project(url: string, refresh: string) {
  const dir = makeProject({
    'pgward.yaml': `environments:\n  staging:\n    url: ${url}\n    label: '${LABEL}'\nserve:\n  refresh_interval: ${refresh}\n  dashboard:\n    page_size: 5\nbackups:\n  storage: file://.pgward/backups\n`,
    'db/migrations/001_create_users.sql': migration('CREATE TABLE users (id bigint PRIMARY KEY);'),
    [`db/migrations/002_${HOSTILE_NAME}.sql`]: migration('CREATE TABLE notes (id int);'),
  });
  for (const args of [
    ['migrate', '--env', 'staging'],
    ['backup', 'create', '--env', 'staging'],
    ['backup', 'create', '--env', 'staging'],
    ['backup', 'verify', 'latest', '--env', 'staging'],
  ]) {
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  writeFile(dir, 'db/migrations/003_drop_notes.sql', migration('DROP TABLE notes;'));
  return dir;
}

function postLogin(
  base: string,
  headers: Record<string, string>,
  token = TOKEN,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/login`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res);
    });
    req.on('error', reject);
    req.end(`token=${encodeURIComponent(token)}&next=%2Fenv%2Fstaging`);
  });
}

/** The login form over plain HTTP: cross-site posts refused, the cookie's attributes, what it opens. */
async function loginOverHttp(base: string): Promise<void> {
  assert.equal((await postLogin(base, { origin: 'http://evil.example' })).statusCode, 403);
  assert.equal((await postLogin(base, { 'sec-fetch-site': 'cross-site' })).statusCode, 403);
  assert.equal((await postLogin(base, {}, `${TOKEN}x`)).statusCode, 401, 'a longer guess is wrong');
  const ok = await postLogin(base, { origin: base });
  assert.equal(ok.statusCode, 303);
  assert.equal(ok.headers.location, '/env/staging');
  const setCookie = String(ok.headers['set-cookie']);
  assert.match(setCookie, /^pgward_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
  const behindTls = await postLogin(base, { 'x-forwarded-proto': 'https' });
  assert.match(String(behindTls.headers['set-cookie']), /; Secure$/, 'Secure behind an https proxy');
  const cookie = setCookie.split(';')[0]!;
  assert.equal((await get(`${base}/env/staging`, { cookie })).status, 200);
  assert.equal(
    (await get(`${base}/metrics`, { cookie })).status,
    401,
    'the cookie does not open the JSON endpoints',
  );
  assert.equal((await get(`${base}/env/staging`, { cookie: 'pgward_session=forged' })).status, 303);
}

/** A failed deploy in the deploy journal (the table `pgward deploy` creates), markup in a step's detail. */
async function deployJournal(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await ensureJournal(c);
    const steps = [
      {
        name: 'preflight',
        status: 'done',
        startedAt: new Date().toISOString(),
        finishedAt: null,
        durationMs: 120,
        detail: 'ok',
      },
      {
        name: 'verify',
        status: 'failed',
        startedAt: new Date().toISOString(),
        finishedAt: null,
        durationMs: 3400,
        detail: DEPLOY_DETAIL,
      },
    ];
    await c.query(
      `INSERT INTO pgward.deploys (id, env, status, pid, host, actor, provider, steps, migrations, commit)
       VALUES ('dep-1', 'staging', 'rolled_back', 1, 'ci', 'alice', 'render', $1::jsonb, '[]', 'abc123')`,
      [JSON.stringify(steps)],
    );
  } finally {
    await c.end();
  }
}

/** Failed and successful runs in serve's own job history (the table serve created). */
async function jobHistory(url: string): Promise<void> {
  await adminQuery(
    url,
    `INSERT INTO pgward.jobs (env, job, scheduled_for, started_at, finished_at, outcome, error, runner)
     SELECT 'staging', j, now() - d * interval '1 day', now() - d * interval '1 day',
            now() - d * interval '1 day' + interval '3 seconds', CASE WHEN d = 1 THEN 'failed' ELSE 'ok' END,
            CASE WHEN d = 1 THEN $1 END, 'test-runner'
       FROM unnest(ARRAY['backup', 'verify']) j, generate_series(1, 5) d`,
    [JOB_ERROR],
  );
}

test('dashboard in Chromium: login, pending count, failed job, charts, markup shown as text, no axe violations', async () => {
  const db = await createTestDatabase();
  const dir = await project(db.url, '200ms');
  const s = await startServe(dir, ['--env', 'staging', '--no-scheduler'], { PGWARD_SERVE_TOKEN: TOKEN });
  const browser = await launchBrowser();
  try {
    await jobHistory(db.url);
    await deployJournal(db.url);
    assert.ok(
      await recordRehearsal(db.url, { env: 'staging', ok: false, exitCode: 6, migrations: ['003 blocked'] }),
    );
    await afterRefreshes(s.url, 2, AUTH);

    // Without JavaScript (plain HTTP, bearer): the tables are in the HTML, the markup escaped.
    const plain = await get(`${s.url}/`, AUTH);
    assert.equal(plain.status, 200);
    const csp = String(plain.headers['content-security-policy']);
    assert.ok(!csp.includes('unsafe-inline') && csp.includes("frame-ancestors 'none'"), csp);
    assert.equal(plain.headers['x-content-type-options'], 'nosniff');
    assert.ok(plain.body.includes('&lt;img src=x onerror=alert(2)&gt;'), 'the migration name is escaped');
    assert.ok(!/<img/i.test(plain.body), 'no <img> element in the page');
    assert.equal(
      (plain.body.match(/<script/g) ?? []).length,
      3,
      'uPlot, dashboard.js and the JSON block only',
    );
    assert.equal((await get(`${s.url}/`)).status, 303, 'no token: redirected to the login form');
    await loginOverHttp(s.url);

    const page = await browser.context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${s.url}/`);
    assert.match(page.url(), /\/login\?next=/);
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('button[type=submit]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /Wrong token/);
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=pending-count]');
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'pgward_session');
    assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', 'HttpOnly, SameSite=Strict session cookie');

    // Read like a person: health, the pending count and name, the failed job's error, the label.
    assert.equal((await page.textContent('[data-testid=health]'))?.trim(), 'degraded');
    assert.equal((await page.textContent('[data-testid=pending-count]'))?.trim(), '1');
    const pending = page.locator('table', {
      has: page.locator('caption', { hasText: 'Pending migrations' }),
    });
    const pendingText = (await pending.textContent()) ?? '';
    assert.match(pendingText, /003\s*drop_notes/);
    assert.match(pendingText, /warn\s*ban-drop-table \(error, line 2\)/, 'the gate decision and its rule');
    const failures = page.locator('table', { has: page.locator('caption', { hasText: 'Recent failures' }) });
    assert.equal(
      await failures.locator('tbody tr').count(),
      2,
      'one failed backup run and one failed verify run',
    );
    assert.ok(((await failures.textContent()) ?? '').includes(JOB_ERROR), 'the error shows literally');
    assert.equal((await page.textContent('h1'))?.includes(LABEL), true, 'the label shows literally');
    const applied = page.locator('table', {
      has: page.locator('caption', { hasText: 'Applied migrations' }),
    });
    assert.ok(
      ((await applied.textContent()) ?? '').includes(HOSTILE_NAME),
      'the migration name shows literally',
    );

    const deploys = page.locator('table', { has: page.locator('caption', { hasText: 'Deploys' }) });
    const deployText = (await deploys.textContent()) ?? '';
    assert.match(deployText, /dep-1\s*rolled_back\s*alice/);
    assert.ok(deployText.includes(`verify: failed ${DEPLOY_DETAIL} (3.4 s)`), deployText);

    const rehearsal = (await page.textContent('section[aria-labelledby=rehearsal]')) ?? '';
    assert.match(rehearsal, /failed at .* for staging, exit code 6/);
    assert.ok(rehearsal.includes('003 blocked'));

    // Charts: drawn by uPlot with one point per backup and per drill.
    await page.waitForSelector('figure[data-chart=backup-size][data-drawn]');
    assert.equal(await page.getAttribute('figure[data-chart=backup-size]', 'data-drawn'), '2');
    assert.equal(await page.getAttribute('figure[data-chart=backup-duration]', 'data-drawn'), '2');
    assert.equal(await page.getAttribute('figure[data-chart=drills]', 'data-drawn'), '1');
    assert.equal(await page.locator('figure[data-chart=backup-size] canvas').count(), 1);

    // Nothing planted executed: no dialog, no injected element, no global set by a planted script.
    assert.deepEqual(dialogs, []);
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assert.equal(await page.locator('img, svg').count(), 0);
    assert.equal(await page.locator('script').count(), 3);
    assert.deepEqual(errors, [], 'no script error on the page');

    mkdirSync(OUT, { recursive: true });
    const shot = join(OUT, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    // The first screenful, what docs/dashboard.png shows.
    await page.screenshot({ path: join(OUT, 'dashboard-top.png') });
    console.log(`screenshot: ${shot} (first screen: ${join(OUT, 'dashboard-top.png')})`);

    // Accessibility: axe-core injected through the debugger (the page's CSP rightly refuses inline scripts).
    await page.evaluate(readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));
    const axe = (await page.evaluate(
      'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length })))',
    )) as { id: string; impact: string; n: number }[];
    const serious = axe.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], `axe violations: ${JSON.stringify(axe)}`);

    // Paged lists, 5 rows a page (serve.dashboard.page_size): 10 runs make 2 pages; past the end, the last.
    await page.goto(`${s.url}/env/staging/jobs?page=2`);
    assert.equal(await page.locator('tbody tr').count(), 5);
    assert.match((await page.textContent('nav.pager')) ?? '', /page 2 of 2 \(10 rows\)/);
    await page.goto(`${s.url}/env/staging/failures?page=9`);
    assert.equal(await page.locator('tbody tr').count(), 2);
    assert.ok(!s.logs().includes(TEST_PASSWORD) && !s.logs().includes(TOKEN));
  } finally {
    await browser.close();
    await s.stop();
  }
});

/** A TCP proxy in front of PostgreSQL counting the bytes clients send: any query shows up. */
async function countingProxy(port: number) {
  const state = { bytes: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => {
      state.bytes += d.length;
    });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    state,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test('invariant: dashboard page loads never query the watched database', async () => {
  const db = await createTestDatabase();
  const u = new URL(db.url);
  const proxy = await countingProxy(Number(u.port));
  const viaProxy = db.url.replace(`:${u.port}/`, `:${proxy.port}/`);
  const dir = await project(db.url, '1h');
  writeFile(dir, 'pgward.yaml', readFileSync(join(dir, 'pgward.yaml'), 'utf8').replace(db.url, viaProxy));
  const s = await startServe(dir, ['--env', 'staging', '--no-scheduler'], { PGWARD_SERVE_TOKEN: TOKEN });
  try {
    // The first refresh happened before "listening": from here on, only page loads.
    const home = await get(`${s.url}/`, AUTH);
    assert.equal(home.status, 200);
    const before = proxy.state.bytes;
    assert.ok(before > 0, 'the refresh went through the proxy (the counter can see queries)');
    for (let i = 0; i < 20; i++) {
      for (const path of [
        '/',
        '/env/staging',
        '/env/staging/jobs?page=2',
        '/env/staging/backups',
        '/assets/dashboard.js',
      ])
        assert.equal((await get(`${s.url}${path}`, AUTH)).status, 200, path);
    }
    assert.equal(proxy.state.bytes, before, 'no byte was sent to the database by 100 page loads');
    // The counter does see a query: a health check through the same proxy moves it.
    await adminQuery(viaProxy, 'SELECT 1');
    assert.ok(proxy.state.bytes > before);
  } finally {
    await s.stop();
    await proxy.close();
  }
});
