// Retention decisions are pure: each backup kept or deleted by a named rule, ordered by manifest time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackupManifest } from '../src/backup/manifest.js';
import { pruneBackups } from '../src/backup/prune.js';
import { planRetention } from '../src/backup/retention.js';
import { openStorage } from '../src/backup/storage.js';
import { tempDir } from './harness/backup.js';

const NOW = new Date('2026-03-31T12:00:00Z');
const DAY = 86_400_000;

function backup(id: string, daysAgo: number, extra: Partial<BackupManifest> = {}): BackupManifest {
  const at = new Date(NOW.getTime() - daysAgo * DAY).toISOString();
  return {
    format: 'pgward-backup/1',
    id,
    env: 'prod',
    database: 'app',
    server: { version: '15', versionNum: 150000 },
    pgDump: { version: '15', major: 15 },
    startedAt: at,
    finishedAt: at,
    durationMs: 1,
    archive: { key: `${id}.dump`, bytes: 1, sha256: 'x', format: 'custom', compression: 'default' },
    reason: 'scheduled',
    labels: [],
    pinned: false,
    schemaFingerprint: 'f',
    latestMigration: null,
    hashAlgorithm: null,
    tables: [],
    verification: null,
    verifications: [],
    pgwardVersion: 't',
    ...extra,
  };
}

const drillOk = {
  verification: {
    at: NOW.toISOString(),
    durationMs: 1,
    ok: true,
    into: 'scratch',
    checks: { sha256: true, list: true, drill: true },
    firstDifference: null,
    tablesChecked: 1,
  },
};

test('each rule keeps what it should and says so; ordering comes from manifest times, not ids', () => {
  const list = [
    // ids deliberately sort opposite to time
    backup('a-newest', 0.1),
    backup('b', 1),
    backup('c', 2),
    backup('d-pinned', 100, { pinned: true }),
    backup('e-verified', 50, drillOk),
    backup('f-verified-older', 60, drillOk),
    backup('g-premigrate', 3, { reason: 'pre-migrate' }),
    backup('h-old', 40),
    backup('z-oldest', 45),
  ];
  const plan = planRetention(list, { keepLast: 2, maxAgeMs: 30 * DAY, keepPreMigrateDays: 7 }, NOW);
  const rule = Object.fromEntries(plan.map((d) => [d.backup.id, `${d.keep ? 'keep' : 'delete'}: ${d.rule}`]));
  assert.equal(rule['a-newest'], 'keep: keep_last: 2');
  assert.equal(rule.b, 'keep: keep_last: 2');
  assert.match(rule.c!, /^delete: not selected/);
  assert.equal(rule['d-pinned'], 'keep: pinned');
  assert.equal(rule['e-verified'], 'keep: newest backup whose restore drill passed');
  assert.match(rule['f-verified-older']!, /^delete: older than max_age/);
  assert.match(rule['g-premigrate']!, /^keep: pre-migrate, kept at least 7 days/);
  assert.match(rule['h-old']!, /^delete: older than max_age 30/);
  assert.deepEqual(plan.map((d) => d.backup.id)[0], 'a-newest');
});

test('daily, weekly and monthly buckets keep the newest of each period', () => {
  const list = [
    backup('d0a', 0.1),
    backup('d0b', 0.2),
    backup('d1', 1),
    backup('d2', 2),
    backup('d9', 9),
    backup('d40', 40),
  ];
  const plan = planRetention(list, { keepDaily: 2, keepMonthly: 2 }, NOW);
  const kept = plan.filter((d) => d.keep).map((d) => d.backup.id);
  assert.deepEqual(kept, ['d0a', 'd1', 'd40']);
  assert.match(plan.find((d) => d.backup.id === 'd40')!.rule, /keep_monthly: 2 \(newest of 2026-02\)/);
});

test('prune --dry-run deletes nothing; prune deletes manifest then archive', async () => {
  const dir = tempDir('pgward-bk-ret-');
  try {
    const storage = await openStorage(dir.url, { baseDir: '/' });
    // Ids must have the real pattern: a manifest naming any other id is invalid (never followed).
    const [x1, x2, x3] = [
      '20260330T120000000Z-0000a1',
      '20260329T120000000Z-0000a2',
      '20260328T120000000Z-0000a3',
    ];
    for (const m of [backup(x1!, 1), backup(x2!, 2), backup(x3!, 3)]) {
      await storage.putText(`${m.id}.manifest.json`, JSON.stringify(m));
      await storage.putText(m.archive.key, 'archive');
    }
    const dry = await pruneBackups({ storage, rules: { keepLast: 1 }, dryRun: true, now: NOW });
    assert.deepEqual(
      dry.decisions.filter((d) => !d.keep).map((d) => d.id),
      [x2, x3],
    );
    assert.equal((await storage.list()).length, 6);
    const real = await pruneBackups({ storage, rules: { keepLast: 1 }, now: NOW });
    assert.deepEqual(real.deleted, [x2, x3]);
    assert.deepEqual((await storage.list()).map((o) => o.key).sort(), [`${x1}.dump`, `${x1}.manifest.json`]);
  } finally {
    dir.cleanup();
  }
});
