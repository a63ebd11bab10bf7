import { parseStringPromise } from 'xml2js';
import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from '../../src/model.js';
import { renderDeviceXml, xmlEscape } from '../../src/ssdp/device-xml.js';

const info: DeviceInfo = {
  deviceId: '1053C0CA',
  uuid: '7f1cb2d4-b3ee-5f79-ab79-ec7cf5abfc6f',
  deviceAuth: 'secret-auth',
  friendlyName: 'Tom & Jerry\'s <"Tuner">',
  modelNumber: 'HDHR4-2US',
  firmwareName: 'hdhomerun4_atsc',
  firmwareVersion: '20200101',
};

interface Parsed {
  root: {
    $: { xmlns: string };
    specVersion: { major: string[]; minor: string[] }[];
    URLBase: string[];
    device: Record<string, string[] | undefined>[];
  };
}

describe('renderDeviceXml', () => {
  it('is a UPnP MediaServer:1 description with every field, escaped', async () => {
    const xml = renderDeviceXml(info, 'http://192.168.1.50:5004');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<root')).toBe(true);
    const doc = (await parseStringPromise(xml)) as Parsed;
    expect(doc.root.$.xmlns).toBe('urn:schemas-upnp-org:device-1-0');
    expect(doc.root.specVersion[0]).toEqual({ major: ['1'], minor: ['0'] });
    expect(doc.root.URLBase).toEqual(['http://192.168.1.50:5004']);
    const d = doc.root.device[0]!;
    expect(d.deviceType).toEqual(['urn:schemas-upnp-org:device:MediaServer:1']);
    expect(d.friendlyName).toEqual([info.friendlyName]);
    expect(d.manufacturer).toEqual(['Silicondust']);
    expect(d.modelName).toEqual(['HDHR4-2US']);
    expect(d.modelNumber).toEqual(['HDHR4-2US']);
    expect(d.serialNumber).toEqual(['']);
    expect(d.UDN).toEqual(['uuid:7f1cb2d4-b3ee-5f79-ab79-ec7cf5abfc6f']);
    expect(d.serviceList).toBeUndefined();
    expect(xml).not.toContain('secret-auth');
  });

  it('escapes markup in the base URL and drops characters XML cannot carry', async () => {
    const xml = renderDeviceXml({ ...info, friendlyName: 'a\u0001b\u0007c' }, 'http://h/?a=1&b=<2>');
    const doc = (await parseStringPromise(xml)) as Parsed;
    expect(doc.root.URLBase).toEqual(['http://h/?a=1&b=<2>']);
    expect(doc.root.device[0]!.friendlyName).toEqual(['abc']);
    expect(xmlEscape(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&apos;');
  });
});
