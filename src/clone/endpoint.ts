// --from/--to: an environment name from pgward.yaml or a postgres:// URL. Either way the database it
// reaches is identified (pgward.identity stamp, configured URLs reaching the same database), so a
// protected environment stays protected and its masking rules apply however its URL is spelled.
import type { LoadedConfig } from '../config/load.js';
import { resolveTarget } from '../config/target.js';
import { identifyTarget } from '../identity/identify.js';
import type { Endpoint } from './refuse.js';

export async function resolveEndpoint(config: LoadedConfig | undefined, value: string): Promise<Endpoint> {
  const named = !/^postgres(ql)?:\/\//i.test(value);
  const t = named ? resolveTarget({ config, env: value }) : resolveTarget({ config, url: value });
  const id = await identifyTarget(t, { config });
  return {
    url: t.url,
    env: id.env,
    protected: id.protected,
    identification: id.identification,
    pooler: t.pooler,
  };
}
