import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeApiKeysHandler } from './api-keys-handler';

export { makeApiKeysHandler };

/** Lambda entry point of the `api-keys` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeApiKeysHandler(getAwsServices);
