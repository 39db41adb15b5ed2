import { Aws, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PipeWeaveFunction } from '../../infra/aws/constructs/pipeweave-function';
import { executionsArn, resourceNames } from '../../infra/aws/naming';
import { QUEUE_MODALITIES } from '../../shared/kernel/modality';
import { objectKeys } from '../../shared/storage/object-keys';
import { permission, rolePermissions } from './iam-permissions';
import { synthPipeWeave, type SynthesizedPipeWeave } from './synth-pipeweave';

interface RuleResource {
  Properties: {
    ScheduleExpression?: string;
    EventPattern?: {
      source: string[];
      'detail-type': string[];
      detail: { stateMachineArn: unknown[]; status: string[] };
    };
    Targets: { Arn: unknown; Input?: string }[];
  };
}

let synth: SynthesizedPipeWeave;
let template: Template;
let stack: Stack;

beforeAll(() => {
  synth = synthPipeWeave();
  template = synth.template('schedules');
  stack = synth.stacks.schedules;
});

const resolve = (value: unknown) => stack.resolve(value);
const arnOf = (fn: PipeWeaveFunction) => ({
  'Fn::GetAtt': [stack.getLogicalId(fn.function.node.defaultChild as CfnFunction), 'Arn'],
});
const rules = () => Object.values(template.findResources('AWS::Events::Rule')) as RuleResource[];
const DAILY = 'cron(17 3 * * ? *)';
// buildPipeWeaveApp's default prefix, as synthPipeWeave builds it.
const names = resourceNames('PipeWeave');

describe('job sweeper', () => {
  it('may describe, stop and list run-pipeline executions, listing on the state machine only', () => {
    const states = rolePermissions(template, stack, synth.stacks.schedules.sweepJobs.role).filter((line) =>
      line.startsWith('states:'),
    );
    expect(states).toEqual(
      [
        permission('states:DescribeExecution', resolve(executionsArn(names.runPipelineStateMachineName))),
        permission('states:ListExecutions', resolve(names.runPipelineStateMachineArn)),
        permission('states:StopExecution', resolve(executionsArn(names.runPipelineStateMachineName))),
      ].sort(),
    );
    // No other function of the stack lists executions.
    for (const fn of [synth.stacks.schedules.refreshDatasets, synth.stacks.schedules.purgeDeleted]) {
      expect(
        rolePermissions(template, stack, fn.role).some((l) => l.startsWith('states:ListExecutions')),
      ).toBe(false);
    }
  });

  it('is invoked by the end of every run-pipeline execution that may need settling', () => {
    const eventRules = rules().filter((r) => r.Properties.EventPattern);
    expect(eventRules).toHaveLength(1);
    const rule = eventRules[0]?.Properties;
    expect(rule?.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        stateMachineArn: [resolve(names.runPipelineStateMachineArn)],
        status: ['ABORTED', 'FAILED', 'TIMED_OUT', 'SUCCEEDED'],
      },
    });
    expect(rule?.Targets).toHaveLength(1);
    expect(rule?.Targets[0]?.Arn).toEqual(arnOf(synth.stacks.schedules.sweepJobs));
    expect(rule?.Targets[0]?.Input).toBeUndefined();
  });
});

