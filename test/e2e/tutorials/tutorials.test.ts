import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TUTORIALS } from '../../../shared/domain/tutorials/tutorial-catalog';
import { e2eSuite } from '../../support/e2e-suite';
import { REPO_ROOT } from '../../support/repo-paths';

/**
 * The shipped tutorials, followed as a new user would: start each one, run every step's command
 * exactly as the API shows it (after the tutorial's setup, in one shell session whose variables
 * carry from step to step), and read the tutorial after each: the step is done and names the
 * resource of the user's that completed it. So no shipped command can go stale, and no step
 * completes because someone else acted.
 */

const suite = e2eSuite('tutorials', 2);

interface StepView {
  key: string;
  command: string;
  done: boolean;
  completedBy: { resourceType: string; resourceId: string | null; label: string } | null;
}
interface TutorialView {
  setup: string;
  steps: StepView[];
  progress: { status: string; attempt: number; currentStep: number; stepsDone: number };
  previousAttempts: { status: string; attempt: number; stepsDone: number }[];
}

/** Every variable a command of a shipped tutorial assigns: saved after each step, restored before the next. */
const VARIABLES = [
  ...new Set(
    TUTORIALS.flatMap((t) => t.steps.flatMap((s) => [...s.command.matchAll(/^\s*([A-Z][A-Z0-9_]*)=/gm)])).map(
      (m) => m[1] ?? '',
    ),
  ),
];

let workDir: string;
let stateFile: string;

