import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeExportsHandler } from './exports-handler';

export { makeExportsHandler };

/** Lambda entry point of the `exports` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeExportsHandler(getAwsServices);
