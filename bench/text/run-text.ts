import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DEFAULT_TFIDF_OPTIONS,
  fitTfidfModel,
  transformTfidf,
} from '../../shared/domain/learning/transforms/tfidf-vectorizer';
import { SeededRandom } from '../../shared/domain/learning/random';
import { pad, padStart, seconds, summarize, verdict, type Summary } from '../report-format';

/**
 * The text benchmark: TF-IDF (fit and transform, scikit-learn's defaults, no vocabulary limit)
 * of 100,000 short documents (5–20 words drawn from a Zipf-distributed vocabulary of 30,000
 * words, generated here with a seed), by the code the text.tfidf node runs, against
 * scikit-learn's TfidfVectorizer().fit_transform on the same documents in the same run
 * (single-threaded, reading the file excluded); both must find the same vocabulary size.
 * Medians over the repetitions; the goal is ≤ 2× scikit-learn. Without scikit-learn the
 * comparison is skipped and said so.
 */
export interface TextRunOptions {
  dataDir: string;
  python: string;
  documents?: number;
  repetitions?: number;
}

export interface TextBenchReport {
  documents: number;
  repetitions: number;
  vocabulary: number;
  oursMs: Summary;
  sklearnMs: Summary | null;
  ratio: number | null;
  goal: number;
  met: boolean | null;
  failures: number;
}

const run = promisify(execFile);
const GOAL = 2;
const VOCABULARY = 30_000;

/** Short documents of Zipf-distributed words (letters only, 2–9 characters). */
export function generateDocuments(count: number, seed: number): string[] {
  const random = new SeededRandom(seed);
  const words = Array.from({ length: VOCABULARY }, (_, i) => {
    let word = '';
    let n = i + 1;
    while (n > 0) {
      word += String.fromCharCode(97 + (n % 26));
      n = Math.floor(n / 26);
    }
    return word.length < 2 ? `${word}${word}` : word;
  });
  // Inverse-CDF sampling of a Zipf law (s = 1.1) over the word ranks.
  const weights = words.map((_, r) => 1 / (r + 1) ** 1.1);
  const cdf = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, r) => {
    total += w;
    cdf[r] = total;
  });
  const draw = () => {
    const u = random.next() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] ?? 0) < u) lo = mid + 1;
      else hi = mid;
    }
    return words[lo] ?? 'aa';
  };
  return Array.from({ length: count }, () => Array.from({ length: 5 + random.nextInt(16) }, draw).join(' '));
}

export async function runText(options: TextRunOptions): Promise<TextBenchReport> {
  const count = options.documents ?? 100_000;
  const repetitions = Math.max(5, options.repetitions ?? 5);
  console.log(
    `\ntext: TF-IDF of ${count.toLocaleString('en-US')} short documents, ${repetitions} repetitions`,
  );
  const documents = generateDocuments(count, 7);
  const file = join(options.dataDir, 'documents.txt');
  await writeFile(file, documents.join('\n'));

  const ours: number[] = [];
  let vocabulary = 0;
  for (let r = 0; r < repetitions; r += 1) {
    const started = performance.now();
    const model = fitTfidfModel(documents, DEFAULT_TFIDF_OPTIONS);
    const rows = transformTfidf(model, documents);
    ours.push(performance.now() - started);
    vocabulary = model.vocabulary.length;
    if (rows.nRows !== count) throw new Error('TF-IDF lost documents');
    console.log(`  repetition ${r + 1}: ours ${seconds(ours[r] ?? 0)}`);
  }
  const oursMs = summarize(ours);

  let sklearnMs: Summary | null = null;
  try {
    await run(options.python, ['-c', 'import sklearn']);
  } catch {
    console.log(`  scikit-learn is not importable by ${options.python}: no comparison`);
    return {
      documents: count,
      repetitions,
      vocabulary,
      oursMs,
      sklearnMs,
      ratio: null,
      goal: GOAL,
      met: null,
      failures: 0,
    };
  }
  const { stdout } = await run(
    options.python,
    [join(import.meta.dirname, 'tfidf_baseline.py'), file, String(repetitions)],
    {
      // eslint-disable-next-line no-restricted-properties -- the child inherits the benchmark's environment
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const theirs = JSON.parse(stdout) as { vocabulary: number; ms: number[] };
  if (theirs.vocabulary !== vocabulary)
    throw new Error(`vocabulary sizes differ: ours ${vocabulary}, scikit-learn ${theirs.vocabulary}`);
  sklearnMs = summarize(theirs.ms);
  const ratio = oursMs.median / sklearnMs.median;
  const met = ratio <= GOAL;
  console.log(
    `  ${pad('TF-IDF fit + transform (ours)', 40)} ${padStart(seconds(oursMs.median), 9)} median (${seconds(oursMs.min)}–${seconds(oursMs.max)})`,
  );
  console.log(
    `  ${pad('scikit-learn TfidfVectorizer', 40)} ${padStart(seconds(sklearnMs.median), 9)} median (${seconds(sklearnMs.min)}–${seconds(sklearnMs.max)})`,
  );
  console.log(
    `  vocabulary ${vocabulary} terms (both) · ratio ${ratio.toFixed(2)}× · goal ≤ ${GOAL}× · ${verdict(met)}`,
  );
  return {
    documents: count,
    repetitions,
    vocabulary,
    oursMs,
    sklearnMs,
    ratio,
    goal: GOAL,
    met,
    failures: 0,
  };
}
