// Local directory storage. A crash can leave <key>.partial behind; it never looks like a backup (no
// manifest) and prune removes it.
import { createReadStream, createWriteStream } from 'node:fs';
import {
  copyFile,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PgwardError } from '../errors.js';
import {
  checkStorageKey,
  isStorageKey,
  type LocalWriter,
  type Storage,
  type StoredObject,
} from './storage.js';

export class FileStorage implements Storage {
  constructor(
    readonly dir: string,
    readonly url: string,
  ) {}

  /** Keys are single path components (checkStorageKey), so the path is always directly in the root. */
  private path(key: string): string {
    return join(this.dir, checkStorageKey(key, this.url));
  }

  /**
   * The path to read `key` from, once it is proven to stay inside the root: a symlink planted in the
   * storage directory must not make pgward read (or restore, or hash) a file outside it.
   */
  private async readablePath(key: string): Promise<string> {
    const path = this.path(key);
    const st = await lstat(path).catch(() => null);
    if (st?.isSymbolicLink()) {
      const [root, target] = await Promise.all([realpath(this.dir), realpath(path).catch(() => '')]);
      if (!target.startsWith(root + sep)) {
        throw new PgwardError(`refusing to read ${path}: it is a symlink to outside ${this.url}`, {
          hint: 'remove the link; pgward reads and writes only inside its storage directory',
        });
      }
    }
    return path;
  }

  private fail(op: string, key: string, err: unknown): PgwardError {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOSPC' ? 'no space left on device' : e.code === 'EACCES' ? 'permission denied' : e.message;
    return new PgwardError(`cannot ${op} ${this.path(key)}: ${why}`, {
      hint: e.code === 'ENOSPC' ? 'free space or point backups.storage elsewhere' : undefined,
    });
  }

  async upload(key: string, body: Readable): Promise<void> {
    const final = this.path(key);
    const partial = `${final}.partial`;
    try {
      await mkdir(dirname(final), { recursive: true });
      await rm(partial, { force: true });
      await pipeline(body, createWriteStream(partial, { flags: 'wx' }));
      await fsyncFile(partial);
      await rename(partial, final);
    } catch (err) {
      await rm(partial, { force: true });
      throw err instanceof PgwardError ? err : this.fail('write', key, err);
    }
  }

  localWriter(key: string): LocalWriter {
    const final = this.path(key);
    const partial = `${final}.partial`;
    return {
      path: partial,
      prepare: async () => {
        try {
          await mkdir(dirname(final), { recursive: true });
          await rm(partial, { force: true }); // pg_dump --file follows a symlink planted at this name
        } catch (err) {
          throw this.fail('write', key, err);
        }
      },
      publish: async () => {
        try {
          await fsyncFile(partial);
          await rename(partial, final);
        } catch (err) {
          await rm(partial, { force: true });
          throw this.fail('write', key, err);
        }
      },
      discard: () => rm(partial, { force: true }),
    };
  }

  async putText(key: string, text: string): Promise<void> {
    const final = this.path(key);
    const tmp = `${final}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(final), { recursive: true });
      await rm(tmp, { force: true }); // a leftover (or planted symlink) from an earlier run with our pid
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw this.fail('write', key, err);
    }
  }

  async getText(key: string): Promise<string | null> {
    try {
      return await readFile(await this.readablePath(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.fail('read', key, err);
    }
  }

  async download(key: string, dest: string): Promise<void> {
    try {
      await copyFile(await this.readablePath(key), dest);
    } catch (err) {
      throw this.fail('read', key, err);
    }
  }

  async openRead(key: string): Promise<Readable> {
    const path = await this.readablePath(key);
    await stat(path).catch((err) => {
      throw this.fail('read', key, err);
    });
    return createReadStream(path);
  }

  localPath(key: string): string {
    return this.path(key);
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const st = await stat(await this.readablePath(key));
      return st.isFile() ? { size: st.size } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err instanceof PgwardError ? err : this.fail('read', key, err);
    }
  }

  async list(): Promise<StoredObject[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.fail('list', '', err);
    }
    const out: StoredObject[] = [];
    for (const key of names) {
      // Names pgward never writes (dot files, odd characters) are not its objects: not listed at all.
      if (!isStorageKey(key)) continue;
      // Every entry is listed, links and directories too: a manifest that is a directory or a link
      // must show up as unreadable (keeping its archive), not vanish and leave its archive a "leftover".
      const st = await lstat(this.path(key)).catch(() => null);
      if (st) out.push({ key, size: st.isFile() ? st.size : 0, modified: st.mtime });
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true }).catch((err) => {
      throw this.fail('delete', key, err);
    });
  }

  async cleanupIncomplete(): Promise<string[]> {
    return []; // .partial files are listed like any other leftover
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
