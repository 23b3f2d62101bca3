import { readFileSync, statfsSync } from 'node:fs';

/** Free bytes on the disk holding `dir`, or null when unknown. */
export function diskFreeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/** SoC temperature in °C where the kernel exposes it (Raspberry Pi: thermal_zone0). */
export function cpuTempC(file = '/sys/class/thermal/thermal_zone0/temp'): number | null {
  try {
    const milli = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null;
  } catch {
    return null;
  }
}

/** A stable board id: the Pi's serial, else /etc/machine-id. */
export function defaultHardwareId(): string {
  try {
    const m = /^Serial\s*:\s*([0-9a-f]+)$/im.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return `pi-${m[1]}`;
  } catch {
    // not a Pi
  }
  try {
    return `mid-${readFileSync('/etc/machine-id', 'utf8').trim()}`.slice(0, 128);
  } catch {
    return 'unknown';
  }
}
