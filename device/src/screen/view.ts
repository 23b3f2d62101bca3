/**
 * What the screen shows, as data. Every screen (kiosk page, terminal, serial panel) renders these.
 * Text the citizen sees is Simplified Chinese.
 */
import type { Level, ServiceItem, StaffCard } from '@hcp/protocol';

export type ScreenView =
  | { readonly kind: 'unprovisioned'; readonly claimCode: string; readonly hubUrl: string; readonly note: string | null }
  | { readonly kind: 'idle'; readonly staff: StaffCard | null; readonly walkUp: boolean }
  | { readonly kind: 'prompt'; readonly staff: StaffCard | null; readonly item: ServiceItem | null; readonly caseCount: number; readonly rateUrl: string | null; readonly timeoutS: number }
  | { readonly kind: 'reasons'; readonly level: Level; readonly items: readonly { code: string; name: string }[]; readonly timeoutS: number }
  | { readonly kind: 'thanks'; readonly level: Level; readonly ratingId: string }
  | { readonly kind: 'refusing'; readonly message: string };

export interface ScreenFrame {
  readonly view: ScreenView;
  readonly offline: boolean;
  /** A message from the hub (display.message), shown over the view until it expires. */
  readonly banner: string | null;
  readonly seq: number;
}

/** A screen renders frames. Obligations: `render` never throws; start/stop own any server or timer. */
export interface Screen {
  start(): Promise<void>;
  stop(): Promise<void>;
  render(frame: ScreenFrame): void;
}

export const LEVEL_LABELS: Readonly<Record<Level, string>> = { 5: '非常满意', 4: '满意', 3: '基本满意', 2: '不满意', 1: '非常不满意' };

export const TEXT = {
  unprovisioned: '设备未激活',
  claimHint: '请技术人员在大厅管理平台输入下方激活码，或扫描二维码',
  revoked: '设备已停用，请联系管理员',
  idle: '欢迎光临',
  idleWalkUp: '欢迎评价，请点击星级',
  prompt: '请对本次服务进行评价',
  reasons: '请选择不满意的原因',
  thanks: '感谢您的评价！',
  offline: '离线',
  diskFull: '存储空间已满，暂停评价，请联系管理员',
  rateLater: '扫码稍后评价',
} as const;