function runStep(
  setup: string,
  command: string,
  token: string,
): Promise<{ code: number | null; output: string }> {
  // `npm` runs the repository's scripts from the repository (a reader runs the commands there);
  // files the commands write (iris.csv) go to a scratch folder.
  const script = [
    `[ -f ${JSON.stringify(stateFile)} ] && . ${JSON.stringify(stateFile)}`,
    setup,
    `npm() { command npm --prefix ${JSON.stringify(REPO_ROOT)} "$@"; }`,
    command,
    `declare -p ${VARIABLES.join(' ')} 2>/dev/null > ${JSON.stringify(stateFile)} || true`,
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: workDir,
      env: { ...process.env, TOKEN: token, PW_DATA_DIR: suite.dataDir, PW_LOG_LEVEL: 'SILENT' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the step did not finish within 180 s:\n${output}`));
    }, 180_000);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, output });
    });
  });
}

async function read(slug: string, as = suite.user(0)): Promise<TutorialView> {
  const answer = await suite.api('GET', `/tutorials/${slug}`, undefined, as);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as unknown as TutorialView;
}

/** What completes each step: the kind of resource the step's command makes. */
const EXPECTED_RESOURCE: Record<string, string> = {
  'create-dataset': 'dataset',
  'upload-version': 'datasetVersion',
  'read-profile': 'datasetVersion',
  'accept-schema': 'datasetVersion',
  'clone-template': 'pipeline',
  'run-job': 'model',
  'read-leaderboard': 'job',
  'compare-runs': 'experiment',
  'set-alias': 'model',
  'predict-rows': 'predictions',
  'export-huggingface': 'export',
  'read-balance': 'creditTransaction',
  'top-up': 'creditTransaction',
  'job-cost': 'job',
  'upload-text': 'datasetVersion',
  'train-text': 'model',
  'predict-text': 'predictions',
  'upload-images': 'datasetVersion',
  'train-images': 'model',
  'export-images': 'export',
  'upload-sounds': 'datasetVersion',
  'train-sounds': 'model',
  'export-sounds': 'export',
  'upload-clips': 'datasetVersion',
  'clip-features': 'job',
  'export-clip-features': 'export',
  'upload-series': 'datasetVersion',
  'train-forecaster': 'model',
  forecast: 'predictions',
  'upload-segy': 'datasetVersion',
  'denoise-segy': 'model',
  'read-denoise-results': 'job',
};

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'pw-tutorials-cwd-'));
  stateFile = path.join(workDir, '.tutorial-state.sh');
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('tutorials that check themselves', () => {
  it('lists the shipped tutorials in order, with the caller’s progress, filtered by difficulty', async () => {
    const all = await suite.api('GET', '/tutorials');
    expect(all.status).toBe(200);
    const items = all.body['items'] as { slug: string; stepCount: number; progress: { status: string } }[];
    expect(items.map((t) => t.slug)).toEqual(TUTORIALS.map((t) => t.slug));
    expect(items.every((t) => t.progress.status === 'not_started' && t.stepCount > 0)).toBe(true);
    const intermediate = await suite.api('GET', '/tutorials?difficulty=intermediate');
    expect((intermediate.body['items'] as { slug: string }[]).map((t) => t.slug)).toEqual([
      'predict-and-export',
      'features-from-video',
      'denoise-a-seismic-line',
    ]);
    // One tutorial for every modality besides tables, and the tabular ones.
    const byModality: Record<string, string[]> = {
      tabular: ['your-first-dataset', 'train-and-compare-models', 'predict-and-export'],
      text: ['classify-text'],
      image: ['classify-images'],
      audio: ['classify-sounds'],
      video: ['features-from-video'],
      timeseries: ['forecast-a-time-series'],
      seismic: ['denoise-a-seismic-line'],
    };
    for (const [modality, slugs] of Object.entries(byModality)) {
      const listed = await suite.api('GET', `/tutorials?modality=${modality}`);
      expect(listed.status).toBe(200);
      expect(
        (listed.body['items'] as { slug: string }[]).map((t) => t.slug),
        modality,
      ).toEqual(slugs);
    }
    expect((await suite.api('GET', '/tutorials/no-such-tutorial')).status).toBe(404);
  });

  it('another user starts the first tutorial before anyone acts', async () => {
    const started = await suite.api('POST', '/tutorials/your-first-dataset/start', undefined, suite.user(1));
    expect(started.status).toBe(200);
    expect((started.body as unknown as TutorialView).progress).toMatchObject({
      status: 'in_progress',
      stepsDone: 0,
    });
  });

  // Each step has its own deadline (runStep); a tutorial that trains and exports needs several.
  for (const tutorial of TUTORIALS) {
    it(`"${tutorial.title}": each step's command completes that step, and the tutorial ends completed`, async () => {
      const started = await suite.api('POST', `/tutorials/${tutorial.slug}/start`);
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      const view = started.body as unknown as TutorialView;
      expect(view.setup).toContain(`API=${suite.platform.url}`);
      // Only the welcome credits count from before the start: everything else waits for the reader.
      expect(view.steps.filter((s) => s.done).map((s) => s.key)).toEqual(
        tutorial.steps.filter((s) => s.condition.anyTime).map((s) => s.key),
      );

      for (const [index, step] of view.steps.entries()) {
        // Not done before its command runs, even when what it asks to read already exists.
        const before = await read(tutorial.slug);
        if (!tutorial.steps[index]?.condition.anyTime)
          expect(before.steps[index]?.done, `${step.key} before its command`).toBe(false);
        const { code, output } = await runStep(view.setup, step.command, suite.user(0).accessToken);
        const variables = await readFile(stateFile, 'utf8').catch(() => '(none yet)');
        expect(code, `${tutorial.slug}/${step.key}:\n${output}\nvariables before it:\n${variables}`).toBe(0);
        const after = await read(tutorial.slug);
        const now = after.steps[index];
        expect(now?.done, `${step.key} after its command:\n${output}`).toBe(true);
        expect(now?.completedBy?.resourceType).toBe(EXPECTED_RESOURCE[step.key]);
        expect(now?.completedBy?.label).toBeTruthy();
        if (index === 0 && view.steps.length > 1 && !tutorial.steps[1]?.condition.anyTime) {
          // The first action completes the first step, not the tutorial.
          expect(after.progress.status).toBe('in_progress');
        }
      }
      const done = await read(tutorial.slug);
      expect(done.progress).toMatchObject({ status: 'completed', stepsDone: tutorial.steps.length });
    }, 600_000);
  }

  it('names the resource of the user’s that completed a step', async () => {
    const first = await read('your-first-dataset');
    const datasets = await suite.api('GET', '/datasets');
    const ids = (datasets.body['items'] as { id: string }[]).map((d) => d.id);
    expect(ids).toContain(first.steps[0]?.completedBy?.resourceId);
  });

  it('never completes a step with another user’s work', async () => {
    const other = await read('your-first-dataset', suite.user(1));
    expect(other.progress).toMatchObject({ status: 'in_progress', stepsDone: 0 });
    expect(other.steps.every((s) => !s.done && s.completedBy === null)).toBe(true);
  });

  it('starting again keeps the completed attempt and begins a new one that earlier work does not complete', async () => {
    const restarted = await suite.api('POST', '/tutorials/your-first-dataset/start');
    expect(restarted.status).toBe(200);
    const view = restarted.body as unknown as TutorialView;
    expect(view.progress).toMatchObject({ status: 'in_progress', attempt: 2, stepsDone: 0 });
    expect(view.previousAttempts[0]).toMatchObject({ status: 'completed', attempt: 1, stepsDone: 4 });
    const listed = await suite.api('GET', '/tutorials');
    const first = (
      listed.body['items'] as { slug: string; progress: { status: string; attempt: number } }[]
    ).find((t) => t.slug === 'your-first-dataset');
    expect(first?.progress).toMatchObject({ status: 'in_progress', attempt: 2 });
  });

  it('completes a step that asks to read something when the caller reads it, not when it exists', async () => {
    const datasets = await suite.api('GET', '/datasets');
    const iris = (datasets.body['items'] as { id: string; name: string }[]).find((d) => d.name === 'iris');
    const unread = await read('your-first-dataset');
    expect(unread.steps.find((s) => s.key === 'read-profile')?.done).toBe(false);
    // The profile exists (the version is validated), and another user cannot read it.
    expect((await suite.api('GET', `/datasets/${String(iris?.id)}/versions/1`)).body['status']).toBe(
      'validated',
    );
    const foreign = await suite.api(
      'GET',
      `/datasets/${String(iris?.id)}/versions/1/profile`,
      undefined,
      suite.user(1),
    );
    expect(foreign.status).toBe(404);
    expect((await read('your-first-dataset')).steps.find((s) => s.key === 'read-profile')?.done).toBe(false);

    expect((await suite.api('GET', `/datasets/${String(iris?.id)}/versions/1/profile`)).status).toBe(200);
    const after = (await read('your-first-dataset')).steps.find((s) => s.key === 'read-profile');
    expect(after?.done).toBe(true);
    expect(after?.completedBy).toMatchObject({ resourceType: 'datasetVersion' });
    expect(after?.completedBy?.label).toContain('you read the profile of iris version 1');
  });
});
