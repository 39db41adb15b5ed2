import { ValidationError } from '../../../kernel/app-error';

/**
 * The table or the options cannot be exported as asked. The message is written for the person
 * who asked (it names columns and the fix, never paths or SQL); `field` names the option.
 */
export function exportRefused(code: string, message: string, field?: string): ValidationError {
  return new ValidationError(message, {
    code: `EXPORT.${code}`,
    ...(field ? { field: `options.${field}` } : {}),
  });
}

/** Names for a message: all of them for a few, the first ones and a count for many. */
export function listNames(names: readonly string[], most = 10): string {
  const quoted = names.slice(0, most).map((name) => JSON.stringify(name));
  const more = names.length - quoted.length;
  return more > 0 ? `${quoted.join(', ')} and ${more} more` : quoted.join(', ');
}
