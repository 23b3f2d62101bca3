/**
 * The Raspberry Pi install plan: every file the installer writes and every command it runs,
 * computed from options alone (no I/O), so `--dry-run` can print exactly what a real run does.
 * Target: 64-bit Raspberry Pi OS (Debian 12/13), systemd, Node 20 from Debian.
 */
export type Role = 'device' | 'hub';

export interface PiOptions {
  readonly role: Role;
  /** Where the hcp checkout is copied to. */
  readonly prefix: string;
  /** Persistent data (SQLite files, identity). */
  readonly dataDir: string;
  readonly user: string;
  /** Device: the hub URL used for provisioning. */
  readonly hubUrl: string;
  /** Device: which input driver; hub: ignored. */
  readonly input: 'gpio' | 'serial' | 'hid';
  readonly kioskPort: number;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly kiosk: boolean;
}

export const DEFAULT_PI_OPTIONS: PiOptions = {
  role: 'device',
  prefix: '/opt/hcp',
  dataDir: '/var/lib/hcp',
  user: 'hcp',
  hubUrl: 'http://hcp-hub.local:8080',
  input: 'serial',
  kioskPort: 8700,
  httpPort: 8080,
  mqttPort: 1883,
  kiosk: true,
};

export interface PlannedFile {
  readonly path: string;
  readonly mode: number;
  readonly content: string;
  readonly why: string;
}

export interface PlannedCommand {
  readonly argv: readonly string[];
  readonly why: string;
}

export interface InstallPlan {
  readonly files: readonly PlannedFile[];
  readonly before: readonly PlannedCommand[];
  readonly after: readonly PlannedCommand[];
}

const APT_BASE = ['nodejs', 'npm', 'build-essential', 'python3', 'sqlite3', 'ca-certificates'];
const APT_DEVICE = ['socat', 'gpiod'];
const APT_KIOSK = ['cage', 'chromium', 'fonts-noto-cjk'];
const APT_HUB: string[] = [];

function deviceUnit(o: PiOptions): string {
  return `[Unit]
Description=hcp counter rating device (好差评评价器)
Documentation=file://${o.prefix}/docs/deploy.md
After=network-online.target time-sync.target
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=all
User=${o.user}
Group=${o.user}
SupplementaryGroups=dialout gpio plugdev
WorkingDirectory=${o.prefix}
Environment=NODE_ENV=production
Environment=HCP_SYSTEMD=1
ExecStart=/usr/bin/node ${o.prefix}/device/dist/cli.js --config /etc/hcp/device.json --data-dir ${o.dataDir}/device --input ${o.input} --screen kiosk --kiosk-port ${o.kioskPort} --hub-url ${o.hubUrl}
# The runtime pings the watchdog (sd_notify WATCHDOG=1) from its main loop; a hung process is restarted.
WatchdogSec=30
Restart=always
RestartSec=2
# Ratings are committed with synchronous=FULL before "thank you"; SIGKILL after the timeout is safe.
TimeoutStopSec=15
KillMode=mixed
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
ReadWritePaths=${o.dataDir}
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`;
}

function hubUnit(o: PiOptions): string {
  return `[Unit]
Description=hcp hall hub (好差评大厅中心)
Documentation=file://${o.prefix}/docs/deploy.md
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${o.user}
Group=${o.user}
WorkingDirectory=${o.prefix}
Environment=NODE_ENV=production
ExecStart=/usr/bin/node ${o.prefix}/hub/dist/cli.js --data-dir ${o.dataDir}/hub --http-port ${o.httpPort} --mqtt-port ${o.mqttPort}
Restart=always
RestartSec=2
TimeoutStopSec=30
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
ReadWritePaths=${o.dataDir}
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`;
}

function kioskUnit(o: PiOptions): string {
  return `[Unit]
Description=hcp kiosk screen (Chromium in cage, Wayland)
After=hcp-device.service systemd-user-sessions.service
Wants=hcp-device.service
Conflicts=getty@tty1.service

[Service]
User=${o.user}
PAMName=login
TTYPath=/dev/tty1
StandardInput=tty
Environment=XDG_RUNTIME_DIR=/run/user/%U
RuntimeDirectory=hcp-kiosk
ExecStartPre=/bin/sh -c 'for i in $(seq 1 60); do /usr/bin/curl -fs http://127.0.0.1:${o.kioskPort}/healthz >/dev/null && exit 0; sleep 1; done; exit 0'
ExecStart=/usr/bin/cage -d -- /usr/bin/chromium --kiosk --noerrdialogs --disable-infobars --incognito --no-first-run --disable-translate --disable-features=TranslateUI --overscroll-history-navigation=0 --check-for-update-interval=31536000 http://127.0.0.1:${o.kioskPort}/
Restart=always
RestartSec=3

[Install]
WantedBy=graphical.target
`;
}

