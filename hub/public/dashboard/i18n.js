// Simplified Chinese first; English on request (remembered in localStorage).
const zh = {
  'app.title': '好差评大厅管理台',
  'login.username': '用户名', 'login.password': '密码', 'login.submit': '登录', 'login.failed': '用户名或密码错误',
  'login.network': '无法连接服务器', 'login.rateLimited': '尝试次数过多，请稍后再试',
  'nav.devices': '设备状态', 'nav.ratings': '实时评价', 'nav.provision': '设备认领', 'nav.registry': '基础信息', 'nav.forward': '省级转发', 'nav.charts': '满意度统计',
  'top.logout': '退出登录', 'top.live': '实时连接', 'top.offline': '连接中断',
  'role.admin': '系统管理员', 'role.technician': '技术人员', 'role.operator': '值班人员', 'role.manager': '大厅管理者', 'role.auditor': '审计人员',
  'dev.title': '评价器状态', 'dev.none': '暂无评价器', 'dev.online': '在线', 'dev.offline': '离线', 'dev.unknown': '未知', 'dev.revoked': '已停用',
  'dev.window': '窗口', 'dev.lastSeen': '最后通信', 'dev.backlog': '待同步', 'dev.input': '输入设备', 'dev.clock': '时钟', 'dev.trusted': '可信', 'dev.untrusted': '不可信',
  'dev.versions': '版本', 'dev.decommission': '停用', 'dev.confirmDecommission': '确定停用该评价器？停用后需重新认领。', 'dev.unassigned': '未分配',
  'dev.reason': '离线原因', 'dev.reason.lwt': '连接意外中断', 'dev.reason.shutdown': '正常关机', 'dev.reason.inactivity': '长时间无通信', 'dev.reason.decommissioned': '已停用', 'dev.reason.reboot': '重启中',
  'alerts.title': '告警', 'alerts.none': '当前无告警', 'alerts.raised': '发生',
  'alert.device-offline': '评价器长时间离线', 'alert.backlog-growing': '同步积压持续增长', 'alert.clock-untrusted': '时钟不可信', 'alert.input-failed': '输入设备故障', 'alert.disk-low': '磁盘空间不足',
  'input.ready': '正常', 'input.connecting': '连接中', 'input.reconnecting': '重连中', 'input.failed': '故障', 'input.stopped': '已停止',
  'rat.title': '实时评价', 'rat.none': '暂无评价', 'rat.good': '好评', 'rat.bad': '差评', 'rat.mid': '中评', 'rat.reasons': '原因', 'rat.newBad': '新差评',
  'level.5': '非常满意', 'level.4': '满意', 'level.3': '基本满意', 'level.2': '不满意', 'level.1': '非常不满意',
  'prov.waiting': '等待认领的设备', 'prov.noneWaiting': '暂无等待认领的设备', 'prov.code': '认领码', 'prov.hardware': '硬件编号', 'prov.model': '型号',
  'prov.claim': '认领', 'prov.claimTitle': '输入评价器屏幕上的认领码', 'prov.window': '分配窗口', 'prov.confirm': '确认认领',
  'prov.claimed': '已认领，评价器将在下次联网时完成注册', 'prov.precreate': '预先生成认领码', 'prov.generate': '生成认领码', 'prov.generated': '认领码',
  'prov.expires': '有效期至', 'prov.selectWindow': '请选择窗口',
  'reg.halls': '大厅', 'reg.windows': '窗口', 'reg.staff': '工作人员', 'reg.id': '编号', 'reg.name': '名称', 'reg.address': '地址', 'reg.hall': '所属大厅',
  'reg.staffName': '姓名', 'reg.number': '工号', 'reg.title': '职务', 'reg.star': '星级', 'reg.photo': '照片', 'reg.uploadPhoto': '上传照片',
  'reg.save': '保存', 'reg.edit': '编辑', 'reg.new': '新建', 'reg.cancel': '取消', 'reg.device': '评价器', 'reg.noStaff': '（无）', 'reg.saved': '已保存', 'reg.department': '所属部门',
  'fwd.backlog': '待转发', 'fwd.inFlight': '发送中', 'fwd.oldest': '最久等待', 'fwd.delivered': '已送达', 'fwd.deadOpen': '待处理死信',
  'fwd.dead': '转发失败记录（死信）', 'fwd.noneDead': '暂无死信', 'fwd.retry': '重发', 'fwd.discard': '放弃', 'fwd.note': '备注（放弃时必填）',
  'fwd.reason': '失败原因', 'fwd.rating': '评价', 'fwd.state': '状态', 'fwd.state.open': '待处理', 'fwd.state.retried': '已重发', 'fwd.state.discarded': '已放弃',
  'fwd.needNote': '请填写放弃原因',
  'ch.trend': '满意度趋势', 'ch.byWindow': '各窗口满意度', 'ch.byStaff': '各工作人员满意度', 'ch.byItem': '各事项满意度', 'ch.levels': '评价等级分布',
  'ch.count': '评价数', 'ch.goodRate': '好评率(%)', 'ch.avg': '平均分', 'ch.empty': '暂无数据',
  'ch.satisfied': '满意/非常满意', 'st.from': '起始日期', 'st.to': '截止日期', 'st.query': '查询', 'st.tz': '按北京时间统计，按办件计，已剔除误评与恶意评价（见 docs/statistics.md）',
  'st.cases': '评价办件', 'st.goodRate': '好评率', 'st.badRate': '差评率', 'st.avg': '平均满意度', 'st.participation': '参评率', 'st.contactRate': '回访率',
  'st.rectifyRate': '差评整改率', 'st.defaultShare': '默认评价占比', 'st.unset': '（未设置）',
  'st.exportTitle': '导出与通报', 'st.ratings': '评价明细', 'st.statsFile': '统计报表', 'st.csv': '导出 CSV', 'st.xlsx': '导出 Excel',
  'st.byWindow': '按窗口', 'st.byStaff': '按工作人员', 'st.byDepartment': '按部门', 'st.byItem': '按事项',
  'st.periodAll': '汇总', 'st.periodDay': '按日', 'st.periodWeek': '按周', 'st.periodMonth': '按月',
  'st.bulletin': '好差评通报', 'st.weekHtml': '周通报（打印页）', 'st.weekPdf': '周通报 PDF', 'st.monthHtml': '月通报（打印页）', 'st.monthPdf': '月通报 PDF',
  'st.public': '公开结果页', 'st.masked': '导出文件中的评价人姓名、证件号码、联系电话已脱敏；每次导出均记入审计日志。',
  'common.seconds': '秒', 'common.never': '从未', 'common.error': '操作失败', 'common.forbidden': '无权限执行此操作',
};
const en = {
  'app.title': 'Hall rating dashboard',
  'login.username': 'Username', 'login.password': 'Password', 'login.submit': 'Log in', 'login.failed': 'Wrong username or password',
  'login.network': 'Cannot reach the server', 'login.rateLimited': 'Too many attempts, try again later',
  'nav.devices': 'Devices', 'nav.ratings': 'Live ratings', 'nav.provision': 'Provisioning', 'nav.registry': 'Registry', 'nav.forward': 'Forwarding', 'nav.charts': 'Statistics',
  'top.logout': 'Log out', 'top.live': 'Live', 'top.offline': 'Disconnected',
  'role.admin': 'Administrator', 'role.technician': 'Technician', 'role.operator': 'Operator', 'role.manager': 'Manager', 'role.auditor': 'Auditor',
  'dev.title': 'Rating devices', 'dev.none': 'No devices yet', 'dev.online': 'Online', 'dev.offline': 'Offline', 'dev.unknown': 'Unknown', 'dev.revoked': 'Revoked',
  'dev.window': 'Window', 'dev.lastSeen': 'Last seen', 'dev.backlog': 'Backlog', 'dev.input': 'Input', 'dev.clock': 'Clock', 'dev.trusted': 'trusted', 'dev.untrusted': 'untrusted',
  'dev.versions': 'Versions', 'dev.decommission': 'Decommission', 'dev.confirmDecommission': 'Decommission this device? It must be claimed again.', 'dev.unassigned': 'unassigned',
  'dev.reason': 'Offline reason', 'dev.reason.lwt': 'connection lost', 'dev.reason.shutdown': 'shut down', 'dev.reason.inactivity': 'silent too long', 'dev.reason.decommissioned': 'decommissioned', 'dev.reason.reboot': 'rebooting',
  'alerts.title': 'Alerts', 'alerts.none': 'No open alerts', 'alerts.raised': 'raised',
  'alert.device-offline': 'Device offline too long', 'alert.backlog-growing': 'Backlog growing', 'alert.clock-untrusted': 'Clock untrusted', 'alert.input-failed': 'Input failure', 'alert.disk-low': 'Low disk',
  'input.ready': 'ready', 'input.connecting': 'connecting', 'input.reconnecting': 'reconnecting', 'input.failed': 'failed', 'input.stopped': 'stopped',
  'rat.title': 'Live ratings', 'rat.none': 'No ratings yet', 'rat.good': 'Good', 'rat.bad': 'Bad', 'rat.mid': 'Neutral', 'rat.reasons': 'Reasons', 'rat.newBad': 'New bad rating',
  'level.5': 'Very satisfied', 'level.4': 'Satisfied', 'level.3': 'Fairly satisfied', 'level.2': 'Dissatisfied', 'level.1': 'Very dissatisfied',
  'prov.waiting': 'Devices waiting to be claimed', 'prov.noneWaiting': 'No device is waiting', 'prov.code': 'Claim code', 'prov.hardware': 'Hardware id', 'prov.model': 'Model',
  'prov.claim': 'Claim', 'prov.claimTitle': 'Enter the claim code shown on the device', 'prov.window': 'Window', 'prov.confirm': 'Confirm claim',
  'prov.claimed': 'Claimed; the device registers at its next poll', 'prov.precreate': 'Pre-create a claim code', 'prov.generate': 'Create code', 'prov.generated': 'Claim code',
  'prov.expires': 'valid until', 'prov.selectWindow': 'Choose a window',
  'reg.halls': 'Halls', 'reg.windows': 'Windows', 'reg.staff': 'Staff', 'reg.id': 'Id', 'reg.name': 'Name', 'reg.address': 'Address', 'reg.hall': 'Hall',
  'reg.staffName': 'Name', 'reg.number': 'Number', 'reg.title': 'Title', 'reg.star': 'Stars', 'reg.photo': 'Photo', 'reg.uploadPhoto': 'Upload photo',
  'reg.save': 'Save', 'reg.edit': 'Edit', 'reg.new': 'New', 'reg.cancel': 'Cancel', 'reg.device': 'Device', 'reg.noStaff': '(none)', 'reg.saved': 'Saved', 'reg.department': 'Department',
  'fwd.backlog': 'Waiting', 'fwd.inFlight': 'In flight', 'fwd.oldest': 'Oldest', 'fwd.delivered': 'Delivered', 'fwd.deadOpen': 'Open dead letters',
  'fwd.dead': 'Dead letters', 'fwd.noneDead': 'No dead letters', 'fwd.retry': 'Retry', 'fwd.discard': 'Discard', 'fwd.note': 'Note (required to discard)',
  'fwd.reason': 'Reason', 'fwd.rating': 'Rating', 'fwd.state': 'State', 'fwd.state.open': 'open', 'fwd.state.retried': 'retried', 'fwd.state.discarded': 'discarded',
  'fwd.needNote': 'Please give a reason to discard',
  'ch.trend': 'Satisfaction trend', 'ch.byWindow': 'By window', 'ch.byStaff': 'By staff', 'ch.byItem': 'By service item', 'ch.levels': 'Levels',
  'ch.count': 'Ratings', 'ch.goodRate': 'Good rate (%)', 'ch.avg': 'Average', 'ch.empty': 'No data',
  'ch.satisfied': 'Satisfied or better', 'st.from': 'From', 'st.to': 'To', 'st.query': 'Show', 'st.tz': 'China time days, counted per case, excluded ratings left out (docs/statistics.md)',
  'st.cases': 'Rated cases', 'st.goodRate': 'Good rate', 'st.badRate': 'Bad rate', 'st.avg': 'Average', 'st.participation': 'Participation', 'st.contactRate': 'Contact rate',
  'st.rectifyRate': 'Rectified rate', 'st.defaultShare': 'Default share', 'st.unset': '(not set)',
  'st.exportTitle': 'Exports and bulletins', 'st.ratings': 'Ratings', 'st.statsFile': 'Statistics', 'st.csv': 'CSV', 'st.xlsx': 'Excel',
  'st.byWindow': 'by window', 'st.byStaff': 'by staff', 'st.byDepartment': 'by department', 'st.byItem': 'by item',
  'st.periodAll': 'total', 'st.periodDay': 'per day', 'st.periodWeek': 'per week', 'st.periodMonth': 'per month',
  'st.bulletin': 'Bulletin', 'st.weekHtml': 'Weekly (print)', 'st.weekPdf': 'Weekly PDF', 'st.monthHtml': 'Monthly (print)', 'st.monthPdf': 'Monthly PDF',
  'st.public': 'Public results', 'st.masked': 'Applicant names, ID and phone numbers are masked in exports; every export is audit-logged.',
  'common.seconds': 's', 'common.never': 'never', 'common.error': 'Failed', 'common.forbidden': 'Not allowed for your role',
};

const dicts = { zh, en };
/** Lets a view module register its own strings (zh, en) when it loads, before the first applyI18n. */
export function addStrings(zhMore, enMore) {
  Object.assign(zh, zhMore);
  Object.assign(en, enMore);
}
export function lang() {
  return localStorage.getItem('hcp.lang') === 'en' ? 'en' : 'zh';
}
export function toggleLang() {
  localStorage.setItem('hcp.lang', lang() === 'en' ? 'zh' : 'en');
}
export function t(key) {
  return dicts[lang()][key] ?? zh[key] ?? key;
}
/** Fills every [data-i18n] element (text) and [data-i18n-ph] (placeholder) under root. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-ph]')) el.placeholder = t(el.dataset.i18nPh);
  const toggle = document.getElementById('lang-toggle');
  if (toggle) toggle.textContent = lang() === 'en' ? '中文' : 'English';
  if (document.title) document.title = t('app.title');
}
export function fmtTime(iso) {
  if (!iso) return t('common.never');
  const d = new Date(iso);
  return d.toLocaleString(lang() === 'en' ? 'en-GB' : 'zh-CN', { hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
