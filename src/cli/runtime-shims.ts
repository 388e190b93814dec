// Imported first by the CLI entry. Node 21+ defines `navigator`; Node 20 does not, and pg then probes
// for Cloudflare Workers by touching the global `Response`, which makes Node load its whole fetch
// implementation (undici): ~50 ms on every pgward command. Defining what Node 21+ defines avoids it.
const g = globalThis as { navigator?: { userAgent?: string } };
if (g.navigator === undefined) {
  g.navigator = { userAgent: `Node.js/${process.versions.node.split('.')[0]}` };
}
