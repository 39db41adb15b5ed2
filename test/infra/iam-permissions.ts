import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole, IRole } from 'aws-cdk-lib/aws-iam';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

interface PolicyResource {
  Properties: { PolicyDocument: { Statement: Statement[] }; Roles?: { Ref: string }[] };
}

/** One allowed (action, resource[, condition]) pair, rendered for exact set comparison. */
export function permission(action: string, resource: unknown, condition?: unknown): string {
  return `${action} ${JSON.stringify(resource)}${condition === undefined ? '' : ` if ${JSON.stringify(condition)}`}`;
}

/**
 * Every (action, resource) a role is allowed, from all policies attached to it in the template,
 * one entry per pair so merged and split statements compare the same.
 */
export function rolePermissions(template: Template, stack: Stack, role: IRole): string[] {
  const logicalId = stack.getLogicalId(role.node.defaultChild as CfnRole);
  const policies = template.findResources('AWS::IAM::Policy') as Record<string, PolicyResource>;
  const pairs: string[] = [];
  for (const policy of Object.values(policies)) {
    if (!policy.Properties.Roles?.some((ref) => ref.Ref === logicalId)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      if (statement.Effect !== 'Allow') continue;
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const action of actions) {
        for (const resource of resources) pairs.push(permission(action, resource, statement.Condition));
      }
    }
  }
  return pairs.sort();
}
