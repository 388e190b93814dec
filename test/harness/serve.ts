// Helpers for the serve tests: a `pgward serve` child process on a free port, plain HTTP requests,
// polling on the server's own refresh counter (never on wall-clock thresholds), and a webhook receiver.
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLI, cliEnv } from './project.js';

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  logs(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export async function startServe(
  cwd: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  return spawnServe(process.execPath, [CLI, 'serve', '--port', '0', ...args], { cwd, env: cliEnv(env) });
}

/** Starts `serve` as `command args` (the npm CLI, or the single executable) and waits until it listens. */
export async function spawnServe(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<ServeProcess> {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (d) => {
    logs += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      logs += d;
      const m = /listening on (http:\/\/\S+)/.exec(logs);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code} before listening:\n${logs}`)));
  });
  return {
    url,
    child,
    logs: () => logs,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
type Json = any;

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const r = await get(url, headers);
  return { status: r.status, json: JSON.parse(r.body) };
}

/** pgward_refreshes_total from /metrics: how many refreshes the server has completed. */
export async function refreshes(base: string, headers: Record<string, string> = {}): Promise<number> {
  const r = await get(`${base}/metrics`, headers);
  const m = /^pgward_refreshes_total (\d+)/m.exec(r.body);
  if (!m) throw new Error(`no pgward_refreshes_total in /metrics (HTTP ${r.status})`);
  return Number(m[1]);
}

/**
 * Waits until the server has completed `n` more refreshes than now. A refresh in flight when this is
 * called may have started earlier, so waiting for 2 guarantees one full refresh after the caller's change.
 */
export async function afterRefreshes(
  base: string,
  n = 2,
  headers: Record<string, string> = {},
): Promise<void> {
  const start = await refreshes(base, headers);
  for (let i = 0; i < 2000; i++) {
    if ((await refreshes(base, headers)) >= start + n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the server stopped refreshing');
}

/** Polls `fn` until it returns a value (not undefined); gives up after `tries` attempts 50 ms apart. */
export async function until<T>(fn: () => Promise<T | undefined>, what: string, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export interface Hook {
  url: string;
  received: { text: string; pgward: { event: string; key: string; env: string; message: string } }[];
  close(): Promise<void>;
}

/** A local webhook receiver (loopback), recording every JSON body POSTed to it. */
export async function startHook(): Promise<Hook> {
  const received: Hook['received'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/T000/B000/secretpath`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
