/**
 * The small file-system surface the registry, manifests and release code need, rooted at a
 * repository. Paths are repository-relative POSIX paths (`models/flight-delay/v/model.onnx`), so
 * error messages name files the way a reviewer sees them in a diff.
 */
import { access, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface RepoFiles {
  /** Absolute path of the repository root (for messages and for tools that need real paths). */
  readonly root: string;
  read(rel: string): Promise<Uint8Array>;
  readText(rel: string): Promise<string>;
  /** Creates parent folders as needed. */
  write(rel: string, data: Uint8Array | string): Promise<void>;
  exists(rel: string): Promise<boolean>;
  /** Names of the entries of a folder; [] when the folder does not exist. */
  list(rel: string): Promise<string[]>;
  /** Fails when `to` exists (folders are never merged). */
  rename(from: string, to: string): Promise<void>;
  remove(rel: string): Promise<void>;
}

/** Rejects absolute paths and `..` so nothing outside the repository is ever touched. */
export function checkRelative(rel: string): string {
  if (rel === '' || rel.startsWith('/') || rel.includes('\\') || rel.split('/').includes('..')) {
    throw new Error(`${JSON.stringify(rel)} is not a repository-relative path`);
  }
  return rel;
}

export function nodeRepoFiles(root: string): RepoFiles {
  const abs = (rel: string) => path.join(root, checkRelative(rel));
  const exists = async (rel: string) => {
    try {
      await access(abs(rel));
      return true;
    } catch {
      return false;
    }
  };
  return {
    root: path.resolve(root),
    async read(rel) {
      return new Uint8Array(await readFile(abs(rel)));
    },
    async readText(rel) {
      return readFile(abs(rel), 'utf8');
    },
    async write(rel, data) {
      await mkdir(path.dirname(abs(rel)), { recursive: true });
      await writeFile(abs(rel), data);
    },
    exists,
    async list(rel) {
      try {
        return (await readdir(abs(rel))).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    async rename(from, to) {
      // rename(2) silently replaces an empty target folder; immutability needs a hard refusal.
      if (await exists(to)) throw new Error(`${to} already exists`);
      await mkdir(path.dirname(abs(to)), { recursive: true });
      await rename(abs(from), abs(to));
    },
    async remove(rel) {
      await rm(abs(rel), { recursive: true, force: true });
    },
  };
}
