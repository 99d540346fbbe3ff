/**
 * Reading and writing `manifests/production.json` and `manifests/data-clock.json`, validated on
 * both sides: a bad manifest is never read as if it were fine, and never written.
 */
import type { RepoFiles } from '../util/repo-files.ts';
import { formatDataClock, formatManifest } from './format.ts';
import type { DataClock, ProductionManifest } from './schema.ts';
import { validateDataClock, validateManifest } from './validate.ts';
import { errorMessage } from '../util/errors.ts';

export const MANIFEST_PATH = 'manifests/production.json';
export const DATA_CLOCK_PATH = 'manifests/data-clock.json';

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${errorMessage(error)}`);
  }
}

export function parseManifest(text: string, file = MANIFEST_PATH): ProductionManifest {
  return validateManifest(parseJson(text, file), file);
}

/** The production manifest, or null when none exists yet (before the first promotion). */
export async function readManifest(files: RepoFiles): Promise<ProductionManifest | null> {
  if (!(await files.exists(MANIFEST_PATH))) return null;
  return parseManifest(await files.readText(MANIFEST_PATH));
}

export async function writeManifest(files: RepoFiles, manifest: ProductionManifest): Promise<void> {
  validateManifest(manifest, `the new ${MANIFEST_PATH}`);
  await files.write(MANIFEST_PATH, formatManifest(manifest));
}

export function parseDataClock(text: string, file = DATA_CLOCK_PATH): DataClock {
  return validateDataClock(parseJson(text, file), file);
}

export async function readDataClock(files: RepoFiles): Promise<DataClock | null> {
  if (!(await files.exists(DATA_CLOCK_PATH))) return null;
  return parseDataClock(await files.readText(DATA_CLOCK_PATH));
}

export async function writeDataClock(files: RepoFiles, clock: DataClock): Promise<void> {
  validateDataClock(clock, `the new ${DATA_CLOCK_PATH}`);
  await files.write(DATA_CLOCK_PATH, formatDataClock(clock));
}
