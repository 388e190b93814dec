// S3 and S3-compatible storage (MinIO, R2, Ceph...) through the official AWS SDK v3. Credentials come
// from the SDK's standard chain (env, shared profile, SSO, instance/task role) and are never read or
// printed by pgward. Uploads are multipart with a fixed part size: R2 rejects uneven non-trailing parts.
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PgwardError } from '../errors.js';
import { DEFAULT_PART_SIZE } from './config.js';
import { checkStorageKey, isStorageKey, type Storage, type StoredObject } from './storage.js';

export interface S3Options {
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** 'AES256' or 'aws:kms'. */
  sse?: ServerSideEncryption;
  kmsKeyId?: string;
  /** Multipart part size in bytes (min 5 MiB). */
  partSize?: number;
  /** Parts uploaded concurrently; each holds one part in memory. */
  queueSize?: number;
  /** A request whose connection stays silent this long fails (a hung store must not hang pgward). */
  requestTimeoutMs?: number;
}

export class S3Storage implements Storage {
  private readonly client: S3Client;
  constructor(
    readonly bucket: string,
    readonly prefix: string,
    readonly url: string,
    private readonly opts: S3Options,
  ) {
    const config: S3ClientConfig = {
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? false,
      // Every request retried a few times; a store that stays down still fails in seconds, not minutes.
      maxAttempts: 3,
      // The SDK waits forever on a store that accepts the connection and never answers.
      requestHandler: { connectionTimeout: 10_000, socketTimeout: opts.requestTimeoutMs ?? 120_000 },
    };
    if (opts.endpoint) {
      config.endpoint = opts.endpoint;
      // Many S3-compatible stores reject the SDK's default CRC32 trailers (the boto3 >= 1.36 breakage
      // Barman documents); send checksums only where the API requires them.
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
    }
    // The SDK warns on Node < 22 about its own future releases; pgward pins its SDK version, so the
    // multi-line warning would only bury pgward's one-line messages. A user's explicit setting wins.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client(config);
  }

  /** Every key is one checked name directly under the prefix: nothing outside it is ever addressed. */
  private key(key: string): string {
    checkStorageKey(key, this.url);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private fail(op: string, key: string, err: unknown): PgwardError {
    if (err instanceof PgwardError) return err; // already ours (e.g. a refused key)
    const where = this.prefix ? `${this.prefix}/${key}` : key;
    const e = err as Error & { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
    const what = [e.name && e.name !== 'Error' ? e.name : e.code, e.message].filter(Boolean).join(': ');
    return new PgwardError(`S3 ${op} s3://${this.bucket}/${where} failed${status}: ${what}`, {
      hint:
        e.name === 'CredentialsProviderError'
          ? 'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE'
          : 'check backups.s3 (endpoint, region, force_path_style) and that the store is reachable',
    });
  }

  async upload(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      partSize: Math.max(this.opts.partSize ?? DEFAULT_PART_SIZE, 5 * 1024 * 1024),
      queueSize: this.opts.queueSize ?? 2,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: this.key(key),
        Body: body,
        ContentType: 'application/octet-stream',
        ...(this.opts.sse ? { ServerSideEncryption: this.opts.sse } : {}),
        ...(this.opts.kmsKeyId ? { SSEKMSKeyId: this.opts.kmsKeyId } : {}),
      },
    });
    // If the source stream fails (pg_dump died), stop the upload so no object gets completed.
    const onError = () => void upload.abort().catch(() => {});
    body.once('error', onError);
    try {
      await upload.done();
    } catch (err) {
      throw this.fail('upload', key, err);
    } finally {
      body.off('error', onError);
    }
  }

  async putText(key: string, text: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(key),
          Body: text,
          ContentType: 'application/json',
          ...(this.opts.sse ? { ServerSideEncryption: this.opts.sse } : {}),
          ...(this.opts.kmsKeyId ? { SSEKMSKeyId: this.opts.kmsKeyId } : {}),
        }),
      );
    } catch (err) {
      throw this.fail('put', key, err);
    }
  }

  async getText(key: string): Promise<string | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return (await res.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if (err instanceof PgwardError) throw err;
      if ((err as Error).name === 'NoSuchKey') return null;
      throw this.fail('get', key, err);
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return { size: res.ContentLength ?? 0 };
    } catch (err) {
      if (err instanceof PgwardError) throw err;
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return null;
      throw this.fail('head', key, err);
    }
  }

  async openRead(key: string): Promise<Readable> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return res.Body as Readable;
    } catch (err) {
      throw this.fail('get', key, err);
    }
  }

  async download(key: string, dest: string): Promise<void> {
    const body = await this.openRead(key);
    try {
      await pipeline(body, createWriteStream(dest));
    } catch (err) {
      throw this.fail('download', key, err);
    }
  }

  localPath(): null {
    return null;
  }

  async list(): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    const prefix = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    try {
      do {
        const res = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of res.Contents ?? []) {
          const rel = (o.Key ?? '').slice(prefix.length);
          if (isStorageKey(rel))
            out.push({ key: rel, size: o.Size ?? 0, modified: o.LastModified ?? new Date(0) });
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.fail('list', '', err);
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
    } catch (err) {
      throw this.fail('delete', key, err);
    }
  }

  async cleanupIncomplete(before: Date): Promise<string[]> {
    const removed: string[] = [];
    try {
      const res = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: this.prefix ? `${this.prefix}/` : '',
        }),
      );
      for (const u of res.Uploads ?? []) {
        if (!u.Key || !u.UploadId || (u.Initiated && u.Initiated > before)) continue;
        await this.client.send(
          new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }),
        );
        removed.push(`${u.Key} (incomplete multipart upload)`);
      }
    } catch {
      // Some S3-compatible stores do not implement ListMultipartUploads; their lifecycle rules clean up.
    }
    return removed;
  }
}
