/**
 * The Binder tutorials (binder/*.ipynb) under "Run All" in JupyterLab: each is
 * copied into the test's server folder, run with Run > Run All Cells, and must
 * reach its last code cell, with errors only in the cells tagged
 * `raises-exception` (the deliberate failures, which Run All runs past).
 * What the cells diagnose is checked by tests/test_tutorials.py.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const BINDER = path.resolve(__dirname, '..', '..', '..', 'binder');
const TUTORIALS = fs
  .readdirSync(BINDER)
  .filter(name => name.endsWith('.ipynb'))
  .sort();

interface IProgress {
  /** execution count of the first and of the last code cell (null: not run yet) */
  first: number | null;
  last: number | null;
  /** id of the first code cell that shows an error but is not tagged `raises-exception` */
  untaggedError: string | null;
  /** ids of the cells tagged `raises-exception` that show an error */
  taggedErrors: string[];
}

async function progress(page: Page): Promise<IProgress> {
  return page.evaluate(() => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    const cells = panel.content.model.cells;
    const state: IProgress = { first: null, last: null, untaggedError: null, taggedErrors: [] };
    let seen = false;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      if (cell.type !== 'code') {
        continue;
      }
      if (!seen) {
        state.first = cell.executionCount;
        seen = true;
      }
      state.last = cell.executionCount;
      const tagged = ((cell.getMetadata('tags') as string[] | undefined) ?? []).includes('raises-exception');
      for (let j = 0; j < cell.outputs.length; j++) {
        if (cell.outputs.get(j).type !== 'error') {
          continue;
        }
        if (tagged) {
          state.taggedErrors.push(cell.id);
        } else if (state.untaggedError === null) {
          state.untaggedError = cell.id;
        }
        break;
      }
    }
    return state;
  });
}

test.describe('Binder tutorials', () => {
  test('binder/ holds the seven tutorials', () => {
    expect(TUTORIALS).toHaveLength(7);
  });

  for (const name of TUTORIALS) {
    test(`${name}: Run All reaches the last cell`, async ({ page, tmpPath }) => {
      // A tutorial trains a dozen tiny models in a fresh kernel (TensorFlow's import included).
      test.setTimeout(420000);
      await page.contents.uploadFile(path.join(BINDER, name), `${tmpPath}/${name}`);
      await page.notebook.openByPath(`${tmpPath}/${name}`);
      await page.notebook.activate(name);
      expect((await progress(page)).last).toBeNull(); // stored without outputs

      await page.waitForFunction(() => {
        const text = document.querySelector('#jp-main-statusbar')?.textContent ?? '';
        return !['Connecting', 'Initializing', 'Starting'].some(word => text.includes(word));
      });
      // A Run All clicked before the kernel is connected runs nothing: click again until the
      // first cell has run.
      await expect(async () => {
        await page.menu.clickMenuItem('Run>Run All Cells');
        await expect.poll(async () => (await progress(page)).first, { timeout: 30000 }).not.toBeNull();
      }).toPass({ timeout: 150000 });

      // Reached: the last code cell got an execution count; an error in an untagged cell stops
      // Run All, so stop waiting then and name that cell.
      await expect
        .poll(
          async () => {
            const state = await progress(page);
            return state.untaggedError !== null || state.last !== null;
          },
          { timeout: 360000, intervals: [1000] }
        )
        .toBe(true);
      await page.locator('#jp-main-statusbar >> text=Idle').waitFor({ timeout: 120000 });
      const state = await progress(page);
      expect(state.untaggedError, `an untagged cell failed in ${name}`).toBeNull();
      expect(state.last).toBeGreaterThan(0);
      const tagged = await page.evaluate(() => {
        const cells = (window as any).jupyterapp.shell.currentWidget.content.model.cells;
        const ids: string[] = [];
        for (let i = 0; i < cells.length; i++) {
          const cell = cells.get(i);
          if (((cell.getMetadata('tags') as string[] | undefined) ?? []).includes('raises-exception')) {
            ids.push(cell.id);
          }
        }
        return ids;
      });
      // every deliberate failure did fail, and Run All went on past it
      expect(state.taggedErrors).toEqual(tagged);
    });
  }
});
