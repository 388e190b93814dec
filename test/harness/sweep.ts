// A test run killed before its cleanup (kill -9, a CI job cancelled) leaves its folder in the temp dir,
// with test passwords in it and a PostgreSQL server still running. The next run sweeps such folders: only
// those whose runner (the pid in runner.pid) is dead, never a run still going on beside it.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_PREFIX = 'pgward-test-run-';
const RUNNER_PID_FILE = 'runner.pid';

/** Records this process as the folder's runner. */
export function markRunner(runDir: string): void {
  writeFileSync(join(runDir, RUNNER_PID_FILE), `${process.pid}\n`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function runnerPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, RUNNER_PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // no pid file (yet, or an older runner): not ours to judge
  }
}

/** Stops the servers left in the temp dir by dead test runs and removes their folders; returns them. */
export async function sweepDeadRuns(tmp = tmpdir()): Promise<string[]> {
  const swept: string[] = [];
  for (const name of readdirSync(tmp)) {
    if (!name.startsWith(RUN_PREFIX)) continue;
    const dir = join(tmp, name);
    const pid = runnerPid(dir);
    if (pid === undefined || alive(pid)) continue;
    await stopPostmasters(dir);
    rmSync(dir, { recursive: true, force: true });
    swept.push(dir);
  }
  return swept;
}

/** Every server whose data directory is under `dir`: an immediate shutdown, as `pg_ctl -m immediate`. */
async function stopPostmasters(dir: string): Promise<void> {
  const pidFiles = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('postmaster.pid'),
  );
  for (const f of pidFiles) {
    const [pidLine, dataDir] = readFileSync(join(dir, f), 'utf8').split('\n');
    const pid = Number(pidLine);
    // Only a process that is this data directory's postmaster: a pid may have been reused since.
    if (!Number.isInteger(pid) || pid <= 0 || !isPostmasterOf(pid, dataDir ?? '')) continue;
    process.kill(pid, 'SIGQUIT');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  }
}

function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return dataDir !== '' && argv.includes(dataDir);
  } catch {
    return false;
  }
}
