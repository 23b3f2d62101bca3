#!/usr/bin/env node
// Installs the Debian packages the project needs at run and test time (chromium for the kiosk
// and browser tests, socat for serial pty pairs, mosquitto for the external-broker suites).
// Runs on `npm ci` (postinstall). Skips quietly when every package is present; when some are
// missing and we are not root or apt is absent, it prints what to install and does not fail,
// because the device image on a Pi installs them through scripts/pi/install.sh instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wanted = [
  { pkg: 'chromium', probe: '/usr/bin/chromium' },
  { pkg: 'socat', probe: '/usr/bin/socat' },
  { pkg: 'mosquitto', probe: '/usr/sbin/mosquitto' },
  { pkg: 'fonts-noto-cjk', probe: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc' },
];
if (process.env.HCP_SKIP_SYSTEM_DEPS === '1') process.exit(0);
const missing = wanted.filter((w) => !existsSync(w.probe)).map((w) => w.pkg);
if (missing.length === 0) process.exit(0);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) {
  console.warn(`[hcp] missing system packages: ${missing.join(' ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`);
  process.exit(0);
}
console.log(`[hcp] installing system packages: ${missing.join(' ')}`);
try {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
} catch (err) {
  console.warn(`[hcp] apt-get failed (${err.message}); install manually: apt-get install -y ${missing.join(' ')}`);
}
