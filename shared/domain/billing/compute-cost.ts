import type { NodeRuntime } from '../../db/schema';

/**
 * What compute costs in credits. A node is priced as AWS bills the resources it ran on, at AWS
 * list price (us-east-1, x86_64), times the platform's markup:
 *
 * - Lambda: memory (GB) × billed seconds (rounded up to the millisecond, at least one);
 * - Fargate: vCPU-seconds and GB-seconds, billed per second with a 60-second minimum.
 *
 * One credit is worth `USD_PER_CREDIT` (the starter package's price per credit): it buys
 * `USD_PER_CREDIT / MARKUP` dollars of list-priced compute, about 8 seconds of a node on Lambda.
 * A run costs the sum over its nodes, rounded up to whole credits once.
 */

/** AWS list prices (us-east-1, x86_64, on demand). */
export const PRICE_LIST = {
  lambdaUsdPerGbSecond: 0.0000166667,
  fargateUsdPerVcpuHour: 0.04048,
  fargateUsdPerGbHour: 0.004445,
  fargateMinimumSeconds: 60,
} as const;

/** The platform's price over AWS list price. */
export const MARKUP = 2.5;
/** What one credit costs a buyer, in US dollars (the starter package: 10,000 credits for $10). */
export const USD_PER_CREDIT = 0.001;

/**
 * The resources a node gets on each runtime. The deployment (infra/aws/stacks/pipelines-stack.ts)
 * sizes the node runner and the Fargate task from these, so what a node is billed for is what it
 * ran on.
 */
export const NODE_COMPUTE = {
  lambda: { memoryMb: 3008 },
  fargate: { vcpu: 2, memoryMb: 8192 },
} as const;

/** One node's bill. */
export interface NodeCharge {
  runtime: NodeRuntime;
  /** Lambda memory, or the Fargate task's memory. */
  memoryMb: number;
  /** Fargate vCPUs; null on Lambda (memory buys CPU there). */
  vcpu: number | null;
  /** Seconds billed: the run time rounded up as the runtime bills it. */
  billedSeconds: number;
  /** Credits, unrounded (a run rounds its total once). */
  credits: number;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The bill for running `seconds` on `runtime` (a negative or unknown duration bills the minimum). */
export function chargeForSeconds(runtime: NodeRuntime, seconds: number): NodeCharge {
  const ran = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  if (runtime === 'fargate') {
    const { vcpu, memoryMb } = NODE_COMPUTE.fargate;
    const billedSeconds = Math.max(PRICE_LIST.fargateMinimumSeconds, Math.ceil(ran));
    const usd =
      billedSeconds *
      ((vcpu * PRICE_LIST.fargateUsdPerVcpuHour) / 3600 +
        ((memoryMb / 1024) * PRICE_LIST.fargateUsdPerGbHour) / 3600);
    return { runtime, memoryMb, vcpu, billedSeconds, credits: round(toCredits(usd), 6) };
  }
  const { memoryMb } = NODE_COMPUTE.lambda;
  // Lambda bills every started millisecond, at least one.
  const billedSeconds = Math.max(1, Math.ceil(round(ran * 1000, 6))) / 1000;
  const usd = (memoryMb / 1024) * billedSeconds * PRICE_LIST.lambdaUsdPerGbSecond;
  return { runtime, memoryMb, vcpu: null, billedSeconds, credits: round(toCredits(usd), 6) };
}

function toCredits(listUsd: number): number {
  return (listUsd * MARKUP) / USD_PER_CREDIT;
}

/**
 * Whole credits for a set of node bills: the sum rounded up once (float noise such as
 * 1.0000000001 does not cost an extra credit). Nothing ran: 0.
 */
export function totalCredits(charges: readonly Pick<NodeCharge, 'credits'>[]): number {
  const sum = charges.reduce((acc, charge) => acc + charge.credits, 0);
  return Math.ceil(round(sum, 6));
}

/** How long one node is expected to run: a fixed part, a part per million rows, and a budget it runs to. */
export interface ExpectedDuration {
  baseSeconds: number;
  secondsPerMillionRows: number;
}

export function expectedSeconds(
  duration: ExpectedDuration,
  inputRows: number,
  budgetSeconds: number | undefined,
): number {
  const rows = Number.isFinite(inputRows) && inputRows > 0 ? inputRows : 0;
  return duration.baseSeconds + (rows / 1_000_000) * duration.secondsPerMillionRows + (budgetSeconds ?? 0);
}
