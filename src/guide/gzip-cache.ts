// The compressed guide (`/xmltv.xml.gz`), made on the first request after each build and kept
// beside the guide: compressing a 450 MB guide costs seconds of CPU, once per build rather than
// once per request. The cache file is named after the guide's mtime and size, so a guide rebuilt
// while it is being compressed never gets the old guide's compressed copy.
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const CHUNK = 1 << 20;

export class GzipCache {
  /** Compression into the cache under way (one at a time; other requests compress for themselves). */
  private making = false;

  /** `file`: the guide; its compressed copies are `<name>.<stamp>.gz` beside it. */
  constructor(private readonly file: string) {}

  /** Stream the open guide `fh` compressed to `out` (ended); `fh` is closed. */
  async serve(fh: FileHandle, out: Writable): Promise<void> {
    const st = await fh.stat().catch(async (err: unknown) => {
      await fh.close();
      throw err;
    });
    const cached = `${this.file}.${Math.round(st.mtimeMs)}-${st.size}.gz`;
    const gz = await open(cached, 'r').catch(() => undefined);
    if (gz) {
      await fh.close();
      await pipeline(gz.createReadStream({ highWaterMark: CHUNK }), out);
      return;
    }
    const src = fh.createReadStream({ highWaterMark: CHUNK });
    if (this.making) {
      await pipeline(src, createGzip(), out);
      return;
    }
    this.making = true;
    try {
      await this.compressAndKeep(src, out, cached);
    } finally {
      this.making = false;
    }
  }

  private async compressAndKeep(src: NodeJS.ReadableStream, out: Writable, cached: string): Promise<void> {
    const tmp = `${cached}.tmp`;
    const file = await open(tmp, 'w').catch(() => undefined);
    if (!file) {
      // Nowhere to keep it (a read-only cache folder): this request still gets its guide.
      await pipeline(src, createGzip(), out);
      return;
    }
    let kept = false;
    try {
      const gzip = createGzip();
      // The client gets each compressed chunk as the file does; its pace sets the pace.
      const tee = async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
        for await (const c of chunks) {
          await file.write(c);
          yield c;
        }
      };
      await pipeline(src, gzip, tee, out);
      await file.close();
      // The client has it all; a guide rebuilt meanwhile (prune) just means nothing is kept.
      kept = await rename(tmp, cached).then(
        () => true,
        () => false,
      );
      if (kept) await this.prune(cached);
    } finally {
      if (!kept) {
        await file.close().catch(() => undefined);
        await rm(tmp, { force: true });
      }
    }
  }

  /** Remove compressed copies other than `keep` (after a build: all of them, they are stale). */
  async prune(keep?: string): Promise<void> {
    const dir = dirname(this.file);
    const prefix = `${basename(this.file)}.`;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (name.startsWith(prefix) && name.endsWith('.gz') && join(dir, name) !== keep) {
        await rm(join(dir, name), { force: true });
      }
    }
  }
}
