// Small CLI promises: a reader that goes away (`| head -1`) ends nothing but the output; -v/--verbose is
// accepted by every command; redaction masks secrets, not the ordinary words that contain them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { redact, redactDeep, registerSecret } from '../src/redact.js';
import { CLI, cliEnv, makeProject, runCli } from './harness/project.js';
import { startServe } from './harness/serve.js';

const work = mkdtempSync(join(tmpdir(), 'pgward-cli-small-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A migration with thousands of lint findings: ~1 MB on stdout, far more than a pipe buffer. */
function noisyMigration(): string {
  const path = join(work, 'noisy.sql');
  writeFileSync(path, Array.from({ length: 3000 }, (_, i) => `CREATE INDEX i${i} ON t (c${i});\n`).join(''));
  return path;
}

/** Runs the CLI, reads `keep` bytes of stdout (0: none), then closes the read end like `head` does. */
function runAndCloseStdout(
  args: string[],
  keep: number,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: work,
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let seen = 0;
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const close = () => child.stdout.destroy();
    if (keep === 0) close();
    else
      child.stdout.on('data', (d: Buffer) => {
        seen += d.length;
        if (seen >= keep) close();
      });
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('invariant: a closed stdout (| head -1) ends quietly with the command own exit code, whenever it closes', async () => {
  const file = noisyMigration();
  const full = await runCli(['lint', file], { cwd: work });
  assert.equal(full.code, 5, 'lint reports findings with exit 5');
  assert.ok(full.stdout.length > 500_000, 'enough output to outlast a pipe buffer');
  for (const args of [['lint', file], ['lint', file, '--json'], ['--help']])
    for (const keep of [0, 1, 4096]) {
      const r = await runAndCloseStdout(args, keep);
      const expected = args[0] === '--help' ? 0 : 5;
      assert.equal(r.signal, null, `${args.join(' ')} keep=${keep}`);
      assert.equal(r.code, expected, `${args.join(' ')} keep=${keep}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /EPIPE|^\s+at |Unhandled/m, `${args.join(' ')} keep=${keep}`);
    }
});

/** Every command path from the help screens, with a placeholder for each required argument. */
async function commandPaths(): Promise<string[][]> {
  const commandsOf = async (prefix: string[]): Promise<string[][]> => {
    const help = await runCli([...prefix, '--help'], { cwd: work });
    const section = help.stdout.split(/^Commands:$/m)[1] ?? '';
    const out: string[][] = [];
    for (const line of section.split('\n')) {
      const m = /^ {2}(\S+)((?: (?:\[[^\]]+\]|<[^>]+>))*)/.exec(line);
      if (!m || m[1] === 'help') continue;
      const args = [...(m[2] ?? '').matchAll(/<[^>]+>/g)].map(() => 'x');
      out.push([...prefix, m[1]!, ...args]);
    }
    return out;
  };
  const top = await commandsOf([]);
  const all: string[][] = [];
  for (const c of top) {
    const sub = await commandsOf([c[0]!]);
    all.push(...(sub.length ? sub : [c]));
  }
  return all;
}

test('invariant: every command accepts -v and --verbose, before or after its name, and ends as it would without it', async () => {
  const paths = await commandPaths();
  assert.ok(paths.length >= 15, `found the commands: ${paths.map((p) => p.join(' ')).join(', ')}`);
  // A closed port: every command that needs a database fails fast and the same way each time.
  const common = ['--url', 'postgresql://nobody@127.0.0.1:1/none'];
  const extra = (p: string[]) => (p[0] === 'serve' ? ['--port', '99999'] : []);
  for (const p of paths) {
    const variants = [
      [...p, ...common, ...extra(p)],
      [...p, '-v', ...common, ...extra(p)],
      ['--verbose', ...p, ...common, ...extra(p)],
    ];
    const codes: (number | null)[] = [];
    for (const args of variants) {
      const cwd = mkdtempSync(join(work, 'cmd-')); // `init` writes files: a fresh folder each time
      const r = await runCli(args, { cwd });
      assert.doesNotMatch(r.stderr, /unknown option/, `${args.join(' ')}: ${r.stderr}`);
      codes.push(r.code);
    }
    assert.deepEqual(new Set(codes).size, 1, `${p.join(' ')}: same exit code with and without -v: ${codes}`);
  }
});

test('invariant: redaction masks whole secret occurrences, not ordinary words that contain a secret', () => {
  registerSecret('web');
  registerSecret('p.s*'); // regex metacharacters are literal
  registerSecret('Pw@ ok'); // its URL-encoded form too
  const plain = 'webhook failed; see the website and cobweb_stats; pxs and p-s are fine';
  assert.equal(redact(plain), plain);
  for (const [text, secret] of [
    ['PGPASSWORD=web', 'web'],
    ['the password is web.', 'web'],
    ['{"password":"web"}', 'web'],
    ['postgresql://u:web@db/x', 'web'],
    ['postgresql://u@db/x?password=web&sslmode=require', 'web'],
    ['host=db password=web user=u', 'web'],
    ['key passphrase: sslpassword=w3b-Key', 'w3b-Key'],
    ['token p.s* given', 'p.s*'],
    ['url user:Pw%40%20ok@host', 'Pw%40%20ok'],
    ['raw Pw@ ok!', 'Pw@ ok'],
  ] as const) {
    const out = redact(text);
    assert.ok(!out.includes(secret), `${JSON.stringify(text)} -> ${JSON.stringify(out)}`);
    assert.match(out, /\*\*\*\*\*/, text);
  }
});

test('invariant: a webhook path that is an ordinary word does not garble serve logs, and stays masked', async () => {
  const dir = makeProject({
    'pgward.yaml': `environments:\n  prod:\n    url: postgresql://nobody@127.0.0.1:1/none\nserve:\n  refresh_interval: 200ms\n  webhook_url: http://127.0.0.1:9/web\n`,
  });
  const s = await startServe(dir, ['--env', 'prod']);
  try {
    assert.match(s.logs(), /webhook on/);
    assert.doesNotMatch(s.logs(), /\*\*\*\*\*hook/);
    assert.doesNotMatch(s.logs(), /127\.0\.0\.1:9\/web\b/, 'the webhook path itself is never logged');
  } finally {
    await s.stop();
  }
});

test('invariant: redactDeep masks a secret anywhere in a document, never changes the value given, and no instance writes its own JSON', () => {
  registerSecret('Deep-Secr3t-xq');
  const doc = {
    findings: [{ sql: "SELECT dblink('host=db password=Deep-Secr3t-xq')", line: 3 }, { sql: 'SELECT 1' }],
    meta: { at: new Date(0), url: 'postgresql://app:pw-in-url@db.example/prod' },
    link: new URL('postgresql://app:url-object-pw@db.example/prod'),
    untouched: { a: 'plain', b: [1, 'two'] },
  };
  const before = JSON.stringify(doc);
  const out = JSON.stringify(redactDeep(doc));
  assert.equal(JSON.stringify(doc), before, 'the value given is unchanged');
  for (const secret of ['Deep-Secr3t-xq', 'pw-in-url', 'url-object-pw'])
    assert.doesNotMatch(out, new RegExp(secret));
  const parsed = JSON.parse(out);
  assert.equal(parsed.findings[1].sql, 'SELECT 1');
  assert.deepEqual(parsed.untouched, { a: 'plain', b: [1, 'two'] });
  assert.equal(parsed.meta.at, '1970-01-01T00:00:00.000Z', 'dates are kept');
  // A part with nothing to mask is passed on as it is (no copy of a large report).
  const clean = { list: [{ a: 1 }, { b: 'x' }] };
  assert.equal(redactDeep(clean), clean);
});
