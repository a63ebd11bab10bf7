// What the session needs from the TS layer's Splicer (src/ts/splicer.ts): one fixed output
// program that every source is spliced into. A narrow interface so the session can be driven
// with a stand-in in tests.
import type { CodecSignature } from '../ts/signature.js';
import type { SourcePmt } from '../ts/splicer.js';
import type { SourceCounters } from './watchdog.js';

export type { CodecSignature } from '../ts/signature.js';

export interface SplicerPort {
  /** A new source (or a new timeline of the same source) starts with the next push. */
  begin(sourceTag: string): void;
  /** Source bytes in (rewritten in place), output out, with offsets where a client can join. */
  push(chunk: Buffer): { data: Buffer; rapOffsets: readonly number[] };
  /** Everything held back (an unfinished video PES), e.g. at cold tune. */
  flush?(): { data: Buffer; rapOffsets: readonly number[] };
  /** PAT + PMT of the output program (the PAT alone while no layout is known). */
  psi(): Buffer;
  /**
   * Before anything went live: the first source's layout from its PMT, so PSI can go out
   * before its first keyframe. True when the PSI changed.
   */
  announce?(pmt: SourcePmt): boolean;
  /** Bytes that keep a client's connection alive during a gap (PSI + null packets). */
  keepalive(): Buffer;
  /** False when splicing `sig` raw would change the output's codecs or picture size. */
  compatible(sig: CodecSignature): boolean;
  /**
   * Counters over the bytes pushed so far (PCR on the source's PCR PID, packets, CC errors on
   * the forwarded PIDs, corrupt packets): the live source's watchdog reads these instead of
   * parsing the stream a second time. Cumulative; only differences matter.
   */
  readonly health: SourceCounters;
  /** The output's codecs once established. */
  readonly signature: CodecSignature | undefined;
}
