import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeAuditLogsHandler } from './audit-logs-handler';

export { makeAuditLogsHandler };

/** Lambda entry point of the `audit-logs` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeAuditLogsHandler(getAwsServices);
