// `pgward render setup`: the Render service runs `pgward migrate` as its pre-deploy command.
import type { Command } from 'commander';
import { action } from '../context.js';

export interface RenderSetupFlags {
  service?: string;
  healthPath?: string;
  preDeploy?: string;
  dryRun?: boolean;
}

export function registerRender(program: Command): void {
  const render = program
    .command('render')
    .description('Render-specific setup (deploy.render in pgward.yaml)');
  render
    .command('setup')
    .description(
      "set the service's pre-deploy command to pgward's migration and its health check path; print the render.yaml fragment",
    )
    .option('--service <id>', 'the Render service (default: the first of deploy.render.services)')
    .option('--health-path <path>', "health check path (web services; default: the service's, else /healthz)")
    .option('--pre-deploy <command>', 'pre-deploy command (default: npx pgward migrate --env <env>)')
    .option('--dry-run', 'show what would change, change nothing')
    .action(
      action(async (ctx, flags: RenderSetupFlags) => (await import('./render.run.js')).run(ctx, flags)),
    );
}
