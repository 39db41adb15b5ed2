import { describe, expect, it } from 'vitest';
import {
  chargeForSeconds,
  MARKUP,
  NODE_COMPUTE,
  PRICE_LIST,
  totalCredits,
  USD_PER_CREDIT,
} from '../../../../../shared/domain/billing/compute-cost';

describe('compute cost', () => {
  it('bills Lambda for memory × seconds, rounded up to the millisecond, at list price times the markup', () => {
    const charge = chargeForSeconds('lambda', 10.0004);
    expect(charge).toMatchObject({ runtime: 'lambda', memoryMb: NODE_COMPUTE.lambda.memoryMb, vcpu: null });
    expect(charge.billedSeconds).toBe(10.001);
    const usd = (3008 / 1024) * 10.001 * PRICE_LIST.lambdaUsdPerGbSecond;
    expect(charge.credits).toBeCloseTo((usd * MARKUP) / USD_PER_CREDIT, 6);
  });

  it('bills Fargate per started second for vCPU and memory, with a 60-second minimum', () => {
    expect(chargeForSeconds('fargate', 5).billedSeconds).toBe(60);
    expect(chargeForSeconds('fargate', 0).billedSeconds).toBe(60);
    const charge = chargeForSeconds('fargate', 61.2);
    expect(charge).toMatchObject({ vcpu: 2, memoryMb: 8192, billedSeconds: 62 });
    const usd = 62 * ((2 * 0.04048) / 3600 + (8 * 0.004445) / 3600);
    expect(charge.credits).toBeCloseTo((usd * MARKUP) / USD_PER_CREDIT, 6);
  });

  it('bills the minimum for a node that ran too briefly to measure', () => {
    expect(chargeForSeconds('lambda', 0).billedSeconds).toBe(0.001);
    expect(chargeForSeconds('lambda', -3).billedSeconds).toBe(0.001);
    expect(chargeForSeconds('lambda', Number.NaN).billedSeconds).toBe(0.001);
    expect(chargeForSeconds('lambda', 0).credits).toBeGreaterThan(0);
  });

  it('rounds a run up to whole credits once, without charging float noise', () => {
    expect(totalCredits(Array.from({ length: 30 }, () => ({ credits: 0.1 })))).toBe(3);
    expect(totalCredits([{ credits: 0.0001 }])).toBe(1);
    expect(totalCredits([])).toBe(0);
  });
});
