import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeModelsHandler } from './models-handler';

export { makeModelsHandler };

/**
 * Lambda entry point of the `models` function (CDK `entry`), wired to the AWS adapters; sharp (from
 * the function's layer) is loaded when a prediction row carries an image.
 */
export const handler = makeModelsHandler(async () => ({
  ...(await getAwsServices()),
  loadImageCodec: async () =>
    (await import('../../../shared/adapters/image/sharp-image-codec')).sharpImageCodec,
}));
