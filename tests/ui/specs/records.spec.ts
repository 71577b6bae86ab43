/**
 * Saved diagnoses, no %%gradcheck run needed: the record renderer and the
 * "Gradient checks" sidebar on the fixture notebook tests/ui/notebooks/records.ipynb
 * (written by make_fixtures.py from real engine reports).
 */
import { expect, test } from '@jupyterlab/galata';

import { cellIndex, openSidebar, uploadFixtures, XSS } from './utils';

test.describe('saved diagnoses', () => {
  test.beforeEach(async ({ page, tmpPath }) => {
    await uploadFixtures(page, tmpPath, ['records.ipynb', 'other.ipynb']);
    await page.notebook.openByPath(`${tmpPath}/records.ipynb`);
    await page.notebook.activate('records.ipynb');
    await expect(page.locator('body')).toHaveAttribute('data-gradmagic', 'ready');
  });

  test('the record renders compactly instead of its HTML fallback', async ({ page }) => {
    const records = page.locator('.jp-gradmagic-record');
    await expect(records).toHaveCount(3);
    // The static HTML fallback (class gm-record) is not what is shown.
    await expect(page.locator('.jp-OutputArea .gm-record')).toHaveCount(0);

    const argmax = records.nth(0);
    await expect(argmax.locator('.jp-gradmagic-status-failed')).toBeVisible();
    await expect(argmax.locator('.jp-gradmagic-counts')).toContainText('2 errors');
    await expect(argmax.locator('.jp-gradmagic-failure')).toHaveText(
      'fit #1 line 22 failed: ValueError: No gradients provided for any variable.'
    );
    const gm003 = argmax.locator('.jp-gradmagic-finding[data-code="GM003"]');
    await expect(gm003.locator('.jp-gradmagic-badge')).toHaveText('error[GM003]');
    await expect(gm003).toContainText('tf.argmax cuts the gradient');
    await expect(gm003.locator('.jp-gradmagic-where')).toHaveText(' \u2192 line 12');

    const healthy = records.nth(1);
    await expect(healthy.locator('.jp-gradmagic-status-ok')).toBeVisible();
    await expect(healthy.locator('.jp-gradmagic-counts')).toContainText('no findings');
    await expect(healthy.locator('.jp-gradmagic-fit')).toHaveText('fit #1 line 18: completed');
  });

  test('the sidebar lists every diagnosed cell and selects it on click', async ({ page, tmpPath }) => {
    const sidebar = await openSidebar(page);
    const entries = sidebar.locator('.jp-gradmagic-entry');
    await expect(entries).toHaveCount(3);
    await expect(entries.nth(0)).toHaveAttribute('data-cell-id', 'argmax');
    await expect(entries.nth(0).locator('.jp-gradmagic-count')).toHaveText('[3]');
    await expect(entries.nth(0).locator('.jp-gradmagic-counts')).toHaveText('2 errors');
    await expect(entries.nth(0).locator('.jp-gradmagic-status-failed')).toBeVisible();
    await expect(entries.nth(0).locator('.jp-gradmagic-code')).toHaveText('GM003');
    await expect(entries.nth(0).locator('.jp-gradmagic-where')).toHaveText('line 12');
    await expect(entries.nth(1).locator('.jp-gradmagic-count')).toHaveText('[4]');
    await expect(entries.nth(1).locator('.jp-gradmagic-status-ok')).toBeVisible();
    await expect(entries.nth(1).locator('.jp-gradmagic-top')).toHaveText('fit #1 line 18: completed');
    await expect(entries.nth(2).locator('.jp-gradmagic-counts')).toHaveText('1 warning');

    // Clicking an entry selects that cell (found by id) in the notebook.
    await entries.nth(2).click();
    const hostile = await cellIndex(page, 'hostile');
    await expect(page.locator('.jp-NotebookPanel .jp-Cell').nth(hostile)).toHaveClass(/jp-mod-active/);
    await entries.nth(0).click();
    const argmax = await cellIndex(page, 'argmax');
    await expect(page.locator('.jp-NotebookPanel .jp-Cell').nth(argmax)).toHaveClass(/jp-mod-active/);
    await expect(page.locator('.jp-NotebookPanel .jp-Cell').nth(hostile)).not.toHaveClass(/jp-mod-active/);

    // Outputs change: clearing a cell's outputs drops its entry.
    await page.evaluate(() => {
      (window as any).jupyterapp.commands.execute('notebook:clear-cell-output');
    });
    await expect(entries).toHaveCount(2);
    await expect(entries.nth(0)).toHaveAttribute('data-cell-id', 'healthy');

    // The current notebook changes: the sidebar follows it.
    await page.notebook.openByPath(`${tmpPath}/other.ipynb`);
    await expect(sidebar.locator('.jp-gradmagic-empty')).toContainText(
      'No gradient checks in this notebook yet.'
    );
    await expect(sidebar.locator('.jp-gradmagic-sidebar-path')).toHaveText('other.ipynb');
    await page.notebook.activate('records.ipynb');
    await expect(entries).toHaveCount(2);
    await expect(sidebar.locator('.jp-gradmagic-sidebar-path')).toHaveText('records.ipynb');
  });

  test('nothing from a record runs as HTML', async ({ page }) => {
    const sidebar = await openSidebar(page);
    const hostileRecord = page.locator('.jp-gradmagic-record').nth(2);
    await expect(hostileRecord).toContainText(`layer ${XSS}`);
    await expect(hostileRecord).toContainText('<script>window.__gm_xss=1</script>');
    await expect(hostileRecord.locator('.jp-gradmagic-notice')).toHaveText(`gradmagic: ${XSS}`);
    const entry = sidebar.locator('.jp-gradmagic-entry[data-cell-id="hostile"]');
    await expect(entry.locator('.jp-gradmagic-where')).toHaveText(`line 2 \u00B7 layer ${XSS}`);
    expect(await page.locator('.jp-gradmagic-record img, #gradmagic-sidebar img, .jp-gradmagic-record script').count()).toBe(0);
    expect(await page.evaluate(() => (window as any).__gm_xss)).toBeUndefined();
  });
});

