import { describe, expect, it } from 'vitest';
import { alertActionsSchema } from '../../../../../shared/domain/monitoring/alert-rule-definition';

describe('alert rule actions', () => {
  it.each([
    ['a webhook', { type: 'webhook', url: 'https://hooks.example.com/alerts' }],
    [
      'a topic of the alert names',
      { type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:123456789012:pipeweave-alerts-line-3' },
    ],
    [
      'a topic in another partition',
      { type: 'sns', topicArn: 'arn:aws-cn:sns:cn-north-1:123456789012:pipeweave-alerts-ops' },
    ],
  ])('accepts %s', (_what, action) => {
    expect(alertActionsSchema.parse([action])).toEqual([action]);
  });

  it.each([
    ['a plain http webhook', { type: 'webhook', url: 'http://hooks.example.com/alerts' }, /https/],
    [
      'a topic outside the alert names',
      { type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:123456789012:billing' },
      /pipeweave-alerts-/,
    ],
    [
      'a queue ARN given as a topic',
      { type: 'sns', topicArn: 'arn:aws:sqs:eu-west-1:123456789012:pipeweave-alerts-x' },
      /SNS topic ARN/,
    ],
    [
      'a FIFO topic',
      { type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:123456789012:pipeweave-alerts-x.fifo' },
      /standard SNS topic/,
    ],
    ['an unknown action', { type: 'email', to: 'ops@example.com' }, /type/],
  ])('refuses %s, saying why', (_what, action, why) => {
    const parsed = alertActionsSchema.safeParse([action]);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(why);
  });
});
