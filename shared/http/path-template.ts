/**
 * API Gateway path templates (`/datasets/{datasetId}`, `/files/{key+}`) compiled to matchers.
 * The Lambda handler (for `$default` routes) and the local HTTP server match paths the same way.
 */
export interface PathTemplate {
  template: string;
  /** Parameter names in order of appearance. */
  names: string[];
  /** Returns URL-decoded path parameters, or undefined when the path does not match. */
  match(rawPath: string): Record<string, string> | undefined;
}

export class PathTemplateError extends Error {
  override name = 'PathTemplateError';
}

const segmentParam = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/;

export function compilePathTemplate(template: string): PathTemplate {
  if (!template.startsWith('/')) throw new PathTemplateError(`Path "${template}" must start with "/".`);
  const segments = template === '/' ? [] : template.slice(1).split('/');
  const names: string[] = [];
  const parts = segments.map((segment, index) => {
    const param = segmentParam.exec(segment);
    if (!param) {
      if (segment.includes('{') || segment.includes('}')) {
        throw new PathTemplateError(
          `Path "${template}": a parameter must fill a whole segment ("${segment}").`,
        );
      }
      return escapeRegExp(segment);
    }
    const [, name = '', greedy] = param;
    if (names.includes(name)) throw new PathTemplateError(`Path "${template}" repeats parameter "${name}".`);
    names.push(name);
    if (greedy) {
      if (index !== segments.length - 1) {
        throw new PathTemplateError(`Path "${template}": a greedy parameter must be the last segment.`);
      }
      return '(.+)';
    }
    return '([^/]+)';
  });
  const regex = new RegExp(`^/${parts.join('/')}/?$`);

  return {
    template,
    names,
    match(rawPath) {
      const found = regex.exec(rawPath);
      if (!found) return undefined;
      const params: Record<string, string> = {};
      for (const [i, name] of names.entries()) {
        const value = safeDecode(found[i + 1] ?? '');
        if (value === undefined) return undefined;
        params[name] = value;
      }
      return params;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A malformed percent-escape cannot name a resource: treat it as no match rather than crash. */
function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
