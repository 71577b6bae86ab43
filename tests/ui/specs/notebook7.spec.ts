/**
 * Notebook 7 smoke test: the extension loads there too, the saved record
 * renders, a `%%gradcheck` cell shows its panel, and Apply patches the cell.
 */
import { expect, test } from '@jupyterlab/galata';

import { program, uploadFixtures, writeNotebook } from './utils';

// Galata's own page waits for JupyterLab; Notebook 7 pages are opened as plain pages.
test.use({ autoGoto: false });

test('Notebook 7: the extension loads, records render, a panel renders and Apply patches', async ({
  page: lab,
  tmpPath
}) => {
  await uploadFixtures(lab, tmpPath, ['records.ipynb']);
  const page = await lab.context().newPage();
  await page.goto(`/notebooks/${tmpPath}/records.ipynb`);
  await expect(page.locator('body')).toHaveAttribute('data-gradmagic', 'ready');
  await expect(page.locator('.jp-gradmagic-record')).toHaveCount(3);
  await expect(page.locator('.jp-gradmagic-record').first()).toContainText('error[GM003]');

  await writeNotebook(lab, `${tmpPath}/n7.ipynb`, [
    { id: 'setup', source: '%load_ext gradmagic' },
    { id: 'argmax', source: '%%gradcheck\n' + program('broken/gm003_argmax_loss.py') }
  ]);
  await page.goto(`/notebooks/${tmpPath}/n7.ipynb`);
  await expect(page.locator('body')).toHaveAttribute('data-gradmagic', 'ready');
  const cells = page.locator('.jp-Notebook .jp-Cell');
  // A cell run before the kernel is connected is silently skipped (its prompt stays
  // `[ ]`): run the first cell until the kernel takes it, then the second.
  const prompt = (index: number) => cells.nth(index).locator('.jp-InputPrompt');
  await expect(async () => {
    await cells.nth(0).locator('.cm-content').click();
    await page.keyboard.press('Shift+Enter');
    await expect(prompt(0)).not.toHaveText('[ ]:', { timeout: 3000 });
  }).toPass({ timeout: 90000 });
  await expect(prompt(0)).toHaveText('[1]:');
  await cells.nth(1).locator('.cm-content').click();
  await page.keyboard.press('Shift+Enter');
  await expect(prompt(1)).toHaveText('[2]:', { timeout: 120000 });

  const panel = cells.nth(1).locator('.gm-panel');
  const gm003 = panel.locator('.gm-card').filter({ hasText: 'error[GM003]' });
  await expect(gm003).toBeVisible({ timeout: 120000 });
  await expect(gm003.locator('.gm-where')).toContainText('line 12');

  const fix = gm003.locator('.gm-fix').first();
  await fix.getByRole('button', { name: 'Apply', exact: true }).click();
  await expect(fix.locator('.gm-fix-status')).toHaveText('applied');
  await expect(cells.nth(1).locator('.cm-content')).toContainText('sparse_categorical_crossentropy');
});
