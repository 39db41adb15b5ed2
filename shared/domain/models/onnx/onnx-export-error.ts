import { AppError } from '../../../kernel/app-error';

/** Where in the model a refusal happened: a path into the artifact and words for people. */
export interface ExportStep {
  /** `transforms[2]`, `learner`, `learner.members[1]`, `signature.inputs[0]`, `features.names[4]`. */
  readonly path: string;
  /** `transform 3 (tfidf)`, `the learner (kmeans)`, … */
  readonly label: string;
}

/**
 * 400: a step of the model (an input, a transform or the learner) has no faithful ONNX form. The
 * export stops there and nothing is produced in its place.
 */
export class OnnxExportUnsupportedError extends AppError {
  readonly status = 400;
  constructor(
    readonly step: ExportStep,
    reason: string,
  ) {
    super(
      'MODEL.ONNX_NOT_SUPPORTED',
      `This model cannot be exported to ONNX: ${step.label}: ${reason} Download it as JSON (format=json) instead.`,
      { field: 'query.format', details: { step: step.path, available: ['json'] } },
    );
  }
  override get title() {
    return 'The model cannot be exported to ONNX';
  }
}
