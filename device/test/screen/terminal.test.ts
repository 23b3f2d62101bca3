import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/screen/terminal.js';

describe('terminal screen', () => {
  it('renders every state in Chinese, with QR codes where the kiosk shows them', async () => {
    const staff = { id: 's', name: '钱七', number: 'C3' };
    const p = await renderText({ view: { kind: 'prompt', staff, item: { code: 'T', name: '护照办理' }, caseCount: 2, rateUrl: 'https://hub/r/1', timeoutS: 60 }, offline: true, banner: '系统维护', seq: 1 });
    expect(p).toContain('钱七');
    expect(p).toContain('护照办理（共 2 件）');
    expect(p).toContain('[5] 非常满意');
    expect(p).toContain('[离线]');
    expect(p).toContain('【通知】系统维护');
    expect(p).toMatch(/[▀▄█]/);
    const r = await renderText({ view: { kind: 'reasons', level: 1, items: [{ code: 'A', name: '态度差' }], timeoutS: 30 }, offline: false, banner: null, seq: 2 });
    expect(r).toContain('1. 态度差');
    expect(await renderText({ view: { kind: 'thanks', level: 5, ratingId: 'x' }, offline: false, banner: null, seq: 3 })).toContain('感谢您的评价！');
    expect(await renderText({ view: { kind: 'refusing', message: '存储空间已满' }, offline: false, banner: null, seq: 4 })).toContain('存储空间已满');
  });
});
