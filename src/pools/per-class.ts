import { z } from 'zod';
import { isResourceClass, RESOURCE_CLASSES, type ResourceClass } from '../jobs/resource-classes';

/** A number per resource class: `io=50,reports=4`, a bare number for every class, or both (`reports=4,50`). */
export interface PerClass {
  /** The bare number: classes not named get it. */
  fallback?: number;
  byClass: Partial<Record<ResourceClass, number>>;
}

/** The value for a class: its own, else the bare number, else undefined (unset: no limit, or the default). */
export function valueFor(setting: PerClass | undefined, resourceClass: ResourceClass): number | undefined {
  return setting?.byClass[resourceClass] ?? setting?.fallback;
}

/** Whether any class has a value. */
export function anyValue(setting: PerClass | undefined): boolean {
  return setting !== undefined && (setting.fallback !== undefined || Object.keys(setting.byClass).length > 0);
}

/** The env syntax of a PerClass: entries `class=number` or a bare `number`, comma-separated. */
export function perClassSchema(number: z.ZodNumber) {
  return z.string().transform((text, ctx): PerClass => {
    const setting: PerClass = { byClass: {} };
    for (const entry of text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [name, value] = entry.includes('=') ? entry.split('=', 2).map((part) => part.trim()) : [undefined, entry];
      const parsed = number.safeParse(Number(value));
      if (value === '' || !parsed.success) {
        ctx.addIssue({ code: 'custom', message: `"${entry}": ${parsed.error?.issues[0]?.message ?? 'not a number'}` });
        continue;
      }
      if (name === undefined) setting.fallback = parsed.data;
      else if (isResourceClass(name)) setting.byClass[name] = parsed.data;
      else ctx.addIssue({ code: 'custom', message: `"${name}" is not a resource class (${RESOURCE_CLASSES.join(', ')})` });
    }
    return setting;
  });
}

/** A comma-separated list of resource classes (`reports,io`), each once. */
export const ClassList = z.string().transform((text, ctx): ResourceClass[] => {
  const names = [
    ...new Set(
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = names.filter((name) => !isResourceClass(name));
  if (unknown.length > 0)
    ctx.addIssue({ code: 'custom', message: `not resource classes: ${unknown.join(', ')} (known: ${RESOURCE_CLASSES.join(', ')})` });
  if (names.length === 0) ctx.addIssue({ code: 'custom', message: `name at least one of ${RESOURCE_CLASSES.join(', ')}` });
  return names.filter(isResourceClass);
});
