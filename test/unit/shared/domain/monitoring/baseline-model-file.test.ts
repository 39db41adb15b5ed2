import { describe, expect, it } from 'vitest';
import { buildBaselineModel, monitorRows } from '../../../../../shared/domain/monitoring/baseline-model';
import {
  decodeBaselineModel,
  encodeBaselineModel,
} from '../../../../../shared/domain/monitoring/baseline-model-file';
import { dinsightConfigSchema } from '../../../../../shared/domain/monitoring/dinsight-config';
import { scatterPlotSvg } from '../../../../../shared/domain/monitoring/scatter-plot-svg';
import { syntheticDriftSet } from './synthetic-drift-set';

describe('stored baseline model', () => {
  it('reads back a model that monitors rows exactly as the one written', () => {
    const set = syntheticDriftSet({ seed: 3, baselineRows: 40, newRows: 10, features: 12, shift: 2 });
    const names = Array.from({ length: 12 }, (_, f) => `f_${f}`);
    const model = buildBaselineModel(
      names,
      set.baseline,
      dinsightConfigSchema.parse({ imax: 50, pcaComponents: 3 }),
    );
    const copy = decodeBaselineModel(encodeBaselineModel(model));
    expect(copy.featureNames).toEqual(names);
    expect(monitorRows(copy, set.shifted)).toEqual(monitorRows(model, set.shifted));
  });
});

describe('scatter plot', () => {
  it('colours points by a metadata column, with a legend, and escapes every text', () => {
    const svg = scatterPlotSvg(
      [
        { x: 0, y: 0, colour: 'a<b' },
        { x: 1, y: 1, colour: 'c' },
      ],
      { title: 'Map & more', colourBy: 'participant' },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Map &#38; more');
    expect(svg).toContain('a&#60;b');
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(svg).toContain('fill="#1f77b4"');
    expect(svg).toContain('fill="#ff7f0e"');
  });
});
