import { Stack } from 'aws-cdk-lib';
import type { CfnFunction, CfnLayerVersion } from 'aws-cdk-lib/aws-lambda';
import { build, type Metafile } from 'esbuild';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NativeModulesLayer } from '../../infra/aws/constructs/native-modules-layer';
import {
  FUNCTION_BUNDLE_TARGET,
  FUNCTION_EXTERNAL_MODULES,
  FUNCTION_MAIN_FIELDS,
  PipeWeaveFunction,
} from '../../infra/aws/constructs/pipeweave-function';
import type { PipeWeaveStacks } from '../../infra/aws/pipeweave-app';
import { projectRoot } from '../../infra/aws/project-paths';
import { synthPipeWeave, type SynthesizedPipeWeave } from './synth-pipeweave';

/** Externals that are native bindings: present at run time only when a layer of the function carries them. */
const NATIVE_EXTERNAL = /^(@(duckdb|node-rs|img)\/|sharp$)/;

interface BundledFunction {
  path: string;
  fn: PipeWeaveFunction;
  metafile: Metafile;
}

let synth: SynthesizedPipeWeave;
let bundles: BundledFunction[];

/** The bundle esbuild makes of a function entry, as PipeWeaveFunction asks NodejsFunction for it, kept in memory. */
async function bundle(entry: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [join(projectRoot, entry)],
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: FUNCTION_BUNDLE_TARGET,
    mainFields: FUNCTION_MAIN_FIELDS,
    external: FUNCTION_EXTERNAL_MODULES,
    tsconfig: join(projectRoot, 'tsconfig.json'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile;
}

/** `@duckdb/node-api/lib/x` → `@duckdb/node-api`. */
function packageOf(specifier: string): string {
  return specifier.split('/').slice(0, 2).join('/');
}

function stackKey(stack: Stack): keyof PipeWeaveStacks {
  const key = (Object.keys(synth.stacks) as (keyof PipeWeaveStacks)[]).find((k) => synth.stacks[k] === stack);
  if (!key) throw new Error(`unknown stack ${stack.stackName}`);
  return key;
}

/** The packages the layers attached to the function in its synthesized template provide. */
function packagesFromLayers(fn: PipeWeaveFunction): Set<string> {
  const stack = Stack.of(fn);
  const logicalId = stack.getLogicalId(fn.function.node.defaultChild as CfnFunction);
  const resource = synth.template(stackKey(stack)).findResources('AWS::Lambda::Function')[logicalId] as
    { Properties: { Layers?: unknown[] } } | undefined;
  if (!resource) throw new Error(`no function ${logicalId} in ${stack.stackName}`);
  const attached = new Set((resource.Properties.Layers ?? []).map((ref) => JSON.stringify(ref)));
  const provided = new Set<string>();
  for (const layer of synth.app.node.findAll().filter((c) => c instanceof NativeModulesLayer)) {
    if (Stack.of(layer) !== stack) continue;
    const ref = { Ref: stack.getLogicalId(layer.layer.node.defaultChild as CfnLayerVersion) };
    if (attached.has(JSON.stringify(ref))) for (const name of layer.packages) provided.add(name);
  }
  return provided;
}

/** Every native external the bundle reaches, with the first source file that imports it. */
function nativeExternals(metafile: Metafile): Map<string, string> {
  const reached = new Map<string, string>();
  for (const [file, input] of Object.entries(metafile.inputs)) {
    for (const imported of input.imports) {
      if (!imported.external || !NATIVE_EXTERNAL.test(imported.path)) continue;
      const name = packageOf(imported.path);
      if (!reached.has(name)) reached.set(name, file);
    }
  }
  return reached;
}

beforeAll(async () => {
  synth = synthPipeWeave();
  const functions = synth.app.node.findAll().filter((c) => c instanceof PipeWeaveFunction);
  bundles = await Promise.all(
    functions.map(async (fn) => ({ path: fn.node.path, fn, metafile: await bundle(fn.entry) })),
  );
});

describe('function bundles', () => {
  it('cover every PipeWeave function', () => {
    expect(bundles.length).toBeGreaterThanOrEqual(20);
    expect(bundles.map((b) => b.fn.entry)).toContain('functions/schedules/purge-deleted/handler.ts');
  });

  it('reach a native binding only where a layer attached to the function provides it', () => {
    const missing: string[] = [];
    for (const { path, fn, metafile } of bundles) {
      const provided = packagesFromLayers(fn);
      for (const [name, importer] of nativeExternals(metafile)) {
        if (!provided.has(name))
          missing.push(`${path} (${fn.entry}) loads ${name} through ${importer}, and no layer of it has it`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('evaluate pg only through a dynamic import of the PostgreSQL adapter (Lambda uses the Data API)', () => {
    const adapter = 'shared/adapters/postgres/pg-database.ts';
    const problems: string[] = [];
    for (const { path, metafile } of bundles) {
      for (const [file, input] of Object.entries(metafile.inputs)) {
        for (const imported of input.imports) {
          if (imported.path === adapter && imported.kind !== 'dynamic-import')
            problems.push(`${path}: ${file} imports ${adapter} statically`);
          const pgModule = /^node_modules\/pg\//.test(imported.path);
          if (pgModule && !file.startsWith('node_modules/') && file !== adapter)
            problems.push(`${path}: ${file} imports ${imported.path}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('sees the bindings the workers and the sign-in functions load', () => {
    const reached = (entry: string) => {
      const found = bundles.find((b) => b.fn.entry === entry);
      if (!found) throw new Error(`no function for ${entry}`);
      return [...nativeExternals(found.metafile).keys()];
    };
    expect(reached('functions/workers/tabular/handler.ts')).toContain('@duckdb/node-api');
    expect(reached('functions/api/auth/handler.ts')).toContain('@node-rs/argon2');
    expect(reached('functions/schedules/purge-deleted/handler.ts')).toEqual([]);
  });
});
