import { AssetHashType, DockerImage, RemovalPolicy } from 'aws-cdk-lib';
import { Code, LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../project-paths';
import { FUNCTION_ARCHITECTURE, FUNCTION_RUNTIME } from './pipeweave-function';

/**
 * The packages the layer carries, copied from the installed node_modules. `detect-libc` is what
 * @duckdb/node-bindings asks to tell glibc from musl before it loads the native binding.
 */
export const DUCKDB_LAYER_PACKAGES = [
  '@duckdb/node-api',
  '@duckdb/node-bindings',
  '@duckdb/node-bindings-linux-x64',
  'detect-libc',
] as const;

function installedPackageDir(name: string): string {
  const dir = join(projectRoot, 'node_modules', name);
  if (!existsSync(join(dir, 'package.json'))) {
    throw new Error(`The DuckDB layer needs ${name} installed in node_modules (run npm ci).`);
  }
  return dir;
}

function listFiles(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return listFiles(path, root);
      return [`${relative(root, path)}:${statSync(path).size}`];
    });
}

/**
 * The identity of the layer: package names, versions and the file listing with sizes. Cheap to
 * compute (no 70 MB read on every synth) and the same on every machine, unlike mtimes.
 */
function layerFingerprint(): string {
  const hash = createHash('sha256').update('nodejs/node_modules v1\n');
  for (const name of DUCKDB_LAYER_PACKAGES) {
    const dir = installedPackageDir(name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string };
    hash.update(`${name}@${manifest.version ?? 'unknown'}\n${listFiles(dir).join('\n')}\n`);
  }
  return hash.digest('hex');
}

/**
 * DuckDB's Node bindings as a Lambda layer (`/opt/nodejs/node_modules/...`). esbuild cannot bundle
 * the native `.node` binary, so functions keep `@duckdb/*` external and load it from here. The
 * layer is staged by a plain file copy at synth time: offline, no Docker, no npm install (which
 * would fetch the build machine's platform, not Lambda's).
 */
export class DuckDbLayer extends Construct {
  readonly layer: LayerVersion;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const sourceDirs = DUCKDB_LAYER_PACKAGES.map((name) => ({ name, dir: installedPackageDir(name) }));

    this.layer = new LayerVersion(this, 'Layer', {
      description: 'DuckDB node bindings (linux x64, glibc) for workers and the pipeline node runner',
      compatibleRuntimes: [FUNCTION_RUNTIME],
      compatibleArchitectures: [FUNCTION_ARCHITECTURE],
      removalPolicy: RemovalPolicy.DESTROY,
      code: Code.fromAsset(join(projectRoot, 'node_modules', '@duckdb'), {
        assetHashType: AssetHashType.CUSTOM,
        assetHash: layerFingerprint(),
        bundling: {
          // Never used: the local copy below always succeeds or throws.
          image: DockerImage.fromRegistry('unused-local-bundling-only'),
          local: {
            tryBundle(outputDir: string): boolean {
              for (const { name, dir } of sourceDirs) {
                const target = join(outputDir, 'nodejs', 'node_modules', name);
                mkdirSync(target, { recursive: true });
                cpSync(dir, target, { recursive: true, dereference: true });
              }
              return true;
            },
          },
        },
      }),
    });
  }
}
