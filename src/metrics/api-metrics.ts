import type { Request, RequestHandler, Response } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';
import { REQUEST_SECONDS } from './buckets';

/** The API's own series: request durations by route template, and submissions by outcome. */
export class ApiMetrics {
  private readonly requestSeconds: Histogram<'route' | 'method' | 'status_class'>;
  private readonly submissions: Counter<'type' | 'outcome' | 'reason'>;

  constructor(
    readonly registry: Registry,
    /** Job types whose names may be label values; anything else a client sends counts as `unknown`. */
    private readonly knownTypes: ReadonlySet<string>,
  ) {
    this.requestSeconds = new Histogram({
      name: 'jobline_http_request_duration_seconds',
      help: 'HTTP requests to the API by route template, method and status class',
      labelNames: ['route', 'method', 'status_class'],
      buckets: REQUEST_SECONDS,
      registers: [registry],
    });
    this.submissions = new Counter({
      name: 'jobline_submissions_total',
      help: 'Job submissions by outcome: accepted, deduplicated (an idempotency key matched), rejected (reason: the problem type)',
      labelNames: ['type', 'outcome', 'reason'],
      registers: [registry],
    });
  }

  /** Times every request; a submission (POST /v1/jobs or /v1/batches) is also counted by outcome. */
  observe(): RequestHandler {
    return (req, res, next) => {
      const end = this.requestSeconds.startTimer();
      res.once('finish', () => {
        const route = routeTemplate(req);
        end({ route, method: req.method, status_class: `${Math.floor(res.statusCode / 100)}xx` });
        if (req.method === 'POST' && (route === '/v1/jobs' || route === '/v1/batches')) this.countSubmission(req, res, route);
      });
      next();
    };
  }

  private countSubmission(req: Request, res: Response, route: string): void {
    const claimed = (req.body as { type?: unknown } | undefined)?.type;
    const type = route === '/v1/batches' ? 'batch' : typeof claimed === 'string' && this.knownTypes.has(claimed) ? claimed : 'unknown';
    if (res.statusCode === 202) this.submissions.inc({ type, outcome: 'accepted', reason: '' });
    else if (res.statusCode === 200) this.submissions.inc({ type, outcome: 'deduplicated', reason: '' });
    else this.submissions.inc({ type, outcome: 'rejected', reason: problemSlugOf(res) });
  }
}

/** The Express route that matched (`/v1/jobs/:id`), never the raw path: ids must not become label values. */
function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : 'unmatched';
}

/** sendProblem notes the problem's slug (a fixed vocabulary) on the response. */
function problemSlugOf(res: Response): string {
  const slug = res.locals.problemSlug;
  return typeof slug === 'string' ? slug : `status_${res.statusCode}`;
}
