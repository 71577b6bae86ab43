/**
 * Notebook 7: the extension loads there too, the saved record renders, a
 * `%%gradcheck` cell shows its panel, and Apply patches the cell; after a save
 * and a reload (the kernel shut down) the cell shows the full panel from its
 * saved record, never "model not found" (issue 13, point 5).
 * Screenshot: tests/ui/screenshots/notebook7-saved-panel.png.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { MIME, program, screenshotPath, uploadFixtures, writeNotebook } from './utils';

// Galata's own page waits for JupyterLab; Notebook 7 pages are opened as plain pages.
test.use({ autoGoto: false });

/** Run the notebook's first two cells (`%load_ext`, then the checked cell) in a Notebook 7 page. */
async function runTwoCells(page: Page): Promise<void> {
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
}

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
  await runTwoCells(page);

  const panel = cells.nth(1).locator('.gm-panel');
  const gm003 = panel.locator('.gm-card').filter({ hasText: 'error[GM003]' });
  await expect(gm003).toBeVisible({ timeout: 120000 });
  await expect(gm003.locator('.gm-where')).toContainText('line 12');

  const fix = gm003.locator('.gm-fix').first();
  await fix.getByRole('button', { name: 'Apply', exact: true }).click();
  await expect(fix.locator('.gm-fix-status')).toHaveText('applied');
  await expect(cells.nth(1).locator('.cm-content')).toContainText('sparse_categorical_crossentropy');
});

test('Notebook 7: after a save and a reload the cell shows the full panel from its saved record', async ({
  page: lab,
  tmpPath
}) => {
  const file = `${tmpPath}/n7saved.ipynb`;
  await writeNotebook(lab, file, [
    { id: 'setup', source: '%load_ext gradmagic' },
    { id: 'argmax', source: '%%gradcheck\n' + program('broken/gm003_argmax_loss.py') }
  ]);
  const page = await lab.context().newPage();
  await page.goto(`/notebooks/${file}`);
  await expect(page.locator('body')).toHaveAttribute('data-gradmagic', 'ready');
  await runTwoCells(page);
  const cells = page.locator('.jp-Notebook .jp-Cell');
  await expect(cells.nth(1).locator('.gm-panel .gm-card[data-code="GM003"]')).toBeVisible({ timeout: 120000 });

  // saved: the file on the server holds the cell's record (the shortcut is pressed again until it is)
  const saved = async () => {
    const model = await (await page.request.get(`/api/contents/${file}?content=1`)).json();
    return (model.content.cells[1].outputs || []).some((output: any) => output.data && output.data[MIME]);
  };
  await expect(async () => {
    if (!(await saved())) {
      await cells.nth(1).locator('.jp-InputPrompt').click();
      await page.keyboard.press('Control+s');
    }
    expect(await saved()).toBe(true);
  }).toPass({ timeout: 60000, intervals: [2000] });
  // every kernel shut down (through the REST API: this page is not JupyterLab), so every widget model is gone
  for (const kernel of await (await page.request.get('/api/kernels')).json()) {
    expect((await page.request.delete(`/api/kernels/${kernel.id}`)).ok()).toBe(true);
  }
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-gradmagic', 'ready');

  const output = cells.nth(1).locator('.jp-Cell-outputWrapper');
  const panel = output.locator('.jp-gradmagic-record .gm-panel');
  await expect(panel).toBeVisible({ timeout: 30000 });
  await expect(output.locator('.gm-panel')).toHaveCount(1);
  // the widget output settles on "model not found": it must never be seen
  await page.waitForTimeout(3000);
  await expect(output.getByText('model not found')).toBeHidden();
  await expect(output).not.toContainText('Loading widget');
  const card = panel.locator('.gm-card[data-code="GM003"]');
  await expect(card).toBeVisible();
  await expect(card.locator('.gm-where')).toContainText('line 12');
  await expect(card.locator('.gm-followed-item[data-code="GM001"]')).toBeVisible();
  const viewport = page.viewportSize()!;
  await page.setViewportSize({ width: viewport.width, height: 2000 });
  await panel.scrollIntoViewIfNeeded();
  await output.screenshot({ path: screenshotPath('notebook7-saved-panel.png') });
  await page.setViewportSize(viewport);
  await panel.getByRole('tab', { name: 'Gradient flow' }).click();
  await expect(panel.locator('.gm-graph-svg .gm-node').first()).toBeVisible();
  await panel.getByRole('tab', { name: 'Training' }).click();
  await expect(panel.locator('.gm-body')).not.toBeEmpty();
});
