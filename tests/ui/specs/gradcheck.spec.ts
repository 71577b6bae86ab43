/**
 * End to end in JupyterLab: real kernels run `%%gradcheck` cells; the panel's
 * buttons go through the extension's patch bridge; the sidebar and the record
 * survive a reload without the kernel.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

import {
  cellIndex,
  cellSource,
  fixedCell,
  openSidebar,
  program,
  recordOf,
  screenshotPath,
  setCellSource,
  writeNotebook,
  XSS
} from './utils';

const HOSTILE = `import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.rand(64, 1).astype("float32")
model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(4, activation="relu", name='${XSS}'),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, verbose=0)
`;

/** The output area of the cell with `cellId`. */
async function outputOf(page: Page, cellId: string): Promise<Locator> {
  const index = await cellIndex(page, cellId);
  return page.locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell').nth(index).locator('.jp-Cell-outputWrapper');
}

test.describe('%%gradcheck in JupyterLab', () => {
  test('GM003: the panel names the line; Apply, Undo and Apply & re-run rewrite the cell; an edited cell is refused', async ({
    page,
    tmpPath
  }) => {
    await writeNotebook(page, `${tmpPath}/gm003.ipynb`, [
      { id: 'setup', source: '%load_ext gradmagic' },
      { id: 'argmax', source: '%%gradcheck\n' + program('broken/gm003_argmax_loss.py') }
    ]);
    await page.notebook.openByPath(`${tmpPath}/gm003.ipynb`);
    await page.notebook.activate('gm003.ipynb');
    await page.notebook.run();

    const output = await outputOf(page, 'argmax');
    const panel = output.locator('.gm-panel');
    const gm003 = panel.locator('.gm-card').filter({ hasText: 'error[GM003]' });
    await expect(gm003).toBeVisible({ timeout: 120000 });
    await expect(gm003.locator('.gm-where')).toContainText('line 12');
    const record = await recordOf(page, 'argmax');
    const finding = record.findings.find((f: any) => f.code === 'GM003');
    expect(finding.line).toBe(12);
    expect(record.cell_id).toBe('argmax');

    // Screenshots for the README: the panel's two tabs (in a viewport tall enough to
    // hold the whole panel), then the notebook with the graph and the sidebar.
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: viewport.width, height: 2000 });
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: screenshotPath('panel-findings.png') });
    await panel.getByRole('tab', { name: 'Gradient flow' }).click();
    await expect(panel.locator('.gm-graph-svg')).toBeVisible();
    await panel.screenshot({ path: screenshotPath('panel-graph.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.sidebar.close('left');
    const sidebar = await openSidebar(page);
    await expect(sidebar.locator('.jp-gradmagic-entry[data-cell-id="argmax"]')).toContainText('GM003');
    await panel.evaluate(element => element.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: screenshotPath('sidebar.png') });
    await page.setViewportSize(viewport);
    await panel.getByRole('tab', { name: /Findings/ }).click();

    const original = (await cellSource(page, 'argmax'))!;
    const fixed = fixedCell(original, finding.fixes[0].patched_source);
    expect(fixed).toContain('sparse_categorical_crossentropy');
    const fix = gm003.locator('.gm-fix').first();
    const status = fix.locator('.gm-fix-status');

    // Edited after the run: Apply is refused with a visible reason, the text stays.
    const editor = page.locator('.jp-NotebookPanel:visible .jp-Cell').nth(await cellIndex(page, 'argmax')).locator('.cm-content');
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('# edited');
    await expect.poll(() => cellSource(page, 'argmax')).toBe(original + '# edited');
    await fix.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(status).toContainText('refused: the cell was edited after the check ran');
    await expect(page.locator('.Toastify__toast').filter({ hasText: 'gradmagic: the cell was edited' })).toBeVisible();
    expect(await cellSource(page, 'argmax')).toBe(original + '# edited');

    // Back to the checked text: Apply writes the fix, Undo restores the original exactly.
    await setCellSource(page, 'argmax', original);
    await fix.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(status).toHaveText('applied');
    expect(await cellSource(page, 'argmax')).toBe(fixed);
    await fix.getByRole('button', { name: 'Undo' }).click();
    await expect(status).toHaveText('undone');
    expect(await cellSource(page, 'argmax')).toBe(original);

    // Apply & re-run: the fixed cell runs and its new diagnosis has no error.
    await fix.getByRole('button', { name: 'Apply & re-run' }).click();
    await expect.poll(() => cellSource(page, 'argmax')).toBe(fixed);
    await expect
      .poll(
        async () => {
          const again = await recordOf(page, 'argmax');
          return again && again.source !== record.source
            ? again.findings.filter((f: any) => f.severity === 'error').map((f: any) => f.code)
            : null;
        },
        { timeout: 120000 }
      )
      .toEqual([]);
    await expect(output.locator('.gm-panel .gm-card-error')).toHaveCount(0);
  });

  test('two diagnosed cells in the sidebar, hostile names stay text, all of it survives a reload without the kernel', async ({
    page,
    tmpPath
  }) => {
    await writeNotebook(page, `${tmpPath}/two.ipynb`, [
      { id: 'setup', source: '%load_ext gradmagic' },
      { id: 'healthy', source: '%%gradcheck\n' + program('healthy/mlp.py') },
      { id: 'hostile', source: '%%gradcheck\n' + HOSTILE }
    ]);
    await page.notebook.openByPath(`${tmpPath}/two.ipynb`);
    await page.notebook.activate('two.ipynb');
    await page.notebook.run();

    const healthyPanel = (await outputOf(page, 'healthy')).locator('.gm-panel');
    const hostilePanel = (await outputOf(page, 'hostile')).locator('.gm-panel');
    await expect(healthyPanel).toBeVisible({ timeout: 120000 });
    await expect(hostilePanel).toBeVisible({ timeout: 120000 });
    // Draw the hostile layer name as a graph node too.
    await hostilePanel.getByRole('tab', { name: 'Gradient flow' }).click();
    await expect(hostilePanel.locator('.gm-graph-svg')).toBeVisible();

    const sidebar = await openSidebar(page);
    const entries = sidebar.locator('.jp-gradmagic-entry');
    await expect(entries).toHaveCount(2);
    await expect(entries.nth(0)).toHaveAttribute('data-cell-id', 'healthy');
    await expect(entries.nth(1)).toHaveAttribute('data-cell-id', 'hostile');
    await expect(entries.nth(1).locator('.jp-gradmagic-top')).toContainText('fit #1 line 14 failed: ValueError');
    // The name reached the page as data (a graph node), never as markup.
    const nodeIds = await hostilePanel.locator('.gm-node').evaluateAll(nodes => nodes.map(n => n.getAttribute('data-id')));
    expect(nodeIds).toContain(XSS);
    expect(await page.locator('.gm-panel img, #gradmagic-sidebar img, .jp-gradmagic-record img').count()).toBe(0);
    expect(await page.evaluate(() => (window as any).__gm_xss)).toBeUndefined();

    await entries.nth(1).click();
    const rows = page.locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell');
    await expect(rows.nth(await cellIndex(page, 'hostile'))).toHaveClass(/jp-mod-active/);
    await entries.nth(0).click();
    await expect(rows.nth(await cellIndex(page, 'healthy'))).toHaveClass(/jp-mod-active/);

    await page.notebook.save();
    await page.kernel.shutdownAll();
    // The restored layout reopens the notebook (so no Launcher to wait for).
    await page.reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    if (!(await page.notebook.isOpen('two.ipynb'))) {
      await page.notebook.openByPath(`${tmpPath}/two.ipynb`);
    }
    await page.notebook.activate('two.ipynb');
    const after = await openSidebar(page);
    await expect(after.locator('.jp-gradmagic-entry')).toHaveCount(2);
    await expect(page.locator('.jp-NotebookPanel:visible .jp-gradmagic-record')).toHaveCount(2);
    await expect(page.locator('.jp-NotebookPanel:visible .jp-gradmagic-record').nth(1)).toContainText(
      'fit #1 line 14 failed: ValueError'
    );
    expect(await page.evaluate(() => (window as any).__gm_xss)).toBeUndefined();
  });
});
