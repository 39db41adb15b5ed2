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

/**
 * Creates a dataset (`$DS`), uploads `file` as its version 1 (`$VERSION_ID`) and waits for
 * ingestion to end, printing the status and the rows ingestion found.
 */
function createAndUpload(dataset: string, file: string, contentType: string): string {
  return `DS=$(curl -s -X POST $API/datasets -H "$AUTH" -H 'content-type: application/json' \\
  -d '${dataset}' | json it.id)
UPLOAD=$(curl -s -X POST $API/datasets/$DS/versions -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"fileName\\":\\"${file}\\",\\"contentType\\":\\"${contentType}\\",\\"sizeBytes\\":$(wc -c < ${file})}")
VERSION_ID=$(echo "$UPLOAD" | json it.version.id)
sh -c "$(echo "$UPLOAD" | json it.upload.curl)"
until curl -s $API/datasets/$DS/versions/1 -H "$AUTH" | json 'it.status' | grep -qE 'validated|failed'; do sleep 1; done
curl -s $API/datasets/$DS/versions/1 -H "$AUTH" | json 'it.status + ", " + it.rowCount + " rows"'`;
}

/**
 * Clones the template of `templateKey` onto `$DS` (`$PIPELINE`), runs it on `$VERSION_ID` as
 * `$JOB`, and keeps the model its node `modelNode` registered (the metric `modelMetric`) as `$MODEL`.
 */
function runTemplate(templateKey: string, name: string, modelNode: string, modelMetric = 'modelId'): string {
  return `TEMPLATE=$(curl -s "$API/pipelines?template=true" -H "$AUTH" | json 'it.items.find((p) => p.templateKey === "${templateKey}").id')
PIPELINE=$(curl -s -X POST $API/pipelines/$TEMPLATE/clone -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"name\\":\\"${name}\\",\\"datasetId\\":\\"$DS\\"}" | json it.id)
JOB=$(curl -s -X POST $API/jobs -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"pipelineId\\":\\"$PIPELINE\\",\\"datasetVersionId\\":\\"$VERSION_ID\\"}" | json it.id)
${WAIT_FOR_JOB}
curl -s $API/jobs/$JOB -H "$AUTH" | json 'it.status + " " + it.progress + "%"'
MODEL=$(curl -s $API/jobs/$JOB -H "$AUTH" | json 'it.nodes.find((n) => n.nodeId === "${modelNode}").metrics.${modelMetric}')
curl -s $API/models/$MODEL -H "$AUTH" | json 'it.name + " version " + it.version + ": " + JSON.stringify(it.metrics)'`;
}

/** Exports `source` (JSON, quoted for the shell) in `format` as `$EXPORT`, waits and lists its first files. */
function exportAndList(source: string, format: string, options = '{}'): string {
  return `EXPORT=$(curl -s -X POST $API/exports -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"source\\":${source},\\"format\\":\\"${format}\\",\\"options\\":${options}}" | json it.id)
until curl -s $API/exports/$EXPORT -H "$AUTH" | json 'it.status' | grep -qE 'completed|failed'; do sleep 1; done
curl -s $API/exports/$EXPORT -H "$AUTH" | json 'it.status + ", " + it.files.length + " files\\n" + it.files.slice(0, 5).map((f) => f.relativePath + " " + f.sizeBytes + " bytes").join("\\n")'`;
}

/**
 * An image or audio tutorial: a sample `.zip` in folders per class uploaded, the modality's
 * classification template run, the version exported in the Hugging Face layout of the modality.
 */
