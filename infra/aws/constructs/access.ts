import { Aws, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IGrantable, IRole } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { nagObjectsArn, objectsArn } from '../naming';

/** What a principal needs to query Aurora through the RDS Data API. */
export interface DataApiTarget {
  clusterArn: string;
  secretArn: string;
}

export const DATA_API_ACTIONS = [
  'rds-data:BatchExecuteStatement',
  'rds-data:BeginTransaction',
  'rds-data:CommitTransaction',
  'rds-data:ExecuteStatement',
  'rds-data:RollbackTransaction',
];

/** Data API calls on the one cluster, and reading the one credentials secret the Data API uses. */
export function grantDataApi(grantee: IGrantable, target: DataApiTarget): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: DATA_API_ACTIONS, resources: [target.clusterArn] }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      resources: [target.secretArn],
    }),
  );
}

export interface ObjectAccess {
  /** Key prefixes (`jobs/`) whose objects may be read. */
  read?: string[];
  /** Key prefixes whose objects may be written (PutObject, multipart). */
  write?: string[];
  /** Key prefixes whose objects may be deleted. */
  delete?: string[];
}

/**
 * Object access on named key prefixes of the data bucket, nothing bucket-wide. Each prefix is a
 * wildcard by nature (object keys are generated), so each is acknowledged for cdk-nag on the role
 * that receives it, with the prefix in the reason.
 */
export function grantObjects(
  role: IRole & IConstruct,
  names: { prefix: string; dataBucketName: string },
  access: ObjectAccess,
  why: string,
): void {
  const statements: { actions: string[]; prefixes: string[] }[] = [
    { actions: ['s3:GetObject'], prefixes: access.read ?? [] },
    { actions: ['s3:AbortMultipartUpload', 's3:PutObject'], prefixes: access.write ?? [] },
    { actions: ['s3:DeleteObject'], prefixes: access.delete ?? [] },
  ];
  const acknowledged = new Set<string>();
  for (const { actions, prefixes } of statements) {
    if (prefixes.length === 0) continue;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions,
        resources: prefixes.map((keyPrefix) => objectsArn(names.dataBucketName, keyPrefix)),
      }),
    );
    for (const keyPrefix of prefixes) {
      const id = `AwsSolutions-IAM5[Resource::${nagObjectsArn(names.prefix, keyPrefix)}]`;
      if (acknowledged.has(id)) continue;
      acknowledged.add(id);
      Validations.of(role).acknowledge({
        id,
        reason: `Object keys under ${keyPrefix} are generated per user and run; access is limited to that prefix (${why}).`,
      });
    }
  }
  const listPrefixes = [...new Set([...(access.read ?? []), ...(access.delete ?? [])])];
  if (listPrefixes.length > 0) {
    // Without ListBucket a missing key answers 403 instead of 404; scoped to the same prefixes.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [`arn:${Aws.PARTITION}:s3:::${names.dataBucketName}`],
        conditions: { StringLike: { 's3:prefix': listPrefixes.map((p) => `${p}*`) } },
      }),
    );
  }
}
