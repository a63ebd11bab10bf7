// Byte-exact vectors from the protocol reference (§3.6 A–G, §5.3), written as in the reference:
// hex byte pairs and "quoted ASCII".
export function bytes(spec: string): Buffer {
  const out: number[] = [];
  for (const tok of spec.match(/"[^"]*"|[0-9a-fA-F]{2}/g) ?? []) {
    if (tok.startsWith('"')) out.push(...Buffer.from(tok.slice(1, -1), 'ascii'));
    else out.push(Number.parseInt(tok, 16));
  }
  return Buffer.from(out);
}

export const V = {
  A: bytes('00 02 00 0C 01 04 00 00 00 01 02 04 FF FF FF FF 4E 50 7F 35'),
  B: bytes('00 02 00 0C 01 04 FF FF FF FF 02 04 FF FF FF FF 73 CC 7D 8F'),
  C: bytes('00 02 00 06 01 04 FF FF FF FF 4C 20 CB 4E'),
  D: bytes('00 02 00 0A 2D 08 00 00 00 01 00 00 00 05 4F 63 39 1F'),
  E: bytes('00 02 00 0C 01 04 FF FF FF FF 02 04 10 53 C0 CA 06 D7 6E DF'),
  F: bytes('00 02 00 06 01 04 00 00 00 01 39 30 77 E7'),
  G: bytes(
    '00 03 00 4f 01 04 00 00 00 01 02 04 10 53 c0 ca 10 01 02 2a 18 68 74 74 70 3a 2f 2f 31 39 32 2e 31 36 38 ' +
      '2e 31 2e 35 30 3a 35 30 30 34 27 24 68 74 74 70 3a 2f 2f 31 39 32 2e 31 36 38 2e 31 2e 35 30 3a 35 30 30 ' +
      '34 2f 6c 69 6e 65 75 70 2e 6a 73 6f 6e 5f ee 50 d3',
  ),
  getModel: bytes('00 04 00 0D 03 0B "/sys/model" 00 8F 5B 54 B5'),
  modelReply: bytes('00 05 00 1F 03 0B "/sys/model" 00 04 10 "hdhomerun4_atsc" 00 AA 54 A6 87'),
  versionError: bytes(
    '00 05 00 30 03 0D "/sys/version" 00 05 1F "ERROR: unknown getset variable" 00 CD 54 3B 8E',
  ),
};
