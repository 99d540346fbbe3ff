/** One model version as the production manifest names it. */
export interface ManifestEntry {
  version: string;
  /** Repository-relative path of the ONNX artifact. */
  path: string;
  sha256: string;
}

export interface ChallengerEntry extends ManifestEntry {
  mode: 'shadow' | 'canary';
  /** Share of traffic (0..1) routed to the challenger in canary mode; ignored in shadow mode. */
  traffic: number;
}

/** `manifests/production.json`: the deployed state. */
export interface ProductionManifest {
  schemaVersion: 1;
  model: 'flight-delay';
  champion: ManifestEntry;
  previous: ManifestEntry | null;
  challenger: ChallengerEntry | null;
  /** Why the last change happened: `promote 2001-05-01-… over …`, `rollback …`. */
  reason: string;
  updatedAt: string;
}

/** `manifests/data-clock.json`: the instant that scheduled runs train up to. */
export interface DataClock {
  asOf: string;
}
