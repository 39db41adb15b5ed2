/**
 * The linear learners in ONNX. Logistic regression standardises its inputs before the linear
 * function, as the predictor does: a Scaler ((x − mean) · 1/scale), then a LinearClassifier with
 * the coefficients on standardised inputs, LOGISTIC for two classes (one row of coefficients,
 * onnxruntime returns [1 − p, p]) or SOFTMAX for more. Linear and ridge regression keep their
 * raw-scale coefficients: one LinearRegressor.
 */
import type { LinearRegressionState } from '../../learning/learners/linear-regression';
import type { LogisticRegressionState } from '../../learning/learners/logistic-regression';
import type { LearnerOutput } from './learner-output';
import { OnnxExportUnsupportedError, type ExportStep } from './onnx-export-error';
import { attr, ML_DOMAIN, type OnnxGraph } from './onnx-graph';

export function logisticRegressionOutput(
  graph: OnnxGraph,
  state: LogisticRegressionState,
  x: string,
  step: ExportStep,
): LearnerOutput {
  if (state.coefficients.length === 0)
    throw new OnnxExportUnsupportedError(step, 'it was fitted on a single class and has no coefficients.');
  const standardised = graph.op(
    'Scaler',
    [x],
    { offset: attr.floats(state.mean), scale: attr.floats(state.scale.map((s) => 1 / s)) },
    { domain: ML_DOMAIN },
  );
  const [, probabilities] = graph.node(
    'LinearClassifier',
    [standardised],
    {
      coefficients: attr.floats(state.coefficients.flat()),
      intercepts: attr.floats(state.intercepts),
      classlabels_ints: attr.ints(Array.from({ length: state.nClasses }, (_, k) => k)),
      post_transform: attr.string(state.coefficients.length === 1 ? 'LOGISTIC' : 'SOFTMAX'),
    },
    { domain: ML_DOMAIN, outputs: 2, hint: 'linear_scores' },
  );
  if (probabilities === undefined) throw new Error('LinearClassifier has two outputs');
  return { problemType: 'classification', nClasses: state.nClasses, probabilities };
}

export function linearRegressionOutput(
  graph: OnnxGraph,
  state: LinearRegressionState,
  x: string,
): LearnerOutput {
  const values = graph.op(
    'LinearRegressor',
    [x],
    { coefficients: attr.floats(state.coefficients), intercepts: attr.floats([state.intercept]) },
    { domain: ML_DOMAIN, hint: 'linear_values' },
  );
  return { problemType: 'regression', values };
}
