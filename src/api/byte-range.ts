import type { ByteRange } from '../artifacts/store';

/**
 * One `bytes=` range of a `Range` header against a body of `size` bytes: the range, `undefined` to send the
 * whole body (no header, several ranges, another unit: RFC 9110 lets a server ignore those), or
 * `'unsatisfiable'` for a range that starts past the end.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | undefined | 'unsatisfiable' {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '') {
    // A suffix: the last N bytes.
    const length = Math.min(Number(last), size);
    return length === 0 ? 'unsatisfiable' : { start: size - length, end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
