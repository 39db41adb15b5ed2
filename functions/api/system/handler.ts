import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { apiRoutes } from '../routes';
import { makeSystemHandler } from './system-handler';

/** Lambda entry point of the `system` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeSystemHandler(apiRoutes.filter((route) => route.group === 'system'))(
  getAwsServices,
);
