/**
 * One card per cause, and the notebook around the panel (issue 13, points 1
 * and 5), with real kernels running `%%gradcheck` cells:
 * - one NaN in `x` of a ReLU MLP: one cause card (GM201), what followed from
 *   it listed inside, no `leaky_relu` fix anywhere (GM201 alone with GM301
 *   when oneDNN is off, GM310/GM304/GM309 following when it is on);
 * - a diverging SGD run (learning rate 5): the learning rate (GM307) is the
 *   first card and its fix is offered once;
 * - Undo after Apply & re-run restores the cell's original text;
 * - the sidebar marks a diagnosis stale when its cell changed since the run,
 *   and unmarks it when the cell is changed back;
 * - Keras's progress bar (`verbose=1`) prints whole below the panel, not split by it.
 * Screenshots: tests/ui/screenshots/causes-*.png.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

import { cellIndex, cellSource, openSidebar, recordOf, screenshotPath, setCellSource, writeNotebook } from './utils';

const NAN_CELL = `%%gradcheck
import numpy as np
import keras
keras.utils.set_random_seed(0)
x = np.random.rand(256, 8).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 4).astype("float32")
x[0, 0] = np.nan
model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=3, batch_size=32, verbose=0)`;

const SGD_CELL = `%%gradcheck
import numpy as np
import keras
keras.utils.set_random_seed(0)
x = np.random.normal(size=(256, 8)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("float32")
model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=5.0), loss="binary_crossentropy")
model.fit(x, y, epochs=5, batch_size=32, verbose=0)`;

const PROGRESS_CELL = `%%gradcheck
import numpy as np
import keras
keras.utils.set_random_seed(0)
x = np.random.rand(256, 4).astype("float32")
y = x.sum(axis=1, keepdims=True)
print("data ready")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=3, batch_size=16, verbose=1)`;

const HEALTHY_CELL = `%%gradcheck
import numpy as np
import keras
keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = x.sum(axis=1, keepdims=True)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, verbose=0)`;

async function outputOf(page: Page, cellId: string): Promise<Locator> {
  const index = await cellIndex(page, cellId);
  return page.locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell').nth(index).locator('.jp-Cell-outputWrapper');
}

async function runNotebook(
  page: any,
  tmpPath: string,
  name: string,
  cell: { id: string; source: string },
  waitForCard = true
): Promise<Locator> {
  await writeNotebook(page, `${tmpPath}/${name}`, [{ id: 'setup', source: '%load_ext gradmagic' }, cell]);
  await page.notebook.openByPath(`${tmpPath}/${name}`);
  await page.notebook.activate(name);
  await page.notebook.run();
  const panel = (await outputOf(page, cell.id)).locator('.gm-panel');
  if (waitForCard) {
    await expect(panel.locator('.gm-card').first()).toBeVisible({ timeout: 150000 });
  }
  return panel;
}

async function shoot(page: Page, panel: Locator, name: string): Promise<void> {
  const viewport = page.viewportSize()!;
  await page.setViewportSize({ width: viewport.width, height: 1800 });
  await panel.scrollIntoViewIfNeeded();
  await panel.screenshot({ path: screenshotPath(name) });
  await page.setViewportSize(viewport);
}

test.describe('one card per cause', () => {
  test('NaN in x: one GM201 card with what followed inside, no leaky_relu fix', async ({ page, tmpPath }) => {
    const panel = await runNotebook(page, tmpPath, 'nan.ipynb', { id: 'nan', source: NAN_CELL });
    const record = await recordOf(page, 'nan');
    // the report keeps the consequences (oneDNN on: GM310, GM304, ...; off: GM301), each linked to GM201
    const codes = record.findings.map((f: any) => f.code);
    expect(codes[0]).toBe('GM201');
    const followed = record.findings.filter((f: any) => f.caused_by !== null).map((f: any) => f.code);
    expect(followed.length).toBeGreaterThan(0);
    expect(followed.length).toBe(record.findings.length - 1);

    const cards = panel.locator('.gm-body > .gm-card');
    await expect(cards).toHaveCount(1);
    await expect(cards.first()).toHaveAttribute('data-code', 'GM201');
    await expect(panel.getByRole('tab', { name: 'Findings (1)' })).toBeVisible();
    const items = cards.first().locator('.gm-followed-item');
    await expect(items).toHaveCount(followed.length);
    for (const code of followed) {
      await expect(cards.first().locator(`.gm-followed-item[data-code="${code}"]`)).toContainText(code);
    }
    await expect(cards.first().locator('.gm-followed-head')).toContainText('what followed');
    // fixes: GM201's own, each once; nothing that treats a symptom
    await expect(panel.locator('.gm-fix[data-fix="leaky-relu"]')).toHaveCount(0);
    await expect(panel).not.toContainText('leaky_relu');
    const fixIds = await panel.locator('.gm-fix').evaluateAll(nodes => nodes.map(n => n.getAttribute('data-fix')));
    expect(new Set(fixIds).size).toBe(fixIds.length);
    expect(fixIds).toEqual(record.findings[0].fixes.map((f: any) => f.id));
    await shoot(page, panel, 'causes-nan-one-card.png');

    // the cards follow the cell: one fix applied, the other cannot be applied over it; undone, both can
    const original = (await cellSource(page, 'nan'))!;
    const [first, second] = [cards.first().locator('.gm-fix').nth(0), cards.first().locator('.gm-fix').nth(1)];
    await first.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(first.locator('.gm-fix-status')).toHaveText('applied');
    const secondApply = second.getByRole('button', { name: 'Apply', exact: true });
    await expect(secondApply).toBeDisabled();
    await expect(secondApply).toHaveAttribute('title', /another fix of this diagnosis is applied/);
    await first.getByRole('button', { name: 'Undo' }).click();
    await expect(first.locator('.gm-fix-status')).toHaveText('undone');
    await expect(secondApply).toBeEnabled();
    await expect(second.locator('.gm-fix-status')).toHaveText('');
    expect(await cellSource(page, 'nan')).toBe(original);
  });

  test('a diverging SGD run: the learning rate (GM307) is the first card, its fix offered once', async ({ page, tmpPath }) => {
    const panel = await runNotebook(page, tmpPath, 'sgd.ipynb', { id: 'sgd', source: SGD_CELL });
    const record = await recordOf(page, 'sgd');
    expect(record.findings.map((f: any) => f.code)).toContain('GM307');
    const cards = panel.locator('.gm-body > .gm-card');
    await expect(cards.first()).toHaveAttribute('data-code', 'GM307');
    // every finding that follows from the learning rate is inside its card, none is a card
    const causes = record.findings.filter((f: any) => f.caused_by === null).length;
    await expect(cards).toHaveCount(causes);
    for (const f of record.findings.filter((f: any) => f.caused_by !== null)) {
      await expect(panel.locator(`.gm-body > .gm-card[data-code="${f.code}"]`)).toHaveCount(0);
      await expect(panel.locator(`.gm-followed-item[data-code="${f.code}"]`)).toHaveCount(1);
    }
    await expect(panel.locator('.gm-fix[data-fix="lower-learning-rate"]')).toHaveCount(1);
    await expect(panel.locator('.gm-fix[data-fix="leaky-relu"]')).toHaveCount(0);
    await shoot(page, panel, 'causes-sgd-learning-rate-first.png');
  });
});

test.describe('the notebook around the panel', () => {
  test('Undo after Apply & re-run restores the original cell', async ({ page, tmpPath }) => {
    const panel = await runNotebook(page, tmpPath, 'undo.ipynb', { id: 'nan', source: NAN_CELL });
    const original = (await cellSource(page, 'nan'))!;
    const first = await recordOf(page, 'nan');
    const output = await outputOf(page, 'nan');
    await expect(panel.locator('.gm-restore')).toBeHidden();
    const fix = panel.locator('.gm-fix').first();
    await fix.getByRole('button', { name: 'Apply & re-run' }).click();
    await expect.poll(() => cellSource(page, 'nan')).not.toBe(original);
    const fixed = (await cellSource(page, 'nan'))!;
    // the re-run's panel (a new widget, made from the fixed text) still offers Undo
    await expect
      .poll(async () => {
        const again = await recordOf(page, 'nan');
        return Boolean(again && again.source !== first.source);
      }, { timeout: 150000 })
      .toBe(true);
    const restore = output.locator('.gm-panel .gm-restore');
    await expect(restore).toBeVisible({ timeout: 30000 });
    await expect(restore).toContainText(first.findings[0].fixes[0].title);
    await shoot(page, output.locator('.gm-panel'), 'causes-undo-after-rerun.png');
    expect(await cellSource(page, 'nan')).toBe(fixed);
    await restore.getByRole('button', { name: 'Undo' }).click();
    await expect(restore).toContainText('undone');
    expect(await cellSource(page, 'nan')).toBe(original);
  });

  test('the sidebar marks a diagnosis stale when its cell changed, and unmarks it when changed back', async ({ page, tmpPath }) => {
    await runNotebook(page, tmpPath, 'stale.ipynb', { id: 'fit', source: HEALTHY_CELL }, false);
    await expect.poll(() => recordOf(page, 'fit'), { timeout: 150000 }).not.toBeNull();
    const sidebar = await openSidebar(page);
    const entry = sidebar.locator('.jp-gradmagic-entry[data-cell-id="fit"]');
    await expect(entry).toHaveAttribute('data-stale', 'false');
    await expect(entry.locator('.jp-gradmagic-stale')).toHaveCount(0);
    const original = (await cellSource(page, 'fit'))!;

    const editor = page.locator('.jp-NotebookPanel:visible .jp-Cell').nth(await cellIndex(page, 'fit')).locator('.cm-content');
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nmodel.summary()');
    await expect(entry).toHaveAttribute('data-stale', 'true');
    await expect(entry.locator('.jp-gradmagic-stale')).toHaveText('stale');
    await page.screenshot({ path: screenshotPath('sidebar-stale.png') });

    await setCellSource(page, 'fit', original);
    await expect(entry).toHaveAttribute('data-stale', 'false');
    await expect(entry.locator('.jp-gradmagic-stale')).toHaveCount(0);
  });

  test('the progress bar prints whole below the panel', async ({ page, tmpPath }) => {
    await runNotebook(page, tmpPath, 'progress.ipynb', { id: 'fit', source: PROGRESS_CELL }, false);
    await expect.poll(() => recordOf(page, 'fit'), { timeout: 150000 }).not.toBeNull();
    const output = await outputOf(page, 'fit');
    const children = output.locator('.jp-OutputArea-child');
    const outputs = await children.evaluateAll(nodes => nodes.map(node =>
      ({ panel: !!node.querySelector('.gm-panel'), text: node.textContent || '' })));
    const panelAt = outputs.findIndex(item => item.panel);
    expect(panelAt).toBeGreaterThanOrEqual(0);
    // nothing the cell printed is above the panel (TensorFlow's own start-up log may be)
    for (const item of outputs.slice(0, panelAt)) {
      expect(item.text).not.toContain('data ready');
      expect(item.text).not.toContain('Epoch');
    }
    // below it, one stream: the cell's print, then every epoch's bar, whole and in order
    const printed = outputs.slice(panelAt + 1).find(item => item.text.includes('data ready'));
    expect(printed, 'the cell\'s output below the panel').toBeTruthy();
    const text = printed!.text;
    const epochs = ['Epoch 1/3', 'Epoch 2/3', 'Epoch 3/3'].map(epoch => text.indexOf(epoch));
    expect(epochs.every(at => at > text.indexOf('data ready'))).toBe(true);
    expect([...epochs].sort((a, b) => a - b)).toEqual(epochs);
    expect((text.match(/16\/16/g) || []).length).toBe(3);  // each epoch's bar reached its end, once
    await shoot(page, output, 'causes-progress-below-panel.png');
  });
});
