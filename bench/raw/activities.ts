/** The raw-Temporal scenario's only activity: returns at once, like the `echo` job with sleepMs 0. */
export async function noop(input: { value?: unknown }): Promise<{ value: unknown }> {
  return { value: input.value ?? null };
}

export type RawActivities = { noop: typeof noop };
