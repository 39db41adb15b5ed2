import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DependencyUnavailableError } from '../../kernel/app-error';
import { errorName } from './aws-errors';

/** Reads a secret's string value (the access-token signing key) from Secrets Manager. */
export async function readSecretString(secretArn: string, region: string): Promise<string> {
  const client = new SecretsManagerClient({ region });
  try {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!result.SecretString) {
      throw new DependencyUnavailableError('secrets', `Secret ${secretArn} has no string value.`);
    }
    return result.SecretString;
  } catch (error) {
    if (error instanceof DependencyUnavailableError) throw error;
    throw new DependencyUnavailableError(
      'secrets',
      `Reading secret ${secretArn} failed: ${errorName(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    client.destroy();
  }
}
