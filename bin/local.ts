/**
 * `npm start`: the whole platform on this machine — no AWS account, no Docker.
 * Data lives under `.pipeweave/` (or PW_DATA_DIR) and survives restarts.
 */
import { startLocalPlatform } from '../infra/local/local-platform';

// On one machine we run the Node 20 the project develops on; Lambda runs nodejs22.x. The SDK's
// notice about its future Node 22 requirement is for deployments, not for this process.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const started = performance.now();
const say = (line: string) => process.stdout.write(`${line}\n`);

say('PipeWeave: starting the local platform…');
let platform: Awaited<ReturnType<typeof startLocalPlatform>>;
try {
  platform = await startLocalPlatform({ onProgress: (step) => say(`  · ${step}`) });
} catch (error) {
  process.stderr.write(
    `\nPipeWeave could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

const { url, runtimeInfo } = platform;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
say('');
say(`PipeWeave is running at ${url}  (ready in ${seconds} s)`);
say('');
say(`  API docs      ${runtimeInfo.docsUrl}`);
say(`  OpenAPI       ${url}/openapi.json`);
say(`  Health        ${url}/health`);
say(`  Database      ${runtimeInfo.databaseUrl}`);
say(`  Local S3      ${runtimeInfo.s3Endpoint}  (bucket ${runtimeInfo.bucket})`);
say('');
say('Try next:');
say(`  curl -s ${url}/health`);
say('  then follow the walk-through in README.md. Press Ctrl-C to stop.');

let stoppingSince: number | undefined;
const shutdown = async (signal: string) => {
  if (stoppingSince !== undefined) {
    // A terminal's Ctrl-C reaches both npm's child and us; only a later, deliberate one forces.
    if (performance.now() - stoppingSince < 1_500) return;
    say(`\n${signal} again: exiting now.`);
    process.exit(130);
  }
  stoppingSince = performance.now();
  say(`\n${signal}: stopping PipeWeave (data is kept in ${platform.config.local.dataDir})…`);
  await platform.stop();
  say('Stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
