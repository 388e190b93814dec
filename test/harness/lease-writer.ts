// Child process for the concurrency tests: adds `count` labels to one manifest, one read-modify-write
// at a time through updateManifest (the catalog lease). Run: node --import tsx lease-writer.ts
// <storage-url> <s3-endpoint|-> <backup-id> <tag> <count>
import { updateManifest } from '../../src/backup/catalog.js';
import { openStorage } from '../../src/backup/storage.js';

const [url, endpoint, id, tag, count] = process.argv.slice(2) as [string, string, string, string, string];
const storage = await openStorage(url, {
  baseDir: '/',
  s3: endpoint === '-' ? {} : { endpoint, forcePathStyle: true },
});
for (let i = 0; i < Number(count); i++) {
  await updateManifest(storage, id, 'testing', (m) => ({ ...m, labels: [...m.labels, `${tag}-${i}`] }));
}
