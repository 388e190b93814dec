// What `pgward promote` deploys when no --commit/--image is given: the version the source environment's
// live deploy runs (Render: the live deploy's commit id or image ref), so production gets what was proven
// on staging — not whatever is newest on the branch. A platform that cannot tell says so in the note.
import type { LoadedConfig } from '../config/load.js';
import { redact } from '../redact.js';
import { deployBlock, switchProvider } from './switch-provider.js';

export interface PromotedVersion {
  commit?: string;
  image?: string;
  /** One line for the report: what will be deployed and where it was read. */
  note: string;
}

/**
 * The commit (or image) `from`'s live deploy runs, to deploy the same on the target environment.
 *
 * @example
 * ```ts
 * import { loadConfig, promotedVersion } from 'pgward';
 * const v = await promotedVersion(loadConfig('pgward.yaml'), 'staging');
 * console.log(v.note, v.commit ?? v.image ?? '(platform default)');
 * ```
 */
export async function promotedVersion(
  config: LoadedConfig | undefined,
  from: string,
  signal?: AbortSignal,
): Promise<PromotedVersion> {
  const raw = config?.raw.environments?.[from]?.deploy;
  const fallback = 'the platform deploys its default (latest of the branch)';
  if (!raw) return { note: `${from} has no deploy: block: no live version to promote; ${fallback}` };
  const provider = switchProvider(deployBlock(config, from), config, from);
  if (!provider.liveVersion)
    return { note: `the ${provider.kind} provider cannot tell what ${from} runs; ${fallback}` };
  const v = await provider.liveVersion(signal);
  if (!v?.commit && !v?.image)
    return {
      note: `${from}'s live version is unknown (${provider.kind === 'command' ? 'a deploy command does not report it' : 'no live deploy'}); ${fallback}`,
    };
  const what = v.image ? `image ${redact(v.image)}` : `commit ${v.commit}`;
  return { ...v, note: `deploying ${what}, the live version of ${from} (${provider.describe()})` };
}
