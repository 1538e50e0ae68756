import { z } from 'zod';
import { DEFAULT_NOTIFY_EVENTS, NOTIFY_EVENTS, type NotifySpec } from './events';

/** `notify` of a job, a pipeline node or a schedule's job: where to POST which events (README "Notifications"). */
export const NotifyRequest = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
      .max(2_048)
      .refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), 'must not hold credentials (user:password@): sign-in is the signature'),
    events: z
      .array(z.enum(NOTIFY_EVENTS))
      .min(1)
      .max(NOTIFY_EVENTS.length)
      .refine((events) => new Set(events).size === events.length, 'list each event once')
      .default([...DEFAULT_NOTIFY_EVENTS])
      .meta({ description: `Default: ${DEFAULT_NOTIFY_EVENTS.join(', ')}` }),
  })
  .strict()
  .meta({ description: 'POST a signed webhook (Standard Webhooks) to `url` on each of `events`' }) satisfies z.ZodType<NotifySpec, unknown>;
