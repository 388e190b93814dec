// The build stamp behind `pgward --version` (src/version.ts): version, git commit, build kind and date,
// written at build time so the running program never asks git (it may run where there is no checkout).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

function git(args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The stamp for a build of this checkout. kind: 'npm' | 'exe'. */
export function buildInfo(kind) {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
  const head = git(['rev-parse', '--short=12', 'HEAD']);
  const dirty = head !== undefined && git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const date = (epoch ? new Date(Number(epoch) * 1000) : new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { version, commit: head ? `${head}${dirty ? '-dirty' : ''}` : 'unknown', kind, date };
}

export function writeBuildInfo(file, kind) {
  mkdirSync(dirname(file), { recursive: true });
  const info = buildInfo(kind);
  writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`);
  return info;
}
