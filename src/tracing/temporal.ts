import type { ClientOptions } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
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

/** RunActivity spans (children of the workflow's StartActivity) and the trace id in activity log lines. */
export function tracingActivityInterceptors(): ActivityInterceptorsFactory[] {
  if (!activeTracing()) return [];
  return [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
  ];
}

/** The sink that takes the workflow isolate's spans to this process's span processor (not during replay). */
export function tracingSinks(): InjectedSinks<OpenTelemetrySinks> | undefined {
  const tracing = activeTracing();
  return tracing ? { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } : undefined;
}
