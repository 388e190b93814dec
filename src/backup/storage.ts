// Where archives and manifests live. Two backends with one contract: upload() publishes a key only once
// the whole stream is stored (file: write to <key>.partial, fsync, rename; S3: a multipart upload, which
// is invisible until completed), and putText() replaces a small object atomically.
import { isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { PgwardError, UsageError } from '../errors.js';
import { FileStorage } from './storage-file.js';
import type { S3Options } from './storage-s3.js';

export interface StoredObject {
  key: string;
  size: number;
  modified: Date;
}

export interface Storage {
  /** The storage URL, for messages (never holds credentials). */
  readonly url: string;
  upload(key: string, body: Readable): Promise<void>;
  putText(key: string, text: string): Promise<void>;
  getText(key: string): Promise<string | null>;
  /** Copies an object to a local file (created, or truncated). */
  download(key: string, dest: string): Promise<void>;
  openRead(key: string): Promise<Readable>;
  /** A local path to read the object from without copying (file storage), else null. */
  localPath(key: string): string | null;
  /**
   * Local storage only: a path where a program may write the object directly, then publish() it under
   * its key (fsync + rename) or discard() it. pg_dump writing to a regular file can seek back and record
   * data offsets in the archive, which `pg_restore -j` needs to restore in parallel efficiently.
   */
  localWriter?(key: string): LocalWriter;
  /** Size of the object, or null when there is none (errors other than "not found" throw). */
  stat(key: string): Promise<{ size: number } | null>;
  list(): Promise<StoredObject[]>;
  delete(key: string): Promise<void>;
  /** Removes storage-level debris (S3 multipart uploads never completed) started before `before`. */
  cleanupIncomplete(before: Date): Promise<string[]>;
}

/**
 * Keys are one name inside the storage root (a file in the directory, an object under the prefix):
 * no separators, no `..`, nothing a path resolution could take outside. Everything pgward writes fits.
 */
const STORAGE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function isStorageKey(key: string): boolean {
  return STORAGE_KEY.test(key) && !key.includes('..');
}

export function checkStorageKey(key: string, where: string): string {
  if (!isStorageKey(key)) {
    throw new PgwardError(
      `refusing to use key "${key.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)}" in ${where}: not a pgward object name`,
    );
  }
  return key;
}

export interface LocalWriter {
  path: string;
  prepare(): Promise<void>;
  publish(): Promise<void>;
  discard(): Promise<void>;
}

export interface StorageOptions {
  /** Directory relative file:// URLs are resolved against (the project root). */
  baseDir: string;
  s3?: S3Options;
}

/**
 * Opens a storage URL; the AWS SDK is loaded only when an s3:// URL is used (it is slow to import).
 *
 * @example
 * ```ts
 * import { openStorage } from 'pgward';
 * const storage = await openStorage('file://./backups', { baseDir: process.cwd() });
 * ```
 */
export async function openStorage(url: string, opts: StorageOptions): Promise<Storage> {
  if (url.startsWith('file://')) {
    const raw = url.slice('file://'.length);
    if (!raw)
      throw new UsageError(
        `backups.storage "${url}" names no directory`,
        'e.g. file://./backups or file:///var/backups/pgward',
      );
    return new FileStorage(isAbsolute(raw) ? raw : resolve(opts.baseDir, raw), url);
  }
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!bucket)
      throw new UsageError(`backups.storage "${url}" names no bucket`, 'e.g. s3://my-bucket/pgward/prod');
    const { S3Storage } = await import('./storage-s3.js');
    return new S3Storage(bucket, prefix, url, opts.s3 ?? {});
  }
  throw new UsageError(
    `unsupported backup storage "${url}"`,
    'use file://<dir> (relative to the project) or s3://bucket/prefix',
  );
}
