/** A dense, row-major float32 feature matrix with binary labels. */
export interface Matrix {
  rows: number;
  cols: number;
  /** values[r * cols + c] */
  values: Float32Array;
  /** 1 = delayed, 0 = on time; length `rows`. */
  labels: Uint8Array;
  featureNames: string[];
}
