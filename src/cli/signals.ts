// SIGINT/SIGTERM during a run: abort (the runner cancels the running statement and rolls back), and
// exit with 130/143. A second signal exits at once.
export function abortOnSignals(): {
  signal: AbortSignal;
  exitCode: () => number | undefined;
  dispose: () => void;
} {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (received) process.exit(sig === 'SIGINT' ? 130 : 143);
    received = sig;
    process.stderr.write(`\n${sig} received: cancelling the running statement and rolling back…\n`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    exitCode: () => (received ? (received === 'SIGINT' ? 130 : 143) : undefined),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
