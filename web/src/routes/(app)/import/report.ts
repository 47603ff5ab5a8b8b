import type { ImportSummary } from '$lib/types.ts';

/** GET /api/imports/:id (activities/import/types.ts ImportReport). */
export interface ImportReport extends ImportSummary {
  rowsInserted: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  rowsDuplicate: number;
  columns: { mapped: Record<string, string>; ignored: string[] };
  rejections: { line: number; column: string | null; value: string | null; reason: string }[];
  rejectionsTotal: number;
}
