import { literalTargetRefusal } from '../net/address-class';
import { pipelineJob } from '../jobs/index';
import type { PipelinePlan } from '../jobs/pipeline';
import type { NotifySpec } from '../webhooks/events';
import type { TargetPolicy } from './private-targets';
import { HttpProblem, type FieldError } from './problem';

/** Every `notify` of a submission, with the field that holds it: the job's own and its pipeline nodes'. */
function notifications(type: string, notify: NotifySpec | undefined, input: unknown): Array<{ field: string; notify: NotifySpec }> {
  const own = notify ? [{ field: 'notify', notify }] : [];
  if (type !== pipelineJob.type) return own;
  const nodes = (input as PipelinePlan).nodes.flatMap((node, index) =>
    node.spec.notify ? [{ field: `input.nodes.${index}.notify`, notify: node.spec.notify }] : [],
  );
  return [...own, ...nodes];
}

/**
 * Refuses, at submission, a `notify` this server cannot honour: none at all without signing secrets
 * (an unsigned webhook would teach receivers to accept forgeries), and a literal private receiver unless
 * private targets are allowed (names are judged at every connection by the worker).
 */
export function refuseUndeliverableNotify(type: string, notify: NotifySpec | undefined, input: unknown, policy: TargetPolicy): void {
  const wanted = notifications(type, notify, input);
  if (wanted.length === 0) return;
  if (!policy.webhooks) {
    const message = 'webhooks are off on this server: it has no signing secret (JOBLINE_WEBHOOK_SECRETS)';
    throw new HttpProblem(400, 'invalid-request', `${wanted[0]!.field}: ${message}`, {
      errors: wanted.map(({ field }) => ({ field, message })),
    });
  }
  if (policy.allowPrivateTargets) return;
  const errors: FieldError[] = wanted.flatMap(({ field, notify }) => {
    const url = new URL(notify.url);
    const refusal = literalTargetRefusal(url);
    if (!refusal) return [];
    const message = `${url.hostname} is not a public target (${refusal}): private, loopback, link-local and other non-public targets are refused on this server`;
    return [{ field: `${field}.url`, message }];
  });
  if (errors.length === 0) return;
  throw new HttpProblem(400, 'invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
}
