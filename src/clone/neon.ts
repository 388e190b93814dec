// `pgward clone --from production --to staging --via neon`: staging becomes a masked branch of production.
//   1. a new branch of production's branch (pgward-clone-<target>-<time>), nobody's database yet;
//   2. marked incomplete (./state.ts), inherited environment stamps removed;
//   3. masking rules run on it in place, batched (./neon-mask.ts), then validated against production row by
//      row: no masked column may still hold production's value for the same key;
//   4. only then is staging's branch restored from that branch (Neon's restore: staging keeps its branch id,
//      endpoint and URL, so the app's DATABASE_URL does not change), its old state preserved under
//      pgward-before-clone-<time>; the work branch is deleted when Neon allows it.
// Staging never holds an unmasked value: a failure or a validation failure (exit 10) before step 4 deletes
// the work branch and leaves staging as it was.
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import { createWorkBranch, forgetInheritedStamps, type NeonHandle } from '../platform/neon/setup.js';
import type { MaskingPlan } from './config.js';
import { type InPlaceTable, maskInPlace, type UnmaskedLeft, unmaskedLeft } from './neon-mask.js';
import { clearCloneMark, markCloneIncomplete } from './state.js';

export interface NeonCloneOptions {
  from: { env: string; url: string; neon: NeonHandle };
  to: { env: string; neon: NeonHandle };
  masking: MaskingPlan;
  batchRows?: number;
  signal?: AbortSignal;
  onStep?: (step: 'branch' | 'mask' | 'validate' | 'restore' | 'cleanup', detail: string) => void;
}

export interface NeonCloneResult {
  source: string;
  target: string;
  project: string;
  /** The target's branch, restored from the masked work branch. */
  targetBranch: { id: string; name: string };
  /** Where the target's previous state was kept. */
  preservedAs: string;
  workBranch: { id: string; name: string; deleted: boolean };
  masked: InPlaceTable[];
  durationMs: number;
}

const stampOf = () =>
  new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase();

async function preflight(o: NeonCloneOptions) {
  if (o.from.neon.project !== o.to.neon.project)
    throw new UsageError(
      `--via neon: ${o.from.env} (project ${o.from.neon.project}) and ${o.to.env} (project ${o.to.neon.project}) are in different Neon projects`,
      'a branch can only be made within one project: clone without --via neon',
    );
  if (!o.to.neon.branch)
    throw new UsageError(
      `--via neon: ${o.to.env} names no neon.branch (it would be the project's default branch)`,
    );
  const c = o.to.neon.client;
  const [src, dst] = await Promise.all([
    c.findBranch(o.from.neon.project, o.from.neon.branch, o.signal),
    c.findBranch(o.to.neon.project, o.to.neon.branch, o.signal),
  ]);
  if (src.id === dst.id)
    throw new UsageError(`--via neon: ${o.from.env} and ${o.to.env} are the same Neon branch`);
  if (dst.default || dst.protected)
    throw new UsageError(
      `--via neon: ${o.to.env}'s branch ${dst.name} is the project's ${dst.default ? 'default' : 'protected'} branch: pgward will not overwrite it`,
    );
  return dst;
}

/**
 * Makes the target environment's Neon branch a masked, validated copy of the source's branch.
 *
 * @example
 * ```ts
 * import { cloneViaNeon, loadConfig, maskingFor, neonHandleFor } from 'pgward';
 * const neon = (branch: string) => neonHandleFor({ project: 'shiny-wind-028834', branch });
 * const r = await cloneViaNeon({
 *   from: { env: 'production', url: process.env.DATABASE_URL ?? '', neon: neon('main') },
 *   to: { env: 'staging', neon: neon('staging') },
 *   masking: maskingFor(loadConfig('pgward.yaml'), 'production', 'staging'),
 * });
 * console.log(r.targetBranch.name, r.masked);
 * ```
 */
export async function cloneViaNeon(o: NeonCloneOptions): Promise<NeonCloneResult> {
  const started = Date.now();
  const dst = await preflight(o);
  const h = o.from.neon;
  const stamp = stampOf();
  let workId: string | undefined;
  let restored = false;
  const name = `pgward-clone-${o.to.env
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 20)}-${stamp}`;
  try {
    o.onStep?.('branch', `${name} from ${o.from.env}'s branch`);
    const work = await createWorkBranch(h, {
      purpose: 'clone',
      name,
      ...(o.signal ? { signal: o.signal } : {}),
      onCreated: (id) => {
        workId = id;
      },
    });
    await markCloneIncomplete(work.url, o.from.env);
    await forgetInheritedStamps(work.url);
    o.onStep?.('mask', `${o.masking.columns.length} columns in place`);
    const masked = await maskInPlace(work.url, o.masking, {
      ...(o.batchRows ? { batchRows: o.batchRows } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      onTable: (t) => o.onStep?.('mask', `${t.table}: ${t.rows} rows (${t.columns.join(', ')})`),
    });
    o.onStep?.('validate', 'no masked column still holds the source value');
    const left = await unmaskedLeft(work.url, o.from.url, o.masking);
    if (left.length) throw unmaskedError(left, o.to.env);
    await clearCloneMark(work.url);
    const preservedAs = `pgward-before-clone-${stamp}`;
    o.onStep?.('restore', `${o.to.env}'s branch ${dst.name} from ${name} (old state kept as ${preservedAs})`);
    await h.client.restoreBranch(h.project, dst.id, {
      sourceBranchId: work.id,
      preserveUnderName: preservedAs,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    restored = true;
    const deleted = await h.client.deleteBranch(h.project, work.id).then(
      () => true,
      () => false,
    );
    o.onStep?.('cleanup', deleted ? `${name} deleted` : `${name} kept (Neon refused to delete it now)`);
    return {
      source: o.from.env,
      target: o.to.env,
      project: h.project,
      targetBranch: { id: dst.id, name: dst.name },
      preservedAs,
      workBranch: { id: work.id, name, deleted },
      masked,
      durationMs: Date.now() - started,
    };
  } finally {
    if (workId && !restored) {
      o.onStep?.('cleanup', `${name} deleted; ${o.to.env} unchanged`);
      await h.client.deleteBranch(h.project, workId).catch(() => undefined);
    }
  }
}

function unmaskedError(left: UnmaskedLeft[], env: string): PgwardError {
  const what = left.map((l) => `${l.table}.${l.column} (${l.rows} rows)`).join(', ');
  return new PgwardError(
    `masking validation failed: unmasked values remain in ${what}; ${env} was not changed`,
    {
      exitCode: ExitCode.validationFailed,
      hint: 'check the masking rules of these columns (a sql: rule that returns its input masks nothing)',
    },
  );
}
