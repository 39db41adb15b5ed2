import { describe, expect, it } from 'vitest';
import type { StepEvidence } from '../../../../../shared/domain/tutorials/completion-conditions';
import {
  COMPLETION_CONDITIONS,
  describeCondition,
} from '../../../../../shared/domain/tutorials/completion-conditions';
import { TUTORIALS } from '../../../../../shared/domain/tutorials/tutorial-catalog';
import { advanceAttempt, type CompletedStep } from '../../../../../shared/domain/tutorials/tutorial-progress';

const STEPS = ['create', 'upload', 'profile'];
const now = new Date('2026-12-07T12:00:00Z');

function found(entries: Record<string, Partial<StepEvidence>>): Map<string, StepEvidence> {
  return new Map(
    Object.entries(entries).map(([key, e]) => [
      key,
      { resourceType: 'dataset', resourceId: `id-${key}`, label: key, at: now, ...e },
    ]),
  );
}

describe('advanceAttempt', () => {
  it('marks the steps with evidence done, names what completed them, and points at the first open step', () => {
    const state = advanceAttempt(STEPS, [], found({ create: { label: 'iris' }, profile: {} }), now);
    expect(state.status).toBe('in_progress');
    expect(state.currentStep).toBe(1);
    expect(state.completedSteps.map((s) => s.step)).toEqual(['create', 'profile']);
    expect(state.completedSteps[0]).toMatchObject({
      resourceType: 'dataset',
      resourceId: 'id-create',
      label: 'iris',
    });
    expect(state.completedAt).toBeNull();
  });

  it('completes the attempt when every step is done, at the time of the last evidence', () => {
    const later = new Date('2026-12-07T12:05:00Z');
    const state = advanceAttempt(STEPS, [], found({ create: {}, upload: { at: later }, profile: {} }), now);
    expect(state.status).toBe('completed');
    expect(state.currentStep).toBe(STEPS.length);
    expect(state.completedAt?.toISOString()).toBe(later.toISOString());
  });

  it('keeps what was recorded even when the evidence is gone (history, not a live view)', () => {
    const recorded: CompletedStep[] = [
      {
        step: 'create',
        resourceType: 'dataset',
        resourceId: 'old',
        label: 'deleted since',
        completedAt: now.toISOString(),
      },
    ];
    const state = advanceAttempt(STEPS, recorded, found({ create: { resourceId: 'new' } }), now);
    expect(state.completedSteps).toEqual(recorded);
    expect(state.currentStep).toBe(1);
  });

  it('leaves an attempt with no evidence at its first step', () => {
    const state = advanceAttempt(STEPS, [], new Map(), now);
    expect(state).toMatchObject({
      status: 'in_progress',
      currentStep: 0,
      completedSteps: [],
      completedAt: null,
    });
  });
});

describe('the shipped tutorials', () => {
  it('have unique slugs and step keys, a command and a known condition per step', () => {
    const slugs = TUTORIALS.map((t) => t.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const tutorial of TUTORIALS) {
      const keys = tutorial.steps.map((s) => s.key);
      expect(new Set(keys).size, tutorial.slug).toBe(keys.length);
      for (const step of tutorial.steps) {
        expect(step.command, `${tutorial.slug}/${step.key}`).toMatch(/curl |npm run/);
        expect(Object.keys(COMPLETION_CONDITIONS)).toContain(step.condition.kind);
        expect(describeCondition(step.condition)).not.toContain('undefined');
      }
      for (const before of tutorial.after)
        expect(slugs.indexOf(before)).toBeLessThan(slugs.indexOf(tutorial.slug));
    }
  });

  it('cover the first dataset, training, predicting and exporting, paying, and every other modality', () => {
    expect(TUTORIALS.map((t) => [t.slug, t.modality])).toEqual([
      ['your-first-dataset', 'tabular'],
      ['train-and-compare-models', 'tabular'],
      ['predict-and-export', 'tabular'],
      ['pay-for-runs', null],
      ['classify-text', 'text'],
      ['classify-images', 'image'],
      ['classify-sounds', 'audio'],
      ['features-from-video', 'video'],
      ['forecast-a-time-series', 'timeseries'],
      ['denoise-a-seismic-line', 'seismic'],
    ]);
  });

  it('complete the steps of a modality only with resources of that modality', () => {
    for (const tutorial of TUTORIALS.filter((t) => t.modality !== 'tabular' && t.modality !== null)) {
      const scoped = tutorial.steps.filter((s) => s.condition.modality === tutorial.modality);
      expect(scoped.length, tutorial.slug).toBeGreaterThanOrEqual(2);
      const first = scoped[0];
      expect(first && describeCondition(first.condition)).toContain(String(tutorial.modality));
    }
  });
});
