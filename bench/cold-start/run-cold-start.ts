import { spawnSync } from 'node:child_process';
import { mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import {
  FUNCTION_BUNDLE_BANNER,
  FUNCTION_BUNDLE_TARGET,
  FUNCTION_EXTERNAL_MODULES,
  FUNCTION_MAIN_FIELDS,
  FUNCTION_NODE_OPTIONS,
} from '../../infra/aws/constructs/pipeweave-function';
import { FARGATE_ENTRYPOINT } from '../../infra/aws/stacks/pipelines-stack';
import { projectRoot } from '../../infra/aws/project-paths';
import { milliseconds, pad, summarize, type Summary } from '../report-format';

/**
 * Cold start of every function: each `functions/**\/handler.ts` entry is bundled the way the
 * `PipeWeaveFunction` construct has CDK bundle it (esbuild, ESM, minified, node22, the same
 * externals, main fields, banner and source maps), without a full synth. Then, REPETITIONS times
 * in rotating order, a fresh `node` process imports each bundle with the functions' own
 * NODE_OPTIONS and exits, against the same `node` importing an empty module (the bare-node
 * baseline) in the same repetition. Figures: bundle size, the modules that dominate it (from
 * esbuild's metafile), and the import time's min / median / max with its ratio to the baseline's
 * median. The externals (the AWS SDK) resolve from the repository's node_modules, as they resolve
 * from the runtime's on Lambda.
 */
const REPETITIONS = 5;
/** Goals for API functions: a bundle of at most 300 KiB, importing within 1.3× bare node. */
export const COLD_START_GOALS = { apiBundleBytes: 300 * 1024, importRatio: 1.3 };
const TOP_MODULES = 5;

export interface FunctionColdStart {
  entry: string;
  kind: 'api' | 'lambda';
  bundleBytes: number;
  sourceMapBytes: number;
  /** The packages (or source folders) that take most of the bundle, largest first. */
  largest: { module: string; bytes: number }[];
  importMs: Summary;
  ratioToBareNode: number;
  /** CPU time of the importing process (user + system), and its ratio to bare node's. */
  importCpuMs: Summary;
  cpuRatioToBareNode: number;
  /** API functions only: both goals met. */
  met?: boolean;
}

export interface ColdStartResult {
  repetitions: number;
  nodeOptions: string;
  bareNodeMs: Summary;
  bareNodeCpuMs: Summary;
  functions: FunctionColdStart[];
  goals: typeof COLD_START_GOALS;
  summary: {
    apiFunctions: number;
    apiMet: number;
    largestApiBundleBytes: number;
    worstApiImportRatio: number;
  };
  failures: number;
}

export async function runColdStart(options: { dataDir: string }): Promise<ColdStartResult> {
  const entries = await handlerEntries();
  console.log(
    `\ncold start: ${entries.length} function entries bundled as CDK does (esbuild ${FUNCTION_BUNDLE_TARGET}, ESM, minified, source maps), each imported by a fresh node (NODE_OPTIONS=${FUNCTION_NODE_OPTIONS}) against an empty module, ${REPETITIONS} repetitions`,
  );
  const outDir = join(options.dataDir, 'bundles');
  await mkdir(outDir, { recursive: true });
  // The externals resolve from here, as they resolve from the Lambda runtime's own node_modules.
  await symlink(join(projectRoot, 'node_modules'), join(options.dataDir, 'node_modules'), 'dir');
  const empty = join(options.dataDir, 'empty.mjs');
  await writeFile(empty, '');

  const started = performance.now();
  const bundles = await Promise.all(entries.map((entry) => bundle(entry, outDir)));
  console.log(`  bundled in ${milliseconds(performance.now() - started)}`);

  const times = new Map<string, number[]>([
    [empty, []],
    ...bundles.map((b) => [b.file, []] as [string, number[]]),
  ]);
  const files = [...times.keys()];
  const cpuTimes = new Map<string, number[]>(files.map((file) => [file, []]));
  for (let repetition = 0; repetition < REPETITIONS; repetition += 1) {
    // Rotated, so the baseline is not always measured at the same point of a repetition.
    const offset = Math.floor((repetition * files.length) / REPETITIONS);
    for (let i = 0; i < files.length; i += 1) {
      const file = files[(i + offset) % files.length] ?? empty;
      const { wallMs, cpuMs } = importTime(file);
      times.get(file)?.push(wallMs);
      cpuTimes.get(file)?.push(cpuMs);
    }
  }
  const bareNodeMs = summarize(times.get(empty) ?? []);
  const bareNodeCpuMs = summarize(cpuTimes.get(empty) ?? []);
  console.log(
    `  bare node (empty module)  ${milliseconds(bareNodeMs.min)} / ${milliseconds(bareNodeMs.median)} / ${milliseconds(bareNodeMs.max)}  (min / median / max), CPU ${milliseconds(bareNodeCpuMs.median)}`,
  );
  const functions = bundles.map((b): FunctionColdStart => {
    const importMs = summarize(times.get(b.file) ?? []);
    const ratioToBareNode = importMs.median / bareNodeMs.median;
    const importCpuMs = summarize(cpuTimes.get(b.file) ?? []);
    const figure: FunctionColdStart = {
      entry: b.entry,
      kind: b.kind,
      bundleBytes: b.bundleBytes,
      sourceMapBytes: b.sourceMapBytes,
      largest: b.largest,
      importMs,
      ratioToBareNode,
      importCpuMs,
      cpuRatioToBareNode: importCpuMs.median / bareNodeCpuMs.median,
    };
    if (b.kind === 'api')
      figure.met =
        b.bundleBytes <= COLD_START_GOALS.apiBundleBytes && ratioToBareNode <= COLD_START_GOALS.importRatio;
    return figure;
  });
  for (const f of functions) {
    const largest = f.largest.map((m) => `${m.module} ${kib(m.bytes)}`).join(', ');
    console.log(
      `  ${pad(f.entry.replace(/^functions\//, '').replace(/\/handler\.ts$/, ''), 34)} ${kib(f.bundleBytes).padStart(9)}  import ${milliseconds(f.importMs.min)} / ${milliseconds(f.importMs.median)} / ${milliseconds(f.importMs.max)}  ${f.ratioToBareNode.toFixed(2)}× bare, CPU ${milliseconds(f.importCpuMs.median)} ${f.cpuRatioToBareNode.toFixed(2)}×${f.met === undefined ? '' : f.met ? '  met' : '  MISSED'}  (${largest})`,
    );
  }
  const api = functions.filter((f) => f.kind === 'api');
  const summary = {
    apiFunctions: api.length,
    apiMet: api.filter((f) => f.met).length,
    largestApiBundleBytes: Math.max(0, ...api.map((f) => f.bundleBytes)),
    worstApiImportRatio: Math.max(0, ...api.map((f) => f.ratioToBareNode)),
  };
  console.log(
    `  API functions meeting both goals (≤ ${kib(COLD_START_GOALS.apiBundleBytes)}, ≤ ${COLD_START_GOALS.importRatio}× bare node): ${summary.apiMet} of ${summary.apiFunctions}; largest API bundle ${kib(summary.largestApiBundleBytes)}, worst import ratio ${summary.worstApiImportRatio.toFixed(2)}×`,
  );
  return {
    repetitions: REPETITIONS,
    nodeOptions: FUNCTION_NODE_OPTIONS,
    bareNodeMs,
    bareNodeCpuMs,
    functions,
    goals: COLD_START_GOALS,
    summary,
    failures: 0,
  };
}

/**
 * Every Lambda handler entry under functions/ (each stack names its entries; these are all of
 * them). The Fargate node's entry is a container's main program, not a Lambda function: it runs
 * its task when imported.
 */
async function handlerEntries(): Promise<string[]> {
  const files = await readdir(join(projectRoot, 'functions'), { recursive: true });
  return files
    .filter((file) => file.endsWith('/handler.ts'))
    .map((file) => `functions/${file}`)
    .filter((entry) => entry !== FARGATE_ENTRYPOINT)
    .sort();
}

interface Bundle {
  entry: string;
  kind: FunctionColdStart['kind'];
  file: string;
  bundleBytes: number;
  sourceMapBytes: number;
  largest: { module: string; bytes: number }[];
}

async function bundle(entry: string, outDir: string): Promise<Bundle> {
  const name = entry
    .replace(/^functions\//, '')
    .replace(/\/handler\.ts$/, '')
    .replaceAll('/', '-');
  const file = join(outDir, name, 'index.mjs');
  // The options NodejsFunction passes to esbuild for PipeWeaveFunction's bundling props.
  const result = await build({
    entryPoints: [join(projectRoot, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: FUNCTION_BUNDLE_TARGET,
    mainFields: FUNCTION_MAIN_FIELDS,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: FUNCTION_EXTERNAL_MODULES,
    banner: { js: FUNCTION_BUNDLE_BANNER },
    tsconfig: join(projectRoot, 'tsconfig.json'),
    outfile: file,
    metafile: true,
    logLevel: 'error',
  });
  return {
    entry,
    kind: entry.startsWith('functions/api/') ? 'api' : 'lambda',
    file,
    bundleBytes: (await stat(file)).size,
    sourceMapBytes: (await stat(`${file}.map`)).size,
    largest: largestModules(result.metafile),
  };
}

/** Bytes in the bundle per npm package, or per top-level source folder for our own code. */
export function largestModules(metafile: Metafile): { module: string; bytes: number }[] {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const bytes = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const module = pkg ?? relative(projectRoot, join(projectRoot, path)).split('/').slice(0, 2).join('/');
    bytes.set(module, (bytes.get(module) ?? 0) + input.bytesInOutput);
  }
  return [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_MODULES)
    .map(([module, n]) => ({ module, bytes: n }));
}

/**
 * The configuration a deployed function finds in its environment (placeholders of the right shape:
 * nothing is called at import), so a module that checks it at cold start imports as on Lambda.
 */
const DEPLOYED_ENVIRONMENT = {
  PW_RUNTIME: 'aws',
  AWS_REGION: 'us-east-1',
  PW_DB_CLUSTER_ARN: 'arn:aws:rds:us-east-1:000000000000:cluster:pipeweave',
  PW_DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:pipeweave-db',
  PW_BUCKET: 'pipeweave-data',
  PW_JWT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:pipeweave-jwt',
};

/** What the child runs: import the module, then report the CPU time the whole process used. */
const IMPORT_AND_REPORT =
  'await import(process.argv[1]); const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';

/**
 * A fresh node importing `file` and exiting, with the functions' NODE_OPTIONS: its wall time, and
 * the CPU time it used (less sensitive than wall time to others' load on a shared machine).
 */
function importTime(file: string): { wallMs: number; cpuMs: number } {
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', IMPORT_AND_REPORT, pathToFileURL(file).href],
    {
      // Only what a function's module scope may read; no loader of this process (tsx) carried over.
      env: {
        // eslint-disable-next-line no-restricted-properties -- the child's search path, not configuration
        PATH: process.env['PATH'] ?? '',
        NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
        ...DEPLOYED_ENVIRONMENT,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const wallMs = performance.now() - started;
  if (run.status !== 0)
    throw new Error(`importing ${file} failed (exit ${run.status}): ${run.stderr.toString().slice(0, 500)}`);
  return { wallMs, cpuMs: Number(run.stdout.toString()) };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}
