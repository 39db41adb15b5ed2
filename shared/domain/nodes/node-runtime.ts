import type { NodeRuntime } from '../../db/schema';
import { LAMBDA_AUTOML_BUDGET_SECONDS } from './library/learning/training-nodes';

/**
 * Where one node of a job runs: its type's runtime, except for work a Lambda cannot finish in its
 * 15 minutes. An AutoML search whose time budget exceeds what a Lambda allows runs on Fargate.
 */
export function runtimeForNode(nodeType: string, typeRuntime: NodeRuntime, params: unknown): NodeRuntime {
  if (nodeType === 'model.automl') {
    const budget =
      typeof params === 'object' && params !== null
        ? (params as { timeBudgetSeconds?: unknown }).timeBudgetSeconds
        : undefined;
    if (typeof budget === 'number' && budget > LAMBDA_AUTOML_BUDGET_SECONDS) return 'fargate';
  }
  return typeRuntime;
}
