/**
 * Service items (事项) a hall typically handles; code form follows the 事项编码 seen in provinces.
 * Used when the business simulator is not given items of its own.
 */
import type { ServiceItem } from '@hcp/protocol';

export const DEFAULT_ITEMS: readonly ServiceItem[] = [
  { code: '330100-000-XK-001', name: '食品经营许可' },
  { code: '330100-000-XK-002', name: '公共场所卫生许可' },
  { code: '330100-000-DJ-011', name: '企业设立登记' },
  { code: '330100-000-DJ-012', name: '企业变更登记' },
  { code: '330100-000-GG-101', name: '居民身份证换领' },
  { code: '330100-000-GG-205', name: '户口迁入登记' },
  { code: '330100-000-QT-310', name: '不动产登记资料查询' },
  { code: '330100-000-GF-402', name: '城乡居民养老保险参保登记' },
  { code: '330100-000-JF-518', name: '住房公积金提取' },
  { code: '330100-000-XK-620', name: '建筑工程施工许可' },
];
