import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildPipeWeaveApp, type PipeWeaveAppOptions } from '../infra/aws/pipeweave-app';

/**
 * The CDK app (`npm run synth`, `npx cdk deploy --all`). Stacks are environment-agnostic: the
 * target account and region come from the deploying credentials. Optional context:
 * `pipeweave:prefix`, `pipeweave:corsOrigins` (comma-separated), `pipeweave:alarmTopicArn`,
 * `pipeweave:databaseMaxCapacity`, `pipeweave:endpointsInEveryAz`.
 */
const app = new App();

function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(`pipeweave:${key}`);
  return value === undefined || value === null ? undefined : String(value);
}

const options: PipeWeaveAppOptions = {};
const prefix = context('prefix');
if (prefix) options.prefix = prefix;
const corsOrigins = context('corsOrigins');
if (corsOrigins)
  options.corsOrigins = corsOrigins
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
const alarmTopicArn = context('alarmTopicArn');
if (alarmTopicArn) options.alarmTopicArn = alarmTopicArn;
const maxCapacity = context('databaseMaxCapacity');
if (maxCapacity) options.databaseMaxCapacity = Number(maxCapacity);
const endpointsInEveryAz = context('endpointsInEveryAz');
if (endpointsInEveryAz) options.endpointsInEveryAz = endpointsInEveryAz === 'true';

buildPipeWeaveApp(app, options);

// The cdk-nag AwsSolutions pack is part of every synth; CDK_VALIDATION=false skips it (and CDK's
// own template validation) for quick iterations.
if (process.env.CDK_VALIDATION !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

app.synth();
