import type { Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PipeWeaveFunction } from '../../infra/aws/constructs/pipeweave-function';
import { QUEUE_MODALITIES } from '../../shared/kernel/modality';
import { DEFAULT_TIER_LIMITS, TIERS } from '../../shared/domain/datasets/tier-limits';
import { synthPipeWeave, type SynthesizedPipeWeave } from './synth-pipeweave';

interface FunctionResource {
  Properties: {
    Runtime?: string;
    Architectures?: string[];
    Layers?: unknown[];
    TracingConfig?: { Mode: string };
    LoggingConfig?: { LogGroup: unknown };
    Environment?: { Variables: Record<string, unknown> };
    EphemeralStorage?: { Size: number };
  };
}

let synth: SynthesizedPipeWeave;

beforeAll(() => {
  synth = synthPipeWeave();
});

/** Every function PipeWeave builds (the CDK's own custom resource helpers excluded). */
function productFunctions(): { name: string; stack: Stack; fn: PipeWeaveFunction }[] {
  const { data, ingestion, pipelines, schedules, api } = synth.stacks;
  return [
    { name: 'migrations', stack: data, fn: data.migrations.handler },
    { name: 'dispatcher', stack: ingestion, fn: ingestion.dispatcher },
    ...QUEUE_MODALITIES.map((m) => ({
      name: `${m} worker`,
      stack: ingestion as Stack,
      fn: ingestion.modalities[m].worker,
    })),
    { name: 'node runner', stack: pipelines, fn: pipelines.nodeRunner },
    { name: 'pipeline control', stack: pipelines, fn: pipelines.pipelineControl },
    { name: 'sweep jobs', stack: schedules, fn: schedules.sweepJobs },
    { name: 'refresh datasets', stack: schedules, fn: schedules.refreshDatasets },
    { name: 'purge deleted', stack: schedules, fn: schedules.purgeDeleted },
    { name: 'sweep billing', stack: schedules, fn: schedules.sweepBilling },
    { name: 'sweep versions', stack: schedules, fn: schedules.sweepVersions },
    ...Object.entries(api.groupFunctions).map(([group, fn]) => ({
      name: `api ${group}`,
      stack: api as Stack,
      fn,
    })),
  ];
}

function resourceOf(stack: Stack, fn: PipeWeaveFunction): FunctionResource {
  const id = stack.getLogicalId(fn.function.node.defaultChild as CfnFunction);
  const stackName = (Object.keys(synth.stacks) as (keyof typeof synth.stacks)[]).find(
    (k) => synth.stacks[k] === stack,
  );
  if (!stackName) throw new Error(`unknown stack ${stack.stackName}`);
  const resource = synth.template(stackName).findResources('AWS::Lambda::Function')[id];
  if (!resource) throw new Error(`no function ${id} in ${stack.stackName}`);
  return resource as FunctionResource;
}

describe('Lambda functions', () => {
  it('run Node.js 22 on x86_64 with active tracing and their own log group', () => {
    const functions = productFunctions();
    expect(functions.length).toBeGreaterThanOrEqual(15);
    for (const { name, stack, fn } of functions) {
      const props = resourceOf(stack, fn).Properties;
      expect(props.Runtime, name).toBe('nodejs22.x');
      expect(props.Architectures, name).toEqual(['x86_64']);
      expect(props.TracingConfig, name).toEqual({ Mode: 'Active' });
      expect(props.LoggingConfig?.LogGroup, name).toEqual(stack.resolve(fn.logGroup.logGroupName));
    }
  });

  it('get the DuckDB layer only where DuckDB runs: the modality workers and the node runner', () => {
    const withLayer = productFunctions()
      .filter(({ stack, fn }) =>
        JSON.stringify(resourceOf(stack, fn).Properties.Layers ?? []).includes('DuckDb'),
      )
      .map(({ name }) => name)
      .sort();
    expect(withLayer).toEqual([...QUEUE_MODALITIES.map((m) => `${m} worker`), 'node runner'].sort());
  });

  it('give every API function the argon2 layer its password hashing loads', () => {
    const { api } = synth.stacks;
    const apiFunctions = productFunctions().filter(({ stack }) => stack === api);
    expect(apiFunctions.length).toBeGreaterThan(0);
    for (const { name, stack, fn } of apiFunctions) {
      expect(JSON.stringify(resourceOf(stack, fn).Properties.Layers ?? []), name).toContain('Argon2');
    }
  });

  it('give /tmp room for the largest upload three times over where one large file is worked on', () => {
    const largestFile = Math.max(...TIERS.map((tier) => DEFAULT_TIER_LIMITS[tier].maxFileBytes));
    const workerMiB = Math.min(10_240, Math.ceil((3 * largestFile) / (1024 * 1024)));
    const expected: Record<string, number> = {
      'node runner': 10_240,
      'tabular worker': workerMiB,
      'image worker': workerMiB,
      'timeseries worker': workerMiB,
      'audio worker': workerMiB,
      'video worker': workerMiB,
      'seismic worker': workerMiB,
    };
    for (const { name, stack, fn } of productFunctions()) {
      const size = resourceOf(stack, fn).Properties.EphemeralStorage?.Size ?? 512;
      expect(size, name).toBe(expected[name] ?? 512);
    }
  });

  it('ship a DuckDB layer for nodejs22.x on x86_64', () => {
    for (const stack of ['ingestion', 'pipelines'] as const) {
      synth.template(stack).hasResourceProperties('AWS::Lambda::LayerVersion', {
        CompatibleRuntimes: ['nodejs22.x'],
        CompatibleArchitectures: ['x86_64'],
      });
    }
  });

  it('receive only the configuration variables they read', () => {
    const env = (stack: Stack, fn: PipeWeaveFunction) =>
      Object.keys(resourceOf(stack, fn).Properties.Environment?.Variables ?? {})
        .filter((k) => k.startsWith('PW_'))
        .sort();
    const { pipelines, ingestion } = synth.stacks;
    expect(env(pipelines, pipelines.pipelineControl)).toEqual(
      ['PW_DB_CLUSTER_ARN', 'PW_DB_DRIVER', 'PW_DB_NAME', 'PW_DB_SECRET_ARN', 'PW_RUNTIME'].sort(),
    );
    expect(env(ingestion, ingestion.modalities.tabular.worker)).toEqual(
      [
        'PW_BUCKET',
        'PW_DB_CLUSTER_ARN',
        'PW_DB_DRIVER',
        'PW_DB_NAME',
        'PW_DB_SECRET_ARN',
        'PW_RUNTIME',
      ].sort(),
    );
    expect(env(ingestion, ingestion.dispatcher)).toContain('PW_QUEUE_URLS');
  });
});
