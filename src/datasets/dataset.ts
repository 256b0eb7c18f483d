/** The three public text-based person search datasets (DESIGN.md, "External contracts"). */
export type DatasetFormat = 'cuhk-pedes' | 'icfg-pedes' | 'rstpreid';

/** One image of a dataset with its person id, split and captions (each caption is one query). */
export interface DatasetEntry {
  /** Person id as the file gives it (number or string). */
  id: number | string;
  split: string;
  captions: string[];
  /** `file_path` (CUHK-PEDES, ICFG-PEDES) or `img_path` (RSTPReid), relative to the images root. */
  imagePath: string;
  /** Fields the reader does not interpret (e.g. `processed_tokens`), kept for a faithful round trip. */
  extra: Record<string, unknown>;
}

/** An entry the reader skipped, by its position in the file's array. */
export interface SkippedEntry {
  index: number;
  reason: string;
}

export interface Dataset {
  format: DatasetFormat;
  /** The file it was read from. */
  source: string;
  entries: DatasetEntry[];
  skipped: SkippedEntry[];
}
