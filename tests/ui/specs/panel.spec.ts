/**
 * The diagnosis panel in JupyterLab (Chromium), drawn from saved reports
 * (tests/views/fixtures, real engine reports: `make_fixtures.py`) so the
 * kernel needs no TensorFlow: "learn more" renders the rule's Markdown, the
 * Training tab after a NaN and with validation metrics, the graph's NaN
 * layers, and the header while a cell runs. Screenshots go to
 * tests/ui/screenshots/panel-*.png.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';
import * as path from 'path';

import { cellIndex, screenshotPath, writeNotebook } from './utils';

const FIXTURES = path.resolve(__dirname, '..', '..', 'views', 'fixtures');

const SETUP = `from gradmagic.report.model import Report
from gradmagic.views.widget import CellText, DiagnosisPanel


def panel(name):
    with open(f"{name}.json") as saved:
        report = Report.from_json(saved.read())
    return DiagnosisPanel(report, CellText(cell_id=None, text=report.source))`;

async function outputOf(page: Page, cellId: string): Promise<Locator> {
  const index = await cellIndex(page, cellId);
  return page.locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell').nth(index).locator('.jp-Cell-outputWrapper');
}

/** A notebook with the helper cell and `cells`, the fixtures beside it, opened and run. */
async function openPanels(
  page: any,
  tmpPath: string,
  name: string,
  cells: { id: string; source: string }[],
  run = true
): Promise<void> {
  for (const fixture of ['argmax_loss', 'nan_diverging', 'healthy_metrics']) {
    await page.contents.uploadFile(path.join(FIXTURES, `${fixture}.json`), `${tmpPath}/${fixture}.json`);
  }
  await writeNotebook(page, `${tmpPath}/${name}`, [{ id: 'setup', source: SETUP }, ...cells]);
  await page.notebook.openByPath(`${tmpPath}/${name}`);
  await page.notebook.activate(name);
  if (run) {
    await page.notebook.run();
  }
}

/** The chart's marker labels as boxes; fails when two of them overlap. */
async function labelsApart(chart: Locator): Promise<number> {
  const boxes = await chart.locator('.gm-marker-label').evaluateAll(nodes =>
    nodes.map(node => {
      const r = node.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, text: node.textContent };
    })
  );
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      expect(overlap, `${a.text} overlaps ${b.text}`).toBe(false);
    }
  }
  return boxes.length;
}

