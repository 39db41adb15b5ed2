import type { Modality, TutorialDifficulty } from '../../db/schema';
import type { CompletionCondition } from './completion-conditions';

/**
 * The tutorials the platform ships: reference data, seeded like the pipeline templates
 * (`seedTutorials`, run with `seedReferenceData`). Each step has a title, a short Markdown body,
 * the exact command to try and the condition that marks it done. Commands are shell with curl,
 * run after the tutorial's `setup` (which the API renders with the reader's own base URL), in one
 * shell from the first tutorial to the last: variables a step sets (`$DS`, `$JOB`) are there for
 * the steps after it. A test runs every command of every tutorial against the local platform, so
 * they cannot go stale.
 */

export interface TutorialStepDefinition {
  /** Stable within the tutorial: progress records it. */
  key: string;
  title: string;
  /** Markdown. */
  body: string;
  /** Shell (bash or sh) using `$API`, `$AUTH` and `json` from the setup. */
  command: string;
  condition: CompletionCondition;
}

export interface TutorialDefinition {
  slug: string;
  title: string;
  description: string;
  modality: Modality | null;
  difficulty: TutorialDifficulty;
  estimatedMinutes: number;
  sortOrder: number;
  /** Tutorials whose variables this one's commands use. */
  after: string[];
  steps: TutorialStepDefinition[];
}

/** The shell every tutorial's commands run in: `{{API}}` is replaced by the reader's base URL. */
export const TUTORIAL_SETUP = `API={{API}}
# Your access token: POST /auth/login (or /auth/register) answers it as accessToken.
AUTH="authorization: Bearer $TOKEN"
# Picks fields out of JSON with the Node you already have: json 'it.field'
json() { node -pe "const it = JSON.parse(require('fs').readFileSync(0, 'utf8')); $1"; }`;

const IRIS_CSV = [
  'sepal_length,sepal_width,petal_length,petal_width,species',
  '5.1,3.5,1.4,0.2,setosa',
  '4.9,3.0,1.4,0.2,setosa',
  '4.7,3.2,1.3,0.2,setosa',
  '5.0,3.6,1.4,0.2,setosa',
  '7.0,3.2,4.7,1.4,versicolor',
  '6.4,3.2,4.5,1.5,versicolor',
  '6.9,3.1,4.9,1.5,versicolor',
  '5.5,2.3,4.0,1.3,versicolor',
  '6.3,3.3,6.0,2.5,virginica',
  '5.8,2.7,5.1,1.9,virginica',
  '7.1,3.0,5.9,2.1,virginica',
  '6.5,3.0,5.8,2.2,virginica',
].join('\\n');

const WAIT_FOR_JOB = `until curl -s $API/jobs/$JOB -H "$AUTH" | json 'it.status' | grep -qE 'completed|failed|cancelled'; do sleep 1; done`;

