import { ApplicationFailure, Context } from '@temporalio/activity';
import { Agent, fetch } from 'undici';
import { HttpJobInput, type HttpJobResult } from '../jobs/http';
import { isSecretHeader } from '../jobs/secret-headers';
import type { DelayHint } from './job-attempt';
import { assertPublicLiteral, guardedAgent, TargetNotAllowedError } from './network-guard';
import { printableUrl, withoutUserinfo } from './printable-url';

const MAX_BODY_BYTES = 64 * 1024;
/** Redirects followed before the call fails for good (browsers allow 20; a webhook needs one or two). */
export const MAX_REDIRECTS = 5;
/** Headers that describe the body: dropped with it when a redirect turns the request into a GET (Fetch standard). */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']);
const MAX_RETRY_AFTER_MS = 60 * 60_000;
const HEARTBEAT_EVERY_MS = 1_000;

export interface HttpActivityDeps {
  allowPrivateTargets: boolean;
}

/** A retryable failure (5xx, 429, 408, network, timeout); carries `Retry-After` when the server sent one. */
class RetryableHttpError extends Error implements DelayHint {
  constructor(
    name: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
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
      const summary = `HTTP ${response.status} from ${input.method} ${printableUrl(input.url)}${body ? `: ${body.slice(0, 200)}` : ''}`;
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

/**
 * Follows redirects by hand so that every hop is checked: the literal check here, names by the agent's
 * lookup. As the Fetch standard does, a redirect to another origin drops the credentials (every header
 * `isSecretHeader` names, not only `Authorization`), and one that turns the request into a GET drops the
 * body and the headers that describe it.
 */
export async function fetchFollowingRedirects(input: HttpJobInput, dispatcher: Agent, allowPrivateTargets: boolean, cancel: AbortSignal) {
  const signal = AbortSignal.any([cancel, AbortSignal.timeout(input.timeoutMs)]);
  let url = new URL(input.url);
  let method: string = input.method;
  let body = encodeBody(input);
  let headers: Record<string, string> = { ...input.headers };
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
    if (hop >= MAX_REDIRECTS) {
      throw ApplicationFailure.nonRetryable(
        `more than ${MAX_REDIRECTS} redirects, starting at ${input.method} ${printableUrl(input.url)}`,
        'HttpClientError',
      );
    }
    const next = redirectTarget(location, url);
    if (next.origin !== url.origin) headers = withoutHeaders(headers, isSecretHeader);
    if (becomesGet(response.status, method)) {
      method = 'GET';
      body = undefined;
      headers = withoutHeaders(headers, (name) => BODY_HEADERS.has(name.toLowerCase()));
    }
    url = next;
  }
}

/** The next hop's URL; one the job could not have been submitted with fails the call for good. */
function redirectTarget(location: string, current: URL): URL {
  const refuse = (why: string) => ApplicationFailure.nonRetryable(`redirect from ${printableUrl(current)} ${why}`, 'HttpClientError');
  if (!URL.canParse(location, current.href)) throw refuse('to an invalid Location');
  const next = new URL(location, current);
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw refuse(`to a ${next.protocol} URL`);
  if (next.username || next.password) throw refuse('to a URL with credentials (user:password@)');
  return next;
}

/** 303 turns anything but GET and HEAD into a GET; 301 and 302 turn a POST into one (Fetch standard, HTTP-redirect fetch). */
function becomesGet(status: number, method: string): boolean {
  if (status === 303) return method !== 'GET' && method !== 'HEAD';
  return (status === 301 || status === 302) && method === 'POST';
}

function withoutHeaders(headers: Record<string, string>, drop: (name: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !drop(name)));
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
    return new RetryableHttpError('HttpTimeout', `${input.method} ${printableUrl(input.url)} timed out after ${input.timeoutMs} ms`);
  }
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  // A library's message may quote the URL it was given, credentials and all.
  const reason = withoutUserinfo(cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err));
  return new RetryableHttpError('HttpNetworkError', `${input.method} ${printableUrl(input.url)} failed: ${reason}`);
}

function findCause<T extends Error>(err: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let current = err; current; current = (current as { cause?: unknown }).cause) {
    if (current instanceof type) return current;
  }
  return undefined;
}

export { HttpJobInput };
