import type { Request } from 'express';
import { HttpProblem } from '../problem';

export const MAX_WAIT_MS = 60_000;

/** `30`, `30s`, `1.5s`, `500ms`: seconds unless it says ms. */
const DURATION = /^(\d{1,6}(?:\.\d{1,3})?)(ms|s)?$/;
/** RFC 7240 `Prefer: wait=30` (seconds), among other preferences. */
const PREFER_WAIT = /(?:^|[,;]\s*)wait\s*=\s*"?([^",;\s]*)"?/i;

export interface WaitRequest {
  ms: number;
  /** Named in `Prefer`: answered with `Preference-Applied`. */
  fromPrefer: boolean;
}

/** How long `GET /v1/jobs/{id}` may wait for a change (`?wait=` wins over `Prefer: wait=`); undefined: not asked. */
export function waitOf(req: Request): WaitRequest | undefined {
  const query = req.query.wait;
  if (query !== undefined) {
    if (typeof query !== 'string') throw invalidWait('wait', 'must be given once');
    return { ms: parseWait(query, 'wait'), fromPrefer: false };
  }
  const prefer = PREFER_WAIT.exec(req.get('prefer') ?? '');
  if (!prefer) return undefined;
  return { ms: parseWait(prefer[1] ?? '', 'Prefer'), fromPrefer: true };
}

function parseWait(text: string, field: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw invalidWait(field, `"${text.slice(0, 40)}" is not a duration (seconds, like 30 or 30s, or 500ms)`);
  const ms = Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
  if (ms > MAX_WAIT_MS) throw invalidWait(field, `must be at most ${MAX_WAIT_MS / 1000} s`);
  return Math.round(ms);
}

function invalidWait(field: string, message: string): HttpProblem {
  return new HttpProblem(400, 'invalid-request', `${field}: ${message}`, { errors: [{ field, message }] });
}
