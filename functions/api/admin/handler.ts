import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeAdminHandler } from './admin-handler';

export { makeAdminHandler };

/** Lambda entry point of the `admin` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeAdminHandler(getAwsServices);
