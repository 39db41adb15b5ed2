import type { MeasurementRequest, MeasurementResult } from './measurement';

/**
 * Child process entry of one measurement (see measurement.ts): the request comes as JSON in the
 * first argument, the result goes back over IPC. Each kind is imported on its own so a baseline
 * process does not carry the pipeline's modules in its memory.
 */
const request = JSON.parse(process.argv[2] ?? '{}') as MeasurementRequest;

async function measure(): Promise<MeasurementResult> {
  switch (request.kind) {
    case 'pipeline':
      return (await import('./measure-pipeline')).measurePipeline(request);
    case 'duckdb':
      return (await import('./measure-baselines')).measureDuckDbBaseline(request);
    case 'javascript':
      return (await import('./measure-baselines')).measureJavaScriptBaseline(request);
    case 'learning-fit':
    case 'learning-peak-rss':
    case 'learning-predict':
    case 'learning-automl':
      return (await import('./learning/measure-learning')).measureLearning(request);
    case 'prediction-train':
    case 'prediction-batch':
    case 'prediction-onnx':
      return (await import('./prediction/measure-prediction')).measurePrediction(request);
    case 'prediction-node-input':
    case 'prediction-node':
      return (await import('./prediction/measure-prediction-node')).measurePredictionNode(request);
  }
}

try {
  const result = await measure();
  if (process.send) {
    await new Promise<void>((resolve, reject) =>
      process.send?.(result, undefined, {}, (error) => (error ? reject(error) : resolve())),
    );
  } else {
    console.log(JSON.stringify(result, null, 2));
  }
  process.exit(0);
} catch (error) {
  console.error(`the ${String(request.kind)} measurement failed:`, error);
  process.exit(1);
}
