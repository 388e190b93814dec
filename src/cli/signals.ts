// SIGINT/SIGTERM during a run: abort (the capability stops its children, cancels the running statement,
// removes what it created and records nothing), then exit with 130/143. A second signal exits at once.
let received: NodeJS.Signals | undefined;

const codeOf = (sig: NodeJS.Signals) => (sig === 'SIGINT' ? 130 : 143);

/** 130/143 once a signal has been received during a run with abortOnSignals() installed. */
export function interruptedExitCode(): number | undefined {
  return received ? codeOf(received) : undefined;
}

export function abortOnSignals(): {
  signal: AbortSignal;
  exitCode: () => number | undefined;
  dispose: () => void;
} {
  const controller = new AbortController();
  let mine: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (mine) process.exit(codeOf(sig));
    mine = sig;
    received ??= sig;
    process.stderr.write(`\n${sig} received: stopping, cleaning up what this run created…\n`);
    controller.abort(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    exitCode: () => (mine ? codeOf(mine) : undefined),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
