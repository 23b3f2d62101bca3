/** The app version reported in telemetry and provisioning (kept in step with package.json). */
export const APP_VERSION = '0.1.0';
