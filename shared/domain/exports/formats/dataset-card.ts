/**
 * The `README.md` dataset card of a Hugging Face `datasets` layout: YAML front matter with
 * `configs` (the data files of each split) and `dataset_info` (features with their dtypes, class
 * names of a label, rows per split), then a short description of how to load it.
 */
export type CardFeature = { name: string; dtype: string } | { name: string; classNames: readonly string[] };

export interface CardSplit {
  name: string;
  rows: number;
  /** Shard paths relative to the card. */
  files: readonly string[];
  bytes: number;
}

export interface DatasetCardInput {
  title: string;
  features: readonly CardFeature[];
  splits: readonly CardSplit[];
}

/**
 * A YAML double-quoted scalar. Only printable ASCII is written as is; everything else is an
 * escape (`\u` with four hex digits, or `\U` with eight), which every YAML 1.1/1.2 parser reads back
 * to the same text.
 */
export function yamlString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0xfffd;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (code >= 0x20 && code <= 0x7e) out += char;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\uFFFD';
    else if (code <= 0xffff) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
  }
  return `${out}"`;
}

function featureLines(feature: CardFeature): string[] {
  const lines = [`  - name: ${yamlString(feature.name)}`];
  if ('dtype' in feature) return [...lines, `    dtype: ${yamlString(feature.dtype)}`];
  return [
    ...lines,
    '    dtype:',
    '      class_label:',
    '        names:',
    ...feature.classNames.map((name, index) => `          ${yamlString(String(index))}: ${yamlString(name)}`),
  ];
}

export function datasetCard(input: DatasetCardInput): string {
  const yaml = [
    'configs:',
    '- config_name: default',
    '  data_files:',
    ...input.splits.flatMap((split) => [
      `  - split: ${yamlString(split.name)}`,
      '    path:',
      ...split.files.map((file) => `    - ${yamlString(file)}`),
    ]),
    'dataset_info:',
    '  features:',
    ...input.features.flatMap(featureLines),
    '  splits:',
    ...input.splits.flatMap((split) => [
      `  - name: ${yamlString(split.name)}`,
      `    num_examples: ${split.rows}`,
    ]),
    `  download_size: ${input.splits.reduce((sum, split) => sum + split.bytes, 0)}`,
  ];
  const table = [
    '| split | rows | files |',
    '| --- | ---: | ---: |',
    ...input.splits.map((split) => `| ${split.name} | ${split.rows} | ${split.files.length} |`),
  ];
  return [
    '---',
    ...yaml,
    '---',
    '',
    `# ${input.title}`,
    '',
    'A table exported from PipeWeave in the Hugging Face `datasets` layout: Parquet shards under',
    '`data/`, named `{split}-{index}-of-{count}.parquet`, described by the YAML block above',
    '(columns and their types, class names of the label, rows per split).',
    '',
    ...table,
    '',
    '## Loading',
    '',
    '```python',
    'from datasets import load_dataset',
    '',
    '# This folder, as the card above describes it (any split names, class names included):',
    'dataset = load_dataset("path/to/this/folder")',
    '',
    '# Or only the Parquet shards (splits named train, validation or test are found by file name):',
    'dataset = load_dataset("parquet", data_dir="path/to/this/folder")',
    '```',
    '',
  ].join('\n');
}