describe('fixed schedules keep an idle Aurora paused', () => {
  it('sweeps jobs every 15 minutes only while runs execute, and every unfinished job daily', () => {
    const sweeper = arnOf(synth.stacks.schedules.sweepJobs);
    const sweeps = rules()
      .filter(
        (r) =>
          r.Properties.ScheduleExpression &&
          JSON.stringify(r.Properties.Targets[0]?.Arn) === JSON.stringify(sweeper),
      )
      .map((r) => [r.Properties.ScheduleExpression, JSON.parse(r.Properties.Targets[0]?.Input ?? 'null')])
      .sort();
    expect(sweeps).toEqual([
      [DAILY, { sweep: 'all' }],
      ['rate(15 minutes)', { sweep: 'if-running' }],
    ]);
  });

  it('refreshes datasets, purges and sweeps billing daily, in the same minute as the daily job sweep', () => {
    const scheduleOf = (fn: PipeWeaveFunction) =>
      rules()
        .filter((r) => JSON.stringify(r.Properties.Targets[0]?.Arn) === JSON.stringify(arnOf(fn)))
        .map((r) => r.Properties.ScheduleExpression);
    expect(scheduleOf(synth.stacks.schedules.refreshDatasets)).toEqual([DAILY]);
    expect(scheduleOf(synth.stacks.schedules.purgeDeleted)).toEqual([DAILY]);
    expect(scheduleOf(synth.stacks.schedules.sweepBilling)).toEqual([DAILY]);
    expect(scheduleOf(synth.stacks.schedules.sweepVersions)).toEqual([DAILY]);
  });

  it('has no schedule more frequent than every 15 minutes, and only the job sweep (which asks Step Functions first) that often', () => {
    const sweeper = JSON.stringify(arnOf(synth.stacks.schedules.sweepJobs));
    const monitor = JSON.stringify(arnOf(synth.stacks.schedules.monitorNewVersions));
    for (const rule of rules()) {
      const expression = rule.Properties.ScheduleExpression;
      if (!expression) continue;
      const target = JSON.stringify(rule.Properties.Targets[0]?.Arn);
      const allowed =
        expression === DAILY ||
        (expression === 'rate(15 minutes)' && target === sweeper) ||
        (expression === 'rate(1 hour)' && target === monitor);
      expect(allowed, expression).toBe(true);
    }
  });
});

describe('automatic monitoring sweep', () => {
  it('runs every hour', () => {
    const monitor = JSON.stringify(arnOf(synth.stacks.schedules.monitorNewVersions));
    const schedules = rules()
      .filter((r) => JSON.stringify(r.Properties.Targets[0]?.Arn) === monitor)
      .map((r) => r.Properties.ScheduleExpression);
    expect(schedules).toEqual(['rate(1 hour)']);
  });

  it('may start run-pipeline executions (and stop one it could not record) and use the Data API, nothing else', () => {
    const sweep = synth.stacks.schedules.monitorNewVersions;
    const granted = rolePermissions(template, stack, sweep.role).filter(
      (line) => !/^(logs|xray):/.test(line),
    );
    expect(granted.filter((line) => line.startsWith('states:'))).toEqual(
      [
        permission('states:DescribeExecution', resolve(executionsArn(names.runPipelineStateMachineName))),
        permission('states:StartExecution', resolve(names.runPipelineStateMachineArn)),
        permission('states:StopExecution', resolve(executionsArn(names.runPipelineStateMachineName))),
      ].sort(),
    );
    const services = new Set(granted.map((line) => line.split(':')[0]));
    expect([...services].sort()).toEqual(['rds-data', 'secretsmanager', 'states']);
    const fn = template.findResources('AWS::Lambda::Function')[
      stack.getLogicalId(sweep.function.node.defaultChild as CfnFunction)
    ] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(['PW_STATE_MACHINE_ARNS', 'PW_DB_CLUSTER_ARN']),
    );
  });
});

describe('version sweep', () => {
  it('may send to every modality queue and is told their URLs and the bucket', () => {
    const sweep = synth.stacks.schedules.sweepVersions;
    const sends = rolePermissions(template, stack, sweep.role).filter((l) =>
      l.startsWith('sqs:SendMessage '),
    );
    expect(sends).toHaveLength(QUEUE_MODALITIES.length);
    const fn = template.findResources('AWS::Lambda::Function')[
      stack.getLogicalId(sweep.function.node.defaultChild as CfnFunction)
    ] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(['PW_QUEUE_URLS', 'PW_BUCKET', 'PW_DB_CLUSTER_ARN']),
    );
    const s3 = rolePermissions(template, stack, sweep.role).filter((l) => l.startsWith('s3:GetObject '));
    expect(s3.map((l) => JSON.stringify(l))).toEqual(
      expect.arrayContaining([expect.stringContaining('raw/*'), expect.stringContaining('dropbox/*')]),
    );
  });
});

