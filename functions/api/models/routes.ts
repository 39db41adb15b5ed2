import { callerOwnScope, pageQueryFields, uuidField } from '../../../shared/http/route-fields';
import * as z from 'zod';
import { queryParam } from '../../../shared/http/query-params';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { signedIn } from '../../../shared/kernel/request-context';
import {
  downloadModel,
  MODEL_DOWNLOAD_FORMATS,
  MODEL_DOWNLOAD_SECONDS,
} from '../../../shared/domain/models/download-model';
import { getModel } from '../../../shared/domain/models/get-model';
import { listCallerModels } from '../../../shared/domain/models/list-models';
import { modelView, modelViewSchema } from '../../../shared/domain/models/model-view';
import {
  deleteModel,
  MODEL_ALIAS_PATTERN,
  predictRowsByAlias,
  predictRowsByVersion,
  removeModelAlias,
  setModelAlias,
  updateModel,
} from '../../../shared/domain/models/model-registry';
import { predictRows, type RowPredictions } from '../../../shared/domain/models/predict-rows';
import { forecastWithModel } from '../../../shared/domain/models/forecast-with-model';
import { MAX_FORECAST_HORIZON } from '../../../shared/domain/forecasting/forecast-artifact';
import { MAX_PREDICTION_BYTES, MAX_PREDICTION_ROWS } from '../../../shared/domain/models/prediction-rows';
import { MAX_MEDIA_BASE64_CHARS, MAX_MEDIA_FILE_BYTES } from '../../../shared/domain/models/media-rows';

/**
 * `models`: the models training nodes registered: read, list, edit and delete them, predict rows
 * online (by id, or by an alias of their name) and download their artifacts; the registry's
 * aliases point at one version of a name.
 */

/** Ids compare as PostgreSQL prints them. */
const modelParams = z.object({ modelId: uuidField() });
const notFound = { description: 'No such model (or not yours)' };

const modelName = z.string().trim().min(1).max(255).meta({ description: 'The registered name' });
const aliasName = z.string().regex(MODEL_ALIAS_PATTERN, {
  error: 'An alias is 1–64 characters: a lowercase letter, then lowercase letters, digits, `_` or `-`.',
});
const aliasParams = z.object({ name: modelName, alias: aliasName });
const aliasNotFound = { description: 'No such name or alias (or not yours)' };

const predictBody = z.object({
  rows: z
    .array(z.record(z.string(), z.unknown()))
    .min(1, { error: 'Send at least one row to predict.' })
    .max(MAX_PREDICTION_ROWS, {
      error: `At most ${MAX_PREDICTION_ROWS} rows fit one request: send them in batches.`,
    }),
});

/** What the predict routes say of rows that carry an image or a recording. */
const MEDIA_ROWS = ` A model trained by the image or audio classification template (on \`image.features\` or \`audio.features\` of a dataset's ingested files) takes the file itself: each row is \`{"image": {"base64": "…"}}\` (PNG, JPEG, GIF, WebP or TIFF) or \`{"audio": {"base64": "…"}}\` (WAV), at most ${MAX_MEDIA_FILE_BYTES} bytes a file, and is decoded and featurised exactly as training did; a file that cannot be read is a 400 naming its row and field (code PREDICTION.INVALID_FILE).`;

const declaredBytesOf = (headers: Record<string, string | undefined>) => {
  const declared = Number(headers['content-length']);
  return Number.isFinite(declared) && declared > 0 ? declared : undefined;
};

