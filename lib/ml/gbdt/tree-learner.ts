/**
 * Leaf-wise (best-first) growth of one regression tree on gradient/hessian histograms.
 *
 * The learner never touches rows itself: a RowEngine partitions a leaf's rows and builds the
 * histogram of one side. Only the smaller child's histogram is built; the larger one is the
 * parent's minus it (exact, see objective.ts). A child that can never be split (depth limit,
 * too little weight, no leaves left) gets no histogram at all.
 *
 * Gains follow XGBoost/LightGBM without the factor 1/2:
 *   gain = GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ), leaf weight = −G/(H+λ).
 * Ties are broken by the lowest feature, then the lowest bin, then the lowest leaf id, so the
 * tree is a pure function of the histograms.
 */
import type { HistogramLayout } from './histogram.ts';
import { subtractHistogram } from './histogram.ts';

export interface TreeParams {
  /** Root has depth 0; a leaf at depth maxDepth is not split. */
  maxDepth: number;
  maxLeaves: number;
  /** Minimum hessian sum of each child. */
  minChildWeight: number;
  /** Minimum number of rows of each child (needs a layout with counts when > 1). */
  minDataInLeaf: number;
  /** L2 regularisation of leaf weights. */
  lambda: number;
  /** A split is made only when its gain is > this (and > 0). */
  minGainToSplit: number;
}

/** Does the row work for the learner (see shard.ts / pool.ts). */
export interface RowEngine {
  /**
   * Moves rows of `leaf` with bin(feature) > bin to `newLeaf`, keeping the others in `leaf`, and
   * writes the histogram of the left (side 1) or right (side 2) child into `out` (side 0: none).
   * Returns the number of rows that stayed left, or -1 when `out` is null: then both children
   * are final leaves and the engine may skip the partition (it must still score them apart).
   */
  split(
    leaf: number,
    newLeaf: number,
    feature: number,
    bin: number,
    side: number,
    out: Float64Array | null,
    rows: number,
  ): number;
}

/** A grown tree in bin form. Node arrays; node 0 is the root; feature < 0 marks a leaf. */
export interface BinnedTree {
  feature: Int32Array;
  /** Rows with bin <= bin go left. */
  bin: Int32Array;
  left: Int32Array;
  right: Int32Array;
  /** For leaves: the leaf id; -1 for internal nodes. */
  leafId: Int32Array;
  nodes: number;
  numLeaves: number;
  /** Raw leaf weights −G/(H+λ) by leaf id (no learning rate). */
  leafWeights: Float64Array;
  /** Rows per leaf id. */
  leafRows: Float64Array;
  /** Split gain per internal node (for feature importance); 0 for leaves. */
  gain: Float64Array;
}

interface Candidate {
  feature: number;
  bin: number;
  gain: number;
  leftG: number;
  leftH: number;
  /** Left row count; estimated from the hessian share when the layout has no counts. */
  leftC: number;
}

/** Reusable buffers for growTree (histograms are large; allocate once per training run). */
export class TreeWorkspace {
  readonly layout: HistogramLayout;
  readonly maxLeaves: number;
  private buffers: Float64Array[] = [];
  private free: number[] = [];

  constructor(layout: HistogramLayout, maxLeaves: number) {
    this.layout = layout;
    this.maxLeaves = maxLeaves;
  }

  /** A histogram buffer slot, zeroed. */
  alloc(): number {
    const slot = this.free.pop();
    if (slot !== undefined) {
      this.buffers[slot].fill(0);
      return slot;
    }
    this.buffers.push(new Float64Array(this.layout.size));
    return this.buffers.length - 1;
  }

  release(slot: number): void {
    if (slot >= 0) this.free.push(slot);
  }

  buffer(slot: number): Float64Array {
    return this.buffers[slot];
  }

  /** Frees every slot (between trees). */
  reset(): void {
    this.free = [];
    for (let i = this.buffers.length - 1; i >= 0; i--) this.free.push(i);
  }
}

/**
 * Best split of a node from its histogram. `scale` converts the quantised sums to real units:
 * all of G, H and the thresholds are compared in quantised units. Returns false when no split
 * satisfies the constraints with a positive gain above minGainToSplit.
 */
