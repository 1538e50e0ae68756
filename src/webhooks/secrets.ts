import { Webhook } from 'standardwebhooks';
import { z } from 'zod';

/**
 * JOBLINE_WEBHOOK_SECRETS: comma-separated `whsec_<base64>` secrets (Standard Webhooks' format). The error
 * names the position of a bad one, never its value.
 */
export const WebhookSecrets = z
  .string()
  .transform((list) =>
    list
      .split(',')
      .map((secret) => secret.trim())
      .filter(Boolean),
  )
  .superRefine((secrets, ctx) => {
    secrets.forEach((secret, index) => {
      if (!isSecret(secret))
        ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is not a whsec_<base64> secret of at least 24 bytes` });
    });
  });

function isSecret(secret: string): boolean {
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) return false;
  try {
    new Webhook(secret);
  } catch {
    return false;
  }
  return Buffer.from(secret.slice('whsec_'.length), 'base64').length >= 24;
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for each secret,
 * space-separated, so that a receiver holding any one of them verifies.
 */
export function signatureHeader(secrets: readonly Webhook[], webhookId: string, at: Date, body: string): string {
  return secrets.map((secret) => secret.sign(webhookId, at, body)).join(' ');
}
