/**
 * A trained gradient-boosted tree ensemble in a plain, JSON-serialisable form.
 *
 * Tree node `i` is a leaf when `feature[i] < 0`; then `value[i]` is its output (learning rate
 * already applied). Otherwise rows with `x[feature[i]] < threshold[i]` go to `left[i]`, others
 * to `right[i]` (ONNX mode BRANCH_LT). Thresholds are float32-representable and features are
 * compared as float32, exactly as ONNX Runtime does. There are no missing values.
 */
export interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface GbdtModel {
  kind: 'gbdt';
  /** Log-odds added to the sum of the trees. */
  baseScore: number;
  trees: Tree[];
  featureNames: string[];
}

/** Raw score (log-odds) of one row given as float32 values. */
export function predictRawRow(model: GbdtModel, row: ArrayLike<number>): number {
  let score = model.baseScore;
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node] >= 0) {
      node = row[tree.feature[node]] < tree.threshold[node] ? tree.left[node] : tree.right[node];
    }
    score += tree.value[node];
  }
  return score;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Probabilities for a row-major float32 matrix of `cols` columns. */
export function predictProba(model: GbdtModel, values: Float32Array, cols: number): Float64Array {
  const rows = values.length / cols;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    out[r] = sigmoid(predictRawRow(model, values.subarray(r * cols, (r + 1) * cols)));
  }
  return out;
}

/**
 * Raw scores of every row of a row-major float32 matrix: the same numbers as predictRawRow
 * (each row's leaf values are added in tree order), computed tree by tree over typed arrays,
 * which is much faster for large matrices.
 */
export function predictRawMatrix(model: GbdtModel, values: Float32Array, cols: number): Float64Array {
  const rows = values.length / cols;
  const out = new Float64Array(rows).fill(model.baseScore);
  for (const tree of model.trees) {
    const feature = Int32Array.from(tree.feature);
    const threshold = Float64Array.from(tree.threshold);
    const left = Int32Array.from(tree.left);
    const right = Int32Array.from(tree.right);
    const value = Float64Array.from(tree.value);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let node = 0;
      let f = feature[0];
      while (f >= 0) {
        node = values[base + f] < threshold[node] ? left[node] : right[node];
        f = feature[node];
      }
      out[r] += value[node];
    }
  }
  return out;
}

/** Probabilities for a row-major float32 matrix; equal to predictProba, faster on many rows. */
export function predictProbaMatrix(model: GbdtModel, values: Float32Array, cols: number): Float64Array {
  const out = predictRawMatrix(model, values, cols);
  for (let r = 0; r < out.length; r++) out[r] = sigmoid(out[r]);
  return out;
}
