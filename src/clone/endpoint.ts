// --from/--to: an environment name from pgward.yaml or a postgres:// URL. A URL that points at a
// configured environment's database is that environment (a protected one stays protected when
// spelled as a URL).
import type { LoadedConfig } from '../config/load.js';
import { resolveTarget } from '../config/target.js';
import type { Endpoint } from './refuse.js';

function key(url: string): string {
  try {
    const u = new URL(url);
    const host =
      u.hostname === 'localhost' || u.hostname === '::1' || u.hostname === '[::1]' ? '127.0.0.1' : u.hostname;
    return `${host}:${u.port || '5432'}/${decodeURIComponent(u.pathname.replace(/^\//, ''))}`;
  } catch {
    return url;
  }
}

export function resolveEndpoint(config: LoadedConfig | undefined, value: string): Endpoint {
  if (!/^postgres(ql)?:\/\//i.test(value)) {
    const t = resolveTarget({ config, env: value });
    return { url: t.url, env: t.env, protected: t.protected };
  }
  const t = resolveTarget({ config, url: value });
  for (const name of Object.keys(config?.raw.environments ?? {})) {
    try {
      const e = resolveTarget({ config, env: name });
      if (key(e.url) === key(value)) return { url: value, env: name, protected: e.protected };
    } catch {
      // an environment whose URL cannot be resolved here cannot be the one given
    }
  }
  return { url: t.url, env: undefined, protected: false };
}
