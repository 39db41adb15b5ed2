import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../../../../db/schema';
import { sqlIdent, sqlString, type SqlEngine } from '../../../../ports/sql-engine.port';
import { profileTable } from '../../profiling/profile-table';
import { profileText } from '../../profiling/text-profile';
import type { ProfileWarning } from '../../profiling/profile-report';
import { failFile, sampleOf } from './file-validation-failure';
import type { ModalityProcessor, ProcessorContext } from './modality-processor';
import { convertAndProfileTabular } from './tabular-processor';
import { encodingFromBom, normalizeToUtf8, readHead, type TextEncoding } from './text-encoding';
import { readZipTextEntries, ZipLimitError, ZipReadError, type SkippedZipEntry } from './text-zip';

/**
 * Text datasets become a table of documents that pipeline nodes read like any table:
 * `doc_id` (1, 2, …), `text`, `label` when the input has labels, then `source` (the file a
 * document came from, for a zip) or the input's other columns.
 *
 * - `.txt`: one document per line (line endings normalised, a final line break ends the last line);
 * - `.zip`: one document per `.txt` file; a file inside a folder takes the folder's name as its
 *   label (`positive/review-1.txt` → `positive`); other files are listed as skipped with why;
 * - `.csv`, `.tsv`, `.json`, `.jsonl`: the tabular reader, then a text column (named text,
 *   document, content, body, sentence, review, message, comment or tweet; else the text column with
 *   the longest values) and a label column (the dataset's target column, else one named label,
 *   category, class, sentiment, topic, intent or target).
 * The encoding is detected (BOM, valid UTF-8, else Windows-1252) and the text stored as UTF-8.
 * The profile adds the text profile (profiling/text-profile.ts) to the table profile.
 */
const TEXT_NAMES = [
  'text',
  'document',
  'content',
  'body',
  'sentence',
  'review',
  'message',
  'comment',
  'tweet',
];
const LABEL_NAMES = ['label', 'labels', 'category', 'class', 'sentiment', 'topic', 'intent', 'target'];
const CANONICAL = ['doc_id', 'text', 'label'];
/** Files skipped in a zip, listed by name in the version's metadata. */
const MAX_LISTED_SKIPPED = 50;

interface Documents {
  /** A SELECT over the documents with the canonical columns first. */
  select: string;
  metadata: Record<string, JsonValue>;
  hasLabel: boolean;
  warnings: ProfileWarning[];
}

