/**
 * The patch bridge, driven by the same CustomEvents a fix card sends, dispatched
 * from elements inside (and outside) the fixture notebooks.
 */
import { expect, test } from '@jupyterlab/galata';

import { cellSource, requestPatch, uploadFixtures } from './utils';

const NEW_SOURCE = '%%gradcheck\nprint("patched")\n';

test.describe('patch bridge', () => {
  test.beforeEach(async ({ page, tmpPath }) => {
    await uploadFixtures(page, tmpPath, ['records.ipynb', 'other.ipynb']);
    await page.notebook.openByPath(`${tmpPath}/records.ipynb`);
    await page.notebook.activate('records.ipynb');
    await expect(page.locator('.jp-gradmagic-record')).toHaveCount(3);
  });

  test('apply writes one undoable step, undo restores exactly', async ({ page }) => {
    const original = (await cellSource(page, 'argmax'))!;
    const from = page.locator('.jp-gradmagic-record').nth(0);

    const applied = await requestPatch(from, {
      action: 'apply',
      cellId: 'argmax',
      expectedSource: original,
      newSource: NEW_SOURCE
    });
    expect(applied).toMatchObject({ ok: true });
    expect(await cellSource(page, 'argmax')).toBe(NEW_SOURCE);

    // The editor's own undo takes the whole patch back in one step.
    const editor = page.locator('.jp-NotebookPanel .jp-Cell').filter({ hasText: 'print("patched")' }).locator('.cm-content');
    await editor.click();
    await page.keyboard.press('Control+z');
    await expect.poll(() => cellSource(page, 'argmax')).toBe(original);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => cellSource(page, 'argmax')).toBe(NEW_SOURCE);

    // The panel's Undo is a patch back to the source the fix was applied to.
    const undone = await requestPatch(from, {
      action: 'undo',
      cellId: 'argmax',
      expectedSource: NEW_SOURCE,
      newSource: original
    });
    expect(undone).toMatchObject({ ok: true });
    expect(await cellSource(page, 'argmax')).toBe(original);
  });

  test('a cell edited since the check is refused, visibly, and left alone', async ({ page }) => {
    const original = (await cellSource(page, 'argmax'))!;
    const from = page.locator('.jp-gradmagic-record').nth(0);
    const answer = await requestPatch(from, {
      action: 'apply',
      cellId: 'argmax',
      expectedSource: original + '# the text the check saw\n',
      newSource: NEW_SOURCE
    });
    expect(answer).toMatchObject({ ok: false });
    expect(answer!.reason).toContain('the cell was edited after the check ran');
    await expect(page.locator('.Toastify__toast').filter({ hasText: 'gradmagic: the cell was edited' })).toBeVisible();
    expect(await cellSource(page, 'argmax')).toBe(original);

    const undo = await requestPatch(from, {
      action: 'undo',
      cellId: 'argmax',
      expectedSource: NEW_SOURCE,
      newSource: 'x'
    });
    expect(undo!.reason).toContain('undo would overwrite those edits');
    expect(await cellSource(page, 'argmax')).toBe(original);
  });

  test('requests for a cell outside the panel\'s notebook are refused', async ({ page, tmpPath }) => {
    await page.notebook.openByPath(`${tmpPath}/other.ipynb`);
    await page.notebook.activate('records.ipynb');
    const from = page.locator('.jp-gradmagic-record').nth(0);

    // A cell of another open notebook: refused, both notebooks unchanged.
    const crossed = await requestPatch(from, {
      action: 'apply',
      cellId: 'other-cell',
      expectedSource: 'y = 2',
      newSource: 'y = 3'
    });
    expect(crossed).toMatchObject({ ok: false });
    expect(crossed!.reason).toContain('this notebook has no cell with id `other-cell`');
    expect(await cellSource(page, 'other-cell')).toBe('y = 2');

    // An element outside every notebook.
    const outside = await requestPatch(page.locator('#jp-top-panel'), {
      action: 'apply',
      cellId: 'argmax',
      expectedSource: (await cellSource(page, 'argmax'))!,
      newSource: 'oops'
    });
    expect(outside).toMatchObject({ ok: false });
    expect(outside!.reason).toContain('not inside an open notebook');

    // A malformed request.
    const malformed = await from.evaluate(element => {
      let answer: any = null;
      element.addEventListener('gradmagic:patch-result', (e: Event) => (answer = (e as CustomEvent).detail));
      element.dispatchEvent(new CustomEvent('gradmagic:patch', { bubbles: true, detail: { requestId: 'r1', action: 'apply', cellId: 'argmax' } }));
      return answer;
    });
    expect(malformed).toMatchObject({ requestId: 'r1', ok: false });
    expect(await cellSource(page, 'argmax')).not.toBe('oops');

    // The same cell of the other notebook, asked from inside that notebook: applied.
    await page.notebook.activate('other.ipynb');
    const inside = page.locator('.jp-NotebookPanel:visible .jp-Cell .cm-content').first();
    const own = await requestPatch(inside, {
      action: 'apply',
      cellId: 'other-cell',
      expectedSource: 'y = 2',
      newSource: 'y = 3'
    });
    expect(own).toMatchObject({ ok: true });
    expect(await cellSource(page, 'other-cell')).toBe('y = 3');
  });

  test('apply-run writes the cell and runs it', async ({ page }) => {
    const from = page.locator('.jp-gradmagic-record').nth(0);
    const answer = await requestPatch(from, {
      action: 'apply-run',
      cellId: 'plain',
      expectedSource: 'x = 1',
      newSource: 'print(6 * 7)'
    });
    expect(answer).toMatchObject({ ok: true });
    expect(await cellSource(page, 'plain')).toBe('print(6 * 7)');
    const plain = page.locator('.jp-NotebookPanel .jp-Cell').filter({ hasText: 'print(6 * 7)' });
    await expect(plain.locator('.jp-OutputArea-output')).toHaveText('42');
  });
});
