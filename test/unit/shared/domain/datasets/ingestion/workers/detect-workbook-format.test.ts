import { describe, expect, it } from 'vitest';
import { FileValidationFailure } from '../../../../../../../shared/domain/datasets/ingestion/workers/file-validation-failure';
import { detectTabularFormat } from '../../../../../../../shared/domain/datasets/ingestion/workers/tabular-processor';
import {
  buildCompoundFileHead,
  buildWorkbook,
} from '../../../../../../fixtures/ingestion/xlsx/build-workbook';

describe('detectTabularFormat for workbooks', () => {
  it('sends zip and OLE2 content to the workbook reader whatever the name says', () => {
    const xlsx = buildWorkbook([{ name: 'S', rows: [['a'], [1]] }]);
    expect(detectTabularFormat('excel', 'book.xlsx', xlsx)).toBe('excel');
    expect(detectTabularFormat('csv', 'renamed.csv', xlsx)).toBe('excel');
    expect(detectTabularFormat('excel', 'old.xlsx', buildCompoundFileHead('Workbook'))).toBe('excel');
    expect(detectTabularFormat('excel', 'locked.xlsx', buildCompoundFileHead('EncryptedPackage'))).toBe(
      'excel',
    );
  });

  it('refuses a file named as a workbook whose content is not one, saying how to fix it', () => {
    let failure: unknown;
    try {
      detectTabularFormat('excel', 'export.xlsx', new TextEncoder().encode('id,name\n1,Ann\n'));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(FileValidationFailure);
    const [issue] = (failure as FileValidationFailure).issues;
    expect(issue?.code).toBe('EXCEL.INVALID');
    expect(issue?.message).toMatch(/save it as "Excel Workbook \(\.xlsx\)" or as "CSV UTF-8"/);
  });
});
