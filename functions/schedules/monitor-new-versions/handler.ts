import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeMonitorNewVersionsHandler } from './monitor-new-versions-handler';

export { makeMonitorNewVersionsHandler };

/** Lambda entry point of the automatic monitoring sweep (CDK `entry`), wired to the AWS adapters. */
export const handler = makeMonitorNewVersionsHandler(getAwsServices);
