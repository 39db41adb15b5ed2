/**
 * Text of one CSV field, quoted as RFC 4180 asks: only when it holds the delimiter, a quote or a
 * line break, with quotes inside doubled.
 */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const EXPONENT = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/;

/**
 * A number as a plain decimal (no exponent), with the shortest digits that read back as the same
 * double: `1e-7` → `0.0000001`, `1e21` → `1000000000000000000000`, `4.4` stays `4.4` even when the
 * workbook stored `4.4000000000000004`. Excel keeps numbers as doubles, so nothing is lost.
 */
export function plainDecimal(value: number): string {
  if (Object.is(value, -0)) return '0';
  const text = String(value);
  const match = EXPONENT.exec(text);
  if (!match) return text;
  const sign = match[1] ?? '';
  const whole = match[2] ?? '';
  const digits = whole + (match[3] ?? '');
  const point = whole.length + Number(match[4]);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const DAY_MS = 86_400_000;

/** Whether a date carries a time of day (workbook dates are wall-clock values read as UTC). */
export function hasTimeOfDay(date: Date): boolean {
  return ((date.getTime() % DAY_MS) + DAY_MS) % DAY_MS !== 0;
}

/**
 * ISO 8601 without a zone (a workbook stores wall-clock time, not an instant): `2024-01-02`, or
 * `2024-01-02T10:30:00` (milliseconds only when present) when `withTime`.
 */
export function isoDate(date: Date, withTime: boolean): string {
  const iso = date.toISOString();
  if (!withTime) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
}

/**
 * Workbooks store times as fractions of a day and the reader floors them to milliseconds, so
 * 08:00 can arrive as 07:59:59.999; a value within a millisecond of a whole second is that second.
 */
export function snapToSecond(date: Date): Date {
  const ms = date.getTime();
  const second = Math.round(ms / 1000) * 1000;
  return Math.abs(ms - second) <= 1 ? new Date(second) : date;
}
