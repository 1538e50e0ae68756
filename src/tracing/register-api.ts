// Imported first by `npm run api`: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must hook `http` before anything loads it.
import { startTracing } from './provider';

startTracing({ defaultServiceName: 'jobline-api' });
