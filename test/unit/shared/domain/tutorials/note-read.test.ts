import { describe, expect, it } from 'vitest';
import { noteRead } from '../../../../../shared/domain/tutorials/resource-reads-repository';

describe('recording a read after it was answered', () => {
  it('logs a failure to record instead of failing the read', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => void warnings.push(message) };
    await expect(
      noteRead(logger, () => Promise.reject(new Error('the database is resuming'))),
    ).resolves.toBeUndefined();
    expect(warnings).toEqual(['a read was answered but could not be recorded']);
  });

  it('records quietly when recording works', async () => {
    const warnings: string[] = [];
    let recorded = 0;
    await noteRead({ warn: (message: string) => void warnings.push(message) }, async () => {
      recorded += 1;
    });
    expect({ recorded, warnings }).toEqual({ recorded: 1, warnings: [] });
  });
});
