import { CronExpressionParser } from 'cron-parser';

/**
 * How often a schedule's cron expressions fire, judged before the schedule exists: a request must not be
 * able to start a job every second, nor create a schedule that never fires.
 *
 * Temporal's dialect (server 1.29, `ScheduleSpec.cron_string`): 5 fields (minute hour day-of-month month
 * day-of-week), 6 (… year) or 7 (second … year); `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`;
 * `@every <n><s|m|h|d>[/<phase>]` (an interval); a trailing `# comment`; a `CRON_TZ=`/`TZ=` prefix.
 * Day-of-month and day-of-week must BOTH match (Temporal does not implement the "or" of classic cron).
 *
 * What is checked: the smallest gap between consecutive firings of all the schedule's expressions merged,
 * over every day of the next four years and a day (so 29 February counts), in the schedule's time zone.
 * Gaps are computed on the wall clock of that zone: a daylight-saving jump may bring two firings up to an
 * hour closer on the two transition days of a year, which the check does not see.
 */

const SECONDS_PER_DAY = 86_400;
const HORIZON_DAYS = 4 * 366 + 1;

export const SUPPORTED_CRON_FORMS =
  'supported: 5 fields (minute hour day-of-month month day-of-week), 6 (… year) or 7 (second … year) of numbers, names, ranges, lists and steps; @yearly, @monthly, @weekly, @daily, @hourly; @every <n><s|m|h|d>[/<phase>]';

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** When an expression fires: at `times` (seconds of the day, sorted) on every day `onDay` accepts. */
interface CalendarFirings {
  kind: 'calendar';
  times: number[];
  onDay(day: CalendarDay): boolean;
}

interface IntervalFirings {
  kind: 'interval';
  everyMs: number;
}

type Firings = CalendarFirings | IntervalFirings;

interface CalendarDay {
  year: number;
  /** 1…12 */
  month: number;
  /** 1…31 */
  dayOfMonth: number;
  /** 0 = Sunday … 6 */
  dayOfWeek: number;
}

export interface PeriodIssue {
  /** Which expression (its index in the list); undefined when it is about the expressions together. */
  index?: number;
  message: string;
}

/**
 * The issues that keep `expressions` from being a schedule: a form this check cannot evaluate, an
 * expression that never fires, or firings closer than `minIntervalMs`. Empty when the schedule is fine.
 */
export function checkCronPeriod(expressions: string[], timeZone: string, minIntervalMs: number, now = new Date()): PeriodIssue[] {
  const issues: PeriodIssue[] = [];
  const parsed: Firings[] = [];
  expressions.forEach((expression, index) => {
    const result = parseExpression(expression);
    if (typeof result === 'string') issues.push({ index, message: result });
    else parsed.push(result);
  });
  if (issues.length > 0) return issues;

  const intervals = parsed.filter((f): f is IntervalFirings => f.kind === 'interval');
  if (intervals.length > 0 && parsed.length > 1) {
    return [
      { message: 'an @every expression must be the only cron expression of its schedule (use intervalMs, or calendar expressions only)' },
    ];
  }
  for (const interval of intervals) {
    if (interval.everyMs < minIntervalMs) return [{ index: 0, message: tooOften(interval.everyMs, minIntervalMs) }];
  }
  if (intervals.length > 0) return [];

  const calendars = parsed as CalendarFirings[];
  const gap = smallestGap(calendars, startDay(now, timeZone));
  if (gap === undefined) return [{ message: 'never fires: no firing in the next four years' }];
  if (gap * 1_000 < minIntervalMs) return [{ message: tooOften(gap * 1_000, minIntervalMs) }];
  return [];
}

function tooOften(gapMs: number, minIntervalMs: number): string {
  return `fires every ${describeMs(gapMs)} at the closest; the minimum period is ${describeMs(minIntervalMs)} (JOBLINE_SCHEDULE_MIN_INTERVAL_MS)`;
}

export function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}

/** Seconds between the two closest consecutive firings; undefined when nothing fires within the horizon. */
function smallestGap(calendars: CalendarFirings[], first: CalendarDay): number | undefined {
  // Days with the same set of matching expressions fire at the same times: merge each set once.
  const merged = new Map<string, { times: number[]; gap: number; first: number; last: number }>();
  let smallest = Infinity;
  let previous: { day: number; lastTime: number } | undefined;
  let fired = false;
  for (let offset = 0; offset < HORIZON_DAYS; offset++) {
    const day = addDays(first, offset);
    const matching = calendars.map((c) => c.onDay(day));
    if (!matching.includes(true)) continue;
    const key = matching.map((m) => (m ? '1' : '0')).join('');
    let entry = merged.get(key);
    if (!entry) {
      const times = [...new Set(calendars.flatMap((c, i) => (matching[i] ? c.times : [])))].sort((a, b) => a - b);
      let gap = Infinity;
      for (let i = 1; i < times.length; i++) gap = Math.min(gap, times[i]! - times[i - 1]!);
      entry = { times, gap, first: times[0]!, last: times[times.length - 1]! };
      merged.set(key, entry);
    }
    fired = true;
    smallest = Math.min(smallest, entry.gap);
    if (previous) smallest = Math.min(smallest, (offset - previous.day) * SECONDS_PER_DAY + entry.first - previous.lastTime);
    previous = { day: offset, lastTime: entry.last };
  }
  if (!fired) return undefined;
  // A single firing in four years has no gap at all: it is as sparse as a schedule gets.
  return smallest === Infinity ? Number.MAX_SAFE_INTEGER : smallest;
}