export const processTextDocuments: ModalityProcessor = async (context) => {
  if (context.sizeBytes === 0) failFile('FILE.EMPTY', 'The text file is empty.');
  const engine = await context.engine();
  const head = await readHead(context.filePath, 8192);
  const format = context.version.originalFormat;
  const isZip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  let documents: Documents;
  if (isZip || format === 'zip') documents = await zipDocuments(context, engine);
  else if (format === 'text' || format === 'unknown') documents = await lineDocuments(context, engine, head);
  else documents = await tableDocuments(context);

  await context.progress(45, 'storing');
  const parquetPath = join(context.tempDir, 'documents.parquet');
  await engine.run(
    `COPY (${documents.select}) TO ${sqlString(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  const { size } = await stat(parquetPath);
  const relation = `read_parquet(${sqlString(parquetPath)})`;
  const read = await engine.columns(
    `SELECT text${documents.hasLabel ? ', label::VARCHAR AS label' : ''} FROM ${relation} ORDER BY doc_id`,
  );
  const texts = (read[0]?.values ?? []).map((v) => (v === null ? null : String(v)));
  if (texts.length === 0) failFile('TEXT.NO_DOCUMENTS', 'The file holds no documents.');
  if (texts.every((t) => t === null || t.trim() === ''))
    failFile('TEXT.BLANK', 'Every document is empty: the file holds no text.');
  await context.blobs.put(context.processedKey, createReadStream(parquetPath), {
    contentType: 'application/vnd.apache.parquet',
    contentLength: size,
  });

  await context.progress(55, 'profiling');
  const labels = documents.hasLabel
    ? (read[1]?.values ?? []).map((v) => (v === null ? null : String(v)))
    : undefined;
  const text = profileText(texts, labels);
  const table = await profileTable(engine, relation, {
    targetColumn: documents.hasLabel ? 'label' : null,
    now: context.now,
    warnings: documents.warnings,
    onProgress: (fraction) => context.progress(60 + fraction * 30, 'profiling'),
  });
  const profile = { ...table, text };
  const columns = await engine.describe(`SELECT * FROM ${relation}`);
  return {
    processedObjectKey: context.processedKey,
    processedSizeBytes: size,
    rowCount: table.rowCount,
    columnCount: table.columnCount,
    columnsMetadata: columns.map((c) => ({ name: c.name, type: c.type })),
    modalityMetadata: {
      ...documents.metadata,
      documents: text.documents,
      emptyDocuments: text.emptyDocuments,
      duplicateDocuments: text.duplicateDocuments,
      tokens: text.tokens.total,
      vocabularySize: text.vocabularySize,
      language: text.language.code,
      labelled: documents.hasLabel,
      // One document per line: the line statistics text versions have always recorded.
      ...(documents.metadata.inputFormat === 'text'
        ? { lines: text.documents, words: text.tokens.total, emptyLines: text.emptyDocuments }
        : {}),
      sample: texts
        .filter((t): t is string => t !== null && t.trim() !== '')
        .slice(0, 5)
        .map((t) => t.slice(0, 500)),
    },
    profile,
    warnings: profile.warnings,
  };
};

async function lineDocuments(
  context: ProcessorContext,
  engine: SqlEngine,
  head: Uint8Array,
): Promise<Documents> {
  if (head.includes(0) && !encodingFromBom(head)?.startsWith('utf-16')) {
    failFile(
      'TEXT.BINARY',
      'The file contains NUL bytes: it looks like a binary file, not text. Upload a .txt file saved as UTF-8.',
    );
  }
  const normalized = await normalizeToUtf8(context.filePath, join(context.tempDir, 'utf8.txt'));
  await context.progress(30, 'splitting lines');
  // Line endings normalised to LF; the final line break ends the last line rather than starting an empty one.
  const select = `SELECT generate_subscripts(lines, 1)::BIGINT AS doc_id, unnest(lines) AS text
    FROM (SELECT string_split(regexp_replace(regexp_replace(content, '\\r\\n?', chr(10), 'g'), '\\n$', ''), chr(10)) AS lines
            FROM read_text(${sqlString(normalized.path)}))`;
  return {
    select,
    hasLabel: false,
    metadata: { inputFormat: 'text', layout: 'one document per line', encoding: normalized.encoding },
    warnings: encodingWarnings([normalized.encoding]),
  };
}

function decodeText(bytes: Buffer): { text: string; encoding: TextEncoding } {
  const bom = encodingFromBom(bytes);
  if (bom) {
    const label = bom === 'utf-8-bom' ? 'utf-8' : bom;
    return { text: new TextDecoder(label).decode(bytes), encoding: bom };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

function refuseZipEntry(path: string): string | undefined {
  const name = path.split('/').pop() ?? path;
  if (path.startsWith('__MACOSX/') || name.startsWith('.')) return 'an operating-system leftover';
  if (!name.toLowerCase().endsWith('.txt')) return 'not a .txt file (only .txt files are documents)';
  return undefined;
}

async function zipDocuments(context: ProcessorContext, engine: SqlEngine): Promise<Documents> {
  let read: Awaited<ReturnType<typeof readZipTextEntries>>;
  try {
    read = await readZipTextEntries(context.filePath, refuseZipEntry);
  } catch (error) {
    if (error instanceof ZipReadError)
      failFile('ZIP.UNREADABLE', `The zip archive could not be read: ${error.message}.`);
    if (error instanceof ZipLimitError)
      failFile(
        'LIMIT.ARCHIVE_TOO_LARGE',
        `The zip archive is over a limit: ${error.message}. Split it into smaller archives.`,
      );
    throw error;
  }
  await context.progress(30, 'reading documents');
  const listed: SkippedZipEntry[] = read.skipped.filter((s) => s.reason !== 'an operating-system leftover');
  if (read.entries.length === 0) {
    failFile(
      'ZIP.NO_TEXT_FILES',
      `The zip archive holds no .txt file${
        listed.length > 0
          ? ` (it holds ${listed
              .slice(0, 5)
              .map((s) => `"${sampleOf(s.path, 80)}"`)
              .join(', ')}${listed.length > 5 ? ', …' : ''})`
          : ''
      }. Put one document per .txt file, in one folder per label if the documents have labels.`,
    );
  }
  const entries = [...read.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const folders = entries.map((e) => {
    const parts = e.path.split('/');
    return parts.length >= 2 ? (parts[parts.length - 2] ?? null) : null;
  });
  const hasLabel = folders.every((f) => f !== null) && new Set(folders).size >= 2;
  const encodings = new Set<TextEncoding>();
  const texts = entries.map((e) => {
    const decoded = decodeText(e.bytes);
    encodings.add(decoded.encoding);
    return decoded.text.replace(/\r\n?/g, '\n').replace(/\n$/, '');
  });
  await engine.loadTable('zip_documents', [
    { name: 'text', type: 'VARCHAR', values: texts },
    { name: 'label', type: 'VARCHAR', values: hasLabel ? folders : texts.map(() => null) },
    { name: 'source', type: 'VARCHAR', values: entries.map((e) => e.path) },
    { name: 'position', type: 'DOUBLE', values: entries.map((_, i) => i + 1) },
  ]);
  const select = `SELECT position::BIGINT AS doc_id, text, ${hasLabel ? 'label, ' : ''}source FROM zip_documents`;
  const metadata: Record<string, JsonValue> = {
    inputFormat: 'zip',
    layout: hasLabel ? 'one document per .txt file, labelled by its folder' : 'one document per .txt file',
    encoding: [...encodings].sort().join(', '),
    files: entries.length,
    skippedFiles: listed.length,
  };
  if (listed.length > 0)
    metadata.skipped = listed.slice(0, MAX_LISTED_SKIPPED).map((s) => ({ file: s.path, reason: s.reason }));
  return { select, hasLabel, metadata, warnings: encodingWarnings([...encodings]) };
}

function encodingWarnings(encodings: readonly TextEncoding[]): ProfileWarning[] {
  const converted = encodings.filter((e) => e === 'windows-1252' || e.startsWith('utf-16'));
  if (converted.length === 0) return [];
  return [
    {
      code: 'encoding_converted',
      message: `The text is not all UTF-8; it was read as ${converted
        .map((e) => (e === 'windows-1252' ? 'Latin-1 (Windows-1252)' : e.toUpperCase()))
        .join(' and ')} and converted.`,
    },
  ];
}

async function tableDocuments(context: ProcessorContext): Promise<Documents> {
  const { outcome, parquetPath } = await convertAndProfileTabular(context);
  const columns = outcome.profile.columns;
  const byName = (names: readonly string[]) =>
    names.map((n) => columns.find((c) => c.name.toLowerCase() === n)).find((c) => c !== undefined);
  const textColumn =
    byName(TEXT_NAMES) ??
    [...columns].filter((c) => c.kind === 'text').sort((a, b) => textLength(b) - textLength(a))[0];
  if (!textColumn || textColumn.kind !== 'text') {
    failFile(
      'TEXT.NO_TEXT_COLUMN',
      `No column holds text (columns: ${columns
        .map((c) => `"${c.name}"`)
        .slice(0, 20)
        .join(', ')}). Name the column with the documents "text".`,
    );
  }
  const target = context.dataset.targetColumn;
  const labelColumn =
    (target ? columns.find((c) => c.name === target) : undefined) ??
    byName(LABEL_NAMES.filter((n) => n !== textColumn.name.toLowerCase()));
  const labelName = labelColumn && labelColumn.name !== textColumn.name ? labelColumn.name : undefined;
  const others = columns
    .map((c) => c.name)
    .filter((n) => n !== textColumn.name && n !== labelName)
    .map(
      (n) => `${sqlIdent(n)}${CANONICAL.includes(n.toLowerCase()) ? ` AS ${sqlIdent(`${n}_original`)}` : ''}`,
    );
  const select = `SELECT (file_row_number + 1)::BIGINT AS doc_id, ${sqlIdent(textColumn.name)}::VARCHAR AS text${
    labelName ? `, ${sqlIdent(labelName)} AS label` : ''
  }${others.length > 0 ? `, ${others.join(', ')}` : ''} FROM read_parquet(${sqlString(parquetPath)}, file_row_number = true)`;
  return {
    select,
    hasLabel: labelName !== undefined,
    metadata: {
      ...outcome.modalityMetadata,
      textColumn: textColumn.name,
      ...(labelName ? { labelColumn: labelName } : {}),
    },
    warnings: outcome.profile.warnings.filter(
      (w) => w.code === 'encoding_converted' || w.code === 'type_conflict',
    ),
  };
}

function textLength(column: { topValues: { value: string | null }[]; max: unknown }): number {
  const values = column.topValues.map((v) => v.value?.length ?? 0);
  return Math.max(0, ...values, typeof column.max === 'string' ? column.max.length : 0);
}
