import { describe, expect, it } from 'vitest';
import { createTable, numberColumn, stringColumn } from '../../../../../../../shared/domain/learning/table';
import {
  applyTextClean,
  cleanText,
  fitTextClean,
} from '../../../../../../../shared/domain/learning/transforms/text-clean';
import {
  applyTextTokenize,
  fitTextTokenize,
} from '../../../../../../../shared/domain/learning/transforms/text-tokenize';
import {
  applyTransformChain,
  fitTransformChain,
} from '../../../../../../../shared/domain/learning/transforms/transform-chain';
import { expectReplayable, valuesOf } from '../transform-test-support';

const OPTIONS = {
  lowercase: true,
  stripMarkup: true,
  normalization: 'NFKC',
  stripAccents: false,
  collapseWhitespace: true,
} as const;

describe('text_clean', () => {
  it.each([
    ['<p>Hello <b>World</b></p>', 'hello world'],
    ['<script>alert(1)</script>Safe &amp; sound &#233;t&eacute;', 'safe & sound ét&eacute;'],
    ['Ｆｕｌｌ　ｗｉｄｔｈ ﬁne', 'full width fine'],
    ['  many\t\n spaces  ', 'many spaces'],
    ['<!-- note -->Kept &lt;tag&gt; &#x1F600;', 'kept <tag> 😀'],
  ])('cleans %j to %j', (input, expected) => {
    expect(cleanText(input, OPTIONS)).toBe(expected);
  });

  it('removes accents on request and leaves markup when told to', () => {
    expect(cleanText('Café CRÈME', { ...OPTIONS, stripAccents: true })).toBe('cafe creme');
    expect(cleanText('<b>As Is</b>', { ...OPTIONS, stripMarkup: false, lowercase: false })).toBe(
      '<b>As Is</b>',
    );
  });

  it('cleans the listed text columns only, missing stays missing, and replays row by row', () => {
    const table = createTable([
      stringColumn('text', ['<i>One</i>', null, 'TWO  words']),
      stringColumn('label', ['A', 'B', 'A']),
      numberColumn('n', [1, 2, 3]),
    ]);
    const state = fitTextClean(table, { columns: ['text'] });
    const out = applyTextClean(state, table);
    expect(valuesOf(out, 'text')).toEqual(['one', null, 'two words']);
    expect(valuesOf(out, 'label')).toEqual(['A', 'B', 'A']);
    expectReplayable(state, applyTextClean, table);
  });
});

describe('text_tokenize', () => {
  const english = createTable([
    stringColumn('text', [
      'The cat sat on the mat because it was warm.',
      'Dogs and cats are not the same, but they can be friends.',
      "I don't think the weather will change before the evening.",
    ]),
  ]);

  it('detects the language on the training rows and drops its stop words', () => {
    const state = fitTextTokenize(english, {});
    expect(state.language).toBe('eng');
    expect(valuesOf(applyTextTokenize(state, english), 'text')).toEqual([
      'cat sat mat warm',
      'dogs cats friends',
      'think weather change evening',
    ]);
  });

  it('uses the named language, extra stop words and a minimum length', () => {
    const french = createTable([stringColumn('text', ['Le chat et le chien sont dans la maison.'])]);
    const state = fitTextTokenize(french, { language: 'fra', extraStopWords: ['Maison'], minLength: 5 });
    expect(valuesOf(applyTextTokenize(state, french), 'text')).toEqual(['chien']);
    const kept = fitTextTokenize(french, { language: 'none' });
    expect(valuesOf(applyTextTokenize(kept, french), 'text')).toEqual([
      'le chat et le chien sont dans la maison',
    ]);
  });

  it('keeps the stop words it fitted in its state, so prediction drops the same words', () => {
    const state = fitTextTokenize(english, {});
    const reloaded = JSON.parse(JSON.stringify(state)) as typeof state;
    const request = createTable([stringColumn('text', ['Is the cat on the mat?'])]);
    expect(valuesOf(applyTextTokenize(reloaded, request), 'text')).toEqual(['cat mat']);
    expectReplayable(state, applyTextTokenize, english);
  });

  it('refuses an unknown language, naming the ones it knows', () => {
    expect(() => fitTextTokenize(english, { language: 'klingon' })).toThrow(/"eng"/);
  });
});

describe('text steps in the transform chain', () => {
  it('cleans, tokenizes and weighs text on train rows, then replays on raw prediction rows', () => {
    const train = createTable([
      stringColumn('text', [
        '<p>The <b>striker</b> scored a goal</p>',
        'The chef baked bread in the oven',
        'A goal in the final minute',
        'Fresh bread and butter',
      ]),
      stringColumn('label', ['sport', 'food', 'sport', 'food']),
    ]);
    const fitted = fitTransformChain(
      [
        { kind: 'text_clean', params: { columns: ['text'] } },
        { kind: 'text_tokenize', params: { columns: ['text'], language: 'eng' } },
        { kind: 'tfidf', params: { column: 'text' } },
      ],
      train,
      { passthrough: ['label'] },
    );
    const terms = fitted.table.columns.map((c) => c.name).filter((n) => n.startsWith('text__tfidf__'));
    expect(terms).toContain('text__tfidf__goal');
    expect(terms).not.toContain('text__tfidf__the');
    expect(terms).not.toContain('text__tfidf__b');
    const request = createTable([stringColumn('text', ['<em>GOAL!</em> The goal.'])]);
    const replayed = applyTransformChain(fitted.states, request, { mode: 'prediction' });
    expect(valuesOf(replayed, 'text__tfidf__goal')).toEqual([1]);
  });
});
