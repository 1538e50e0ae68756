import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { ClientRequest, IncomingMessage } from 'node:http';

/** The process's tracing, as the Temporal worker needs it too (its workflow spans go through the same processor). */
export interface Tracing {
  readonly resource: Resource;
  readonly spanProcessor: SpanProcessor;
  /** Flushes what is buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** `service.name` unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names one. */
  defaultServiceName: string;
  /** A test's own exporter (in-memory, say): tracing is then on whatever the environment says. */
  exporter?: SpanExporter;
  env?: NodeJS.ProcessEnv;
}

let current: Tracing | undefined;

/** Probes and scrapes would be most of the traces and tell nothing. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Tracing is on when an OTLP endpoint is configured (the standard variables, which the exporter reads itself). */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** This process's tracing, or undefined when it is off (then nothing is traced, intercepted or exported). */
export function activeTracing(): Tracing | undefined {
  return current;
}

/**
 * Sets up the tracer provider once per process, when tracing is wanted: W3C trace context, async-local
 * context, the http (server and client) and undici (fetch) instrumentations, OTLP/HTTP export in batches.
 * Call it before `http` is first required, or incoming requests get no server span: the entry points
 * import a `register-*` module first for that. A second call returns the first one's tracing.
 */
export function startTracing(options: TracingOptions): Tracing | undefined {
  if (current) return current;
  const env = options.env ?? process.env;
  if (!options.exporter && !tracingWanted(env)) return undefined;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: options.defaultServiceName }).merge(envDetectorSync.detect());
  // An in-process exporter gets every span at once, so a test can read them without waiting for a batch.
  const spanProcessor = options.exporter ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const unload = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0]!),
        applyCustomAttributesOnSpan: nameAfterRoute,
      }),
      new UndiciInstrumentation(),
    ],
  });
  current = {
    resource,
    spanProcessor,
    async shutdown() {
      unload();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      current = undefined;
    },
  };
  return current;
}

/**
 * A server span is named `METHOD /route/:template` once Express has matched a route (the http
 * instrumentation alone names it `POST`): a template, never the raw path, so span names stay few.
 */
function nameAfterRoute(span: Span, request: ClientRequest | IncomingMessage): void {
  // Express's request is the server's IncomingMessage; a client request never has a route.
  const matched = request as { method?: string; route?: { path?: unknown }; baseUrl?: unknown };
  const path = matched.route?.path;
  if (typeof path !== 'string') return;
  const route = `${typeof matched.baseUrl === 'string' ? matched.baseUrl : ''}${path}`;
  span.updateName(`${matched.method ?? 'GET'} ${route}`);
  span.setAttribute(ATTR_HTTP_ROUTE, route);
}
