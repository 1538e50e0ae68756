import { ApplicationFailure } from '@temporalio/activity';
import { BrokenCircuitError, CircuitState, type CircuitBreakerPolicy } from 'cockatiel';
import { fetch, type Agent } from 'undici';
import type { HttpDeliverInput } from '../../../batch/handlers';
import type { BatchItem } from '../../../batch/sources';
import { parseRetryAfter } from '../../http';
import { HostBreakers } from '../../host-breakers';
import { assertPublicLiteral, guardedAgent, TargetNotAllowedError } from '../../network-guard';
import { printableUrl, withoutUserinfo } from '../../printable-url';
import { itemError, type HandlerContext, type ItemHandler, type ItemResult } from '../handler';

const RETRY_BASE_MS = 200;
const RETRY_CAP_MS = 10_000;
/** How often a waiting item looks whether the breaker lets a probe through. */
const BREAKER_POLL_MS = 250;

export interface HttpDeliverDeps {
  allowPrivateTargets: boolean;
}

/** 5xx, 429, 408, timeouts and network errors: the target may be down, so the item is tried again. */
class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

/**
 * Sends each item to the batch's endpoint. Items go one at a time per chunk (the chunk checkpoints after
 * each), so the batch's concurrency is the number of requests in flight. A circuit breaker per target host
 * (per worker process) opens after consecutive failures; while it is open, items wait instead of failing,
 * and one probe at a time tells when the target is back. Failures that open the breaker are the target's,
 * not the item's: they do not use up the item's attempts.
 */
export function createHttpDeliverHandler(deps: HttpDeliverDeps): ItemHandler<HttpDeliverInput> {
  const dispatcher = guardedAgent(deps.allowPrivateTargets);
  const breakers = new HostBreakers((err) => err instanceof RetryableDeliveryError);
  const breakerFor = (url: URL, settings: HttpDeliverInput['breaker']) => breakers.for(url, settings);

  return {
    sliceSize: 1,
    async handle(items, input, context) {
      const url = new URL(input.url);
      // One URL for every item and no redirects followed: one literal check covers every call; names are
      // checked by the agent's lookup on each connection.
      if (!deps.allowPrivateTargets) {
        try {
          assertPublicLiteral(url);
        } catch (err) {
          throw notAllowed(err) ?? err;
        }
      }
      const breaker = breakerFor(url, input.breaker);
      const results: ItemResult[] = [];
      for (const item of items) results.push(await deliver(item, input, url, breaker, dispatcher, context));
      return results;
    },
  };
}

async function deliver(
  item: BatchItem,
  input: HttpDeliverInput,
  url: URL,
  breaker: CircuitBreakerPolicy,
  dispatcher: Agent,
  context: HandlerContext,
): Promise<ItemResult> {
  const key = keyOf(item, input.keyField);
  if (key === undefined) return `no "${input.keyField}" field (a string or number) for the Idempotency-Key`;
  const headers = { 'content-type': 'application/json', ...input.headers, 'idempotency-key': `${context.jobId}:${key}` };
  const body = JSON.stringify(item.value ?? null);
  let attempt = 1;
  for (;;) {
    try {
      return await breaker.execute(() => send(url, input, headers, body, dispatcher, context.signal), context.signal);
    } catch (err) {
      if (context.signal.aborted || err instanceof ApplicationFailure) throw err;
      if (err instanceof BrokenCircuitError) {
        await context.sleep(Math.min(BREAKER_POLL_MS, input.breaker.halfOpenAfterMs));
        context.heartbeat();
        continue;
      }
      if (!(err instanceof RetryableDeliveryError)) return itemError(err);
      if (breaker.state === CircuitState.Open) continue; // the target is down: wait for it, keep the attempt
      if (attempt >= input.maxAttempts) return `${itemError(err)} (after ${attempt} attempts)`;
      const backoff = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
      await context.sleep(Math.max(backoff, err.retryAfterMs ?? 0));
      attempt += 1;
    }
  }
}

/** Resolves when the target took the item (2xx); a 4xx other than 408/429 is the item's failure, for good. */
async function send(
  url: URL,
  input: HttpDeliverInput,
  headers: Record<string, string>,
  body: string,
  dispatcher: Agent,
  cancel: AbortSignal,
): Promise<ItemResult> {
  const signal = AbortSignal.any([cancel, AbortSignal.timeout(input.timeoutMs)]);
  let response;
  try {
    response = await fetch(url, { method: input.method, headers, body, signal, dispatcher, redirect: 'manual' });
  } catch (err) {
    if (cancel.aborted) throw err;
    const blocked = notAllowed(err);
    if (blocked) throw blocked;
    const name = (err as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new RetryableDeliveryError(`timed out after ${input.timeoutMs} ms`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = withoutUserinfo(cause?.code ?? cause?.message ?? String(err));
    throw new RetryableDeliveryError(`${input.method} ${printableUrl(input.url)} failed: ${reason}`);
  }
  const text = (await response.text().catch(() => '')).slice(0, 200);
  const summary = `HTTP ${response.status}${text ? `: ${text}` : ''}`;
  if (response.status >= 200 && response.status < 300) return undefined;
  // Redirects are not followed (`redirect: 'manual'`): every item goes to the one URL that was checked at
  // submission and before the chunk, never with its headers to an origin the batch did not name.
  if (response.status >= 300 && response.status < 400) throw new Error(`${summary} (redirects are not followed: give the final URL)`);
  if (response.status >= 500 || response.status === 429 || response.status === 408) {
    throw new RetryableDeliveryError(summary, parseRetryAfter(response.headers.get('retry-after')));
  }
  throw new Error(summary);
}

function keyOf(item: BatchItem, keyField: string | undefined): string | undefined {
  if (!keyField) return item.key;
  const value = (item.value as Record<string, unknown> | null | undefined)?.[keyField];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** A blocked target is the batch's mistake, not an item's: it fails the chunk for good. */
function notAllowed(err: unknown): ApplicationFailure | undefined {
  for (let current: unknown = err; current; current = (current as { cause?: unknown }).cause) {
    if (current instanceof TargetNotAllowedError) return ApplicationFailure.nonRetryable(current.message, 'TargetNotAllowed');
  }
  return undefined;
}
