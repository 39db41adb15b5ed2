import { describe, expect, it } from 'vitest';
import { parsePostgresErrorMessage } from '../../../../../../shared/adapters/aws/data-api/data-api-errors';
import {
  parseArrayLiteral,
  parseTimestamp,
} from '../../../../../../shared/adapters/aws/data-api/data-api-results';
import { isCursorable, isDataChange, scanSql } from '../../../../../../shared/adapters/aws/data-api/sql-text';

describe('PostgreSQL error text from the Data API', () => {
  it.each([
    [
      'ERROR: insert or update on table "jobs" violates foreign key constraint "jobs_user_id_fkey"\n  Detail: Key (user_id)=(6b1f) is not present in table "users".; SQLState: 23503',
      {
        message: 'insert or update on table "jobs" violates foreign key constraint "jobs_user_id_fkey"',
        sqlState: '23503',
        constraint: 'jobs_user_id_fkey',
        detail: 'Key (user_id)=(6b1f) is not present in table "users".',
      },
    ],
    [
      'ERROR: insufficient credits: balance 3, needed 10\n  Where: PL/pgSQL function debit_credits() line 12 at RAISE; SQLState: P0001',
      {
        message: 'insufficient credits: balance 3, needed 10',
        sqlState: 'P0001',
        constraint: undefined,
        detail: undefined,
      },
    ],
    [
      'ERROR: column "nme" does not exist\n  Hint: Perhaps you meant to reference the column "users.name".\n  Position: 8; SQLState: 42703',
      { message: 'column "nme" does not exist', sqlState: '42703', constraint: undefined, detail: undefined },
    ],
  ])('parses %#', (text, expected) => {
    expect(parsePostgresErrorMessage(text)).toEqual(expected);
  });
});

describe('statement kind', () => {
  it.each([
    ['select 1', 'select', true, false],
    ['  -- note\n/* c */ SELECT * from t for update', 'select', false, false],
    ['with x as (select 1) select * from x', 'select', true, false],
    ['with gone as (delete from t returning *) select count(*) from gone', 'select', false, false],
    ['with x as (select 1) insert into t select * from x returning id', 'insert', false, true],
    ['update t set a = 1', 'update', false, true],
    ['values (1), (2)', 'values', true, false],
  ])('%s', (sql, command, cursorable, dataChange) => {
    const scanned = scanSql(sql);
    expect(scanned.command).toBe(command);
    expect(isCursorable(scanned)).toBe(cursorable);
    expect(isDataChange(scanned.command)).toBe(dataChange);
  });
});

describe('values printed by the Data API', () => {
  it('reads timestamps as UTC unless an offset is given', () => {
    expect(parseTimestamp('2026-03-14 09:26:53.589793')).toEqual(new Date('2026-03-14T09:26:53.589Z'));
    expect(parseTimestamp('2026-03-14 09:26:53+02')).toEqual(new Date('2026-03-14T07:26:53.000Z'));
    expect(parseTimestamp('2026-03-14 09:26:53.5-05:30')).toEqual(new Date('2026-03-14T14:56:53.500Z'));
    expect(parseTimestamp('infinity')).toBe('infinity');
  });

  it('reads PostgreSQL array text, quoted, nested and with NULLs', () => {
    expect(parseArrayLiteral('{}')).toEqual([]);
    expect(parseArrayLiteral('{a,"b,c","d\\"e",NULL,"NULL"}')).toEqual(['a', 'b,c', 'd"e', null, 'NULL']);
    expect(parseArrayLiteral('{{1,2},{3,4}}')).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });
});