const aliasSchema = z
  .object({
    name: z.string(),
    alias: z.string(),
    modelId: z.string(),
    version: z.number().int(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ModelAlias' });

const predictionSchema = z
  .object({
    predictions: z
      .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .meta({ description: 'One per row: the class label, the value, or the cluster index' }),
    probabilities: z
      .array(z.record(z.string(), z.number()))
      .nullable()
      .meta({ description: 'Classification: per row, each class’s probability keyed by its label' }),
    model: z.object({
      id: z.string(),
      name: z.string(),
      version: z.number().int(),
      sha256: z.string().nullable(),
    }),
  })
  .meta({ id: 'ModelPredictions' });

const downloadSchema = z
  .object({
    url: z.string().meta({ description: 'Presigned GET of the file' }),
    expiresAt: z.string(),
    fileName: z.string(),
    sha256: z.string().nullable().meta({ description: 'SHA-256 of the bytes the link serves' }),
    sizeBytes: z.number().int().nullable().meta({ description: 'Size of the bytes the link serves' }),
    format: z.enum(MODEL_DOWNLOAD_FORMATS),
  })
  .meta({ id: 'ModelDownload' });

/** What both predict routes answer, and with which errors. */
function predictionResponses(notFoundSpec: { description: string }) {
  return {
    200: {
      description: 'One prediction per row, and the model version that made them',
      schema: predictionSchema,
    },
    400: {
      description:
        'A row lacks an input, a value cannot be cast to its input’s type, or a row’s image or recording cannot be decoded',
    },
    402: {
      description:
        'Predictions are paid per 1,000 rows and the balance cannot cover the thousand this call completes (code CREDITS.INSUFFICIENT): no predictions are returned',
    },
    404: notFoundSpec,
    413: { description: `The rows take more than ${MAX_PREDICTION_BYTES} bytes` },
    500: { description: 'The model’s stored artifact is corrupt or missing' },
  };
}

/** The predictions as the body, and how many rows were predicted as a header (for metering). */
function predictionAnswer(result: RowPredictions) {
  const { rowsPredicted, ...body } = result;
  return { status: 200, headers: { 'x-rows-predicted': String(rowsPredicted) }, body };
}

export const modelRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: '/models',
    group: 'models',
    operationId: 'listModels',
    summary: 'Your models, newest first',
    description:
      'Filter by `name`, `pipelineId`, `jobId`, `experimentId`, `algorithm` or `alias` (the versions that alias of their name points at); `limit` per page; pass `nextCursor` back as `cursor` for the next page.',
    tags: ['models'],
    auth: 'user',
    request: {
      query: z.object({
        name: z.string().trim().min(1).max(255).optional(),
        pipelineId: uuidField().optional(),
        jobId: uuidField().optional(),
        experimentId: uuidField().optional(),
        algorithm: z.string().trim().min(1).max(100).optional(),
        alias: aliasName.optional(),
        ...pageQueryFields(100),
      }),
    },
    responses: {
      200: {
        description: 'One page',
        schema: z
          .object({ items: z.array(modelViewSchema), nextCursor: z.string().nullable() })
          .meta({ id: 'ModelList' }),
      },
    },
    async handle(request, services) {
      const { limit, ...filter } = request.query;
      const page = await listCallerModels(services.db, callerOwnScope(request), {
        ...filter,
        limit: limit ?? 50,
      });
      return { status: 200, body: { items: page.items.map(modelView), nextCursor: page.nextCursor } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/models/{modelId}',
    group: 'models',
    operationId: 'getModel',
    summary: 'A trained model with its scores and lineage',
    description:
      'Algorithm, problem type, framework version, metrics, hyperparameters and feature schema, the artifact’s size and SHA-256, and where it came from: job, pipeline, experiment run, dataset version (with its SHA-256) and seed.',
    tags: ['models'],
    auth: 'user',
    request: { params: modelParams },
    responses: {
      200: { description: 'The model', schema: modelViewSchema },
      404: notFound,
    },
    async handle(request, services) {
      const model = await getModel(services.db, callerOwnScope(request), request.params.modelId);
      return { status: 200, body: modelView(model) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/models/{modelId}/predict',
    group: 'models',
    operationId: 'predictWithModel',
    summary: 'Predict rows with a model',
    description: `Up to ${MAX_PREDICTION_ROWS} rows and ${MAX_PREDICTION_BYTES / 1_000_000} MB per request, each an object of input column → value. Every input the model was trained on must be in every row (\`null\` for a missing value); other keys are ignored. Values are cast to the input's type when that is safe (numbers from numeric strings, booleans from true/false/1/0, datetimes from ISO 8601 strings or epoch milliseconds); anything else is a 400 naming the row and column. The header \`x-rows-predicted\` says how many rows were predicted.${MEDIA_ROWS}`,
    tags: ['models'],
    auth: 'user',
    request: {
      params: modelParams,
      body: predictBody,
    },
    bodyStringChars: MAX_MEDIA_BASE64_CHARS,
    responses: predictionResponses(notFound),
    async handle(request, services) {
      const result = await predictRows(services, callerOwnScope(request), {
        modelId: request.params.modelId,
        rows: request.body.rows,
        declaredBytes: declaredBytesOf(request.headers),
      });
      return predictionAnswer(result);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/models/{modelId}/forecast',
    group: 'models',
    operationId: 'forecastWithModel',
    summary: 'Forecast the next steps of a series with a forecasting model',
    description: `A model registered by a \`ts.forecast\` node continues the series it was trained on: \`horizon\` steps (1–${MAX_FORECAST_HORIZON}, at most what a gradient boosting forecaster learned) after its last observation, each with its timestamp, the forecast and a prediction interval at \`level\` (default: the level it was trained with). Each step counts as one predicted row. A model of another kind is a 400 (MODEL.NOT_A_FORECASTER).`,
    tags: ['models'],
    auth: 'user',
    request: {
      params: modelParams,
      body: z.strictObject({
        horizon: z.number().int().min(1).max(MAX_FORECAST_HORIZON).meta({ description: 'Steps ahead' }),
        level: z.number().gt(0).lt(1).optional().meta({ description: 'Interval coverage, e.g. 0.9' }),
      }),
    },
    responses: {
      200: {
        description: 'The forecast, step by step',
        schema: z
          .object({
            model: z.object({
              id: z.string(),
              name: z.string(),
              version: z.number().int(),
              sha256: z.string().nullable(),
            }),
            timeColumn: z.string(),
            target: z.string(),
            frequency: z.string(),
            level: z.number(),
            forecasts: z.array(
              z.object({ timestamp: z.string(), forecast: z.number(), lower: z.number(), upper: z.number() }),
            ),
          })
          .meta({ id: 'ModelForecast' }),
      },
      400: { description: 'Not a forecasting model, or a horizon beyond what it answers' },
      402: { description: 'The balance cannot cover the predicted rows (CREDITS.INSUFFICIENT)' },
      404: notFound,
      500: { description: 'The model’s stored artifact is corrupt or missing' },
    },
    async handle(request, services) {
      const body = await forecastWithModel(services, callerOwnScope(request), {
        modelId: request.params.modelId,
        horizon: request.body.horizon,
        level: request.body.level,
      });
      return { status: 200, body };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/models/{modelId}/download',
    group: 'models',
    operationId: 'downloadModel',
    summary: 'Download a model as JSON or ONNX',
    description: `Redirects (302) to a presigned GET valid ${MODEL_DOWNLOAD_SECONDS / 60} minutes; the body repeats the link with the file’s SHA-256 and size for clients that do not follow redirects. \`format=json\` (default) serves the artifact PipeWeave predicts with, saved as \`<name>-v<version>.json\`. \`format=onnx\` serves the same model as one ONNX graph (ai.onnx.ml operators), saved as \`<name>-v<version>.onnx\`: exported on the first request and kept beside the artifact until the version is deleted. Its inputs are the model’s inputs as [N, 1] tensors (float for numbers and booleans as 0/1, NaN when missing; string for text, an empty string when missing); a classifier outputs \`label\` and \`probabilities\`, a regressor \`variable\`. A model with a step that has no faithful ONNX form (date inputs, TF-IDF, date parts, derived columns, casts, clustering) is a 400 \`MODEL.ONNX_NOT_SUPPORTED\` naming that step.`,
    tags: ['models'],
    auth: 'user',
    request: {
      params: modelParams,
      query: z.object({
        format: z.enum(MODEL_DOWNLOAD_FORMATS).optional().meta({ description: 'json (default) or onnx' }),
      }),
    },
    responses: {
      302: { description: 'The presigned link (Location) and what it points at', schema: downloadSchema },
      400: { description: 'The model has a step with no ONNX form (MODEL.ONNX_NOT_SUPPORTED, naming it)' },
      404: notFound,
      500: { description: 'The model’s stored artifact is corrupt or missing' },
    },
    async handle(request, services) {
      const download = await downloadModel(
        services,
        callerOwnScope(request),
        request.params.modelId,
        request.query.format ?? 'json',
      );
      return {
        status: 302,
        headers: { location: download.url, 'cache-control': 'no-store' },
        body: download,
      };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/models/{modelId}',
    group: 'models',
    operationId: 'updateModel',
    summary: 'Edit a model’s description and tags',
    description: 'Only `description` and `tags` change; a version’s name, number and artifact never do.',
    tags: ['models'],
    auth: 'user',
    request: {
      params: modelParams,
      body: z.strictObject({
        description: z.string().max(2000).nullable().optional(),
        tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
      }),
    },
    responses: {
      200: { description: 'The model', schema: modelViewSchema },
      404: notFound,
    },
    async handle(request, services) {
      const model = await updateModel(services.db, signedIn(request), request.params.modelId, request.body);
      return { status: 200, body: modelView(model) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/models/{modelId}',
    group: 'models',
    operationId: 'deleteModel',
    summary: 'Delete a model version and its artifact',
    description:
      'The version’s row and stored artifact go; aliases pointing at it are removed with it. Other versions of the name keep their numbers.',
    tags: ['models'],
    auth: 'user',
    request: { params: modelParams },
    responses: { 204: { description: 'Deleted' }, 404: notFound },
    async handle(request, services) {
      await deleteModel(services, signedIn(request), request.params.modelId);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/models/by-name/{name}/aliases/{alias}',
    group: 'models',
    operationId: 'setModelAlias',
    summary: 'Point an alias of a name at one of its versions',
    description:
      'Creates the alias or moves it to `version`. The `production` alias is what a model view’s `isProduction` and `deployedAt` follow.',
    tags: ['models'],
    auth: 'user',
    request: {
      params: aliasParams,
      body: z.strictObject({ version: z.number().int().min(1).max(2_147_483_647) }),
    },
    responses: {
      200: { description: 'Where the alias points now', schema: aliasSchema },
      404: { description: 'No such name or version (or not yours)' },
    },
    async handle(request, services) {
      const target = await setModelAlias(services.db, signedIn(request), {
        name: request.params.name,
        alias: request.params.alias,
        version: request.body.version,
      });
      return { status: 200, body: { ...target, updatedAt: target.updatedAt.toISOString() } };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/models/by-name/{name}/aliases/{alias}',
    group: 'models',
    operationId: 'deleteModelAlias',
    summary: 'Remove an alias of a name',
    tags: ['models'],
    auth: 'user',
    request: { params: aliasParams },
    responses: { 204: { description: 'Removed; the versions stay' }, 404: aliasNotFound },
    async handle(request, services) {
      await removeModelAlias(services.db, signedIn(request), request.params);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/models/by-name/{name}/versions/{version}/predict',
    group: 'models',
    operationId: 'predictWithModelVersion',
    summary: 'Predict rows with one version of a name',
    description:
      'The same request and answer as `POST /models/{modelId}/predict`, with version `version` of the registered name.',
    tags: ['models'],
    auth: 'user',
    request: {
      params: z.object({
        name: modelName,
        version: queryParam.int({ min: 1, max: 2_147_483_647 }).meta({ description: 'The version number' }),
      }),
      body: predictBody,
    },
    bodyStringChars: MAX_MEDIA_BASE64_CHARS,
    responses: predictionResponses({ description: 'No such name or version (or not yours)' }),
    async handle(request, services) {
      const result = await predictRowsByVersion(services, callerOwnScope(request), {
        name: request.params.name,
        version: request.params.version,
        rows: request.body.rows,
        declaredBytes: declaredBytesOf(request.headers),
      });
      return predictionAnswer(result);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/models/by-name/{name}/aliases/{alias}/predict',
    group: 'models',
    operationId: 'predictWithModelAlias',
    summary: 'Predict rows with the version an alias points at',
    description:
      'The same request and answer as `POST /models/{modelId}/predict`, with the version the alias points at when the request arrives; the answer’s `model` names that version.',
    tags: ['models'],
    auth: 'user',
    request: { params: aliasParams, body: predictBody },
    bodyStringChars: MAX_MEDIA_BASE64_CHARS,
    responses: predictionResponses(aliasNotFound),
    async handle(request, services) {
      const result = await predictRowsByAlias(services, callerOwnScope(request), {
        name: request.params.name,
        alias: request.params.alias,
        rows: request.body.rows,
        declaredBytes: declaredBytesOf(request.headers),
      });
      return predictionAnswer(result);
    },
  }),
];
