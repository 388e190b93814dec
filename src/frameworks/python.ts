// Running a project's Python tooling (Alembic's offline mode, Django's sqlmigrate) as a child process:
// the interpreter that can import the tool, a bounded run, and stderr redacted. No secret is ever in argv.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redact } from '../redact.js';

export interface PyResult {
  code: number;
  stdout: string;
  stderr: string;
}

const RUN_LIMIT_MS = 120_000;

export function runPython(
  python: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<PyResult> {
  return new Promise((resolve) => {
    const child = spawn(python, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-20_000);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: err.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: redact(stderr) });
    });
    child.stdin.end(opts.input ?? '');
  });
}

const found = new Map<string, string | undefined>();

/**
 * The interpreter that can import `module`: details.python, $PGWARD_PYTHON, the project's virtualenv,
 * `python3` on PATH, then the system's /usr/bin/python3.
 */
export async function pythonFor(module: string, root: string, given?: string): Promise<string | undefined> {
  const candidates = [
    given,
    process.env.PGWARD_PYTHON,
    ...['.venv', 'venv', 'env'].map((v) => join(root, v, 'bin', 'python')).filter((p) => existsSync(p)),
    'python3',
    '/usr/bin/python3',
  ].filter((p): p is string => p !== undefined && p !== '');
  for (const py of [...new Set(candidates)]) {
    const key = `${py}\0${module}`;
    if (!found.has(key)) {
      // Probed away from the project: a project folder named like the tool (alembic/) would pass for it.
      // find_spec locates the package without importing it: importing alembic or django costs ~0.5 s,
      // paid again by the real run (bench/frameworks measured the probe as most of pgward's fixed cost).
      const probe = `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(${JSON.stringify(module.split('.')[0])}) else 1)`;
      const r = await runPython(py, ['-c', probe], { cwd: tmpdir(), env: process.env });
      found.set(key, r.code === 0 ? py : undefined);
    }
    if (found.get(key)) return py;
  }
  return undefined;
}

/** The last meaningful line of a Python error (the exception), for a one-line note. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? 'no output';
}

/** The environment for a child: the parent's, without connection secrets it does not need. */
export function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['PGPASSWORD', 'DATABASE_URL', 'PGSERVICEFILE', 'PGPASSFILE']) delete env[k];
  return { ...env, ...extra };
}
