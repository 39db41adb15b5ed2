import { describe, expect, it } from 'vitest';
import { XmlSyntaxError, XmlTokenizer } from '../../../../../shared/adapters/excel/xml-tokens';

function tokens(chunks: string[]) {
  const seen: string[] = [];
  const tokenizer = new XmlTokenizer({
    open: (name, attributes, selfClosing) =>
      seen.push(
        `<${name}${Object.entries(attributes)
          .map(([k, v]) => ` ${k}=${v}`)
          .join('')}${selfClosing ? '/' : ''}>`,
      ),
    close: (name) => seen.push(`</${name}>`),
    text: (text) => seen.push(text),
  });
  for (const chunk of chunks) tokenizer.write(chunk);
  tokenizer.end();
  return seen;
}

describe('XmlTokenizer', () => {
  it('reports tags, attributes and decoded text, whatever the chunk boundaries', () => {
    const xml = `<?xml version="1.0"?><!-- c --><x:a k="1 &amp; 2" q='"'><b/>t&lt;&#x41;&#66;<![CDATA[<raw>]]></x:a>`;
    const whole = tokens([xml]);
    expect(whole.join('')).toBe(`<x:a k=1 & 2 q="><b/></b>t<AB<raw></x:a>`);
    for (let size = 1; size < 12; size += 1) {
      const chunks = xml.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
      expect(tokens(chunks).join('')).toBe(whole.join(''));
    }
  });

  it('takes nesting a million levels deep without a deeper stack', () => {
    const depth = 1_000_000;
    let opened = 0;
    let closed = 0;
    const tokenizer = new XmlTokenizer({
      open: () => (opened += 1),
      close: () => (closed += 1),
      text: () => {},
    });
    for (let i = 0; i < depth; i += 10_000) tokenizer.write('<a>'.repeat(10_000));
    for (let i = 0; i < depth; i += 10_000) tokenizer.write('</a>'.repeat(10_000));
    tokenizer.end();
    expect([opened, closed]).toEqual([depth, depth]);
  });

  it('refuses a part that ends inside an element', () => {
    expect(() => tokens(['<a><b></b>'])).toThrow(XmlSyntaxError);
    expect(() => tokens(['<a><b'])).toThrow(XmlSyntaxError);
  });
});
