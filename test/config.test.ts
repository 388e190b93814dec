import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../src/config/duration.js';
import { parseConfigText } from '../src/config/load.js';
import { resolveTarget } from '../src/config/target.js';
import { UsageError } from '../src/errors.js';

const parse = (text: string) => parseConfigText(text, '/p/pgward.yaml', 'pgward.yaml');

function throwsUsage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected UsageError, got ${err}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a wrong value is reported with file, line, key and what is expected', () => {
  const text = [
    'migrations:',
    '  dir: db/migrations',
    'environments:',
    '  production:',
    '    url: postgres://x/y',
    '    policy:',
    '      lock_timeout: five seconds',
  ].join('\n');
  throwsUsage(
    () => parse(text),
    /^pgward\.yaml:7: environments\.production\.policy\.lock_timeout: expected a duration/,
  );
});

test('an unknown key (a typo in a safety setting) is an error naming its line', () => {
  const text = 'environments:\n  staging:\n    url: postgres://x/y\n    polciy:\n      lock_timeout: 5s\n';
  throwsUsage(() => parse(text), /^pgward\.yaml:4: unknown key "environments\.staging\.polciy"/);
});

test('a missing required key names the environment', () => {
  throwsUsage(
    () => parse('environments:\n  staging:\n    protected: true\n'),
    /pgward\.yaml:2: environments\.staging\.url: required key is missing/,
  );
});

test('an invalid framework lists the accepted ones', () => {
  throwsUsage(
    () => parse('migrations:\n  framework: liquibase\n'),
    /pgward\.yaml:2: migrations\.framework: expected one of .*"rails"/,
  );
});

test('YAML syntax errors give the line', () => {
  throwsUsage(() => parse('environments:\n  a: [1, 2\n'), /^pgward\.yaml:\d+: invalid YAML/);
});

test('${VAR} is interpolated only for the environment in use, with defaults', () => {
  const cfg = parse(
    'environments:\n  dev:\n    url: ${DEV_URL:-postgres://localhost/dev}\n  production:\n    url: ${PROD_URL}\n',
  );
  const dev = resolveTarget({ config: cfg, env: 'dev', processEnv: {} });
  assert.equal(dev.url, 'postgres://localhost/dev');
  throwsUsage(
    () => resolveTarget({ config: cfg, env: 'production', processEnv: {} }),
    /pgward\.yaml:5: environments\.production\.url uses \$\{PROD_URL\}, which is not set/,
  );
  const prod = resolveTarget({ config: cfg, env: 'production', processEnv: { PROD_URL: 'postgres://p/db' } });
  assert.equal(prod.url, 'postgres://p/db');
});

test('production is protected by default and gets the stricter policy; overrides apply', () => {
  const cfg = parse(
    [
      'default_env: staging',
      'environments:',
      '  staging:',
      '    url: postgres://s/db',
      '    policy:',
      '      statement_timeout: 2min',
      '      lock_retries: 0',
      '  production:',
      '    url: postgres://p/db',
    ].join('\n'),
  );
  const staging = resolveTarget({ config: cfg, processEnv: {} });
  assert.equal(staging.env, 'staging');
  assert.equal(staging.protected, false);
  assert.equal(staging.policy.statementTimeoutMs, 120_000);
  assert.equal(staging.policy.lockRetries, 0);
  assert.equal(staging.policy.destructive, 'warn');
  const prod = resolveTarget({ config: cfg, env: 'production', processEnv: {} });
  assert.equal(prod.protected, true);
  assert.equal(prod.policy.statementTimeoutMs, 600_000);
  assert.equal(prod.policy.destructive, 'block');
  assert.equal(prod.policy.backupBeforeMigrate, true);
});

test('without a config, --url or DATABASE_URL is enough; neither is a usage error', () => {
  assert.equal(resolveTarget({ processEnv: { DATABASE_URL: 'postgres://a/b' } }).url, 'postgres://a/b');
  throwsUsage(() => resolveTarget({ processEnv: {} }), /no database given/);
  throwsUsage(() => resolveTarget({ url: 'mysql://a/b', processEnv: {} }), /must start with postgres/);
});

test('unknown environment names the known ones', () => {
  const cfg = parse('environments:\n  dev:\n    url: postgres://a/b\n');
  assert.throws(
    () => resolveTarget({ config: cfg, env: 'prod', processEnv: {} }),
    (e: unknown) =>
      e instanceof UsageError &&
      /unknown environment "prod"/.test(e.message) &&
      e.hint === 'known environments: dev',
  );
});

test('durations read like PostgreSQL settings', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('10min'), 600_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('off'), null);
  assert.equal(parseDuration(0), null);
  assert.throws(() => parseDuration('5 parsecs'));
});
