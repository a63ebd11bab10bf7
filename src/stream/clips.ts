// Built-in clips, parsed once per process: demo channels (`demo:<id>` candidates) and slates.
import type { TsClip } from '../media/clip.js';
import { loadClip } from '../media/clip.js';
import { demoClips, slateFile, type SlateKind } from '../media/assets.js';

const cache = new Map<string, Promise<TsClip>>();

function load(file: string): Promise<TsClip> {
  let p = cache.get(file);
  if (!p) {
    p = loadClip(file);
    cache.set(file, p);
    p.catch(() => cache.delete(file)); // let a later attempt retry a failed read
  }
  return p;
}

/** The demo clip a `demo:<id>` URL names; rejects for unknown ids. */
export function demoClip(url: string): Promise<TsClip> {
  const id = url.replace(/^demo:/, '');
  const d = demoClips().find((c) => c.id === id);
  return d ? load(d.file) : Promise.reject(new Error(`unknown demo clip ${id}`));
}

export function slateClip(kind: SlateKind, height: number): Promise<TsClip> {
  return load(slateFile(kind, height));
}
