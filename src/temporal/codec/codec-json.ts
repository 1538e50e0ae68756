import type { Payload } from '@temporalio/common';
import { z } from 'zod';

/** Standard or URL-safe base64, as proto3 JSON allows for `bytes`. */
const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');

/** Temporal's codec-server body: `Payloads` in proto3 JSON (`bytes` as base64). */
export const CodecRequest = z
  .object({
    payloads: z
      .array(
        z.object({
          metadata: z.record(z.string(), Base64).optional(),
          data: Base64.optional(),
        }),
      )
      .max(10_000),
  })
  .strict();

export type CodecRequest = z.infer<typeof CodecRequest>;
export interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

export function fromJson(payload: CodecRequest['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

export function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}
