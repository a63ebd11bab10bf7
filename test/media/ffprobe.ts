// Runs the npm-installed ffprobe (@ffprobe-installer) over bytes held in memory: decodes every
// frame and lists packets, so tests can assert what an ffmpeg-based client (Plex, Jellyfin) sees.
import { spawn } from 'node:child_process';

export interface ProbeResult {
  streams: {
    index: number;
    codec_name: string;
    codec_type: string;
    nb_read_frames?: string;
    width?: number;
  }[];
  packets: { stream_index: number; pts?: number; dts?: number }[];
  /** ffprobe's warnings and errors (decoder and demuxer complaints). */
  stderr: string;
}

/**
 * The static ffprobe from @ffprobe-installer (2023 build) segfaults while parsing a DVB SDT
 * (its static glibc cannot load iconv modules for the service name), so SDT packets (PID 0x11)
 * are removed first. Our splicer output never carries an SDT anyway.
 */
function withoutSdt(data: Buffer): Buffer {
  const keep: Buffer[] = [];
  for (let o = 0; o + 188 <= data.length; o += 188) {
    if ((((data[o + 1]! & 0x1f) << 8) | data[o + 2]!) !== 0x11) keep.push(data.subarray(o, o + 188));
  }
  return keep.length * 188 === data.length ? data : Buffer.concat(keep);
}

export async function probe(input: Buffer): Promise<ProbeResult> {
  const data = withoutSdt(input);
  const ffprobe = (await import('@ffprobe-installer/ffprobe')).default.path;
  const args = [
    '-v',
    'warning',
    '-count_frames',
    '-show_entries',
    'stream=index,codec_name,codec_type,nb_read_frames,width:packet=stream_index,pts,dts',
  ];
  const child = spawn(ffprobe, [...args, '-of', 'json', '-i', 'pipe:0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.on('error', () => {}); // ffprobe may stop reading early; the exit code tells
  child.stdin.end(data);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const stderr = Buffer.concat(err).toString();
  if (code !== 0) throw new Error(`ffprobe exited with ${code ?? 'a signal'}: ${stderr}`);
  const json = JSON.parse(Buffer.concat(out).toString()) as Partial<ProbeResult>;
  return { streams: json.streams ?? [], packets: json.packets ?? [], stderr };
}

/** Per stream: count of DTS values that do not increase strictly. */
export function nonMonotonicDts(r: ProbeResult): Record<number, number> {
  const last = new Map<number, number>();
  const bad: Record<number, number> = {};
  for (const p of r.packets) {
    const t = p.dts ?? p.pts;
    if (t === undefined) continue;
    const prev = last.get(p.stream_index);
    if (prev !== undefined && t <= prev) bad[p.stream_index] = (bad[p.stream_index] ?? 0) + 1;
    last.set(p.stream_index, t);
  }
  return bad;
}