export function findBestSplit(
  hist: Float64Array,
  layout: HistogramLayout,
  sumG: number,
  sumH: number,
  count: number,
  params: TreeParams,
  scale: number,
  out: Candidate,
): boolean {
  const { cols, numBins, offsets, stride } = layout;
  const lambda = params.lambda * scale;
  const minH = Math.max(params.minChildWeight * scale, 1);
  const minC = stride === 3 ? Math.max(params.minDataInLeaf, 1) : 0;
  const parentScore = (sumG * sumG) / (sumH + lambda);
  // Gains are in quantised units: gain_q = scale * gain.
  let bestGain = Math.max(params.minGainToSplit * scale, 0);
  let found = false;
  for (let f = 0; f < cols; f++) {
    const nb = numBins[f];
    if (nb <= 1) continue;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    let o = offsets[f] * stride;
    for (let b = 0; b < nb - 1; b++, o += stride) {
      gl += hist[o];
      hl += hist[o + 1];
      if (stride === 3) cl += hist[o + 2];
      if (hl < minH || (stride === 3 && cl < minC)) continue;
      const hr = sumH - hl;
      if (hr < minH || (stride === 3 && count - cl < minC)) break;
      const gr = sumG - gl;
      const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore;
      if (gain > bestGain) {
        bestGain = gain;
        found = true;
        out.feature = f;
        out.bin = b;
        out.gain = gain;
        out.leftG = gl;
        out.leftH = hl;
        out.leftC = stride === 3 ? cl : Math.round((count * hl) / sumH);
      }
    }
  }
  return found;
}

function newCandidate(): Candidate {
  return { feature: -1, bin: 0, gain: 0, leftG: 0, leftH: 0, leftC: 0 };
}

/**
 * Grows one tree. The root histogram must already be in `workspace.buffer(rootSlot)`, with the
 * root's gradient/hessian sums and row count given; leaf ids are 0..numLeaves-1 and leaf 0 is the
 * root leaf in the engine.
 */
