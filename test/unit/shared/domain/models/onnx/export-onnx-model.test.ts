import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { fitLearner } from '../../../../../../shared/domain/learning/learner-catalog';
import {
  createModelArtifact,
  serializeArtifact,
  type ModelArtifact,
} from '../../../../../../shared/domain/learning/model-artifact';
import { toFeatureMatrix } from '../../../../../../shared/domain/learning/table';
import { applyTransformChain } from '../../../../../../shared/domain/learning/transforms/transform-chain';
import { exportOnnxModel } from '../../../../../../shared/domain/models/onnx/export-onnx-model';
import { OnnxExportUnsupportedError } from '../../../../../../shared/domain/models/onnx/onnx-export-error';
import { FIXTURE_SPECS, trainFixture } from '../../../../../support/onnx-fixture-models';

const { onnx } = onnxProto;

function decode(bytes: Uint8Array) {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph ?? {};
  return {
    model,
    ops: (graph.node ?? []).map((n) => n.opType ?? ''),
    inputs: (graph.input ?? []).map((i) => ({ name: i.name, type: i.type?.tensorType?.elemType })),
    outputs: (graph.output ?? []).map((o) => o.name),
  };
}

function refusal(artifact: ModelArtifact): OnnxExportUnsupportedError {
  try {
    exportOnnxModel(artifact);
  } catch (error) {
    if (error instanceof OnnxExportUnsupportedError) return error;
    throw error;
  }
  throw new Error('the export was not refused');
}

describe('exportOnnxModel', () => {
  const hgb = trainFixture('hgb_binary');

  it('writes one graph: an input per signature column, the transforms, the trees, label and probabilities', () => {
    // Act
    const graph = decode(exportOnnxModel(hgb.artifact));

    // Assess
    const FLOAT = onnx.TensorProto.DataType.FLOAT;
    const STRING = onnx.TensorProto.DataType.STRING;
    expect(graph.inputs).toEqual(
      hgb.artifact.signature.inputs.map((input) => ({
        name: input.name,
        type: input.type === 'string' ? STRING : FLOAT,
      })),
    );
    expect(graph.outputs).toEqual(['label', 'probabilities']);
    expect(graph.ops).toEqual(
      expect.arrayContaining([
        'Where',
        'LabelEncoder',
        'Concat',
        'TreeEnsembleClassifier',
        'ArgMax',
        'Gather',
      ]),
    );
    expect(graph.model.opsetImport.map((o) => o.domain)).toEqual(['', 'ai.onnx.ml']);
    expect(graph.model.metadataProps.find((p) => p.key === 'pipeweave.classes')?.value).toBe('[0,1]');
  });

  it('gives the same bytes for the same artifact', () => {
    expect(
      Buffer.from(exportOnnxModel(hgb.artifact)).equals(Buffer.from(exportOnnxModel(hgb.artifact))),
    ).toBe(true);
  });

  it.each([
    ['random_forest', 'TreeEnsembleClassifier'],
    ['hgb_regression', 'TreeEnsembleRegressor'],
    ['logistic_multiclass', 'LinearClassifier'],
    ['ridge', 'LinearRegressor'],
  ] as const)('exports %s with a %s', (kind, op) => {
    const graph = decode(exportOnnxModel(trainFixture(kind).artifact));
    expect(graph.ops).toContain(op);
  });

  it('writes a tree ensemble no larger than 1.2 times its JSON artifact', () => {
    for (const kind of ['random_forest', 'hgb_binary', 'hgb_multiclass'] as const) {
      const { artifact } = kind === 'hgb_binary' ? hgb : trainFixture(kind);
      const json = Buffer.byteLength(serializeArtifact(artifact));
      const onnxBytes = exportOnnxModel(artifact).byteLength;
      expect(
        onnxBytes / json,
        `${kind}: ${onnxBytes} bytes of ONNX for ${json} bytes of JSON`,
      ).toBeLessThanOrEqual(1.2);
    }
  });

  it.each([
    [
      'tfidf',
      [{ kind: 'tfidf', params: { column: 'grade' } }],
      'transforms[0]',
      /transform 1 \(tfidf\): TF-IDF .* Download it as JSON/,
    ],
    [
      'derived_column',
      [
        { kind: 'derived_column', params: { name: 'twice', expression: 'mean_radius * 2' } },
        { kind: 'ordinal_encode' },
      ],
      'transforms[0]',
      /transform 1 \(derived_column\): derived columns are computed by PipeWeave’s own expression language/,
    ],
  ] as const)('refuses a model with a %s transform, naming the step', (_kind, transforms, step, message) => {
    const { artifact } = trainFixture('hgb_binary', { ...FIXTURE_SPECS.hgb_binary, transforms });
    const error = refusal(artifact);
    expect(error.code).toBe('MODEL.ONNX_NOT_SUPPORTED');
    expect(error.status).toBe(400);
    expect(error.details).toMatchObject({ step });
    expect(error.message).toMatch(message);
  });

  it('refuses a clustering model, naming the learner', () => {
    // Prepare: k-means on the complete features of a fixture
    const { artifact, rows } = trainFixture('logistic_binary');
    const table = applyTransformChain(artifact.transforms, rows, { mode: 'prediction' });
    const x = toFeatureMatrix(table, artifact.features.names, artifact.features.categoricalEncodings);
    const kmeans = fitLearner('kmeans', x, { problemType: 'clustering' }, { nClusters: 3 }, { seed: 1 });
    const clustering = createModelArtifact({
      ...artifact,
      problemType: 'clustering',
      target: null,
      learner: kmeans.toState(),
    });

    // Act
    const error = refusal(clustering);

    // Assess
    expect(error.details).toMatchObject({ step: 'learner' });
    expect(error.message).toMatch(/the learner \(kmeans\): clustering has no ONNX export here/);
  });

  it('refuses a date and time input, naming it', () => {
    const inputs = [...hgb.artifact.signature.inputs, { name: 'visited_at', type: 'datetime' as const }];
    const error = refusal({ ...hgb.artifact, signature: { inputs } });
    expect(error.details).toMatchObject({ step: `signature.inputs[${inputs.length - 1}]` });
    expect(error.message).toMatch(/input "visited_at": it is a date and time/);
  });

  it('refuses an input that would take the name of an output', () => {
    const inputs = [...hgb.artifact.signature.inputs, { name: 'label', type: 'number' as const }];
    expect(refusal({ ...hgb.artifact, signature: { inputs } }).message).toMatch(
      /input "label": its name is also/,
    );
  });
});
