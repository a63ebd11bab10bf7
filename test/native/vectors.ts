// Byte-exact control-protocol vectors for the native tuner variables. Requests and replies were
// built independently (Python zlib CRC-32), written as hex and "quoted ASCII" like test/hdhr/vectors.ts.
// They are played in order on one connection: each depends on the state the previous ones left
// (lineup 5.1 Alpha → us-cable 158 = 999 MHz, 7 Beta → 157 = 993 MHz; two tuners; client 127.0.0.1).
import { bytes } from '../hdhr/vectors.js';

export const NATIVE_VECTORS: readonly { what: string; request: Buffer; reply: Buffer }[] = [
  {
    what: 'get /tuner0/channel',
    request: bytes('00 04 00 12 03 10 "/tuner0/channel" 00 C8 46 E3 D3'),
    reply: bytes('00 05 00 19 03 10 "/tuner0/channel" 00 04 05 "none" 00 D3 93 C7 FD'),
  },
  {
    what: 'set /tuner0/channel auto:999000000',
    request: bytes('00 04 00 23 03 10 "/tuner0/channel" 00 04 0F "auto:999000000" 00 27 76 A8 15'),
    reply: bytes('00 05 00 23 03 10 "/tuner0/channel" 00 04 0F "auto:999000000" 00 C5 8B 20 98'),
  },
  {
    what: 'get /tuner0/status',
    request: bytes('00 04 00 11 03 0F "/tuner0/status" 00 67 FA 12 DC'),
    reply: bytes(
      '00 05 00 5B 03 0F "/tuner0/status" 00 04 48 "ch=auto:999000000 lock=qam256 ss=100 snq=100 seq=100 bps=38810700 pps=0" 00 04 75 30 7F',
    ),
  },
  {
    what: 'get /tuner0/streaminfo',
    request: bytes('00 04 00 15 03 13 "/tuner0/streaminfo" 00 83 CC D3 C9'),
    reply: bytes(
      '00 05 00 31 03 13 "/tuner0/streaminfo" 00 04 1A "1: 5.1 Alpha" 0A "tsid=0x009E" 0A 00 89 AF D5 EE',
    ),
  },
  {
    what: 'set /tuner0/program 1',
    request: bytes('00 04 00 16 03 10 "/tuner0/program" 00 04 02 "1" 00 A7 D8 76 57'),
    reply: bytes('00 05 00 16 03 10 "/tuner0/program" 00 04 02 "1" 00 A9 48 FD F2'),
  },
  {
    what: 'get /tuner0/vstatus',
    request: bytes('00 04 00 12 03 10 "/tuner0/vstatus" 00 5F AF F2 BD'),
    reply: bytes(
      '00 05 00 5B 03 10 "/tuner0/vstatus" 00 04 47 "vch=5.1 name=Alpha auth=unspecified cci=unrestricted cgms=unrestricted" 00 3D E5 6C 4E',
    ),
  },
  {
    what: 'get /tuner0/filter',
    request: bytes('00 04 00 11 03 0F "/tuner0/filter" 00 CB 0E 11 AB'),
    reply: bytes(
      '00 05 00 36 03 0F "/tuner0/filter" 00 04 23 "0x0000 0x0100-0x010f 0x1001 0x1ffb" 00 2C FA D6 80',
    ),
  },
  {
    what: 'set /tuner0/filter 0x0000-0x0001 0x1ffb',
    request: bytes('00 04 00 28 03 0F "/tuner0/filter" 00 04 15 "0x0000-0x0001 0x1ffb" 00 51 F5 1A E3'),
    reply: bytes('00 05 00 28 03 0F "/tuner0/filter" 00 04 15 "0x0000-0x0001 0x1ffb" 00 AA 03 09 A4'),
  },
  {
    what: 'set /tuner0/vchannel 7',
    request: bytes('00 04 00 17 03 11 "/tuner0/vchannel" 00 04 02 "7" 00 1D 95 5B A6'),
    reply: bytes('00 05 00 17 03 11 "/tuner0/vchannel" 00 04 02 "7" 00 8A 33 46 41'),
  },
  {
    what: 'get /tuner0/channel',
    request: bytes('00 04 00 12 03 10 "/tuner0/channel" 00 C8 46 E3 D3'),
    reply: bytes('00 05 00 23 03 10 "/tuner0/channel" 00 04 0F "auto:993000000" 00 0D 97 E0 09'),
  },
  {
    what: 'get /tuner0/channelmap',
    request: bytes('00 04 00 15 03 13 "/tuner0/channelmap" 00 CD C1 CB 9A'),
    reply: bytes('00 05 00 20 03 13 "/tuner0/channelmap" 00 04 09 "us-cable" 00 12 E7 88 19'),
  },
  {
    what: 'set /tuner1/target rtp://127.0.0.1:5000',
    request: bytes('00 04 00 28 03 0F "/tuner1/target" 00 04 15 "rtp://127.0.0.1:5000" 00 28 BD C0 BF'),
    reply: bytes('00 05 00 28 03 0F "/tuner1/target" 00 04 15 "rtp://127.0.0.1:5000" 00 D3 4B D3 F8'),
  },
  {
    what: 'get /tuner0/target',
    request: bytes('00 04 00 11 03 0F "/tuner0/target" 00 55 77 25 7C'),
    reply: bytes('00 05 00 18 03 0F "/tuner0/target" 00 04 05 "none" 00 AE 61 64 8E'),
  },
  {
    what: 'set /tuner0/lockkey 12345',
    request: bytes('00 04 00 1A 03 10 "/tuner0/lockkey" 00 04 06 "12345" 00 3E 87 A3 57'),
    reply: bytes('00 05 00 1E 03 10 "/tuner0/lockkey" 00 04 0A "127.0.0.1" 00 D3 8E E5 CF'),
  },
  {
    what: 'get /tuner0/lockkey',
    request: bytes('00 04 00 12 03 10 "/tuner0/lockkey" 00 B7 52 27 4A'),
    reply: bytes('00 05 00 1E 03 10 "/tuner0/lockkey" 00 04 0A "127.0.0.1" 00 D3 8E E5 CF'),
  },
  {
    what: 'set /tuner0/channel none',
    request: bytes('00 04 00 19 03 10 "/tuner0/channel" 00 04 05 "none" 00 CE 6E 72 FC'),
    reply: bytes(
      '00 05 00 38 03 10 "/tuner0/channel" 00 05 24 "ERROR: resource locked by 127.0.0.1" 00 7A B7 DC F7',
    ),
  },
  {
    what: 'set /tuner0/channel none (lockkey 12345)',
    request: bytes('00 04 00 1F 03 10 "/tuner0/channel" 00 04 05 "none" 00 15 04 00 00 30 39 C4 69 5D AE'),
    reply: bytes('00 05 00 19 03 10 "/tuner0/channel" 00 04 05 "none" 00 D3 93 C7 FD'),
  },
  {
    what: 'set /tuner0/lockkey none (lockkey 12345)',
    request: bytes('00 04 00 1F 03 10 "/tuner0/lockkey" 00 04 05 "none" 00 15 04 00 00 30 39 27 EA 09 10'),
    reply: bytes('00 05 00 19 03 10 "/tuner0/lockkey" 00 04 05 "none" 00 A9 93 7D A3'),
  },
  {
    what: 'set /tuner0/channel auto:abc',
    request: bytes('00 04 00 1D 03 10 "/tuner0/channel" 00 04 09 "auto:abc" 00 51 7C 5D 8A'),
    reply: bytes('00 05 00 2B 03 10 "/tuner0/channel" 00 05 17 "ERROR: invalid channel" 00 9B 4A AA 42'),
  },
  {
    what: 'set /tuner0/filter 0x2000',
    request: bytes('00 04 00 1A 03 0F "/tuner0/filter" 00 04 07 "0x2000" 00 D8 A4 A9 C2'),
    reply: bytes('00 05 00 2D 03 0F "/tuner0/filter" 00 05 1A "ERROR: invalid pid filter" 00 49 1C 66 58'),
  },
  {
    what: 'set /tuner0/target udp://1.2.3.4',
    request: bytes('00 04 00 21 03 0F "/tuner0/target" 00 04 0E "udp://1.2.3.4" 00 5C 25 21 DA'),
    reply: bytes('00 05 00 29 03 0F "/tuner0/target" 00 05 16 "ERROR: invalid target" 00 95 A3 63 44'),
  },
  {
    what: 'set /tuner0/status x',
    request: bytes('00 04 00 15 03 0F "/tuner0/status" 00 04 02 "x" 00 4B 2B D6 FF'),
    reply: bytes('00 05 00 30 03 0F "/tuner0/status" 00 05 1D "ERROR: variable is read-only" 00 1C 15 E3 AA'),
  },
  {
    what: 'get /tuner2/channel',
    request: bytes('00 04 00 12 03 10 "/tuner2/channel" 00 F5 96 16 D7'),
    reply: bytes(
      '00 05 00 33 03 10 "/tuner2/channel" 00 05 1F "ERROR: unknown getset variable" 00 13 59 37 3F',
    ),
  },
  {
    what: 'get /lineup/scan',
    request: bytes('00 04 00 0F 03 0D "/lineup/scan" 00 5D 59 70 69'),
    reply: bytes(
      '00 05 00 36 03 0D "/lineup/scan" 00 04 25 "state=complete progress=100% found=2" 00 85 85 B2 0E',
    ),
  },
];
