// Local directory storage. A crash can leave <key>.partial behind; it never looks like a backup (no
// manifest) and prune removes it.
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PgwardError } from '../errors.js';
import type { LocalWriter, Storage, StoredObject } from './storage.js';

export class FileStorage implements Storage {
  constructor(
    readonly dir: string,
    readonly url: string,
  ) {}

  private path(key: string): string {
    return join(this.dir, key);
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
      await pipeline(body, createWriteStream(partial));
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
        await mkdir(dirname(final), { recursive: true }).catch((err) => {
          throw this.fail('write', key, err);
        });
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
      const fh = await open(tmp, 'w');
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
      return await readFile(this.path(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.fail('read', key, err);
    }
  }

  async download(key: string, dest: string): Promise<void> {
    try {
      await copyFile(this.path(key), dest);
    } catch (err) {
      throw this.fail('read', key, err);
    }
  }

  async openRead(key: string): Promise<Readable> {
    await stat(this.path(key)).catch((err) => {
      throw this.fail('read', key, err);
    });
    return createReadStream(this.path(key));
  }

  localPath(key: string): string {
    return this.path(key);
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
      const st = await stat(this.path(key)).catch(() => null);
      if (st?.isFile()) out.push({ key, size: st.size, modified: st.mtime });
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
