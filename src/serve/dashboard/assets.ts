// The dashboard's static files, shipped in the package (no CDN: servers may be offline): dist/assets/
// holds dashboard.js and dashboard.css (from src/serve/dashboard/assets/) and uPlot's script and
// stylesheet, copied there by scripts/bundle.mjs. Read once, then served from memory.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'uPlot.iife.min.js': 'text/javascript; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
};

/** Where the assets are: next to the CLI bundle (dist/bin → dist/assets), or the library (dist/serve/dashboard). */
function assetsDir(): string | undefined {
  const candidates = ['../assets/', '../../assets/', '../../../dist/assets/'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((d) => existsSync(`${d}dashboard.js`) && existsSync(`${d}uPlot.iife.min.js`));
}

let cache: Map<string, Buffer> | undefined;

/** An asset by file name: its type and content, or undefined (unknown name, or not shipped). */
export function asset(name: string): { type: string; body: Buffer } | undefined {
  const type = TYPES[name];
  if (!type) return undefined;
  if (!cache) {
    cache = new Map();
    const dir = assetsDir();
    if (dir) for (const n of Object.keys(TYPES)) cache.set(n, readFileSync(`${dir}${n}`));
  }
  const body = cache.get(name);
  return body ? { type, body } : undefined;
}
