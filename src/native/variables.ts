// Control-protocol variables of native tuning: /tunerN/* for every tuner of the shared pool and
// /lineup/scan. Put in front of the system provider with chainProviders().
import type { VariableProvider } from '../hdhr/control.js';
import type { ScanStatus } from '../model.js';

export interface TunerVariables {
  getset: (
    variable: string,
    req: Parameters<VariableProvider['getset']>[0],
  ) => ReturnType<VariableProvider['getset']>;
}

export interface NativeVariableDeps {
  tunerCount(): number;
  tuner(index: number): TunerVariables;
  scanStatus(): ScanStatus;
  startScan(): void;
  abortScan(): void;
}

const HELP = [
  '/lineup/scan',
  '/tuner<n>/channel <modulation>:<freq|ch>',
  '/tuner<n>/channelmap <channelmap>',
  '/tuner<n>/debug',
  '/tuner<n>/filter "0x<nnnn>-0x<nnnn> [...]"',
  '/tuner<n>/lockkey',
  '/tuner<n>/program <program number>',
  '/tuner<n>/status',
  '/tuner<n>/streaminfo',
  '/tuner<n>/target <ip>:<port>',
  '/tuner<n>/vchannel <vchannel>',
  '/tuner<n>/vstatus',
];

/** `state=… progress=…% found=…`, the shape of a device's /lineup/scan. */
export function formatScan(s: ScanStatus): string {
  return `state=${s.inProgress ? 'scanning' : 'complete'} progress=${Math.round(s.progress)}% found=${s.found}`;
}

export function nativeVariables(deps: NativeVariableDeps): VariableProvider {
  return {
    getset(req) {
      if (req.name === '/lineup/scan') {
        if (req.value === undefined) return { value: formatScan(deps.scanStatus()) };
        const v = req.value.trim().toLowerCase();
        if (v === 'start') deps.startScan();
        else if (v === 'abort') deps.abortScan();
        else return { error: 'ERROR: invalid value' };
        return { value: formatScan(deps.scanStatus()) };
      }
      const m = /^\/tuner(\d{1,3})\/([a-z]+)$/.exec(req.name);
      if (!m) return undefined;
      const index = Number(m[1]);
      if (index >= deps.tunerCount()) return undefined;
      return deps.tuner(index).getset(m[2]!, req);
    },
    help: () => HELP,
  };
}
