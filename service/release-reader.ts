/**
 * Reading a release from the model source at one revision: the production manifest (validated by
 * lib/manifest), the card beside an artifact (validated, once, by lib/registry's `parseCard`) and
 * the artifact's bytes. Every failure is a LoadError with the reason the metrics count.
 */
import path from 'node:path';
import type { ManifestEntry, ProductionManifest } from '../lib/manifest/schema.ts';
import { validateManifest } from '../lib/manifest/validate.ts';
import type { ModelCard } from '../lib/registry/card.ts';
import { CardError, parseCard } from '../lib/registry/registry.ts';
import { errorMessage } from '../lib/util/errors.ts';
import { MissingFileError, type ModelSource } from './model-source.ts';
import { LoadError } from './serving-model.ts';

export function cardPath(entry: ManifestEntry): string {
  return path.posix.join(path.posix.dirname(entry.path), 'card.json');
}

export class ReleaseReader {
  readonly source: ModelSource;
  readonly manifestPath: string;
  /** Cards are immutable beside their artifact: cached by path and sha256. */
  readonly #cards = new Map<string, ModelCard>();

  constructor(source: ModelSource, manifestPath: string) {
    this.source = source;
    this.manifestPath = manifestPath;
  }

  /** A file's bytes; `what` names it in errors ("the production manifest", "challenger v2: the artifact"). */
  async read(revision: string, file: string, what: string): Promise<Uint8Array> {
    try {
      return await this.source.read(revision, file);
    } catch (error) {
      if (error instanceof MissingFileError) throw new LoadError('missing_file', `${what}: ${error.message}`);
      throw new LoadError(
        'source_error',
        `${what}: cannot read ${file} from ${this.source.description}: ${errorMessage(error)}`,
      );
    }
  }

  async manifest(revision: string): Promise<ProductionManifest> {
    const text = new TextDecoder().decode(await this.read(revision, this.manifestPath, 'the production manifest'));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new LoadError('manifest_invalid', `${this.manifestPath} is not valid JSON: ${errorMessage(error)}`);
    }
    try {
      return validateManifest(value, this.manifestPath);
    } catch (error) {
      throw new LoadError('manifest_invalid', errorMessage(error));
    }
  }

  /** The card beside an artifact, checked against the manifest entry. */
  async card(entry: ManifestEntry, revision: string): Promise<ModelCard> {
    const cacheKey = `${entry.path}\u0000${entry.sha256}`;
    const cached = this.#cards.get(cacheKey);
    if (cached) return cached;
    const file = cardPath(entry);
    const text = new TextDecoder().decode(await this.read(revision, file, `the model card of ${entry.version}`));
    let card: ModelCard;
    try {
      card = parseCard(text, file, { version: entry.version, sha256: entry.sha256, by: 'the manifest' });
    } catch (error) {
      const mismatch = error instanceof CardError && error.artifactMismatch;
      throw new LoadError(mismatch ? 'hash_mismatch' : 'card_invalid', errorMessage(error));
    }
    this.#cards.set(cacheKey, card);
    return card;
  }
}
