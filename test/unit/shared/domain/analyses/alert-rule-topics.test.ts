import { describe, expect, it } from 'vitest';
import { requireOwnTopics } from '../../../../../shared/domain/analyses/monitoring-use-cases';
import { ValidationError } from '../../../../../shared/kernel/app-error';

const owner = '5f0c2a8e-6b1d-4c3e-9a7f-2d4e6f8a0b1c';
const other = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const sns = (name: string) => ({
  type: 'sns' as const,
  topicArn: `arn:aws:sns:eu-west-1:123456789012:${name}`,
});
const webhook = { type: 'webhook' as const, url: 'https://hooks.example.com/alerts' };

describe('SNS topics an alert rule may publish to', () => {
  it("are the owner's own: pipeweave-alerts-<user id>, with or without a suffix", () => {
    expect(() => requireOwnTopics(owner, [webhook, sns(`pipeweave-alerts-${owner}`)])).not.toThrow();
    expect(() => requireOwnTopics(owner, [sns(`pipeweave-alerts-${owner}-line-3`)])).not.toThrow();
    expect(() => requireOwnTopics(owner, [webhook])).not.toThrow();
  });

  it("refuse another tenant's topic or a shared one, naming the action's field and the name to use", () => {
    for (const name of [`pipeweave-alerts-${other}`, 'pipeweave-alerts-ops', `pipeweave-alerts-${owner}x`]) {
      let refused: unknown;
      try {
        requireOwnTopics(owner, [webhook, sns(name)]);
      } catch (error) {
        refused = error;
      }
      expect(refused, name).toBeInstanceOf(ValidationError);
      expect(refused).toMatchObject({ code: 'ALERT_RULE.TOPIC_NOT_YOURS', field: 'body.actions.1.topicArn' });
      expect((refused as Error).message).toContain(`pipeweave-alerts-${owner}`);
    }
  });
});
