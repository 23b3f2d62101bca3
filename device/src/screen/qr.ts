import type * as QR from 'qrcode';

// Loaded on first use: a device that never shows a QR (no rate URLs, no claim screen) never pays for it.
async function lib(): Promise<typeof QR> {
  const m = (await import('qrcode')) as unknown as { default?: typeof QR } & typeof QR;
  return m.default ?? m;
}

/** QR as an SVG string (kiosk) — medium error correction, as phones scan screens at an angle. */
export async function qrSvg(text: string): Promise<string> {
  return (await lib()).toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
}

/** QR as block characters for a terminal. */
export async function qrTerminal(text: string): Promise<string> {
  return (await lib()).toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

export function claimQrText(hubUrl: string, claimCode: string): string {
  return `${hubUrl.replace(/\/$/, '')}/claim?code=${encodeURIComponent(claimCode)}`;
}
