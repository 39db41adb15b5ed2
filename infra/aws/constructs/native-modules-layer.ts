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

/**
 * sharp and its libvips build (linux x64, glibc) for image work: its own dependencies
 * (`@img/colour`, `semver`, and `detect-libc`, which the DuckDB packages bring too) come along.
 */
export const SHARP_LAYER_PACKAGES = [
  'sharp',
  '@img/sharp-linux-x64',
  '@img/sharp-libvips-linux-x64',
  '@img/colour',
  'semver',
] as const;

/**
 * The static ffmpeg and ffprobe builds (linux x64) the audio and video work runs: the media
 * adapter finds them through the packages' own folders under /opt/nodejs/node_modules.
 */
export const MEDIA_LAYER_PACKAGES = ['@ffmpeg-installer/linux-x64', '@ffprobe-installer/linux-x64'] as const;

/** The password hashing binding (argon2id) for the API functions that register and sign users in. */
export const ARGON2_LAYER_PACKAGES = ['@node-rs/argon2', '@node-rs/argon2-linux-x64-gnu'] as const;

function installedPackageDir(name: string): string {
  const dir = join(projectRoot, 'node_modules', name);
  if (!existsSync(join(dir, 'package.json'))) {
    throw new Error(`A native-modules layer needs ${name} installed in node_modules (run npm ci).`);
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
function layerFingerprint(packages: readonly string[]): string {
  const hash = createHash('sha256').update('nodejs/node_modules v1\n');
  for (const name of packages) {
    const dir = installedPackageDir(name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string };
    hash.update(`${name}@${manifest.version ?? 'unknown'}\n${listFiles(dir).join('\n')}\n`);
  }
  return hash.digest('hex');
}

export interface NativeModulesLayerProps {
  packages: readonly string[];
  description: string;
}

/**
 * Native Node bindings as a Lambda layer (`/opt/nodejs/node_modules/...`). esbuild cannot bundle
 * a native `.node` binary, so functions keep these packages external and load them from here. The
 * layer is staged by a plain file copy at synth time: offline, no Docker, no npm install (which
 * would fetch the build machine's platform, not Lambda's). The installed bindings are linux x64
 * glibc, which is what Lambda's x86_64 Node.js runtime runs.
 */
export class NativeModulesLayer extends Construct {
  readonly layer: LayerVersion;
  /** The packages a function finds under /opt/nodejs/node_modules when it has this layer. */
  readonly packages: readonly string[];

  constructor(scope: Construct, id: string, props: NativeModulesLayerProps) {
    super(scope, id);
    this.packages = props.packages;
    const sourceDirs = props.packages.map((name) => ({ name, dir: installedPackageDir(name) }));

    this.layer = new LayerVersion(this, 'Layer', {
      description: props.description,
      compatibleRuntimes: [FUNCTION_RUNTIME],
      compatibleArchitectures: [FUNCTION_ARCHITECTURE],
      removalPolicy: RemovalPolicy.DESTROY,
      // The asset source only anchors the hash; the bundling below stages the packages.
      code: Code.fromAsset(installedPackageDir(props.packages[0] ?? ''), {
        assetHashType: AssetHashType.CUSTOM,
        assetHash: layerFingerprint(props.packages),
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

/**
 * DuckDB for the modality workers, the exports worker and the pipeline node runner, with sharp
 * for the image worker and image nodes (loaded only when an image is processed).
 */
export class DuckDbLayer extends NativeModulesLayer {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      packages: [...DUCKDB_LAYER_PACKAGES, ...SHARP_LAYER_PACKAGES],
      description:
        'DuckDB and sharp (libvips) node bindings (linux x64, glibc) for workers and the pipeline node runner',
    });
  }
}

/** ffmpeg and ffprobe for the audio and video workers and the pipeline node runner. */
export class MediaLayer extends NativeModulesLayer {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      packages: MEDIA_LAYER_PACKAGES,
      description: 'ffmpeg and ffprobe static builds (linux x64) for audio and video work',
    });
  }
}

/** sharp (libvips) alone, for the API function that decodes images sent for prediction. */
export class SharpLayer extends NativeModulesLayer {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      packages: SHARP_LAYER_PACKAGES,
      description: 'sharp (libvips) node binding (linux x64, glibc) for image prediction in the API',
    });
  }
}

/** argon2id password hashing for the API functions. */
export class Argon2Layer extends NativeModulesLayer {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      packages: ARGON2_LAYER_PACKAGES,
      description: 'argon2 password hashing binding (linux x64, glibc) for the API functions',
    });
  }
}
