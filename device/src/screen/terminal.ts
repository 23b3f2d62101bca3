/** `--screen terminal`: the same frames as text, QR included, for headless boards and technicians. */
import type { Writable } from 'node:stream';
import { claimQrText, qrTerminal } from './qr.js';
import { LEVEL_LABELS, TEXT, type Screen, type ScreenFrame } from './view.js';

export class TerminalScreen implements Screen {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly out: Writable, private readonly clear = true) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    await this.chain;
  }

  render(frame: ScreenFrame): void {
    this.chain = this.chain
      .then(async () => {
        this.out.write(await renderText(frame, this.clear));
      })
      .catch(() => undefined);
  }
}

export async function renderText(f: ScreenFrame, clear = false): Promise<string> {
  const v = f.view;
  const lines: string[] = [];
  lines.push(`== 政务服务 好差评 ==${f.offline ? `  [${TEXT.offline}]` : ''}`);
  if (f.banner) lines.push(`【通知】${f.banner}`);
  switch (v.kind) {
    case 'unprovisioned':
      lines.push(TEXT.unprovisioned, TEXT.claimHint, `激活码：${v.claimCode}`, await qrTerminal(claimQrText(v.hubUrl, v.claimCode)));
      if (v.note) lines.push(v.note);
      break;
    case 'idle':
      if (v.staff) lines.push(`${v.staff.name}  工号 ${v.staff.number}`);
      lines.push(v.walkUp ? TEXT.idleWalkUp : TEXT.idle);
      break;
    case 'prompt':
      if (v.staff) lines.push(`${v.staff.name}  工号 ${v.staff.number}`);
      if (v.item) lines.push(`办理事项：${v.item.name}${v.caseCount > 1 ? `（共 ${v.caseCount} 件）` : ''}`);
      lines.push(TEXT.prompt, [5, 4, 3, 2, 1].map((l) => `[${l}] ${LEVEL_LABELS[l as 1 | 2 | 3 | 4 | 5]}`).join('  '));
      if (v.rateUrl) lines.push(TEXT.rateLater, await qrTerminal(v.rateUrl));
      break;
    case 'reasons':
      lines.push(`${TEXT.reasons}（${LEVEL_LABELS[v.level]}）`, ...v.items.map((i, n) => `  ${n + 1}. ${i.name}`));
      break;
    case 'thanks':
      lines.push(TEXT.thanks, LEVEL_LABELS[v.level]);
      break;
    case 'refusing':
      lines.push(v.message);
      break;
  }
  return `${clear ? '\x1b[2J\x1b[H' : ''}${lines.join('\n')}\n`;
}
