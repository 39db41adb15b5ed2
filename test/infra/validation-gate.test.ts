import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthPipeWeave } from './synth-pipeweave';

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

function acknowledgements(root: IConstruct): { path: string; id: string; reason: unknown }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

function openFindings(report: ValidationReport): string[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map(
        (construct) =>
          `${plugin.pluginName} ${violation.severity} ${violation.ruleName} at ${construct.constructPath}`,
      ),
    ),
  );
}

describe('validation gate', () => {
  it('reports an unacknowledged finding (the gate can fail)', () => {
    const synth = synthPipeWeave({ validation: true });
    // A wildcard grant nobody acknowledged: exactly what the gate exists to stop.
    synth.stacks.pipelines.nodeRunner.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
    );
    expect(() => synth.app.synth()).toThrow(/AwsSolutions-IAM5/);
    const report = JSON.parse(
      readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8'),
    ) as ValidationReport;
    expect(openFindings(report)).toContain(
      'AwsSolutions error AwsSolutions-IAM5[Action::s3:*] at PipeWeave-Pipelines/NodeRunner/Role/DefaultPolicy/Resource',
    );
  });

  it('passes cdk-nag AwsSolutions and CDK template validation with every finding fixed or acknowledged with a reason', () => {
    const synth = synthPipeWeave({ validation: true });
    let failure: unknown;
    try {
      synth.app.synth();
    } catch (error) {
      failure = error;
    }
    const reportFile = join(synth.outdir, 'validation-report.json');
    expect(existsSync(reportFile)).toBe(true);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport;
    expect(openFindings(report)).toEqual([]);
    expect(failure).toBeUndefined();

    const acks = acknowledgements(synth.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(
        typeof ack.reason === 'string' && ack.reason.trim().length >= 20,
        `${ack.id} at ${ack.path}`,
      ).toBe(true);
    }
  });
});