describe('billing sweep', () => {
  it('reaches the database through the Data API and nothing else (no objects, executions or Stripe secret)', () => {
    const sweep = synth.stacks.schedules.sweepBilling;
    const services = new Set(
      rolePermissions(template, stack, sweep.role)
        .filter((line) => !/^(logs|xray):/.test(line))
        .map((line) => line.split(':')[0]),
    );
    expect([...services].sort()).toEqual(['rds-data', 'secretsmanager']);
    const fn = template.findResources('AWS::Lambda::Function')[
      stack.getLogicalId(sweep.function.node.defaultChild as CfnFunction)
    ] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(['PW_DB_DRIVER', 'PW_DB_CLUSTER_ARN', 'PW_DB_SECRET_ARN', 'PW_DB_NAME']),
    );
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('PW_STRIPE_SECRET_ARN');
  });
});

describe('purge of deleted accounts', () => {
  it('may list and delete every prefix the purge deletes for a user', () => {
    const purge = synth.stacks.schedules.purgeDeleted;
    const granted = rolePermissions(template, stack, purge.role);
    const bucket = `arn:${Aws.PARTITION}:s3:::${names.dataBucketName}`;
    const listStatement = granted.find((line) => line.startsWith('s3:ListBucket '));
    expect(listStatement).toBeDefined();
    const listed = (
      JSON.parse(listStatement?.split(' if ')[1] ?? '{}') as { StringLike?: { 's3:prefix'?: string[] } }
    ).StringLike?.['s3:prefix'];
    const userId = '4f1c6c1e-3f0a-4b8e-9a57-1d2b3c4d5e6f';
    const prefixes = objectKeys.userPrefixes(userId);
    expect(prefixes.map((p) => p.split('/')[0])).toContain('dropbox');
    for (const prefix of prefixes) {
      const top = `${prefix.split('/')[0]}/`;
      // deletePrefix lists `prefix` and deletes what it finds.
      expect(listed, `ListBucket on ${prefix}`).toContain(`${top}*`);
      expect(granted, `DeleteObject on ${prefix}`).toContain(
        permission('s3:DeleteObject', resolve(`${bucket}/${top}*`)),
      );
    }
    expect(listStatement).toBe(
      permission('s3:ListBucket', resolve(bucket), {
        StringLike: { 's3:prefix': prefixes.map((p) => `${p.split('/')[0]}/*`) },
      }),
    );
  });
});

describe('dataset refresh', () => {
  it('neither starts executions nor is told where the state machines are (it runs no pipelines)', () => {
    const refresh = synth.stacks.schedules.refreshDatasets;
    expect(rolePermissions(template, stack, refresh.role).filter((l) => l.startsWith('states:'))).toEqual([]);
    const fn = template.findResources('AWS::Lambda::Function')[
      stack.getLogicalId(refresh.function.node.defaultChild as CfnFunction)
    ] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('PW_STATE_MACHINE_ARNS');
  });

  it('reads s3:// sources under sources/, stages the fetched file, copies a changed one to raw/ and deletes the staged one', () => {
    const refresh = synth.stacks.schedules.refreshDatasets;
    const objects = (prefix: string) =>
      resolve(`arn:${Aws.PARTITION}:s3:::${names.dataBucketName}/${prefix}*`);
    const s3 = rolePermissions(template, stack, refresh.role).filter((line) => line.startsWith('s3:'));
    expect(s3).toEqual(
      [
        permission('s3:GetObject', objects('sources/')),
        permission('s3:GetObject', objects('staging/')),
        permission('s3:PutObject', objects('staging/')),
        permission('s3:AbortMultipartUpload', objects('staging/')),
        permission('s3:PutObject', objects('raw/')),
        permission('s3:AbortMultipartUpload', objects('raw/')),
        permission('s3:DeleteObject', objects('staging/')),
        permission('s3:ListBucket', resolve(`arn:${Aws.PARTITION}:s3:::${names.dataBucketName}`), {
          StringLike: { 's3:prefix': ['sources/*', 'staging/*'] },
        }),
      ].sort(),
    );
  });
});