function mediaClassificationTutorial(spec: {
  slug: string;
  title: string;
  modality: 'image' | 'audio';
  sortOrder: number;
  what: string;
  sample: { kind: string; file: string };
  exportLayout: string;
  uploadBody: string;
  trainBody: string;
  exportBody: string;
}): TutorialDefinition {
  const { modality, what, sample } = spec;
  const name = sample.file.replace(/\.zip$/, '');
  return {
    slug: spec.slug,
    title: spec.title,
    description: `Upload a zip of ${what} in folders per class, run the ${modality} classification template (features and gradient boosting) and export the ${what} in the Hugging Face ${spec.exportLayout} layout.`,
    modality,
    difficulty: 'beginner',
    estimatedMinutes: 5,
    sortOrder: spec.sortOrder,
    after: [],
    steps: [
      {
        key: `upload-${sample.kind}`,
        title: `Upload a zip of ${what}`,
        body: spec.uploadBody,
        command: `npm run --silent tutorial:sample -- ${sample.kind} ${sample.file}
${createAndUpload(`{"name":"${name}","modality":"${modality}","problemType":"classification","targetColumn":"label"}`, sample.file, 'application/zip')}`,
        condition: { kind: 'version.validated', modality },
      },
      {
        key: `train-${sample.kind}`,
        title: `Run the ${modality} classification template`,
        body: spec.trainBody,
        command: runTemplate(`${modality}.classification`, name, 'train'),
        condition: { kind: 'model.trained', modality },
      },
      {
        key: `export-${sample.kind}`,
        title: `Export in the Hugging Face ${spec.exportLayout} layout`,
        body: spec.exportBody,
        command: exportAndList(
          '{\\"datasetVersionId\\":\\"$VERSION_ID\\"}',
          'huggingface',
          '{\\"split\\":{\\"testFraction\\":0.25,\\"seed\\":7}}',
        ),
        condition: { kind: 'export.completed', format: 'huggingface', modality },
      },
    ],
  };
}

/** A small corpus of three topics for the text tutorial. */
const TOPICS_CSV = [
  'text,label',
  'The striker scored twice and the crowd sang until the final whistle,sports',
  'Our goalkeeper saved a penalty in the last minute of the match,sports',
  'The coach praised the defence after a hard win away from home,sports',
  'She ran the marathon in under three hours and broke the club record,sports',
  'The referee showed a red card and the team played with ten men,sports',
  'Fans queued all night for tickets to the cup final,sports',
  'The tennis champion won the tournament without losing a set,sports',
  'The league leaders lost at home for the first time this season,sports',
  'The cyclist attacked on the last climb and took the yellow jersey,sports',
  'Two goals in extra time sent the team into the semi final,sports',
  'Knead the dough for ten minutes then let it rise in a warm place,cooking',
  'Fry the onions in butter until golden before adding the garlic,cooking',
  'Whisk the eggs with sugar and fold in the flour for a light sponge,cooking',
  'Season the soup with salt and pepper and serve it with fresh bread,cooking',
  'Roast the vegetables with olive oil and rosemary for forty minutes,cooking',
  'Simmer the tomato sauce slowly and stir in the basil at the end,cooking',
  'Bake the cake until a skewer comes out clean then let it cool,cooking',
  'Marinate the chicken in lemon and herbs overnight before grilling,cooking',
  'The chef chopped the herbs and sprinkled them over the pasta,cooking',
  'Melt the chocolate gently and pour it over the warm pudding,cooking',
  'The developers deployed a patch that fixed the login bug on the server,technology',
  'Engineers migrated the database to a new cluster without downtime,technology',
  'The compiler update made the build twice as fast on every laptop,technology',
  'A security flaw in the network library let attackers read memory,technology',
  'The startup released an app that syncs files across every device,technology',
  'The new processor runs software faster while using less power,technology',
  'Cloud storage prices fell as the provider added more data centres,technology',
  'The team wrote unit tests before refactoring the payment service,technology',
  'An outage took the website offline until the engineers restarted the servers,technology',
  'The operating system update adds encryption to every backup,technology',
].join('\n');

