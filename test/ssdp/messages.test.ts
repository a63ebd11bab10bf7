import { describe, expect, it } from 'vitest';
import {
  advertisementsFor,
  buildNotifyAlive,
  buildNotifyByebye,
  buildSearchResponse,
  checkSearch,
  matchSearch,
  parseSsdp,
} from '../../src/ssdp/messages.js';

const UUID = '7f1cb2d4-b3ee-5f79-ab79-ec7cf5abfc6f';
const ads = advertisementsFor(UUID);
const fields = {
  location: 'http://198.18.0.1:5004/device.xml',
  server: 'Linux/1 UPnP/1.1 HDHomeRun/1.0',
  maxAge: 1800,
};
const crlf = (lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');

describe('advertisements', () => {
  it('root device, bare UDN and MediaServer:1 with UDA USNs', () => {
    expect(ads).toEqual([
      { nt: 'upnp:rootdevice', usn: `uuid:${UUID}::upnp:rootdevice` },
      { nt: `uuid:${UUID}`, usn: `uuid:${UUID}` },
      {
        nt: 'urn:schemas-upnp-org:device:MediaServer:1',
        usn: `uuid:${UUID}::urn:schemas-upnp-org:device:MediaServer:1`,
      },
    ]);
  });
});

describe('builders (byte-exact)', () => {
  it('NOTIFY ssdp:alive', () => {
    expect(buildNotifyAlive(ads[0]!, fields).toString()).toBe(
      crlf([
        'NOTIFY * HTTP/1.1',
        'HOST: 239.255.255.250:1900',
        'CACHE-CONTROL: max-age=1800',
        'LOCATION: http://198.18.0.1:5004/device.xml',
        'NT: upnp:rootdevice',
        'NTS: ssdp:alive',
        'SERVER: Linux/1 UPnP/1.1 HDHomeRun/1.0',
        `USN: uuid:${UUID}::upnp:rootdevice`,
        '',
      ]),
    );
  });

  it('NOTIFY ssdp:byebye carries no LOCATION or CACHE-CONTROL', () => {
    expect(buildNotifyByebye(ads[2]!).toString()).toBe(
      crlf([
        'NOTIFY * HTTP/1.1',
        'HOST: 239.255.255.250:1900',
        'NT: urn:schemas-upnp-org:device:MediaServer:1',
        'NTS: ssdp:byebye',
        `USN: uuid:${UUID}::urn:schemas-upnp-org:device:MediaServer:1`,
        '',
      ]),
    );
  });

  it('M-SEARCH response', () => {
    const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(buildSearchResponse({ st: `uuid:${UUID}`, usn: `uuid:${UUID}` }, fields, date).toString()).toBe(
      crlf([
        'HTTP/1.1 200 OK',
        'CACHE-CONTROL: max-age=1800',
        'DATE: Tue, 02 Jan 2024 03:04:05 GMT',
        'EXT: ',
        'LOCATION: http://198.18.0.1:5004/device.xml',
        'SERVER: Linux/1 UPnP/1.1 HDHomeRun/1.0',
        `ST: uuid:${UUID}`,
        `USN: uuid:${UUID}`,
        '',
      ]),
    );
  });
});

describe('parsing and search rules', () => {
  const search = (headers: string[], start = 'M-SEARCH * HTTP/1.1') =>
    parseSsdp(Buffer.from(crlf([start, ...headers, ''])))!;

  it('parses a GSSDP-style M-SEARCH with any header case and quoting', () => {
    const m = search([
      'Host: 239.255.255.250:1900',
      'Man: "ssdp:discover"',
      'mx: 3',
      'St: ssdp:all',
      'User-Agent: x',
    ]);
    expect(m.method).toBe('M-SEARCH');
    expect(m.headers.ST).toBe('ssdp:all');
    expect(checkSearch(m, true)).toEqual({ ok: true, st: 'ssdp:all', mx: 3 });
  });

  it('requires MAN and ST always, MX only for multicast; caps MX at 5', () => {
    expect(checkSearch(search(['MX: 1', 'ST: ssdp:all']), true)).toMatchObject({
      ok: false,
      reason: 'missing MAN',
    });
    expect(checkSearch(search(['MAN: "ssdp:discover"', 'MX: 1']), true)).toMatchObject({ ok: false });
    expect(checkSearch(search(['MAN: "ssdp:discover"', 'ST: ssdp:all']), true)).toMatchObject({ ok: false });
    expect(checkSearch(search(['MAN: "ssdp:discover"', 'ST: ssdp:all']), false)).toEqual({
      ok: true,
      st: 'ssdp:all',
      mx: 0,
    });
    expect(checkSearch(search(['MAN: "ssdp:discover"', 'MX: 120', 'ST: x']), true)).toMatchObject({ mx: 5 });
    expect(checkSearch(search(['NT: x'], 'NOTIFY * HTTP/1.1'), true)).toMatchObject({ ok: false });
  });

  it('recognises responses and rejects garbage and binary', () => {
    expect(parseSsdp(Buffer.from('HTTP/1.1 200 OK\r\nST: x\r\n\r\n'))?.method).toBe('RESPONSE');
    expect(parseSsdp(Buffer.from('hello'))).toBeUndefined();
    expect(parseSsdp(Buffer.from('00020006010400000001', 'hex'))).toBeUndefined();
    expect(parseSsdp(Buffer.alloc(0))).toBeUndefined();
  });

  it('matches ssdp:all, rootdevice, UDN and MediaServer:1 only', () => {
    expect(matchSearch('ssdp:all', ads).map((m) => m.st)).toEqual(ads.map((a) => a.nt));
    expect(matchSearch('upnp:rootdevice', ads)).toEqual([{ st: 'upnp:rootdevice', usn: ads[0]!.usn }]);
    expect(matchSearch(`uuid:${UUID}`, ads)).toEqual([{ st: `uuid:${UUID}`, usn: `uuid:${UUID}` }]);
    expect(matchSearch('urn:schemas-upnp-org:device:MediaServer:1', ads)).toHaveLength(1);
    expect(matchSearch('urn:schemas-upnp-org:device:MediaServer:2', ads)).toEqual([]);
    expect(matchSearch('urn:schemas-upnp-org:device:MediaRenderer:1', ads)).toEqual([]);
  });
});
