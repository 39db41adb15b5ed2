/**
 * A streaming XML tokenizer for the parts of a workbook: fed text in chunks of any size, it calls
 * `open` for each start tag (with its attributes), `close` for each end tag and `text` for the
 * character data between tags, entities decoded. It is a loop over a state, never recursive, and
 * keeps only the unfinished token between chunks, so nesting depth and part size cost no stack
 * and no more memory than the longest token. Comments, processing instructions, CDATA and the
 * doctype are handled; namespaces are left in the names (`x:row`), callers strip prefixes.
 */
export interface XmlHandlers {
  open(name: string, attributes: Record<string, string>, selfClosing: boolean): void;
  close(name: string): void;
  text(text: string): void;
}

export class XmlSyntaxError extends Error {
  override name = 'XmlSyntaxError';
}

/** A token longer than this is not a workbook's: a start tag or text run of 64 MB. */
const MAX_TOKEN = 64 * 1024 * 1024;

export class XmlTokenizer {
  #pending = '';
  #depth = 0;
  #seenRoot = false;

  constructor(private readonly handlers: XmlHandlers) {}

  write(chunk: string): void {
    let buffer = this.#pending + chunk;
    let at = 0;
    for (;;) {
      const lt = buffer.indexOf('<', at);
      if (lt < 0) {
        // Text up to the end: emit all but a trailing partial entity.
        const amp = buffer.lastIndexOf('&');
        const keepFrom = amp >= at && buffer.indexOf(';', amp) < 0 ? amp : buffer.length;
        if (keepFrom > at) this.#text(buffer.slice(at, keepFrom));
        buffer = buffer.slice(keepFrom);
        at = 0;
        break;
      }
      if (lt > at) this.#text(buffer.slice(at, lt));
      const end = this.#tokenEnd(buffer, lt);
      if (end < 0) {
        buffer = buffer.slice(lt);
        at = 0;
        break;
      }
      this.#markup(buffer.slice(lt, end));
      at = end;
    }
    if (buffer.length > MAX_TOKEN) throw new XmlSyntaxError('a token longer than 64 MB');
    this.#pending = buffer;
  }

  end(): void {
    if (this.#pending.trim() !== '') throw new XmlSyntaxError('the document ends inside a tag');
    if (this.#depth !== 0 || !this.#seenRoot) throw new XmlSyntaxError('unclosed tag at the end of the part');
  }

  /** Index just past the markup starting at `lt`, or -1 when it is not complete yet. */
  #tokenEnd(buffer: string, lt: number): number {
    if (buffer.startsWith('<!--', lt)) {
      const close = buffer.indexOf('-->', lt + 4);
      return close < 0 ? -1 : close + 3;
    }
    if (buffer.startsWith('<![CDATA[', lt)) {
      const close = buffer.indexOf(']]>', lt + 9);
      return close < 0 ? -1 : close + 3;
    }
    if (buffer.startsWith('<?', lt)) {
      const close = buffer.indexOf('?>', lt + 2);
      return close < 0 ? -1 : close + 2;
    }
    // A tag: '>' outside quoted attribute values ends it.
    let quote = '';
    for (let i = lt + 1; i < buffer.length; i += 1) {
      const c = buffer[i];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') return i + 1;
    }
    return -1;
  }

  #markup(token: string): void {
    if (token.startsWith('<!--') || token.startsWith('<?')) return;
    if (token.startsWith('<![CDATA[')) {
      this.handlers.text(token.slice(9, -3));
      return;
    }
    if (token.startsWith('<!')) return;
    if (token.startsWith('</')) {
      const name = token.slice(2, -1).trim();
      if (this.#depth === 0) throw new XmlSyntaxError(`unexpected </${name}>`);
      this.#depth -= 1;
      this.handlers.close(name);
      return;
    }
    const selfClosing = token.endsWith('/>');
    const body = token.slice(1, selfClosing ? -2 : -1);
    const nameEnd = body.search(/[\s]/);
    const name = nameEnd < 0 ? body : body.slice(0, nameEnd);
    if (name === '') throw new XmlSyntaxError('a tag without a name');
    const attributes: Record<string, string> = {};
    const pattern = /([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
    const rest = nameEnd < 0 ? '' : body.slice(nameEnd);
    for (let match = pattern.exec(rest); match; match = pattern.exec(rest)) {
      attributes[match[1] ?? ''] = decodeEntities(match[3] ?? match[4] ?? '');
    }
    this.#seenRoot = true;
    if (!selfClosing) this.#depth += 1;
    this.handlers.open(name, attributes, selfClosing);
    if (selfClosing) this.handlers.close(name);
  }

  #text(raw: string): void {
    if (this.#depth === 0) {
      if (raw.trim() !== '') throw new XmlSyntaxError('text outside the root element');
      return;
    }
    this.handlers.text(decodeEntities(raw));
  }
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return safeCodePoint(parseInt(entity.slice(2), 16), whole);
    if (entity.startsWith('#')) return safeCodePoint(parseInt(entity.slice(1), 10), whole);
    return NAMED[entity] ?? whole;
  });
}

function safeCodePoint(code: number, fallback: string): string {
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

/** The local part of a qualified name (`x:row` → `row`). */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}
