import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, type Config } from '../config';
import type { ClassLimits, ScalingTuning } from './policy';
import { WORKER_CLASS_PATTERN } from './worker-classes';

export interface ClassSpec extends ClassLimits {
  name: string;
}

export interface AutoscalerOptions {
  classes: ClassSpec[];
  tuning: ScalingTuning;
  intervalMs: number;
  metricsHost: string;
  metricsPort: number;
}

export const USAGE = `npm run autoscale -- [--class name:min:max]... [--target-backlog N] [--max-backlog-age-ms MS]
  [--hysteresis 0..0.95] [--cooldown-ms MS] [--up-cooldown-ms MS] [--interval-ms MS] [--metrics-port PORT]
Defaults come from JOBLINE_AUTOSCALE_* (README "Autoscaler").`;

const ClassSpecSchema = z.string().transform((text, ctx) => {
  const [name = '', min = '', max = ''] = text.split(':');
  const limits = { min: Number(min), max: Number(max) };
  if (!WORKER_CLASS_PATTERN.test(name) || !/^\d+$/.test(min) || !/^\d+$/.test(max)) {
    ctx.addIssue({ code: 'custom', message: `"${text}": expected class:min:max, e.g. default:1:4` });
    return z.NEVER;
  }
  if (limits.max < 1 || limits.min > limits.max) {
    ctx.addIssue({ code: 'custom', message: `"${text}": need 0 ≤ min ≤ max and max ≥ 1` });
    return z.NEVER;
  }
  return { name, ...limits };
});

const count = z.coerce.number().int().min(0);

/** The options: flags first, then the JOBLINE_AUTOSCALE_* defaults of the configuration. */
export function autoscalerOptions(argv: string[], config: Config): AutoscalerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      class: { type: 'string', multiple: true },
      'target-backlog': { type: 'string' },
      'max-backlog-age-ms': { type: 'string' },
      hysteresis: { type: 'string' },
      'cooldown-ms': { type: 'string' },
      'up-cooldown-ms': { type: 'string' },
      'interval-ms': { type: 'string' },
      'metrics-port': { type: 'string' },
    },
    strict: true,
  });
  const defaults = config.autoscale;
  const problems: string[] = [];
  const parse = <T>(flag: string, schema: z.ZodType<T>, value: unknown): T => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    problems.push(`--${flag}: ${result.error.issues.map((i) => i.message).join('; ')}`);
    return undefined as T;
  };
  const classes = (values.class ?? defaults.classes.split(',')).map((text) => parse('class', ClassSpecSchema, text));
  const names = classes.filter(Boolean).map((c) => c.name);
  if (new Set(names).size !== names.length) problems.push(`--class: a class is named twice (${names.join(', ')})`);
  const options: AutoscalerOptions = {
    classes,
    tuning: {
      targetBacklogPerWorker: parse(
        'target-backlog',
        z.coerce.number().int().positive(),
        values['target-backlog'] ?? defaults.targetBacklogPerWorker,
      ),
      maxBacklogAgeMs: parse(
        'max-backlog-age-ms',
        z.coerce.number().int().positive(),
        values['max-backlog-age-ms'] ?? defaults.maxBacklogAgeMs,
      ),
      hysteresis: parse('hysteresis', z.coerce.number().min(0).max(0.95), values.hysteresis ?? defaults.hysteresis),
      cooldownMs: parse('cooldown-ms', count, values['cooldown-ms'] ?? defaults.cooldownMs),
      upCooldownMs: parse('up-cooldown-ms', count, values['up-cooldown-ms'] ?? defaults.upCooldownMs),
    },
    intervalMs: parse('interval-ms', z.coerce.number().int().min(200), values['interval-ms'] ?? defaults.intervalMs),
    metricsHost: config.worker.metrics.host,
    metricsPort: parse('metrics-port', z.coerce.number().int().min(0).max(65535), values['metrics-port'] ?? defaults.metricsPort),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return options;
}
