import { App, Validations } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPipeWeaveApp, type PipeWeaveStacks } from '../../infra/aws/pipeweave-app';
import { projectRoot } from '../../infra/aws/project-paths';

/** The feature flags and settings the CLI passes from cdk.json, so tests synthesize the same app. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface SynthesizedPipeWeave {
  app: App;
  stacks: PipeWeaveStacks;
  outdir: string;
  template(stack: keyof PipeWeaveStacks): Template;
}

/**
 * Builds the app as bin/app.ts does, with bundling skipped (NodejsFunction still checks that each
 * entry exists) and, unless asked, without validation plugins: about two seconds instead of ten.
 */
export function synthPipeWeave(options: { validation?: boolean } = {}): SynthesizedPipeWeave {
  const outdir = mkdtempSync(join(tmpdir(), 'pipeweave-cdk-'));
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.validation ?? false,
  });
  const stacks = buildPipeWeaveApp(app);
  if (options.validation) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const templates = new Map<Stack, Template>();
  return {
    app,
    stacks,
    outdir,
    template(name) {
      const stack = stacks[name];
      let template = templates.get(stack);
      if (!template) {
        template = Template.fromStack(stack);
        templates.set(stack, template);
      }
      return template;
    },
  };
}
