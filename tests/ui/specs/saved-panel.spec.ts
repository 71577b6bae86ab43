/**
 * After a save and a reload (the kernel shut down, so every widget model is
 * gone) a `%%gradcheck` cell shows the full panel from its saved record:
 * findings, the gradient-flow graph and the training charts, with how the run
 * ended above it; never "Error displaying widget: model not found" (issue 13,
 * point 5). While the live panel is shown the record stays compact.
 * Screenshot: tests/ui/screenshots/saved-panel-after-reload.png.
 */
import { expect, test } from '@jupyterlab/galata';

import { cellIndex, openSidebar, program, screenshotPath, writeNotebook } from './utils';

test('reload shows the full panel from the saved record, never "model not found"', async ({ page, tmpPath }) => {
  await writeNotebook(page, `${tmpPath}/saved.ipynb`, [
    { id: 'setup', source: '%load_ext gradmagic' },
    { id: 'argmax', source: '%%gradcheck\n' + program('broken/gm003_argmax_loss.py') }
  ]);
  await page.notebook.openByPath(`${tmpPath}/saved.ipynb`);
  await page.notebook.activate('saved.ipynb');
  await page.notebook.run();
  const cell = async () =>
    page.locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell').nth(await cellIndex(page, 'argmax')).locator('.jp-Cell-outputWrapper');
  let output = await cell();
  await expect(output.locator('.gm-panel .gm-card[data-code="GM003"]')).toBeVisible({ timeout: 150000 });
  // live: one panel (the widget's), the record below it compact
  await expect(output.locator('.gm-panel')).toHaveCount(1);
  await expect(output.locator('.jp-gradmagic-record .jp-gradmagic-findings')).toBeVisible();
  await expect(output.locator('.jp-gradmagic-record .gm-panel')).toHaveCount(0);

  await page.notebook.save();
  await page.kernel.shutdownAll();
  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  if (!(await page.notebook.isOpen('saved.ipynb'))) {
    await page.notebook.openByPath(`${tmpPath}/saved.ipynb`);
  }
  await page.notebook.activate('saved.ipynb');
  output = await cell();
  const panel = output.locator('.jp-gradmagic-record .gm-panel');
  await expect(panel).toBeVisible({ timeout: 30000 });
  await expect(output.locator('.gm-panel')).toHaveCount(1);
  // the widget output settles on "model not found": it must never be seen
  await page.waitForTimeout(3000);
  await expect(output.getByText('model not found')).toBeHidden();
  await expect(output).not.toContainText('Loading widget');
  await expect(output.locator('.jp-gradmagic-record')).toContainText('fit #1 line 22 failed: ValueError');

  const card = panel.locator('.gm-card[data-code="GM003"]');
  await expect(card).toBeVisible();
  await expect(card.locator('.gm-where')).toContainText('line 12');
  await expect(card.locator('.gm-fix').first()).toBeVisible();
  await expect(card.locator('.gm-followed-item[data-code="GM001"]')).toBeVisible();
  const viewport = page.viewportSize()!;
  await page.setViewportSize({ width: viewport.width, height: 2000 });
  await panel.scrollIntoViewIfNeeded();
  await output.screenshot({ path: screenshotPath('saved-panel-after-reload.png') });
  await page.setViewportSize(viewport);
  await panel.getByRole('tab', { name: 'Gradient flow' }).click();
  await expect(panel.locator('.gm-graph-svg')).toBeVisible();
  await expect(panel.locator('.gm-graph-svg .gm-node').first()).toBeVisible();
  await panel.getByRole('tab', { name: 'Training' }).click();
  await expect(panel.locator('.gm-body')).not.toBeEmpty();
  // the sidebar still lists it from the same record
  const sidebar = await openSidebar(page);
  await expect(sidebar.locator('.jp-gradmagic-entry[data-cell-id="argmax"]')).toContainText('GM003');
});
