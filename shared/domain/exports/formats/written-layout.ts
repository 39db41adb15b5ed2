/** What a format writer wrote under the export folder; `exportTable` adds sizes and checksums. */
export interface WrittenFile {
  relativePath: string;
  contentType: string;
  rows?: number;
}

export interface WrittenLayout {
  files: WrittenFile[];
  rows: number;
  metadata: Record<string, unknown>;
}

/** Reports the fraction (0–1) of the writing done. */
export type ReportProgress = (fraction: number) => void;
