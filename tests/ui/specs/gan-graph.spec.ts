/**
 * The gradient-flow graph of a custom-`train_step` GAN follows the traced
 * call (issue 13, point 4): for `discriminator(generator(noise))` the
 * generator sits above the discriminator and the loss below both, although
 * the model holds (and the cell builds) the discriminator first.
 * Screenshot: tests/ui/screenshots/panel-gan-graph.png.
 */
import { expect, test } from '@jupyterlab/galata';

import { cellIndex, program, screenshotPath, writeNotebook } from './utils';

test("a GAN's graph reads generator, then discriminator, then the loss", async ({ page, tmpPath }) => {
  await writeNotebook(page, `${tmpPath}/gan.ipynb`, [
    { id: 'setup', source: '%load_ext gradmagic' },
    { id: 'gan', source: '%%gradcheck\n' + program('healthy/gan_discriminator_first.py') }
  ]);
  await page.notebook.openByPath(`${tmpPath}/gan.ipynb`);
  await page.notebook.activate('gan.ipynb');
  await page.notebook.run();
  const output = page.locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell')
    .nth(await cellIndex(page, 'gan')).locator('.jp-Cell-outputWrapper');
  const panel = output.locator('.gm-panel').first();
  await expect(panel.locator('.gm-header')).toContainText('completed', { timeout: 150000 });
  await expect(panel.locator('.gm-header')).not.toContainText('running…');

  await panel.getByRole('tab', { name: 'Gradient flow' }).click();
  const svg = panel.locator('.gm-graph-svg');
  const box = async (selector: string) => {
    const found = await svg.locator(selector).first().boundingBox();
    expect(found, selector).not.toBeNull();
    return found!;
  };
  await expect(svg.locator('.gm-cluster[data-id="generator"]')).toHaveCount(1);
  await expect(svg.locator('.gm-cluster[data-id="discriminator"]')).toHaveCount(1);
  const generator = await box('.gm-cluster[data-id="generator"] rect');
  const discriminator = await box('.gm-cluster[data-id="discriminator"] rect');
  const loss = await box('.gm-node[data-id="__loss__"]');
  expect(generator.y + generator.height).toBeLessThanOrEqual(discriminator.y);
  expect(discriminator.y + discriminator.height).toBeLessThanOrEqual(loss.y);

  await panel.scrollIntoViewIfNeeded();
  const viewport = page.viewportSize()!;
  await page.setViewportSize({ width: viewport.width, height: 1400 });
  await panel.screenshot({ path: screenshotPath('panel-gan-graph.png') });
  await page.setViewportSize(viewport);
});
