// The workflow bundle's entry point: every workflow the worker registers.
export { runJob } from './run-job';
export { runPipeline } from './run-pipeline';
export { runBatch } from './run-batch';
export { deliverWebhook } from './deliver-webhook';
