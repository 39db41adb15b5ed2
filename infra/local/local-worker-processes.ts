import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Config } from '../../shared/config/config';
import type { WorkQueue } from '../../shared/kernel/work-queues';
import type { Logger } from '../../shared/observability/logger';
import type { Services } from '../../shared/ports/services';
import {
  FORWARDED_PORT_METHODS,
  deserializeError,
  serializeError,
  type FromWorker,
  type ToWorker,
  type WorkerCredentials,
} from './worker-process-protocol';

/**
 * One child process per local queue that runs its worker (`local-worker-process.ts`), started on
 * the first message and again after it ends. The API's event loop only passes messages: a large
 * CSV, a workbook or an archive is parsed, converted and profiled elsewhere. An invocation still
 * running past its time limit has its process killed, as Lambda kills a function at its timeout.
 */
export class WorkerProcessEnded extends Error {
  override readonly name = 'WorkerProcessEnded';
}

export interface WorkerProcessOptions {
  queue: WorkQueue;
  config: Config;
  s3Credentials: WorkerCredentials;
  /** The platform's own queues, state machines and scheduler, which the worker calls through IPC. */
  ports: Pick<Services, 'queues' | 'orchestrator' | 'scheduler'>;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** How the process starts: by default the worker entry under this node, ready within a minute. */
  launch?: { entry?: string; execPath?: string; readyTimeoutMs?: number };
}

/** Time given to a worker past its invocation's limit before it is killed. */
const KILL_GRACE_MS = 5_000;
const STOP_GRACE_MS = 2_000;
/** A worker still importing its modules after this long is hung: it is killed and the message retried. */
const READY_TIMEOUT_MS = 60_000;
const ENTRY = path.join(import.meta.dirname, 'local-worker-process.ts');
// TypeScript runs in the child through the same loader `npm start` uses.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Pending {
  resolve: (response: SQSBatchResponse) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class LocalWorkerProcess {
  private child: ChildProcess | undefined;
  private starting: Promise<ChildProcess> | undefined;
  /** The process being started, until it is ready or has ended. */
  private startingChild: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;
  private endReason: string | undefined;

  constructor(private readonly options: WorkerProcessOptions) {}

  /** The running worker's process id (none before the first message or after it ended). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async invoke(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    if (this.stopped) throw new WorkerProcessEnded('the local platform is stopping');
    const child = await this.start();
    const id = this.nextId++;
    const remainingMs = context.getRemainingTimeInMillis();
    return new Promise<SQSBatchResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.endReason = `it was still running ${Math.round((remainingMs + KILL_GRACE_MS) / 1000)} s after it started, past its time limit`;
        this.options.logger.error('a local worker ran past its time limit and is killed', {
          queue: this.options.queue,
          pid: child.pid,
        });
        child.kill('SIGKILL');
      }, remainingMs + KILL_GRACE_MS);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      this.post(child, { type: 'invoke', id, event, functionName: context.functionName, remainingMs });
    });
  }

  /** Ends the process; invocations still running are given up (their messages stay queued). */
  async stop(): Promise<void> {
    this.stopped = true;
    // A process still starting is ended too, not waited for: it may never become ready.
    const child = this.child ?? this.startingChild;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    this.endReason = 'the local platform stopped';
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private start(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    if (this.starting) return this.starting;
    const launch = this.options.launch ?? {};
    const readyTimeoutMs = launch.readyTimeoutMs ?? READY_TIMEOUT_MS;
    const starting = new Promise<ChildProcess>((resolve, reject) => {
      const child = fork(launch.entry ?? ENTRY, [], {
        execArgv: ['--import', TSX_LOADER],
        ...(launch.execPath ? { execPath: launch.execPath } : {}),
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.startingChild = child;
      /** Ends the start, once: the process is ready, or it never will be. */
      const settle = (ready: boolean, reason = '') => {
        if (this.startingChild !== child) return;
        this.startingChild = undefined;
        clearTimeout(readyTimer);
        if (this.starting === starting) this.starting = undefined;
        if (ready) {
          this.child = child;
          resolve(child);
        } else
          reject(
            new WorkerProcessEnded(
              `The ${this.options.queue} worker process ended before it was ready: ${reason}.`,
            ),
          );
      };
      const readyTimer = setTimeout(() => {
        const reason = `it was not ready ${Math.round(readyTimeoutMs / 1000)} s after it started`;
        this.options.logger.error('a local worker process did not become ready and is killed', {
          queue: this.options.queue,
          pid: child.pid,
        });
        this.endReason = reason;
        settle(false, reason);
        child.kill('SIGKILL');
      }, readyTimeoutMs);
      readyTimer.unref();
      child.on('message', (message: FromWorker) => {
        if (message.type === 'ready') settle(true);
        else this.onMessage(child, message);
      });
      child.once('exit', (code, signal) => {
        const reason =
          this.endReason ?? (signal ? `it was stopped by ${signal}` : `it exited with code ${String(code)}`);
        this.endReason = undefined;
        if (this.child === child) this.child = undefined;
        settle(false, reason);
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          this.pending.delete(id);
          pending.reject(
            new WorkerProcessEnded(`The ${this.options.queue} worker process ended: ${reason}.`),
          );
        }
        if (!this.stopped)
          this.options.logger.warn('a local worker process ended', { queue: this.options.queue, reason });
      });
      child.on('error', (error) => {
        this.options.logger.error('a local worker process failed', { queue: this.options.queue, error });
        // A process that could not be started (or spoken to) before it was ready will not be.
        settle(false, `it could not be started: ${error.message}`);
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
          child.kill('SIGKILL');
      });
      this.post(child, {
        type: 'init',
        queue: this.options.queue,
        config: this.options.config,
        s3Credentials: this.options.s3Credentials,
      });
    });
    this.starting = starting;
    return starting;
  }

  private onMessage(child: ChildProcess, message: FromWorker): void {
    if (message.type === 'port-call') {
      void this.callPort(message.port, message.method, message.args).then(
        (value) => this.post(child, { type: 'port-result', id: message.id, value }),
        (error: unknown) =>
          this.post(child, { type: 'port-error', id: message.id, error: serializeError(error) }),
      );
      return;
    }
    if (message.type !== 'result' && message.type !== 'failed') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.type === 'result') pending.resolve(message.response);
    else pending.reject(deserializeError(message.error));
  }

  private async callPort(port: keyof typeof FORWARDED_PORT_METHODS, method: string, args: unknown[]) {
    if (!(FORWARDED_PORT_METHODS[port] as readonly string[]).includes(method)) {
      throw new Error(`${port}.${method} is not available to worker processes`);
    }
    const target = this.options.ports[port] as unknown as Record<
      string,
      (...a: unknown[]) => Promise<unknown>
    >;
    const fn = target[method];
    if (!fn) throw new Error(`${port}.${method} is not available to worker processes`);
    return fn.apply(target, args);
  }

  private post(child: ChildProcess, message: ToWorker): void {
    if (child.connected) child.send(message);
  }
}
