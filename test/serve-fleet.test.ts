// pgward serve --all: one process serving many environments (databases on two clusters). Refreshes
// never run more than serve.refresh_concurrency at once, every environment is in /metrics under its env
// label, and across three replicas no scheduled slot of any environment runs twice.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type Cluster, startCluster } from './harness/cluster.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject } from './harness/project.js';
import { get, type ServeProcess, startServe, until } from './harness/serve.js';

const ENVS = 20;
const LIMIT = 3;
const KEPT = 2; // serve.connections_per_server
const EVERY_10S = '*/10 * * * * *';

let second: Cluster;
const dbs: TestDatabase[] = [];

before(async () => {
  second = await startCluster();
  for (let i = 0; i < ENVS; i++) dbs.push(await createTestDatabase(i % 2 ? second : undefined));
});
after(() => second?.stop());

const envName = (i: number) => `e${String(i).padStart(2, '0')}`;

function fleetProject(): string {
  const envs = dbs
    .map((d, i) => `  ${envName(i)}:\n    url: ${d.url}\n    schedule:\n      doctor: "${EVERY_10S}"\n`)
    .join('');
  return makeProject({
    'pgward.yaml': `environments:\n${envs}serve:\n  refresh_interval: 200ms\n  refresh_concurrency: ${LIMIT}\n  connections_per_server: ${KEPT}\n  jobs:\n    concurrency: 4\n`,
    'db/migrations/001_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n',
  });
}

const metric = (text: string, name: string): number => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
};