/** Parses one expression, or says why it cannot be evaluated. */
function parseExpression(raw: string): Firings | string {
  const expression = raw.replace(/#.*$/, '').trim();
  if (/^(CRON_)?TZ=/i.test(expression)) return 'give the time zone in `timezone`, not in the expression';
  if (/^@every\b/i.test(expression)) return parseEvery(expression);
  if (expression.startsWith('@')) {
    const shorthand = SHORTHANDS[expression.toLowerCase()];
    return shorthand ? parseFields(shorthand.split(' ')) : `unknown shorthand "${expression}"; ${SUPPORTED_CRON_FORMS}`;
  }
  const fields = expression.split(/\s+/);
  if (fields.length < 5 || fields.length > 7) return `expected 5, 6 or 7 fields, got ${fields.length}; ${SUPPORTED_CRON_FORMS}`;
  return parseFields(fields);
}

/** `@every 90m`, `@every 1h30m/15m`: Temporal compiles these into an interval (the phase only shifts it). */
function parseEvery(expression: string): IntervalFirings | string {
  const match = /^@every\s+([0-9smhd]+)(?:\/([0-9smhd]+))?$/i.exec(expression);
  const everyMs = match?.[1] ? durationMs(match[1]) : undefined;
  const phaseOk = !match?.[2] || durationMs(match[2]) !== undefined;
  if (!everyMs || !phaseOk) return `"${expression}" is not @every <n><s|m|h|d>[/<phase>] (e.g. @every 1h, @every 1h30m/15m)`;
  return { kind: 'interval', everyMs };
}

function durationMs(text: string): number | undefined {
  const parts = [...text.toLowerCase().matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.toLowerCase()) return undefined;
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * (UNIT_MS[unit ?? ''] ?? NaN), 0);
}

/** 5 fields get second 0 and year *, 6 get second 0; 7 are complete. */
function parseFields(input: string[]): CalendarFirings | string {
  const fields = input.length === 7 ? input : ['0', ...input, ...(input.length === 5 ? ['*'] : [])];
  const [second, minute, hour, dayOfMonth, month, dayOfWeek, year = '*'] = fields;
  for (const field of fields) {
    for (const token of field.split(/[,/-]/)) {
      if (!/^(\*|\d+|[A-Za-z]{3})$/.test(token))
        return `cannot evaluate "${field}" (L, W, #, ? and H are not supported); ${SUPPORTED_CRON_FORMS}`;
    }
  }
  try {
    // cron-parser checks each field's syntax and range; the days are combined below with Temporal's "and".
    const times = valuesOf(`${second} ${minute} ${hour} * * *`);
    const seconds = times.second.values as number[];
    const minutes = times.minute.values as number[];
    const hours = times.hour.values as number[];
    const daysOfMonth = new Set(valuesOf(`0 0 0 ${dayOfMonth} * *`).dayOfMonth.values as number[]);
    const months = new Set(valuesOf(`0 0 0 * ${month} *`).month.values as number[]);
    const daysOfWeek = new Set((valuesOf(`0 0 0 * * ${dayOfWeek}`).dayOfWeek.values as number[]).map((d) => d % 7));
    const years = parseYears(year);
    if (typeof years === 'string') return years;
    const secondsOfDay = hours.flatMap((h) => minutes.flatMap((m) => seconds.map((s) => h * 3_600 + m * 60 + s)));
    return {
      kind: 'calendar',
      times: secondsOfDay.sort((a, b) => a - b),
      onDay: (day) =>
        months.has(day.month) &&
        daysOfMonth.has(day.dayOfMonth) &&
        daysOfWeek.has(day.dayOfWeek) &&
        (years.all || years.values.has(day.year)),
    };
  } catch (err) {
    return `cannot evaluate "${input.join(' ')}": ${(err as Error).message}; ${SUPPORTED_CRON_FORMS}`;
  }
}

function valuesOf(expression: string) {
  return CronExpressionParser.parse(expression).fields;
}

/** The year field, which cron-parser does not know: `*`, numbers, ranges, lists and steps. */
function parseYears(field: string): { all: boolean; values: Set<number> } | string {
  if (field === '*') return { all: true, values: new Set() };
  const years = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|(\d{4})(?:-(\d{4}))?)(?:\/(\d+))?$/.exec(part);
    if (!match) return `cannot evaluate the year field "${field}"`;
    const from = match[1] === '*' ? 1970 : Number(match[2]);
    const to = match[1] === '*' ? 2999 : Number(match[3] ?? (match[4] ? 2999 : match[2]));
    const step = Number(match[4] ?? 1);
    if (step < 1 || from > to) return `cannot evaluate the year field "${field}"`;
    for (let y = from; y <= to; y += step) years.add(y);
  }
  return { all: false, values: years };
}

/** Today's date on the wall clock of `timeZone`. */
function startDay(now: Date, timeZone: string): CalendarDay {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(now);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return addDays({ year: part('year'), month: part('month'), dayOfMonth: part('day'), dayOfWeek: 0 }, 0);
}

function addDays(day: CalendarDay, offset: number): CalendarDay {
  const date = new Date(Date.UTC(day.year, day.month - 1, day.dayOfMonth + offset));
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, dayOfMonth: date.getUTCDate(), dayOfWeek: date.getUTCDay() };
}