/** The video pipeline: frames sampled from every clip, their image features pooled per clip. */
const CLIP_FEATURES_PIPELINE = JSON.stringify({
  name: 'clip features',
  datasetId: '$DS',
  definition: {
    nodes: [
      { id: 'source', type: 'dataset.source', params: {} },
      { id: 'frames', type: 'video.frames', params: { perSecond: 2, maxFrames: 4, width: 32 } },
      { id: 'features', type: 'video.features', params: { size: 16, hog: false } },
    ],
    edges: [
      { from: { node: 'source', port: 'table' }, to: { node: 'frames', port: 'table' } },
      { from: { node: 'frames', port: 'table' }, to: { node: 'features', port: 'table' } },
    ],
  },
}).replace(/"/g, '\\"');

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
        condition: { kind: 'profile.read' },
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
        key: 'read-leaderboard',
        title: 'Read the leaderboard',
        body: 'The leaderboard ranks the learners the job tried, with their scores on validation and test rows, fit time and prediction speed.',
        command: `curl -s $API/jobs/$JOB/leaderboard -H "$AUTH" \\
  | json 'it.items[0].leaderboard.rows.map((r) => r.rank + ". " + r.learner + " " + r.status).join("\\n")'`,
        condition: { kind: 'leaderboard.read' },
      },
      {
        key: 'compare-runs',
        title: 'Read the experiment',
        body: 'The experiment keeps each trial as a run with its hyperparameters and metrics, to compare side by side.',
        command: `EXPERIMENT=$(curl -s $API/experiments -H "$AUTH" | json 'it.items[0].id')
curl -s $API/experiments/$EXPERIMENT -H "$AUTH" | json 'it.name + ": " + it.runs.length + " runs"'`,
        condition: { kind: 'experiment.read' },
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
  {
    slug: 'classify-text',
    title: 'Classify text',
    description:
      'Upload a small labelled corpus, run the text classification template (clean, drop stop words, TF-IDF, naive Bayes) and predict the topic of new sentences over the API.',
    modality: 'text',
    difficulty: 'beginner',
    estimatedMinutes: 5,
    sortOrder: 50,
    after: [],
    steps: [
      {
        key: 'upload-text',
        title: 'Upload a corpus',
        body: 'A text dataset takes a `.txt` file (one document a line), a `.zip` of `.txt` files in folders per label, or a CSV with a `text` and a `label` column, like this one. Its profile has token counts, the vocabulary, the top terms and the language.',
        command: `cat > topics.csv <<'CSV'
${TOPICS_CSV}
CSV
${createAndUpload('{"name":"topics","modality":"text","problemType":"classification","targetColumn":"label"}', 'topics.csv', 'text/csv')}`,
        condition: { kind: 'version.validated', modality: 'text' },
      },
      {
        key: 'train-text',
        title: 'Run the text classification template',
        body: 'The template holds out a fifth of the documents of every label, learns the TF-IDF vocabulary from the others, trains naive Bayes, registers the model and evaluates it on the documents held out.',
        command: runTemplate('text.classification', 'topics', 'train'),
        condition: { kind: 'model.trained', modality: 'text' },
      },
      {
        key: 'predict-text',
        title: 'Predict new sentences',
        body: 'The model replays its cleaning, stop words and vocabulary on raw text: send rows with a `text` field and read the topic of each.',
        command: `curl -s -X POST $API/models/$MODEL/predict -H "$AUTH" -H 'content-type: application/json' \\
  -d '{"rows":[{"text":"The goalkeeper saved a penalty and the fans cheered"},{"text":"Bake the bread until the crust is golden"}]}' \\
  | json 'JSON.stringify(it.predictions)'`,
        condition: { kind: 'predictions.made' },
      },
    ],
  },
  mediaClassificationTutorial({
    slug: 'classify-images',
    title: 'Classify images',
    modality: 'image',
    sortOrder: 60,
    what: 'images',
    sample: { kind: 'images', file: 'swatches.zip' },
    exportLayout: 'imagefolder',
    uploadBody:
      'An image dataset takes a `.zip` of images in folders named after their class (the ImageFolder layout). `npm run tutorial:sample`, from the repository folder, writes a small one: colour swatches in three classes. Every image is decoded once; unreadable files are listed with their path in `modalityMetadata.fileErrors`.',
    trainBody:
      'The template holds out a quarter of every class, turns each image into downsampled pixels, colour histograms and HOG features, trains gradient boosting on `label`, registers the model and evaluates it.',
    exportBody:
      'The export copies every image byte for byte into `{split}/{label}/{file}`, the layout `load_dataset("imagefolder", data_dir=…)` reads.',
  }),
  mediaClassificationTutorial({
    slug: 'classify-sounds',
    title: 'Classify sounds',
    modality: 'audio',
    sortOrder: 70,
    what: 'recordings',
    sample: { kind: 'sounds', file: 'sounds.zip' },
    exportLayout: 'audiofolder',
    uploadBody:
      'An audio dataset takes WAV, FLAC, MP3 or Ogg recordings, one or a `.zip` in folders per class. `npm run tutorial:sample`, from the repository folder, writes a small one: a low hum, a high whistle and hiss. Each recording is stored as WAV and described (duration, rate, channels, levels, silence, clipping).',
    trainBody:
      'The template holds out a quarter of every class, computes MFCC, log-mel, zero-crossing, centroid and roll-off statistics at 16 kHz, trains gradient boosting on `label`, registers the model and evaluates it.',
    exportBody:
      'The export writes one folder per split and class (`{split}/{label}/{file}.wav`), the layout `load_dataset("audiofolder", data_dir=…)` reads.',
  }),
  {
    slug: 'features-from-video',
    title: 'Features from video clips',
    description:
      'Upload a zip of clips in folders per class, sample frames from every clip and pool their image features per clip in a pipeline of your own, and export the features as CSV.',
    modality: 'video',
    difficulty: 'intermediate',
    estimatedMinutes: 5,
    sortOrder: 80,
    after: [],
    steps: [
      {
        key: 'upload-clips',
        title: 'Upload a zip of clips',
        body: "A video dataset takes an MP4, QuickTime or WebM clip, or a `.zip` of clips in folders per class. `npm run tutorial:sample`, from the repository folder, writes a small one with the ffmpeg the repository installs: red and blue clips of one second. ffprobe reads each clip's container, codec, duration, frame rate and resolution.",
        command: `npm run --silent tutorial:sample -- clips clips.zip
${createAndUpload('{"name":"clips","modality":"video"}', 'clips.zip', 'application/zip')}`,
        condition: { kind: 'version.validated', modality: 'video' },
      },
      {
        key: 'clip-features',
        title: 'Sample frames and pool their features per clip',
        body: '`video.frames` samples frames from every clip into an image manifest; `video.features` computes the image features of every frame and pools them per clip (mean and standard deviation): one row per clip, ready for the tabular learners. A pipeline of your own is nodes and edges between their ports.',
        command: `PIPELINE=$(curl -s -X POST $API/pipelines -H "$AUTH" -H 'content-type: application/json' \\
  -d "${CLIP_FEATURES_PIPELINE}" | json it.id)
JOB=$(curl -s -X POST $API/jobs -H "$AUTH" -H 'content-type: application/json' \\
  -d "{\\"pipelineId\\":\\"$PIPELINE\\",\\"datasetVersionId\\":\\"$VERSION_ID\\"}" | json it.id)
${WAIT_FOR_JOB}
curl -s $API/jobs/$JOB -H "$AUTH" | json 'it.status + "\\n" + it.nodes.map((n) => n.nodeId + ": " + JSON.stringify(n.metrics)).join("\\n")'`,
        condition: { kind: 'node.succeeded', nodeType: 'video.features' },
      },
      {
        key: 'export-clip-features',
        title: 'Export the features as CSV and read them',
        body: 'Any table a node of your job wrote can be exported: name the job, the node and its port. The download answers a redirect to the file.',
        command: `${exportAndList('{\\"jobId\\":\\"$JOB\\",\\"nodeId\\":\\"features\\",\\"port\\":\\"table\\"}', 'csv', '{\\"fileName\\":\\"clips\\"}')}
curl -sL "$API/exports/$EXPORT/download?file=clips.csv" -H "$AUTH" | cut -c 1-100 | head -3`,
        condition: { kind: 'export.completed', format: 'csv', modality: 'video' },
      },
    ],
  },
  {
    slug: 'forecast-a-time-series',
    title: 'Forecast a time series',
    description:
      'Upload six years of monthly sales, run the forecasting template (backtests of seasonal naive, Holt-Winters and gradient boosting on lags; the best is registered) and forecast the next months with intervals.',
    modality: 'timeseries',
    difficulty: 'beginner',
    estimatedMinutes: 5,
    sortOrder: 90,
    after: [],
    steps: [
      {
        key: 'upload-series',
        title: 'Upload a series',
        body: 'A time-series dataset is a CSV or Parquet with a time column and values (and a series column when it holds several). Ingestion infers the frequency and measures gaps, trend and seasonality per series. This series is made up: a trend, a yearly season and some noise.',
        command: `awk 'BEGIN { srand(7); print "month,sales"; for (i = 0; i < 72; i++) printf "%d-%02d-01,%.1f\\n", 2019 + int(i / 12), i % 12 + 1, 200 + 2 * i + 30 * sin(i * 3.14159 / 6) + 5 * rand() }' > sales.csv
${createAndUpload('{"name":"sales","modality":"timeseries","targetColumn":"sales"}', 'sales.csv', 'text/csv')}
curl -s $API/datasets/$DS/versions/1 -H "$AUTH" | json 'JSON.stringify(it.modalityMetadata.series)'`,
        condition: { kind: 'version.validated', modality: 'timeseries' },
      },
      {
        key: 'train-forecaster',
        title: 'Run the forecasting template',
        body: 'The template averages the series per month, fills empty months, backtests every forecaster from 3 rolling origins 12 months apart, scores them by MASE (one experiment run each) and registers the best.',
        command: runTemplate('timeseries.forecasting', 'sales forecast', 'forecast'),
        condition: { kind: 'model.trained', modality: 'timeseries' },
      },
      {
        key: 'forecast',
        title: 'Forecast the next six months',
        body: 'A forecasting model continues the series it learned: each step ahead has its timestamp, the forecast and an interval at the level you ask for. Each step counts as one predicted row.',
        command: `curl -s -X POST $API/models/$MODEL/forecast -H "$AUTH" -H 'content-type: application/json' \\
  -d '{"horizon":6,"level":0.9}' \\
  | json 'it.forecasts.map((f) => f.timestamp.slice(0, 7) + " " + f.forecast.toFixed(1) + " [" + f.lower.toFixed(1) + ", " + f.upper.toFixed(1) + "]").join("\\n")'`,
        condition: { kind: 'predictions.made' },
      },
    ],
  },
  {
    slug: 'denoise-a-seismic-line',
    title: 'Denoise a seismic line',
    description:
      'Upload a SEG-Y line, run the seismic denoising template (zero-phase band-pass, then f-x deconvolution, registered as a denoising model), read the SNR gain it measured and download the denoised SEG-Y.',
    modality: 'seismic',
    difficulty: 'intermediate',
    estimatedMinutes: 5,
    sortOrder: 100,
    after: [],
    steps: [
      {
        key: 'upload-segy',
        title: 'Upload a SEG-Y line',
        body: 'A seismic dataset takes SEG-Y rev 1 or rev 2 files. `npm run tutorial:sample`, from the repository folder, writes a small line: three reflectors and random noise. Ingestion reads every header and trace into a trace store and profiles amplitudes, dead and clipped traces and the spectrum.',
        command: `npm run --silent tutorial:sample -- seismic line.sgy
${createAndUpload('{"name":"line 1","modality":"seismic"}', 'line.sgy', 'application/octet-stream')}
curl -s $API/datasets/$DS/versions/1 -H "$AUTH" \\
  | json 'it.modalityMetadata.traces + " traces of " + it.modalityMetadata.samples + " samples at " + it.modalityMetadata.sampleRateHz + " Hz"'`,
        condition: { kind: 'version.validated', modality: 'seismic' },
      },
      {
        key: 'denoise-segy',
        title: 'Run the seismic denoising template',
        body: 'The template reads the traces chunk by chunk, band-passes them (5–80 Hz) and removes random noise with f-x deconvolution, keeps the denoised SEG-Y, every header as uploaded, as a version of the dataset "denoised traces", and registers the chain as the model "seismic denoiser" to run again on other lines.',
        command: runTemplate('seismic.denoising', 'line 1 denoising', 'denoise', 'registeredModelId'),
        condition: { kind: 'model.trained', modality: 'seismic' },
      },
      {
        key: 'read-denoise-results',
        title: 'Read the result and download the denoised line',
        body: "The job's results hold the SNR gain (estimated from what neighbouring traces share, or measured against a clean version when you name one) and the dataset version the denoised line became; the SEG-Y itself downloads over a presigned link.",
        command: `curl -s $API/jobs/$JOB/results -H "$AUTH" \\
  | json '"SNR gain " + it.items[0].metrics.snrGainDb + " dB; version " + it.items[0].outputDataset.version + " of " + it.items[0].outputDataset.datasetId'
curl -s -o line-denoised.sgy "$(curl -s $API/jobs/$JOB/nodes/denoise/outputs/segy/download -H "$AUTH" | json it.url)"
wc -c < line-denoised.sgy`,
        condition: { kind: 'results.read' },
      },
    ],
  },
];
