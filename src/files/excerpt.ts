/** Characters of a source line an error message or a failure record may quote. */
export const EXCERPT_CHARS = 80;

/**
 * The start of `text`, at most `max` characters, marked with `…` when cut. Source lines reach error
 * messages (a job's `lastError`, failed-items records); quoting them whole would hand out the file.
 */
export function excerpt(text: string, max: number = EXCERPT_CHARS): string {
  const chars = Array.from(text); // by code point: never half a surrogate pair
  return chars.length <= max ? text : `${chars.slice(0, max).join('')}…`;
}
