// Imported first by `npm start` (API and worker in one process, so one service name); the worker module's own
// register import then finds tracing already set up.
import { startTracing } from './provider';

startTracing({ defaultServiceName: 'jobline' });
