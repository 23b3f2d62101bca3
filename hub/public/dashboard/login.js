// Login page: POST /api/auth/login sets the hcp_session cookie, then go to the dashboard.
import { applyI18n, t, toggleLang } from './i18n.js';

applyI18n();
document.getElementById('lang-toggle').addEventListener('click', () => { toggleLang(); applyI18n(); });

const form = document.getElementById('login-form');
const error = document.getElementById('login-error');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  const body = { username: form.username.value.trim(), password: form.password.value };
  let res;
  try {
    res = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    error.textContent = t('login.network');
    error.hidden = false;
    return;
  }
  if (res.ok) {
    location.assign('/');
    return;
  }
  error.textContent = res.status === 429 ? t('login.rateLimited') : t('login.failed');
  error.hidden = false;
});
