import {
  BadRequestException,
  type ColumnMetadata,
  type ExecuteStatementCommandInput,
  type ExecuteStatementCommandOutput,
  type Field,
} from '@aws-sdk/client-rds-data';
import { readFileSync } from 'node:fs';

/** Shared test helpers for the Data API dialect: a response fixture and a small cursor-capable fake. */

const metadata = { httpStatusCode: 200, requestId: 'req', attempts: 1, totalRetryDelay: 0 };

/** The users fixture as the SDK hands it to us (blobValue decoded from base64). */
export function usersResponse(): ExecuteStatementCommandOutput {
  const raw = JSON.parse(
    readFileSync(new URL('./fixtures/execute-statement-users.json', import.meta.url), 'utf8'),
  ) as {
    columnMetadata: ColumnMetadata[];
    numberOfRecordsUpdated: number;
    // On the wire a blob is base64 text; the SDK hands it to us as bytes.
    records: (Field | { blobValue: string })[][];
  };
  const records: Field[][] = raw.records.map((record) =>
    record.map((field): Field => {
      const blob = field.blobValue;
      return typeof blob === 'string'
        ? { blobValue: new Uint8Array(Buffer.from(blob, 'base64')) }
        : (field as Field);
    }),
  );
  return {
    $metadata: metadata,
    columnMetadata: raw.columnMetadata,
    numberOfRecordsUpdated: raw.numberOfRecordsUpdated,
    records,
  };
}

export function output(partial: Partial<ExecuteStatementCommandOutput> = {}): ExecuteStatementCommandOutput {
  return { $metadata: metadata, numberOfRecordsUpdated: 0, ...partial };
}

export function column(name: string, typeName: string): ColumnMetadata {
  return { name, label: name, typeName };
}

export function tooLarge(): BadRequestException {
  return new BadRequestException({
    message: 'Database returned more than the allowed response size limit',
    $metadata: {},
  });
}

/**
 * A table of `count` rows (`n` int4, `payload` text of `payloadBytes` characters) served the way
 * the Data API would: a plain SELECT whose response would pass 1 MiB is refused, and inside a
 * transaction `DECLARE … CURSOR`, `FETCH FORWARD n`, `MOVE ABSOLUTE k` and `CLOSE` behave like
 * PostgreSQL's (a refused FETCH still moves the cursor, as the rows were read before the service
 * refused to return them).
 */
export function cursorTable(count: number, payloadBytes: number) {
  const limit = 1024 * 1024;
  const columns = [column('n', 'int4'), column('payload', 'text')];
  const row = (i: number): Field[] => [
    { longValue: i },
    { stringValue: String(i % 10).repeat(payloadBytes) },
  ];
  const fetchSizes: number[] = [];
  const cursors = new Map<string, number>();

  function respond(rows: number[]): ExecuteStatementCommandOutput {
    if (rows.length * (payloadBytes + 40) > limit) throw tooLarge();
    return output({ columnMetadata: columns, records: rows.map(row) });
  }

  async function handle(input: ExecuteStatementCommandInput): Promise<ExecuteStatementCommandOutput> {
    const sql = input.sql ?? '';
    let m = /^declare (\w+) scroll cursor for /.exec(sql);
    if (m?.[1]) {
      if (!input.transactionId) throw new Error('DECLARE CURSOR can only be used in transaction blocks');
      cursors.set(m[1], 0);
      return output();
    }
    m = /^fetch forward (\d+) from (\w+)$/.exec(sql);
    if (m?.[1] && m[2]) {
      const position = cursors.get(m[2]);
      if (position === undefined) throw new Error(`cursor "${m[2]}" does not exist`);
      const n = Number(m[1]);
      fetchSizes.push(n);
      const rows = Array.from(
        { length: Math.max(0, Math.min(n, count - position)) },
        (_, k) => position + k + 1,
      );
      cursors.set(m[2], position + rows.length);
      return respond(rows);
    }
    m = /^move absolute (\d+) from (\w+)$/.exec(sql);
    if (m?.[1] && m[2]) {
      cursors.set(m[2], Number(m[1]));
      return output();
    }
    m = /^close (\w+)$/.exec(sql);
    if (m?.[1]) {
      cursors.delete(m[1]);
      return output();
    }
    if (/^select/.test(sql)) return respond(Array.from({ length: count }, (_, k) => k + 1));
    throw new Error(`unexpected SQL: ${sql}`);
  }

  return { handle, fetchSizes, cursors };
}
