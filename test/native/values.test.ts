import { describe, expect, it } from 'vitest';
import {
  allPids,
  applyFilter,
  formatFilter,
  formatStatus,
  formatStreamInfo,
  formatTarget,
  formatTune,
  formatVstatus,
  lockModulation,
  parseChannel,
  parseFilter,
  parseTarget,
} from '../../src/native/tuning-values.js';
import { esPacket } from './helpers.js';

describe('channel values', () => {
  it.each([
    ['auto:999000000', 'auto:999000000'],
    ['auto6t:593000000', 'auto6t:593000000'],
    ['a8qam256-6900:651000000', 'a8qam256-6900:651000000'],
    ['QAM256:651000000', 'qam256:651000000'],
    ['auto:158', 'auto:999000000'], // a channel number of the map
    ['999000000', 'auto:999000000'],
    ['none', 'none'],
  ])('%s → %s', (input, out) => {
    const r = parseChannel(input, 'us-cable');
    expect(r.ok && formatTune(r.value)).toBe(out);
  });

  it.each(['auto:', 'auto:abc', 'auto:1', 'auto:37', 'auto:5000000000', 'au to:1', 'x:y:1', ''])(
    'rejects %j',
    (input) => {
      expect(parseChannel(input, 'us-bcast')).toEqual({ ok: false, error: 'ERROR: invalid channel' });
    },
  );

  it('derives the lock from the request, else from the map', () => {
    expect(lockModulation('auto', 'qam256')).toBe('qam256');
    expect(lockModulation('auto6t', 'qam256')).toBe('8vsb');
    expect(lockModulation('a8qam64-6900', '8vsb')).toBe('qam64');
    expect(lockModulation('auto', '8vsb')).toBe('8vsb');
  });
});

describe('PID filter values', () => {
  it('parses TVHeadend-style lists and formats them back as ranges', () => {
    const r = parseFilter('0x0000-0x0001 0x0030-0x0031 0x0034 0x0035 0x1ffb');
    expect(r.ok && formatFilter(r.value)).toBe('0x0000-0x0001 0x0030-0x0031 0x0034-0x0035 0x1ffb');
    expect(formatFilter(allPids())).toBe('0x0000-0x1fff');
    const empty = parseFilter('');
    expect(empty.ok && formatFilter(empty.value)).toBe('');
  });

  it.each(['0x2000', '0x0010-0x0001', 'pat', '0x00 zz', '0x1-0x2-0x3'])('rejects %j', (input) => {
    expect(parseFilter(input)).toEqual({ ok: false, error: 'ERROR: invalid pid filter' });
  });

  it('keeps only packets on allowed PIDs', () => {
    const set = parseFilter('0x0100');
    if (!set.ok) throw new Error(set.error);
    const input = Buffer.concat([esPacket(0x100, 0), esPacket(0x101, 0), esPacket(0x100, 1)]);
    const out = applyFilter(input, set.value);
    expect(out.length).toBe(376);
    expect(out.equals(Buffer.concat([esPacket(0x100, 0), esPacket(0x100, 1)]))).toBe(true);
    expect(applyFilter(input, allPids())).toBe(input);
  });
});

describe('target values', () => {
  it.each([
    ['udp://192.168.1.5:5000', 'udp://192.168.1.5:5000'],
    ['rtp://10.0.0.1:1234', 'rtp://10.0.0.1:1234'],
    ['10.0.0.1:1234', 'udp://10.0.0.1:1234'],
    ['none', 'none'],
  ])('%s → %s', (input, out) => {
    const r = parseTarget(input);
    expect(r.ok && formatTarget(r.value)).toBe(out);
  });

  it.each([
    'udp://1.2.3.4',
    'udp://1.2.3.999:5',
    'http://1.2.3.4:5',
    'udp://host:5',
    'udp://1.2.3.4:0',
    'udp://1.2.3.4:70000',
  ])('rejects %j', (input) => {
    expect(parseTarget(input)).toEqual({ ok: false, error: 'ERROR: invalid target' });
  });
});

describe('reports', () => {
  it('status: idle, locked and no-signal forms', () => {
    expect(formatStatus({ tune: null, bps: 0, pps: 0 })).toBe(
      'ch=none lock=none ss=0 snq=0 seq=0 bps=0 pps=0',
    );
    expect(
      formatStatus({
        tune: { modulation: 'auto', frequency: 999_000_000 },
        lock: 'qam256',
        bps: 38810700,
        pps: 12,
      }),
    ).toBe('ch=auto:999000000 lock=qam256 ss=100 snq=100 seq=100 bps=38810700 pps=12');
    expect(formatStatus({ tune: { modulation: 'auto', frequency: 57_000_000 }, bps: 0, pps: 0 })).toBe(
      'ch=auto:57000000 lock=none ss=0 snq=0 seq=0 bps=0 pps=0',
    );
  });

  it('streaminfo: one newline-terminated line per program, then the TSID', () => {
    expect(
      formatStreamInfo(
        [
          { program: 1, guideNumber: '5.1', name: 'Alpha' },
          { program: 2, guideNumber: '7', name: 'Beta\nTwo', noData: true },
        ],
        158,
      ),
    ).toBe('1: 5.1 Alpha\n2: 7 Beta Two (no data)\ntsid=0x009E\n');
    expect(formatStreamInfo([], undefined)).toBe('none\n');
  });

  it('vstatus', () => {
    expect(formatVstatus(undefined)).toBe('vch=none');
    expect(formatVstatus({ guideNumber: '5.1', name: 'Alpha One' })).toBe(
      'vch=5.1 name=Alpha_One auth=unspecified cci=unrestricted cgms=unrestricted',
    );
  });
});
