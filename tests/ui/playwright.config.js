/**
 * Playwright configuration for the gradmagic browser tests (Galata).
 *
 * Chromium is Debian's (/usr/bin/chromium; `apt-get install -y chromium`):
 * Playwright's own browser download is not reachable from CI, so set
 * PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 when installing. The server is the
 * project virtualenv's JupyterLab (`.venv`, made by `./dev.sh setup`).
 */
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const root = path.resolve(__dirname, '..', '..');
const venv = process.env.GRADMAGIC_VENV || path.join(root, '.venv');
const port = process.env.GRADMAGIC_UI_PORT || '8917';

module.exports = {
  ...baseConfig,
  testDir: './specs',
  // Kernels import TensorFlow: one worker, so the tests do not fight for the CPU.
  workers: 1,
  fullyParallel: false,
  retries: process.env.CI ? 1 : 0,
  timeout: 180000,
  expect: { timeout: 30000 },
  reporter: [[process.env.CI ? 'github' : 'list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    viewport: { width: 1280, height: 860 },
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.GRADMAGIC_CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: `"${path.join(venv, 'bin', 'jupyter')}" lab --config jupyter_server_test_config.py`,
    url: `http://localhost:${port}/lab`,
    timeout: 120000,
    reuseExistingServer: false,
    // The server's log is long; GRADMAGIC_UI_VERBOSE=1 shows it (kernel tracebacks included).
    stdout: 'ignore',
    stderr: process.env.GRADMAGIC_UI_VERBOSE ? 'pipe' : 'ignore',
    env: {
      ...process.env,
      PATH: `${path.join(venv, 'bin')}:${process.env.PATH}`,
      TF_CPP_MIN_LOG_LEVEL: '3',
      PYTHONHASHSEED: '0'
    }
  }
};
