// The dashboard's static files, shipped in the package (no CDN: servers may be offline): dist/assets/
// holds dashboard.js and dashboard.css (from src/serve/dashboard/assets/) and uPlot's script and
// stylesheet, copied there by scripts/bundle.mjs (and embedded in the single executable through
// scripts/exe-assets.mjs). Read once, then served from memory.
import { readAsset } from '../../assets.js';

const TYPES: Record<string, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'uPlot.iife.min.js': 'text/javascript; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
};

let cache: Map<string, Buffer> | undefined;

/** An asset by file name: its type and content, or undefined (unknown name, or not shipped). */
export function asset(name: string): { type: string; body: Buffer } | undefined {
  const type = TYPES[name];
  if (!type) return undefined;
  if (!cache) {
    cache = new Map();
    // readAsset: the package's dist/assets/, or the copy embedded in the single executable.
    for (const n of Object.keys(TYPES)) {
      const body = readAsset(`dist/assets/${n}`);
      if (body) cache.set(n, body);
    }
  }
  const body = cache.get(name);
  return body ? { type, body } : undefined;
}
