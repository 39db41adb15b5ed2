import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makePipelineControlHandler } from './pipeline-control-handler';

export { makePipelineControlHandler };

/** Lambda entry point of the pipeline control function (CDK `entry`), wired to the AWS adapters. */
export const handler = makePipelineControlHandler(getAwsServices);
