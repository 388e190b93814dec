// `pgward backup create --from render-export`: a thin adapter over src/platform/render/export-backup.ts.
import { backupSettings } from '../../backup/config.js';
import { openStorage } from '../../backup/storage.js';
import { ExitCode, UsageError } from '../../errors.js';
import { backupFromRenderExport } from '../../platform/render/export-backup.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import type { BackupCreateFlags } from './backup.js';
import { printManifest } from './backup.run.js';
import { renderEnv } from './render.shared.js';

export async function runRenderExportBackup(ctx: Context, o: BackupCreateFlags): Promise<number> {
  const { envName, config, client } = renderEnv(ctx);
  if (!config?.postgres)
    throw new UsageError(
      `environment ${envName ?? '(none)'} names no Render Postgres: deploy.render.postgres is not set`,
      'add postgres: dpg-… under deploy.render in pgward.yaml',
    );
  const serverUrl = o.server ?? ctx.target().url;
  const s = backupSettings(ctx.config, o.storage);
  const storage = await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 });
  const sig = abortOnSignals();
  try {
    const r = await backupFromRenderExport({
      client,
      postgresId: config.postgres,
      ...(o.export ? { exportId: o.export } : {}),
      env: envName,
      storage,
      serverUrl,
      labels: o.label ?? [],
      pin: o.pin === true,
      hash: o.hash === true || s.hash,
      compression: s.compression,
      signal: sig.signal,
      onStep: (step, detail) => ctx.out.info(`render export: ${step} ${detail}`),
    });
    if (ctx.out.json) ctx.out.document({ ...r.manifest, renderExport: r.export });
    else {
      printManifest(ctx.out, r.manifest);
      ctx.out.line(
        ctx.out.c.dim(
          `from Render export ${r.export.id} (${r.export.createdAt}); prove it with pgward backup verify ${r.manifest.id}`,
        ),
      );
    }
    return ExitCode.ok;
  } finally {
    sig.dispose();
  }
}
