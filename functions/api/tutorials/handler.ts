import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeTutorialsHandler } from './tutorials-handler';

export { makeTutorialsHandler };

/** Lambda entry point of the `tutorials` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeTutorialsHandler(getAwsServices);
