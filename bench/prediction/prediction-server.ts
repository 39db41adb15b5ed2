import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * The servers the online prediction benchmark sends requests to, each in a process of its own
 * (serve-prediction.ts), so the load generator in the benchmark's process never shares an event
 * loop with them:
 * - `platform`: the local platform `npm start` runs, with the model registered to a user who
 *   signed up over the API; requests go to `POST /models/{id}/predict` with their bearer token;
 * - `bare`: a plain `node:http` server predicting the same rows in process with the same artifact's
 *   predictor (no authentication, database or middleware): the floor the platform's overhead is
 *   measured against.
 */
export type ServeRequest =
  { server: 'platform'; artifactPath: string; directory: string } | { server: 'bare'; artifactPath: string };

/** Where to send prediction requests, and with which headers. */
export interface PredictTarget {
  url: string;
  headers: Record<string, string>;
}

export type ServeMessage = { kind: 'ready'; target: PredictTarget };

export interface RunningPredictionServer {
  target: PredictTarget;
  /** Asks the server to stop and waits for its process to end (killed after 30 s). */
  stop(): Promise<void>;
}

const CHILD_ENTRY = fileURLToPath(new URL('./serve-prediction.ts', import.meta.url));
const STOP_GRACE_MS = 30_000;

/** Starts a server process; resolves once it answers requests. `onChild` lets Ctrl-C reach it. */
export function startPredictionServer(
  request: ServeRequest,
  onChild: (child: ChildProcess | undefined) => void,
): Promise<RunningPredictionServer> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_ENTRY, [JSON.stringify(request)], {
      // The local S3 server needs the legacy OpenSSL provider, as under `npm start`.
      execArgv: [...process.execArgv, '--openssl-legacy-provider'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    onChild(child);
    const exited = once(child, 'exit');
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      onChild(undefined);
      reject(
        new Error(
          `the ${request.server} prediction server ended with ${signal ? `signal ${signal}` : `exit code ${code}`} before it was ready`,
        ),
      );
    });
    child.on('message', (message: ServeMessage) => {
      if (message.kind !== 'ready') return;
      resolve({
        target: message.target,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          if (child.connected) child.send('stop');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}
