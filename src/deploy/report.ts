// The deploy's outcome to the outside: a webhook alert (serve.webhook_url, the same Slack-compatible
// POST `pgward serve` sends) when a deploy failed or was rolled back. An alert that cannot be sent is
// reported as progress, never fails the deploy.
import { redact } from '../redact.js';
import { postWebhook } from '../serve/alerts.js';
import type { PipelineContext } from './types.js';

export async function alertOutcome(ctx: PipelineContext): Promise<void> {
  const { rec, settings } = ctx;
  if (
    !settings.webhookUrl ||
    rec.status === 'succeeded' ||
    rec.status === 'running' ||
    rec.status === 'blocked'
  )
    return;
  const failed = rec.steps.find((s) => s.status === 'failed');
  const message = `deploy ${rec.id} ${rec.status.replace('_', ' ')}${failed ? ` at ${failed.name}: ${failed.detail}` : ''}`;
  try {
    await postWebhook(settings.webhookUrl, {
      event: 'alert',
      env: rec.env,
      key: `deploy:${rec.id}`,
      message: redact(message),
      at: new Date().toISOString(),
    });
  } catch (err) {
    ctx.emit({ type: 'progress', step: 'verify', detail: `alert not sent: ${(err as Error).message}` });
  }
}
