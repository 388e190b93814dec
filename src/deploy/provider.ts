// Which DeployProvider an environment's deploy: block names. The command provider is built here; the
// Render provider lives in src/platform (providerFor there replaces this at merge).
import type { RawDeploy } from '../config/sections/deploy.js';
import { PgwardError } from '../errors.js';
import { CommandProvider, type CommandRunOptions } from '../platform/command.js';
import type { DeployProvider } from '../platform/types.js';

/**
 * The provider of a `deploy:` block: `command` runs the configured shell commands (in `run.cwd`, with
 * `run.env`); `render` is not available in this build.
 *
 * @example
 * ```ts
 * import { providerFor } from 'pgward';
 * const provider = providerFor({ provider: 'command', command: { deploy: './deploy.sh' } });
 * console.log(provider.describe());
 * ```
 */
export function providerFor(raw: RawDeploy, run: CommandRunOptions = {}): DeployProvider {
  if (raw.provider === 'command' && raw.command) return new CommandProvider(raw.command, run);
  throw new PgwardError(`provider ${raw.provider}: not available in this build`, {
    hint: 'use provider: command with deploy: <command> (see docs/deploy.md)',
  });
}
