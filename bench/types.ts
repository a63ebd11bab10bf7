// Every benchmark reports rows; run.ts prints them side by side with the baseline measured in
// the same run (never against a number remembered from another machine).
export interface BenchRow {
  /** e.g. "m3u parse+merge 100k" */
  readonly bench: string;
  /** e.g. "time", "peak RSS", "first byte" */
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** What the same work costs without us (e.g. JSON.parse of the same data, a direct fetch). */
  readonly baseline?: { readonly name: string; readonly value: number };
  /** Human-readable target, e.g. "< 2000 ms". */
  readonly target?: string;
  readonly pass?: boolean;
}

export type Report = (row: BenchRow) => void;

/** A bench module's default export. It must stop by itself and use loopback only. */
export type Bench = (report: Report) => Promise<void>;