export function growTree(
  workspace: TreeWorkspace,
  params: TreeParams,
  scale: number,
  engine: RowEngine,
  rootSlot: number,
  rootG: number,
  rootH: number,
  rootCount: number,
): BinnedTree {
  const layout = workspace.layout;
  const maxLeaves = Math.max(1, params.maxLeaves);
  const maxNodes = 2 * maxLeaves - 1;
  const feature = new Int32Array(maxNodes).fill(-1);
  const bin = new Int32Array(maxNodes);
  const left = new Int32Array(maxNodes).fill(-1);
  const right = new Int32Array(maxNodes).fill(-1);
  const leafId = new Int32Array(maxNodes).fill(-1);
  const gainOf = new Float64Array(maxNodes);
  // Per leaf id.
  const node = new Int32Array(maxLeaves);
  const depth = new Int32Array(maxLeaves);
  const G = new Float64Array(maxLeaves);
  const H = new Float64Array(maxLeaves);
  const C = new Float64Array(maxLeaves);
  const slot = new Int32Array(maxLeaves).fill(-1);
  const has = new Uint8Array(maxLeaves);
  const best: Candidate[] = [];
  for (let i = 0; i < maxLeaves; i++) best.push(newCandidate());

  const lambda = params.lambda * scale;
  const minH = Math.max(params.minChildWeight * scale, 1);
  const minC = Math.max(params.minDataInLeaf, 1);
  // Could a leaf with these sums at this depth ever be split?
  const splittable = (d: number, h: number, c: number) => d < params.maxDepth && h >= 2 * minH && c >= 2 * minC;

  let nodes = 1;
  let numLeaves = 1;
  leafId[0] = 0;
  node[0] = 0;
  G[0] = rootG;
  H[0] = rootH;
  C[0] = rootCount;
  if (maxLeaves > 1 && splittable(0, rootH, rootCount)) {
    slot[0] = rootSlot;
    has[0] = findBestSplit(workspace.buffer(rootSlot), layout, rootG, rootH, rootCount, params, scale, best[0]) ? 1 : 0;
  } else {
    workspace.release(rootSlot);
  }

  while (numLeaves < maxLeaves) {
    let leaf = -1;
    let bestGain = -Infinity;
    for (let l = 0; l < numLeaves; l++) {
      if (has[l] && best[l].gain > bestGain) {
        bestGain = best[l].gain;
        leaf = l;
      }
    }
    if (leaf < 0) break;
    const cand = best[leaf];
    const newLeaf = numLeaves++;
    const parentNode = node[leaf];
    const d = depth[leaf] + 1;
    const lG = cand.leftG;
    const lH = cand.leftH;
    const rG = G[leaf] - lG;
    const rH = H[leaf] - lH;
    const lCest = cand.leftC;
    const rCest = C[leaf] - lCest;
    const more = numLeaves < maxLeaves;
    const leftNeeds = more && splittable(d, lH, lCest);
    const rightNeeds = more && splittable(d, rH, rCest);
    const parentSlot = slot[leaf];
    let side = 0;
    let childSlot = -1;
    if (leftNeeds || rightNeeds) {
      side = lCest <= rCest ? 1 : 2;
      childSlot = workspace.alloc();
    }
    const moved = engine.split(
      leaf,
      newLeaf,
      cand.feature,
      cand.bin,
      side,
      childSlot >= 0 ? workspace.buffer(childSlot) : null,
      C[leaf],
    );
    const leftRows = moved >= 0 ? moved : Math.round(lCest);
    // Tree structure.
    const ln = nodes++;
    const rn = nodes++;
    feature[parentNode] = cand.feature;
    bin[parentNode] = cand.bin;
    left[parentNode] = ln;
    right[parentNode] = rn;
    leafId[parentNode] = -1;
    gainOf[parentNode] = cand.gain / scale;
    leafId[ln] = leaf;
    leafId[rn] = newLeaf;
    node[leaf] = ln;
    node[newLeaf] = rn;
    depth[leaf] = d;
    depth[newLeaf] = d;
    const parentRows = C[leaf];
    G[leaf] = lG;
    H[leaf] = lH;
    C[leaf] = leftRows;
    G[newLeaf] = rG;
    H[newLeaf] = rH;
    C[newLeaf] = parentRows - leftRows;
    has[leaf] = 0;
    has[newLeaf] = 0;
    slot[leaf] = -1;
    slot[newLeaf] = -1;
    // Histograms: the built child in childSlot, the other = parent − built, in parentSlot.
    if (childSlot >= 0) {
      const builtLeaf = side === 1 ? leaf : newLeaf;
      const otherLeaf = side === 1 ? newLeaf : leaf;
      const otherNeeds = side === 1 ? rightNeeds : leftNeeds;
      const builtNeeds = side === 1 ? leftNeeds : rightNeeds;
      if (otherNeeds) {
        subtractHistogram(workspace.buffer(parentSlot), workspace.buffer(childSlot), layout.size);
        slot[otherLeaf] = parentSlot;
      } else {
        workspace.release(parentSlot);
      }
      if (builtNeeds) slot[builtLeaf] = childSlot;
      else workspace.release(childSlot);
    } else {
      workspace.release(parentSlot);
    }
    for (const l of [leaf, newLeaf]) {
      if (slot[l] >= 0) {
        has[l] = findBestSplit(workspace.buffer(slot[l]), layout, G[l], H[l], C[l], params, scale, best[l]) ? 1 : 0;
        if (!has[l]) {
          workspace.release(slot[l]);
          slot[l] = -1;
        }
      }
    }
  }
  for (let l = 0; l < numLeaves; l++) workspace.release(slot[l]);

  const leafWeights = new Float64Array(numLeaves);
  const leafRows = new Float64Array(numLeaves);
  for (let l = 0; l < numLeaves; l++) {
    leafWeights[l] = -G[l] / (H[l] + lambda);
    leafRows[l] = C[l];
  }
  return {
    feature: feature.slice(0, nodes),
    bin: bin.slice(0, nodes),
    left: left.slice(0, nodes),
    right: right.slice(0, nodes),
    leafId: leafId.slice(0, nodes),
    nodes,
    numLeaves,
    leafWeights,
    leafRows,
    gain: gainOf.slice(0, nodes),
  };
}