test.describe('the diagnosis panel', () => {
  test('learn more renders the rule\'s Markdown: headings, code and lists, not ##', async ({ page, tmpPath }) => {
    await openPanels(page, tmpPath, 'learn.ipynb', [{ id: 'argmax', source: 'panel("argmax_loss")' }]);
    const panel = (await outputOf(page, 'argmax')).locator('.gm-panel');
    const card = panel.locator('.gm-card').filter({ hasText: 'error[GM003]' });
    await expect(card).toBeVisible({ timeout: 60000 });
    await card.locator('summary', { hasText: 'learn more about GM003' }).click();
    const doc = card.locator('.gm-markdown');
    await expect(doc).toBeVisible();
    await expect(doc.locator('h5')).toHaveText(['What it does', 'Why is this bad?', 'Example', 'Use instead', 'Fix safety']);
    await expect(doc).not.toContainText('##');
    await expect(doc.locator('pre code')).toContainText('def accuracy_loss(y_true, y_pred):');
    await expect(doc.locator('p code', { hasText: 'stop_gradient' }).first()).toBeVisible();
    // the heading is a heading: larger and bolder than the paragraph under it
    const [heading, paragraph] = await Promise.all([
      doc.locator('h5').first().evaluate(node => getComputedStyle(node).fontWeight),
      doc.locator('p').nth(1).evaluate(node => getComputedStyle(node).fontWeight)
    ]);
    expect(Number(heading)).toBeGreaterThan(Number(paragraph));
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: viewport.width, height: 2000 });
    await card.scrollIntoViewIfNeeded();
    await card.screenshot({ path: screenshotPath('panel-learn-more.png') });
    await page.setViewportSize(viewport);
  });

  test('after a NaN: steps marked, a log scale with its note, labels apart, NaN layers in the graph', async ({ page, tmpPath }) => {
    await openPanels(page, tmpPath, 'nan.ipynb', [{ id: 'nan', source: 'panel("nan_diverging")' }]);
    const panel = (await outputOf(page, 'nan')).locator('.gm-panel');
    await expect(panel.locator('.gm-card').first()).toBeVisible({ timeout: 60000 });
    // no empty evidence row (GM301's `op` and `stage` were not measured)
    const gm301 = panel.locator('.gm-card').filter({ hasText: '[GM301]' });
    await expect(gm301.locator('.gm-evidence td').first()).toBeVisible();
    for (const cell of await gm301.locator('.gm-evidence tr td:nth-child(2)').allTextContents()) {
      expect(cell.trim()).not.toBe('');
      expect(cell.trim()).not.toBe('–');
    }
    await expect(gm301.locator('.gm-evidence tr td:first-child', { hasText: /^op$/ })).toHaveCount(0);

    await panel.getByRole('tab', { name: 'Training' }).click();
    const loss = panel.locator('.gm-chart').first();
    await expect(loss.locator('svg.gm-line-chart')).toHaveAttribute('data-scale', 'log');
    await expect(loss.locator('.gm-scale-note')).toHaveText('log scale: the loss spans 3.23 … 2.63e+23');
    await expect(loss.locator('.gm-nonfinite-note')).toContainText('the loss was NaN/Inf from step 10');
    await expect(loss.locator('.gm-nonfinite')).not.toHaveCount(0);
    expect(await labelsApart(loss)).toBe(4); // GM307 at 1, GM302 at 7, GM301 at 10, GM304 at 12
    await panel.scrollIntoViewIfNeeded();
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: viewport.width, height: 1600 });
    await panel.screenshot({ path: screenshotPath('panel-training-nan.png') });

    await panel.getByRole('tab', { name: 'Gradient flow' }).click();
    const nonfinite = panel.locator('.gm-graph-svg .gm-node-nonfinite');
    await expect(nonfinite).toHaveCount(2);
    await expect(nonfinite.first().locator('.gm-node-codes')).toContainText('NaN/Inf @ step 10');
    await expect(panel.locator('.gm-legend')).toContainText('NaN / Inf while training');
    await panel.screenshot({ path: screenshotPath('panel-graph-nan.png') });
    await page.setViewportSize(viewport);
  });

  test('the Training tab shows validation loss and the compiled metrics beside the loss', async ({ page, tmpPath }) => {
    await openPanels(page, tmpPath, 'metrics.ipynb', [{ id: 'healthy', source: 'panel("healthy_metrics")' }]);
    const panel = (await outputOf(page, 'healthy')).locator('.gm-panel');
    await expect(panel).toBeVisible({ timeout: 60000 });
    await panel.getByRole('tab', { name: 'Training' }).click();
    await expect(panel.locator('.gm-chart-title')).toHaveText([
      'loss', 'accuracy (per epoch)', 'auc (per epoch)', 'gradient norm per layer (log scale)'
    ]);
    const loss = panel.locator('.gm-chart').first();
    await expect(loss.locator('path.gm-series[data-name="val_loss (per epoch)"]')).toHaveCount(1);
    await expect(loss.locator('.gm-chart-legend')).toContainText('val_loss (per epoch)');
    await expect(panel.locator('.gm-chart').nth(1).locator('path.gm-series')).toHaveCount(2);
    await panel.scrollIntoViewIfNeeded();
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: viewport.width, height: 1600 });
    await panel.screenshot({ path: screenshotPath('panel-training-metrics.png') });
    await page.setViewportSize(viewport);
  });

  test('while a cell runs the header says running, never "no fit call ran"', async ({ page, tmpPath }) => {
    await openPanels(page, tmpPath, 'running.ipynb', [
      { id: 'live', source: 'live = DiagnosisPanel(cell=CellText(cell_id=None))\nlive.show(Report(source="x = 1\\n"), running=True)\nlive' },
      {
        id: 'points',
        source: 'live.send_points(0, {"steps": [1, 2, 3, 4], "loss": [1.0, 0.5, float("nan"), float("nan")], ' +
          '"grad_norm": [0.3, 0.2, 0.4, float("nan")]}, 0)'
      },
      { id: 'done', source: 'with open("healthy_metrics.json") as saved:\n    live.show(Report.from_json(saved.read()))' }
    ], false);
    await page.notebook.runCell(0);
    await page.notebook.runCell(1);
    const header = (await outputOf(page, 'live')).locator('.gm-panel .gm-header');
    await expect(header).toContainText('running…', { timeout: 60000 });
    await expect(header).toContainText('waiting for the first fit');
    await expect(header).not.toContainText('no fit call ran');
    await page.notebook.runCell(2);
    await expect(header).toContainText('fit #1: training');
    await expect(header).not.toContainText('no fit call ran');
    await header.screenshot({ path: screenshotPath('panel-header-running.png') });
    // NaN steps are marked while the fit runs, not only after it
    const panel = (await outputOf(page, 'live')).locator('.gm-panel');
    await panel.getByRole('tab', { name: 'Training' }).click();
    const loss = panel.locator('.gm-chart').first();
    await expect(loss.locator('.gm-nonfinite')).toHaveCount(1);
    await expect(loss.locator('.gm-nonfinite-note')).toContainText('the loss was NaN/Inf from step 3 (2 step(s) marked');
    await expect(panel.locator('.gm-chart').nth(1).locator('.gm-nonfinite-note')).toContainText('from step 4');
    await page.notebook.runCell(3);
    await expect(header).toContainText('fit #1 · line 14: completed');
    await expect(header).not.toContainText('running…');
  });
});
