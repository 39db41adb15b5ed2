import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { datasetCard, yamlString } from '../../../../../../shared/domain/exports/formats/dataset-card';

/** The YAML front matter of a card, parsed by the `yaml` package (a YAML 1.2 parser). */
function frontMatter(card: string): unknown {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(card);
  if (!match) throw new Error('no front matter');
  return parse(match[1] ?? '');
}

describe('yamlString', () => {
  it.each([
    'plain',
    '',
    'say "hi"',
    'back\\slash',
    'line\nbreak\r\n',
    '\ttab',
    ': colon first',
    '- dash first',
    '# hash',
    'true',
    'null',
    '0',
    '1e3',
    '~',
    '{"a": [1]}',
    'ünïcödé',
    '中文',
    'emoji 😀',
    'del \u007f and nel \u0085',
    'separators \u2028\u2029',
    'bom \ufeff',
  ])('reads back as the same text: %j', (text) => {
    expect(parse(`key: ${yamlString(text)}`)).toEqual({ key: text });
  });

  it('writes a lone surrogate as the replacement character', () => {
    expect(parse(`key: ${yamlString('a\ud800b')}`)).toEqual({ key: 'a\ufffdb' });
  });
});

describe('datasetCard', () => {
  it('front matter lists the configs, features and splits datasets reads', () => {
    const card = datasetCard({
      title: 'flowers',
      features: [
        { name: 'petal length', dtype: 'float64' },
        { name: 'species', classNames: ['setosa', 'versi"color', 'true'] },
      ],
      splits: [
        {
          name: 'train',
          rows: 120,
          files: ['data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet'],
          bytes: 300,
        },
        { name: 'test', rows: 30, files: ['data/test-00000-of-00001.parquet'], bytes: 100 },
      ],
    });
    expect(frontMatter(card)).toEqual({
      configs: [
        {
          config_name: 'default',
          data_files: [
            {
              split: 'train',
              path: ['data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet'],
            },
            { split: 'test', path: ['data/test-00000-of-00001.parquet'] },
          ],
        },
      ],
      dataset_info: {
        features: [
          { name: 'petal length', dtype: 'float64' },
          {
            name: 'species',
            dtype: { class_label: { names: { '0': 'setosa', '1': 'versi"color', '2': 'true' } } },
          },
        ],
        splits: [
          { name: 'train', num_examples: 120 },
          { name: 'test', num_examples: 30 },
        ],
        download_size: 400,
      },
    });
    expect(card).toContain('# flowers');
    expect(card).toContain('load_dataset("parquet", data_dir=');
  });
});
