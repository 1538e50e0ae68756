import { isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * A pino `mixin`: the active span's trace and span ids, named as the Temporal interceptors name them in
 * workflow and activity lines, so one `trace_id` finds a request's lines in every process. With tracing
 * off there is no active span and it adds nothing.
 */
export function traceLogFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