/** journald in RAM and a RAM /tmp: the SD card sees only SQLite commits. */
const JOURNALD_CONF = `# hcp: keep logs in RAM to spare the SD card; ratings live in SQLite, not in logs.
[Journal]
Storage=volatile
RuntimeMaxUse=64M
`;

function deviceConfig(o: PiOptions): string {
  return `${JSON.stringify({ hubUrl: o.hubUrl, input: { driver: o.input } }, null, 2)}\n`;
}

export function buildPlan(o: PiOptions): InstallPlan {
  const apt = [...APT_BASE, ...(o.role === 'device' ? APT_DEVICE : APT_HUB), ...(o.role === 'device' && o.kiosk ? APT_KIOSK : [])];
  const files: PlannedFile[] = [];
  if (o.role === 'device') {
    files.push({ path: '/etc/systemd/system/hcp-device.service', mode: 0o644, content: deviceUnit(o), why: 'device runtime as a service with restart policy and watchdog' });
    files.push({ path: '/etc/hcp/device.json', mode: 0o640, content: deviceConfig(o), why: 'device config (validated at start; see device --help)' });
    if (o.kiosk) files.push({ path: '/etc/systemd/system/hcp-kiosk.service', mode: 0o644, content: kioskUnit(o), why: 'Chromium kiosk autostart on the attached screen' });
  } else {
    files.push({ path: '/etc/systemd/system/hcp-hub.service', mode: 0o644, content: hubUnit(o), why: 'hall hub as a service' });
  }
  files.push({ path: '/etc/systemd/journald.conf.d/hcp.conf', mode: 0o644, content: JOURNALD_CONF, why: 'logs in RAM to spare the SD card' });
  files.push({
    path: '/etc/tmpfiles.d/hcp.conf',
    mode: 0o644,
    content: `# hcp data directory: owned by the service user, never cleaned automatically\nd ${o.dataDir} 0750 ${o.user} ${o.user} -\n`,
    why: 'persistent data directory, created at boot with the right owner',
  });

  const unit = o.role === 'device' ? 'hcp-device.service' : 'hcp-hub.service';
  const before: PlannedCommand[] = [
    { argv: ['apt-get', 'update'], why: 'refresh package lists' },
    { argv: ['apt-get', 'install', '-y', '--no-install-recommends', ...apt], why: 'Node 20, build tools for better-sqlite3, runtime tools' },
    { argv: ['sh', '-c', `id -u ${o.user} >/dev/null 2>&1 || useradd --system --create-home --home-dir ${o.dataDir} --shell /usr/sbin/nologin ${o.user}`], why: 'service user' },
    { argv: ['mkdir', '-p', o.prefix, o.dataDir, '/etc/hcp'], why: 'install and data folders' },
    { argv: ['cp', '-a', '.', o.prefix], why: 'copy this checkout to the install prefix' },
    { argv: ['sh', '-c', `cd ${o.prefix} && HCP_SKIP_SYSTEM_DEPS=1 npm ci && npm run build && npm prune --omit=dev`], why: 'install dependencies, build, drop dev tools' },
  ];
  const after: PlannedCommand[] = [
    { argv: ['chown', '-R', `${o.user}:${o.user}`, o.dataDir], why: 'service user owns its data' },
    { argv: ['systemd-tmpfiles', '--create', '/etc/tmpfiles.d/hcp.conf'], why: 'apply the data directory rule now' },
    { argv: ['systemctl', 'restart', 'systemd-journald'], why: 'apply the RAM journal' },
    { argv: ['systemctl', 'daemon-reload'], why: 'load the new units' },
    { argv: ['systemctl', 'enable', '--now', unit], why: 'start now and at every boot' },
    ...(o.role === 'device' && o.kiosk ? [{ argv: ['systemctl', 'enable', '--now', 'hcp-kiosk.service'], why: 'kiosk screen' } as PlannedCommand] : []),
  ];
  return { files, before, after };
}
