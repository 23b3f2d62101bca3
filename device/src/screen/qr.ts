import QRCode from 'qrcode';

/** QR as an SVG string (kiosk) — medium error correction, as phones scan screens at an angle. */
export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
}

/** QR as block characters for a terminal. */
export async function qrTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

export function claimQrText(hubUrl: string, claimCode: string): string {
  return `${hubUrl.replace(/\/$/, '')}/claim?code=${encodeURIComponent(claimCode)}`;
}
