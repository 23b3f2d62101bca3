/**
 * The simulator's default 差评 indicator list. A real province serves its own, versioned; hcp
 * must fetch it, never hard-code it (haochaping-data.md). Codes 501/502/510/517 are ones seen in
 * the field; the groups are the window-service groups used by hall devices.
 */
import type { IndicatorList } from '@hcp/protocol';

export const DEFAULT_INDICATORS: IndicatorList = {
  version: 'sim-2026.11',
  items: [
    { code: '501', name: '服务态度差', group: '服务态度' },
    { code: '502', name: '推诿扯皮', group: '服务态度' },
    { code: '510', name: '办事效率低', group: '服务效率' },
    { code: '511', name: '等候时间过长', group: '服务效率' },
    { code: '517', name: '未一次性告知', group: '一次告知' },
    { code: '520', name: '业务不熟练', group: '业务熟练度' },
    { code: '530', name: '服务不规范', group: '服务水平' },
  ],
};
