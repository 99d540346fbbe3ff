/**
 * Stable JSON for the files in `manifests/`: fixed key order, 2-space indent, trailing newline.
 * The same state always gives the same bytes, so promotion diffs are minimal and `git revert`
 * restores a manifest byte for byte.
 */
import type { ChallengerEntry, DataClock, ManifestEntry, ProductionManifest } from './schema.ts';

function entry(e: ManifestEntry): ManifestEntry {
  return { version: e.version, path: e.path, sha256: e.sha256 };
}

function challenger(e: ChallengerEntry): ChallengerEntry {
  return { ...entry(e), mode: e.mode, traffic: e.traffic };
}

/** The manifest with keys in schema order (unknown keys dropped — validate before formatting). */
export function canonicalManifest(m: ProductionManifest): ProductionManifest {
  return {
    schemaVersion: m.schemaVersion,
    model: m.model,
    champion: entry(m.champion),
    previous: m.previous ? entry(m.previous) : null,
    challenger: m.challenger ? challenger(m.challenger) : null,
    reason: m.reason,
    updatedAt: m.updatedAt,
  };
}

export function formatManifest(m: ProductionManifest): string {
  return `${JSON.stringify(canonicalManifest(m), null, 2)}\n`;
}

export function formatDataClock(clock: DataClock): string {
  return `${JSON.stringify({ asOf: clock.asOf }, null, 2)}\n`;
}
