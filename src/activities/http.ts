import { ApplicationFailure, Context } from '@temporalio/activity';
import { Agent, fetch } from 'undici';
import { HttpJobInput, type HttpJobResult } from '../jobs/http';
import type { DelayHint } from './job-attempt';
import { assertPublicLiteral, guardedAgent, TargetNotAllowedError } from './network-guard';

const MAX_BODY_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;
const MAX_RETRY_AFTER_MS = 60 * 60_000;
const HEARTBEAT_EVERY_MS = 1_000;

export interface HttpActivityDeps {
  allowPrivateTargets: boolean;
}

/** A retryable failure (5xx, 429, 408, network, timeout); carries `Retry-After` when the server sent one. */
class RetryableHttpError extends Error implements DelayHint {
  constructor(name: string, message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = name;
  }
}

export function createHttpActivities(deps: HttpActivityDeps) {
  const dispatcher = guardedAgent(deps.allowPrivateTargets);

  async function callHttp(input: HttpJobInput): Promise<HttpJobResult> {
    const context = Context.current();
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
    const started = Date.now();
    try {
      const response = await fetchFollowingRedirects(input, dispatcher, deps.allowPrivateTargets, context.cancellationSignal);
      const { body, truncated } = await readBounded(response.body);
      const headers = Object.fromEntries(response.headers.entries());
      const summary = `HTTP ${response.status} from ${input.method} ${input.url}${body ? `: ${body.slice(0, 200)}` : ''}`;
      if (response.status >= 200 && response.status < 300) {
        return { status: response.status, headers, body, bodyTruncated: truncated, durationMs: Date.now() - started };
      }
      if (response.status >= 500 || response.status === 429 || response.status === 408) {
        throw new RetryableHttpError('HttpStatusError', summary, parseRetryAfter(response.headers.get('retry-after')));
      }
      throw ApplicationFailure.nonRetryable(summary, 'HttpClientError');
    } catch (err) {
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
      throw classify(err, input);
    } finally {
      clearInterval(heartbeat);
    }
  }

  return { callHttp };
}

async function fetchFollowingRedirects(
  input: HttpJobInput,
  dispatcher: Agent,
  allowPrivateTargets: boolean,
  cancel: AbortSignal,
) {
  const signal = AbortSignal.any([cancel, AbortSignal.timeout(input.timeoutMs)]);
  let url = new URL(input.url);
  let method: string = input.method;
  let body = encodeBody(input);
  const headers: Record<string, string> = { ...input.headers };
  if (body !== undefined && typeof input.body !== 'string' && !hasHeader(headers, 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  for (let hop = 0; ; hop += 1) {
    // The agent's lookup checks resolved names; an IP literal never reaches a lookup, so check it here.
    if (!allowPrivateTargets) assertPublicLiteral(url);
    const response = await fetch(url, { method, headers, body, signal, dispatcher, redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw ApplicationFailure.nonRetryable(`more than ${MAX_REDIRECTS} redirects`, 'HttpClientError');
    url = new URL(location, url);
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
  }
}

function encodeBody(input: HttpJobInput): string | undefined {
  if (input.body === undefined || input.method === 'GET' || input.method === 'HEAD') return undefined;
  return typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

async function readBounded(stream: ReadableStream<Uint8Array> | null): Promise<{ body: string; truncated: boolean }> {
  if (!stream) return { body: '', truncated: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  const body = Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
  return { body, truncated };
}

/** `Retry-After` is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function classify(err: unknown, input: HttpJobInput): unknown {
  if (err instanceof ApplicationFailure || err instanceof RetryableHttpError) return err;
  const target = findCause(err, TargetNotAllowedError);
  if (target) return ApplicationFailure.nonRetryable(target.message, 'TargetNotAllowed');
  const name = (err as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new RetryableHttpError('HttpTimeout', `${input.method} ${input.url} timed out after ${input.timeoutMs} ms`);
  }
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  return new RetryableHttpError('HttpNetworkError', `${input.method} ${input.url} failed: ${reason}`);
}

function findCause<T extends Error>(err: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let current = err; current; current = (current as { cause?: unknown }).cause) {
    if (current instanceof type) return current;
  }
  return undefined;
}

export { HttpJobInput };
