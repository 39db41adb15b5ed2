import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { Size } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { FunctionEnvironment } from '../function-environment';
import { projectRoot, requireProjectFile } from '../project-paths';

export interface PipeWeaveFunctionProps {
  /** Handler entry, relative to the repository root (`functions/ingest/object-created/handler.ts`). */
  entry: string;
  description: string;
  /** Configuration variables from `shared/config/config.ts`; only the ones this function reads. */
  environment?: FunctionEnvironment;
  /** @default 512 */
  memorySize?: number;
  /** @default 30 seconds */
  timeout?: Duration;
  /** Room in /tmp (512 MiB to 10 GiB). @default 512 MiB */
  ephemeralStorageSize?: Size;
  /** Layers such as the DuckDB bindings; only functions that load them get them. */
  layers?: ILayerVersion[];
  /** @default one month */
  logRetention?: RetentionDays;
  /**
   * Files the code reads from disk at run time, copied next to the bundle: `from` is a
   * repository-relative directory, `to` a directory inside the bundle, `extension` filters files.
   */
  bundleFiles?: { from: string; to: string; extension: string }[];
}

/** The x86_64 build: the DuckDB 1.5.6 bindings used by workers and the node runner have no arm64 binary. */
export const FUNCTION_ARCHITECTURE = Architecture.X86_64;
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;

/**
 * Left out of every bundle: the runtime ships SDK v3, and the native bindings (DuckDB, argon2, sharp)
 * cannot be bundled, so they come from a layer, which each function that reaches them must get.
 */
export const FUNCTION_EXTERNAL_MODULES = ['@aws-sdk/*', '@duckdb/*', '@node-rs/*', 'sharp', '@img/*'];
/** How the bundles resolve packages: ESM builds first. */
export const FUNCTION_MAIN_FIELDS = ['module', 'main'];
export const FUNCTION_BUNDLE_TARGET = 'node22';
/** Bundled CommonJS dependencies call require(); ESM output has none without this shim. */
export const FUNCTION_BUNDLE_BANNER =
  "import { createRequire as __pwCreateRequire } from 'node:module'; const require = __pwCreateRequire(import.meta.url);";
/** What every function runs with (the benchmark of cold starts imports bundles the same way). */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

/**
 * The one way PipeWeave builds a Lambda function: Node.js 22 on x86_64, an ESM bundle made by
 * the local esbuild (never Docker), the AWS SDK and DuckDB left to the runtime and the layer, its
 * own log group with retention, X-Ray tracing, and a role that starts with nothing but the right
 * to write to that log group. Every other permission is granted explicitly by the stack.
 */
export class PipeWeaveFunction extends Construct {
  /** The handler entry, relative to the repository root. */
  readonly entry: string;
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PipeWeaveFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    const entry = requireProjectFile(props.entry, `handler of ${this.node.path}`);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // A role of our own instead of AWSLambdaBasicExecutionRole: that managed policy lets the
    // function write to any log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: FUNCTION_ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.ephemeralStorageSize ? { ephemeralStorageSize: props.ephemeralStorageSize } : {}),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      layers: props.layers ?? [],
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      awsSdkConnectionReuse: false,
      environment: {
        ...props.environment,
        PW_RUNTIME: 'aws',
        POWERTOOLS_SERVICE_NAME: 'pipeweave',
        POWERTOOLS_METRICS_NAMESPACE: 'PipeWeave',
        NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: FUNCTION_BUNDLE_TARGET,
        mainFields: FUNCTION_MAIN_FIELDS,
        banner: FUNCTION_BUNDLE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        externalModules: FUNCTION_EXTERNAL_MODULES,
        forceDockerBundling: false,
        tsconfig: join(projectRoot, 'tsconfig.json'),
        ...(props.bundleFiles?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  (props.bundleFiles ?? []).map(
                    ({ from, to, extension }) =>
                      `mkdir -p "${outputDir}/${to}" && cp "${inputDir}/${from}"/*${extension} "${outputDir}/${to}/"`,
                  ),
              },
            }
          : {}),
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is chosen on purpose: bundles target node22 and the DuckDB layer is built for it; moving to a newer runtime is a tested change, not an automatic one.',
    });
    // X-Ray's write APIs have no resource-level permissions; Tracing.ACTIVE adds them on "*".
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only xray:PutTraceSegments and xray:PutTelemetryRecords use "*": X-Ray supports no resource-level permissions.',
    });
  }
}
