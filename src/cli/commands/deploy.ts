// `pgward deploy` (the pipeline), `deploy status [<id>]`, `deploy list`, `deploy rollback <id>`: the
// commander definitions. The actions live in deploy.run.ts, loaded only when a deploy command runs.
import { type Command, Option } from 'commander';
import { action } from '../context.js';

export interface DeployFlags {
  /** Versions (pipeline) or `true` (deploy rollback's explicit approval). */
  approve?: string | boolean;
  commit?: string;
  image?: string;
  lockWait?: string;
  adopt?: string;
}

export interface DeployRollbackFlags {
  database: 'down' | 'restore';
  approve?: string | boolean;
}

const run = () => import('./deploy.run.js');

const APPROVE_HELP =
  'deploy: approve these blocked migrations (comma-separated versions); deploy rollback: approve changing the database';

export function registerDeploy(program: Command): void {
  const deploy = program
    .command('deploy')
    .description(
      "deploy an environment: preflight (doctor, gate, rehearsal), backup, migrate, the platform's deploy, verification, rollback on failure; journaled in pgward.deploys, resumed after a crash",
    )
    .option('--approve [versions]', APPROVE_HELP)
    .option('--commit <sha>', 'the commit to deploy (the platform default: latest of its branch)')
    .option('--image <ref>', 'the image to deploy (platforms deploying images)')
    .option(
      '--adopt <deploy-id|new>',
      'resuming after a crash between trigger and journal: the platform deploy to wait on, or new to start another',
    )
    .option('--lock-wait <duration>', 'how long migrate waits for the migration lock', '60s')
    .action(action(async (ctx, o: DeployFlags) => (await run()).runDeploy(ctx, o)));
  // `--approve` after a subcommand is read by `deploy` (commander gives parent options to the parent).
  const parentApprove = () => (deploy.opts() as DeployFlags).approve;
  deploy
    .command('status [deploy-id]')
    .description('one deploy of the journal, step by step (default: the newest of the environment)')
    .action(action(async (ctx, id: string | undefined) => (await run()).runDeployStatus(ctx, id)));
  deploy
    .command('list')
    .description('the deploys of the environment, newest first')
    .option('--limit <n>', 'how many', (v) => Number(v), 20)
    .action(action(async (ctx, o: { limit: number }) => (await run()).runDeployList(ctx, o.limit)));
  deploy
    .command('rollback <deploy-id>')
    .description(
      'the database half of a rolled-back deploy whose migrations were not backward compatible: run their down sections, or restore the pre-deploy backup into a new database; nothing changes without --approve',
    )
    .addOption(
      new Option('--database <how>', 'down or restore').choices(['down', 'restore']).makeOptionMandatory(),
    )
    .option('--approve [versions]', 'approve changing the database')
    .action(
      action(async (ctx, id: string, o: DeployRollbackFlags) =>
        (await run()).runDeployRollback(ctx, id, { ...o, approve: o.approve ?? parentApprove() }),
      ),
    );
}
