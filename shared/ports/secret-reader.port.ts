/** Reads a secret's string value (AWS: Secrets Manager by ARN). */
export interface SecretReader {
  readSecretString(secretId: string, region: string): Promise<string>;
}