export const TUTORIALS: readonly TutorialDefinition[] = [
  {
    slug: 'your-first-dataset',
    title: 'Your first dataset',
    description:
      'Create a dataset, upload a CSV straight to storage, read the profile ingestion computed and accept the column types it proposes.',
    modality: 'tabular',
    difficulty: 'beginner',
    estimatedMinutes: 5,
    sortOrder: 10,
    after: [],
    steps: [
      {
        key: 'create-dataset',
        title: 'Create a dataset',
        body: 'A dataset is a named, versioned table. Saying which column is the target now lets the training templates find it later.',
        command: `DS=$(curl -s -X POST $API/datasets -H "$AUTH" -H 'content-type: application/json' \\
  -d '{"name":"iris","modality":"tabular","problemType":"classification","targetColumn":"species"}' | json it.id)
echo "dataset $DS"`,
        condition: { kind: 'dataset.created' },
      },
      {
        key: 'upload-version',
        title: 'Upload a file as version 1',
        body: 'The API answers a version with a presigned POST: the file goes straight to storage, never through the API. Ingestion then validates, profiles and types it on its own: `uploaded → validating → validated` (or `failed`, with errors per row and column).',
        command: `printf '${IRIS_CSV}\\n' > iris.csv
UPLOAD=$(curl -s -X POST $API/datasets/$DS/versions -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"fileName\\":\\"iris.csv\\",\\"contentType\\":\\"text/csv\\",\\"sizeBytes\\":$(wc -c < iris.csv)}")
VERSION_ID=$(echo "$UPLOAD" | json it.version.id)
sh -c "$(echo "$UPLOAD" | json it.upload.curl)"
until curl -s $API/datasets/$DS/versions/1 -H "$AUTH" | json 'it.status' | grep -qE 'validated|failed'; do sleep 1; done
curl -s $API/datasets/$DS/versions/1 -H "$AUTH" | json 'it.status + ", " + it.rowCount + " rows"'`,
        condition: { kind: 'version.validated' },
      },
      {
        key: 'read-profile',
        title: 'Read the profile',
        body: 'Every validated version has a profile: per column counts, missing values, distinct values, statistics and warnings.',
        command: `curl -s $API/datasets/$DS/versions/1/profile -H "$AUTH" | json 'it.summary'`,
        condition: { kind: 'profile.ready' },
      },
      {
        key: 'accept-schema',
        title: 'Accept the schema',
        body: 'Ingestion proposes a logical type per column with a confidence. Accept it as is, or send `overrides` for the columns you know better.',
        command: `curl -s $API/datasets/$DS/versions/1/schema -H "$AUTH" | json 'it.columns.map((c) => c.name + ": " + c.type).join("\\n")'
curl -s -X POST $API/datasets/$DS/versions/1/schema/accept -H "$AUTH" -H 'content-type: application/json' -d '{}' | json 'it.status'`,
        condition: { kind: 'schema.accepted' },
      },
    ],
  },
  {
    slug: 'train-and-compare-models',
    title: 'Train and compare models',
    description:
      'Clone the tabular classification template onto your dataset, run it as a job, then read the AutoML leaderboard and the experiment that records every trial.',
    modality: 'tabular',
    difficulty: 'beginner',
    estimatedMinutes: 10,
    sortOrder: 20,
    after: ['your-first-dataset'],
    steps: [
      {
        key: 'clone-template',
        title: 'Clone the classification template',
        body: 'Templates are ready-made pipelines. A clone is yours to edit; `validate` checks it against the node catalog and your dataset.',
        command: `TEMPLATE=$(curl -s "$API/pipelines?template=true" -H "$AUTH" | json 'it.items.find((p) => p.templateKey === "tabular.classification").id')
PIPELINE=$(curl -s -X POST $API/pipelines/$TEMPLATE/clone -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"name\\":\\"iris automl\\",\\"datasetId\\":\\"$DS\\"}" | json it.id)
curl -s -X POST $API/pipelines/$PIPELINE/validate -H "$AUTH" | json 'it.valid'`,
        condition: { kind: 'pipeline.created', mlTask: 'tabular.classification' },
      },
      {
        key: 'run-job',
        title: 'Run it as a job',
        body: 'A job runs the pipeline on one version, node by node, paid from your credits. The AutoML node tries several learners and registers the best as a model.',
        command: `JOB=$(curl -s -X POST $API/jobs -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"pipelineId\\":\\"$PIPELINE\\",\\"datasetVersionId\\":\\"$VERSION_ID\\"}" | json it.id)
${WAIT_FOR_JOB}
curl -s $API/jobs/$JOB -H "$AUTH" | json 'it.status + " " + it.progress + "%"'
MODEL=$(curl -s $API/jobs/$JOB -H "$AUTH" | json 'it.nodes.find((n) => n.nodeId === "automl").metrics.modelId')
echo "model $MODEL"`,
        condition: { kind: 'model.trained' },
      },
      {
        key: 'compare-runs',
        title: 'Read the leaderboard and the experiment',
        body: 'The leaderboard ranks the learners the job tried; the experiment keeps each trial as a run with its hyperparameters and metrics, to compare side by side.',
        command: `curl -s $API/jobs/$JOB/leaderboard -H "$AUTH" \\
  | json 'it.items[0].leaderboard.rows.map((r) => r.rank + ". " + r.learner + " " + r.status).join("\\n")'
EXPERIMENT=$(curl -s $API/experiments -H "$AUTH" | json 'it.items[0].id')
curl -s $API/experiments/$EXPERIMENT -H "$AUTH" | json 'it.name + ": " + it.runs.length + " runs"'`,
        condition: { kind: 'experiment.compared' },
      },
    ],
  },
  {
    slug: 'predict-and-export',
    title: 'Predict and export',
    description:
      'Point the production alias at the model you trained, predict new rows through it, and export your dataset in the Hugging Face layout.',
    modality: 'tabular',
    difficulty: 'intermediate',
    estimatedMinutes: 5,
    sortOrder: 30,
    after: ['your-first-dataset', 'train-and-compare-models'],
    steps: [
      {
        key: 'set-alias',
        title: 'Point the production alias at your model',
        body: 'Models are versions of a registered name (the name goes in the path URL-encoded). An alias (`production`, `staging`, any name) is a movable pointer to one version; every move is audited.',
        command: `MODEL_NAME=$(curl -s $API/models/$MODEL -H "$AUTH" | json 'encodeURIComponent(it.name)')
MODEL_VERSION=$(curl -s $API/models/$MODEL -H "$AUTH" | json it.version)
curl -s -X PUT "$API/models/by-name/$MODEL_NAME/aliases/production" -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"version\\":$MODEL_VERSION}" | json 'it.name + "@" + it.alias + " -> version " + it.version'`,
        condition: { kind: 'alias.set' },
      },
      {
        key: 'predict-rows',
        title: 'Predict rows',
        body: 'Send rows as JSON objects with the columns the model was trained on; the answer has a prediction per row and names the version that made it.',
        command: `curl -s -X POST "$API/models/by-name/$MODEL_NAME/aliases/production/predict" -H "$AUTH" -H 'content-type: application/json' \\
  -d '{"rows":[{"sepal_length":5.0,"sepal_width":3.4,"petal_length":1.5,"petal_width":0.2},{"sepal_length":6.7,"sepal_width":3.1,"petal_length":5.6,"petal_width":2.4}]}' \\
  | json 'JSON.stringify(it.predictions)'`,
        condition: { kind: 'predictions.made' },
      },
      {
        key: 'export-huggingface',
        title: 'Export to the Hugging Face layout',
        body: 'Exports run on their own and end `completed` with their files, each with its size and SHA-256; `datasets.load_dataset("parquet", data_dir=…)` reads the result.',
        command: `EXPORT=$(curl -s -X POST $API/exports -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"source\\":{\\"datasetVersionId\\":\\"$VERSION_ID\\"},\\"format\\":\\"huggingface\\",\\"options\\":{\\"labelColumn\\":\\"species\\",\\"split\\":{\\"testFraction\\":0.25,\\"seed\\":7}}}" | json it.id)
until curl -s $API/exports/$EXPORT -H "$AUTH" | json 'it.status' | grep -qE 'completed|failed'; do sleep 1; done
curl -s $API/exports/$EXPORT -H "$AUTH" | json 'it.files.map((f) => f.relativePath + " " + f.sizeBytes + " bytes").join("\\n")'`,
        condition: { kind: 'export.completed', format: 'huggingface' },
      },
    ],
  },
  {
    slug: 'pay-for-runs',
    title: 'Pay for runs',
    description:
      'Read your credit balance, top it up on the local runtime with a signed test webhook, and see what a job cost, node by node.',
    modality: null,
    difficulty: 'beginner',
    estimatedMinutes: 5,
    sortOrder: 40,
    after: ['your-first-dataset', 'train-and-compare-models'],
    steps: [
      {
        key: 'read-balance',
        title: 'Read your balance',
        body: 'Every run is paid from a prepaid credit ledger. New accounts start with welcome credits; `GET /credits/transactions` lists every entry.',
        command: `curl -s $API/credits -H "$AUTH" | json '"balance " + it.available + " credits"'`,
        condition: { kind: 'credits.available', anyTime: true },
      },
      {
        key: 'top-up',
        title: 'Top up with a signed test webhook',
        body: 'In AWS, `POST /credits/checkout` opens a Stripe Checkout. On one machine, this command posts the event Stripe would send after a payment, signed with the local webhook secret, from the repository folder where `npm start` runs.',
        command: `PW_TOKEN=$TOKEN npm run --silent credits:test-purchase -- starter
curl -s "$API/credits/transactions?limit=1" -H "$AUTH" | json 'it.items[0].type + " " + it.items[0].amount'`,
        condition: { kind: 'credits.purchased' },
      },
      {
        key: 'job-cost',
        title: "See a job's cost",
        body: 'A job reserves its estimate when it starts and is charged for the seconds its nodes ran; the rest is given back.',
        command: `JOB=$(curl -s -X POST $API/jobs -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"pipelineId\\":\\"$PIPELINE\\",\\"datasetVersionId\\":\\"$VERSION_ID\\"}" | json it.id)
${WAIT_FOR_JOB}
curl -s $API/jobs/$JOB -H "$AUTH" | json '"reserved " + it.credits.reserved + ", used " + it.credits.used + ", refunded " + it.credits.refunded'
curl -s $API/jobs/$JOB -H "$AUTH" | json 'it.nodes.map((n) => n.nodeId + ": " + n.cost.billedSeconds + " s on " + n.runtime).join("\\n")'`,
        condition: { kind: 'job.charged' },
      },
    ],
  },
];