describe('serve --all (a fleet of environments)', () => {
  it('invariant: refreshes stay within serve.refresh_concurrency, a server sees at most connections_per_server + refresh_concurrency monitoring connections per replica, and across 3 replicas every slot of every environment has exactly one row', async () => {
    const dir = fleetProject();
    const replicas: ServeProcess[] = [];
    try {
      for (let r = 0; r < 3; r++) replicas.push(await startServe(dir, ['--all']));
      // Every environment has run its doctor job on at least two slots (on whichever replica won them).
      // The servers' own view: connections refreshing (or sweeping) per replica, sampled all along.
      let mostConnections = 0;
      const sample = async () => {
        for (const c of [dbs[0]!, dbs[1]!]) {
          const rows = await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE application_name ~ '^pgward serve (monitor|housekeeping) '
             GROUP BY substring(application_name from 'pid ([0-9]+)')`,
          );
          for (const r of rows) mostConnections = Math.max(mostConnections, r.n);
        }
      };
      await until(async () => {
        await sample();
        for (const d of dbs) {
          const rows = await d
            .query<{ n: string }>(
              "SELECT count(*)::text AS n FROM pgward.jobs WHERE job = 'doctor' AND outcome = 'ok'",
            )
            .catch(() => [{ n: '0' }]);
          if (Number(rows[0]!.n) < 2) return undefined;
        }
        return true;
      }, 'two doctor runs in every environment');
      const checkedAt = Date.now();
      // Per replica and per cluster: the kept connections plus the refreshes running (shared by both).
      assert.ok(
        mostConnections >= 1 && mostConnections <= KEPT + LIMIT,
        `${mostConnections} connections at once`,
      );
      for (const rep of replicas) {
        const m = await get(`${rep.url}/metrics`);
        assert.equal(m.status, 200);
        // The gauge counts refreshes inside the refresh itself, not inside the limit that bounds them.
        assert.equal(
          metric(m.body, 'pgward_fleet_refresh_concurrency_peak'),
          LIMIT,
          'limit reached, never passed',
        );
        assert.equal(metric(m.body, 'pgward_fleet_environments'), ENVS);
        // Every environment is there (up, or down when a refresh overran its deadline on a busy machine).
        for (let i = 0; i < ENVS; i++)
          assert.match(m.body, new RegExp(`^pgward_database_up\\{env="${envName(i)}"\\} [01]$`, 'm'));
        assert.equal(
          (m.body.match(/^# TYPE pgward_database_up gauge$/gm) ?? []).length,
          1,
          'one TYPE per family',
        );
        const h = JSON.parse((await get(`${rep.url}/health`)).body);
        assert.equal(h.environments, ENVS);
        assert.equal(Object.keys(h.by_env).length, ENVS);
      }
      for (const rep of replicas) assert.equal(await rep.stop(), 0, rep.logs());
      // Which replica ran each slot, over every row (the window below may hold only the first slot,
      // which a replica whose scheduler started late never saw).
      const runners = new Map<string, number>();
      for (const d of dbs)
        for (const r of await d.query<{ runner: string }>(
          "SELECT runner FROM pgward.jobs WHERE job = 'doctor' AND outcome = 'ok'",
        ))
          runners.set(r.runner, (runners.get(r.runner) ?? 0) + 1);
      for (const [i, d] of dbs.entries()) {
        const rows = await d.query<{ at: Date; outcome: string; runner: string; error: string | null }>(
          "SELECT scheduled_for AS at, outcome, runner, error FROM pgward.jobs WHERE job = 'doctor' AND scheduled_for < $1 ORDER BY scheduled_for",
          [new Date(checkedAt - 10_000)],
        );
        // (the schedulers start after the first refresh: the first slot may come late in the wait)
        assert.ok(rows.length >= 1, `${envName(i)}: runs before the check`);
        for (const [k, r] of rows.entries()) {
          assert.notEqual(r.outcome, 'failed', `${envName(i)} slot ${r.at.toISOString()}`);
          if (r.outcome === 'skipped') assert.match(r.error ?? '', /superseded/, `${envName(i)}: ${r.error}`);
          // On the schedule's grid, each slot once and none left out: a slot a busy machine could not
          // run in time is there too, skipped as superseded.
          assert.equal(r.at.getTime() % 10_000, 0, `${envName(i)}: off the schedule`);
          if (k > 0)
            assert.equal(
              r.at.getTime() - rows[k - 1]!.at.getTime(),
              10_000,
              `${envName(i)}: after ${rows[k - 1]!.at.toISOString()}`,
            );
        }
      }
      assert.ok(
        runners.size >= 2,
        `the slots were spread over the replicas: ${JSON.stringify(Object.fromEntries(runners))}`,
      );
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  });

  it('the dashboard of a fleet lists every environment at / and shows each one at /env/<name>', async () => {
    const few = dbs.slice(0, 3);
    const envs = few
      .map((d, i) => `  ${envName(i)}:\n    url: ${d.url}\n    label: "Team <b>${i}</b>"\n`)
      .join('');
    const dir = makeProject({
      'pgward.yaml': `environments:\n${envs}serve:\n  refresh_interval: 200ms\n`,
      'db/migrations/001_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n',
    });
    const s = await startServe(dir, ['--all']);
    try {
      const index = await until(async () => {
        const r = await get(`${s.url}/`);
        return r.status === 200 && (r.body.match(/<tr><th scope="row">/g) ?? []).length === 3 ? r : undefined;
      }, 'the fleet index with every environment');
      for (let i = 0; i < 3; i++) {
        assert.ok(index.body.includes(`href="/env/${envName(i)}"`), `${envName(i)} linked`);
        assert.ok(index.body.includes(`Team &lt;b&gt;${i}&lt;/b&gt;`), 'labels escaped');
      }
      const page = await get(`${s.url}/env/${envName(1)}`);
      assert.equal(page.status, 200);
      assert.match(page.body, /data-testid="pending-count">1</);
      assert.equal((await get(`${s.url}/env/nope`)).status, 404);
    } finally {
      assert.equal(await s.stop(), 0, s.logs());
    }
  });

  it('a large /metrics is gzipped for a client that accepts it, and decompresses to the text a plain client gets', async () => {
    const envs = dbs.map((d, i) => `  ${envName(i)}:\n    url: ${d.url}\n`).join('');
    const dir = makeProject({ 'pgward.yaml': `environments:\n${envs}serve:\n  refresh_interval: 1h\n` });
    const s = await startServe(dir, ['--all']);
    try {
      const [zipped, plain] = await until(async () => {
        const pair = await Promise.all([raw(`${s.url}/metrics`, 'gzip, deflate'), raw(`${s.url}/metrics`)]);
        return pair[0].body.length && pair[0].status === 200 ? pair : undefined;
      }, 'both bodies');
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.equal(plain.headers['content-encoding'], undefined, 'no gzip unless asked');
      assert.ok(plain.body.length > 16 * 1024, `${plain.body.length} bytes: large enough to be compressed`);
      assert.ok(zipped.body.length < plain.body.length / 3, `${zipped.body.length} vs ${plain.body.length}`);
      // one refresh in an hour: both requests read the same snapshot
      assert.equal(gunzipSync(zipped.body).toString('utf8'), plain.body.toString('utf8'));
      assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
    } finally {
      assert.equal(await s.stop(), 0, s.logs());
    }
  });
});

/** A GET whose body is kept as bytes (a gzipped one must not be decoded as text). */
function raw(
  url: string,
  acceptEncoding?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = acceptEncoding ? { 'accept-encoding': acceptEncoding } : {};
    http
      .get(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
      .on('error', reject);
  });
}
