import { log } from '@temporalio/activity';
import { BrokenCircuitError } from 'cockatiel';
import { Webhook } from 'standardwebhooks';
import { fetch, type Agent } from 'undici';
import type { WebhooksConfig } from '../config';
import type { DeliveryAttempt } from '../webhooks/events';
import { isClientError, nextTryInMs } from '../webhooks/retry-policy';
import { signatureHeader } from '../webhooks/secrets';
import { HostBreakers, type BreakerSettings } from './host-breakers';
import { parseRetryAfter } from './http';
import { guardedAgent, literalTargetRefusal, TargetNotAllowedError } from './network-guard';
import { printableUrl, withoutUserinfo } from './printable-url';

/** What the body of a receiver's answer is read for: the start of an error message. */
const MAX_ANSWER_BYTES = 1_024;
/** A receiver that failed this many tries in a row is left alone for a while (per worker process). */
const BREAKER: BreakerSettings = { failures: 5, halfOpenAfterMs: 30_000 };

export interface WebhookActivityDeps {
  allowPrivateTargets: boolean;
  webhooks: WebhooksConfig;
}

export interface SendWebhookInput {
  webhookId: string;
  url: string;
  /** The JSON body, exactly as signed. */
  body: string;
  /** This try, 1-based (since the last redelivery). */
  attempt: number;
  /** Tries so far that the receiver refused (4xx but 408/429). */
  clientErrors: number;
}

/** The receiver may be down: 5xx, 408, 429, a timeout or a network error. Opens the host's breaker. */
class ReceiverUnavailable extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ReceiverUnavailable';
  }
}

/**
 * One try of a webhook: signs the body with every configured secret (the signature covers this try's
 * timestamp, so a late retry still verifies within a receiver's tolerance), POSTs it without following
 * redirects, reads at most 1 KiB of the answer, and says whether and when to try again. Never throws for
 * what the receiver did: the delivery workflow keeps each outcome in its memo.
 */
export function createWebhookActivities(deps: WebhookActivityDeps) {
  const dispatcher = guardedAgent(deps.allowPrivateTargets);
  const breakers = new HostBreakers((err) => err instanceof ReceiverUnavailable);
  const secrets = deps.webhooks.secrets.map((secret) => new Webhook(secret));
  const policy = deps.webhooks.retry;

  async function sendWebhook(input: SendWebhookInput): Promise<DeliveryAttempt> {
    const url = new URL(input.url);
    const fail = (error: string, facts: { status?: number; retryAfterMs?: number; final?: boolean } = {}): DeliveryAttempt => {
      const clientError = facts.status !== undefined && isClientError(facts.status);
      const retryInMs = nextTryInMs(policy, { attempt: input.attempt, clientErrors: input.clientErrors, ...facts });
      log.warn('webhook try failed', { webhookId: input.webhookId, attempt: input.attempt, error, retryInMs });
      return {
        delivered: false,
        error,
        ...(facts.status ? { status: facts.status } : {}),
        ...(clientError ? { clientError } : {}),
        ...(retryInMs === undefined ? {} : { retryInMs }),
      };
    };
    // The worker may lack what the API had when it accepted the job: try again once it is configured.
    if (secrets.length === 0) return fail('no signing secret configured on the worker (JOBLINE_WEBHOOK_SECRETS)');
    const refusal = deps.allowPrivateTargets ? undefined : literalTargetRefusal(url);
    if (refusal) return fail(`${url.hostname} is not a public target (${refusal})`, { final: true });
    try {
      const status = await breakers.for(url, BREAKER).execute(() => post(url, input, secrets, dispatcher, deps.webhooks.timeoutMs));
      if (status >= 200 && status < 300) return { delivered: true, status };
      return fail(`HTTP ${status}`, { status });
    } catch (err) {
      if (err instanceof ReceiverUnavailable) return fail(err.message, { status: err.status, retryAfterMs: err.retryAfterMs });
      if (err instanceof BrokenCircuitError)
        return fail(`${url.host} failed ${BREAKER.failures} tries in a row: not called for now (circuit open)`);
      if (err instanceof ClientRefusal) return fail(err.message, { status: err.status });
      const blocked = findTargetRefusal(err);
      if (blocked) return fail(blocked.message, { final: true });
      throw err;
    }
  }

  return { sendWebhook };
}

/** A 3xx or a 4xx: the receiver's answer, not its absence (does not open the breaker). */
class ClientRefusal extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function post(url: URL, input: SendWebhookInput, secrets: Webhook[], dispatcher: Agent, timeoutMs: number): Promise<number> {
  const now = new Date();
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Jobline-Webhooks/1',
    'webhook-id': input.webhookId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signatureHeader(secrets, input.webhookId, now, input.body),
  };
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: input.body,
      dispatcher,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    if (findTargetRefusal(err)) throw err;
    const name = (err as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new ReceiverUnavailable(`no answer within ${timeoutMs} ms`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ReceiverUnavailable(`POST ${printableUrl(url)} failed: ${withoutUserinfo(cause?.code ?? cause?.message ?? String(err))}`);
  }
  const answer = await readStart(response.body);
  const summary = `HTTP ${response.status}${answer ? `: ${answer.slice(0, 200)}` : ''}`;
  if (response.status >= 200 && response.status < 300) return response.status;
  if (response.status >= 500 || response.status === 408 || response.status === 429) {
    throw new ReceiverUnavailable(summary, response.status, parseRetryAfter(response.headers.get('retry-after')));
  }
  // Redirects are not followed: the signed body goes only to the URL that was checked at submission.
  if (response.status >= 300 && response.status < 400)
    throw new ClientRefusal(`${summary} (redirects are not followed: give the final URL)`, response.status);
  throw new ClientRefusal(summary, response.status);
}

/** At most MAX_ANSWER_BYTES of the answer; the rest is not read. */
async function readStart(stream: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!stream) return '';
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A receiver that breaks off its answer has answered all the same: its status counts.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8').trim();
}

function findTargetRefusal(err: unknown): TargetNotAllowedError | undefined {
  for (let current = err; current; current = (current as { cause?: unknown }).cause) {
    if (current instanceof TargetNotAllowedError) return current;
  }
  return undefined;
}
