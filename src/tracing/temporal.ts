import type { ClientOptions } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { isSpanContextValid, trace, type SpanContext } from '@opentelemetry/api';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import { activeTracing } from './provider';

/**
 * What a `new Client(…)` adds for tracing: with it, StartWorkflow (and signal, query, cancel) get a span,
 * a child of the active one (the API request's), whose context travels to the workflow in its headers.
 * Nothing when tracing is off.
 */
export function clientTracing(): Pick<ClientOptions, 'interceptors'> {
  if (!activeTracing()) return {};
  return { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } };
}

/**
 * The workflow side (RunWorkflow, StartActivity spans and the trace id in workflow log lines). Bundled only
 * when tracing is on: without the worker's exporter sink every workflow activation would log an error about
 * an unregistered sink, and the isolate would make spans nobody reads. Adding or removing it between runs
 * is replay-safe: the interceptors make no commands.
 */
export function tracingWorkflowModules(): string[] {
  return activeTracing() ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] : [];
}

/**
 * RunActivity spans (children of the workflow's StartActivity) and the trace id in activity log lines.
 * The package's own outbound interceptor reads the active span when a line is logged, so the SDK's
 * "activity failed" line (logged once the attempt has returned, outside the span) would go without it:
 * the attempt's span is remembered instead.
 */
export function tracingActivityInterceptors(): ActivityInterceptorsFactory[] {
  if (!activeTracing()) return [];
  return [
    (ctx) => {
      const traced = new OpenTelemetryActivityInboundInterceptor(ctx);
      let span: SpanContext | undefined;
      return {
        inbound: {
          execute: (input, next) =>
            traced.execute(input, (inner) => {
              span = trace.getActiveSpan()?.spanContext();
              return next(inner);
            }),
        },
        outbound: {
          getLogAttributes: (attributes, next) =>
            next(span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId, ...attributes } : attributes),
        },
      };
    },
  ];
}

/** The sink that takes the workflow isolate's spans to this process's span processor (not during replay). */
export function tracingSinks(): InjectedSinks<OpenTelemetrySinks> | undefined {
  const tracing = activeTracing();
  return tracing ? { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } : undefined;
}
