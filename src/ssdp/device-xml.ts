// UPnP device description served at /device.xml (reference §7.3). No serviceList: we serve no
// SCPD documents, and advertising services we cannot answer would mislead control points.
import type { DeviceInfo } from '../model.js';

export const MEDIA_SERVER_TYPE = 'urn:schemas-upnp-org:device:MediaServer:1';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escape text for element content; characters XML 1.0 forbids are dropped. */
export function xmlEscape(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** `baseUrl` is the BaseURL of the interface the client reached us on, without a trailing slash. */
export function renderDeviceXml(info: DeviceInfo, baseUrl: string): string {
  const e = xmlEscape;
  return `<?xml version="1.0" encoding="UTF-8"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion>
    <major>1</major>
    <minor>0</minor>
  </specVersion>
  <URLBase>${e(baseUrl)}</URLBase>
  <device>
    <deviceType>${MEDIA_SERVER_TYPE}</deviceType>
    <friendlyName>${e(info.friendlyName)}</friendlyName>
    <manufacturer>Silicondust</manufacturer>
    <modelName>${e(info.modelNumber)}</modelName>
    <modelNumber>${e(info.modelNumber)}</modelNumber>
    <serialNumber></serialNumber>
    <UDN>uuid:${e(info.uuid)}</UDN>
  </device>
</root>
`;
}
