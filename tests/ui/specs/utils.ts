/**
 * Helpers shared by the gradmagic browser tests. Cells are always found by id
 * in the notebook model (like the extension does), never by DOM position.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const MIME = 'application/vnd.gradmagic.diagnosis+json';
export const XSS = '<img src=x onerror="window.__gm_xss=1">';
export const SCREENSHOTS = path.resolve(__dirname, '..', 'screenshots');
const PROGRAMS = path.resolve(__dirname, '..', '..', 'programs');
const NOTEBOOKS = path.resolve(__dirname, '..', 'notebooks');

/** A test program of tests/programs, e.g. `broken/gm003_argmax_loss.py`. */
export function program(name: string): string {
  return fs.readFileSync(path.join(PROGRAMS, name), 'utf-8');
}

/** Copy fixture notebooks of tests/ui/notebooks into the test's server folder. */
export async function uploadFixtures(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  names: string[]
): Promise<void> {
  for (const name of names) {
    await page.contents.uploadFile(path.join(NOTEBOOKS, name), `${tmpPath}/${name}`);
  }
}

export interface ICellSpec {
  id: string;
  source: string;
}

/** Write a notebook of code cells (with these ids) to the server. */
export async function writeNotebook(
  page: IJupyterLabPageFixture,
  filePath: string,
  cells: ICellSpec[]
): Promise<void> {
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
    },
    cells: cells.map(cell => ({
      cell_type: 'code',
      id: cell.id,
      source: cell.source,
      metadata: {},
      outputs: [],
      execution_count: null
    }))
  };
  await page.contents.uploadContent(JSON.stringify(notebook), 'text', filePath);
}

/** The source of the cell with `cellId` in any open notebook, or null. */
export async function cellSource(page: Page, cellId: string): Promise<string | null> {
  return page.evaluate(id => {
    const app = (window as any).jupyterapp;
    for (const widget of app.shell.widgets('main')) {
      const cells = (widget as any)?.content?.model?.cells;
      for (let i = 0; cells && i < cells.length; i++) {
        if (cells.get(i).id === id) {
          return cells.get(i).sharedModel.getSource() as string;
        }
      }
    }
    return null;
  }, cellId);
}

/** Replace a cell's source through the model (test set-up only). */
export async function setCellSource(page: Page, cellId: string, source: string): Promise<void> {
  await page.evaluate(
    ([id, text]) => {
      const app = (window as any).jupyterapp;
      for (const widget of app.shell.widgets('main')) {
        const cells = (widget as any)?.content?.model?.cells;
        for (let i = 0; cells && i < cells.length; i++) {
          if (cells.get(i).id === id) {
            cells.get(i).sharedModel.setSource(text);
            return;
          }
        }
      }
      throw new Error(`no cell ${id}`);
    },
    [cellId, source]
  );
}

/** The last diagnosis record among a cell's outputs (the report dict), or null. */
export async function recordOf(page: Page, cellId: string): Promise<any | null> {
  return page.evaluate(
    ([id, mime]) => {
      const app = (window as any).jupyterapp;
      for (const widget of app.shell.widgets('main')) {
        const cells = (widget as any)?.content?.model?.cells;
        for (let i = 0; cells && i < cells.length; i++) {
          const cell = cells.get(i);
          if (cell.id !== id || !cell.outputs) {
            continue;
          }
          for (let j = cell.outputs.length - 1; j >= 0; j--) {
            const data = cell.outputs.get(j).data[mime];
            if (data) {
              return JSON.parse(JSON.stringify(data));
            }
          }
        }
      }
      return null;
    },
    [cellId, MIME]
  );
}

/** The cell text a fix of the record produces (the magic's header kept, as the panel does). */
export function fixedCell(original: string, patchedSource: string): string {
  const header = original.slice(0, original.indexOf('\n') + 1);
  let body = patchedSource.replace(/^\n/, '');
  if (!original.endsWith('\n') && body.endsWith('\n')) {
    body = body.slice(0, -1);
  }
  return header + body;
}

export interface IPatchDetail {
  requestId?: string;
  action: 'apply' | 'apply-run' | 'undo';
  cellId: string;
  expectedSource: string;
  newSource: string;
}

/**
 * Dispatch a patch request from `from` exactly as a fix card does, and return
 * the answer the extension sends back on that element (null: no answer).
 */
export async function requestPatch(
  from: Locator,
  detail: IPatchDetail
): Promise<{ requestId: string; ok: boolean; reason?: string } | null> {
  return from.evaluate((element, d) => {
    let answer: any = null;
    const requestId = d.requestId ?? `test-${Math.random()}`;
    element.addEventListener('gradmagic:patch-result', (e: Event) => {
      answer = (e as CustomEvent).detail;
    });
    element.dispatchEvent(
      new CustomEvent('gradmagic:patch', {
        bubbles: true,
        composed: true,
        detail: { ...d, requestId }
      })
    );
    return answer;
  }, detail);
}

/** Open the "Gradient checks" sidebar and return it. */
export async function openSidebar(page: Page): Promise<Locator> {
  const sidebar = page.locator('#gradmagic-sidebar');
  if (!(await sidebar.isVisible())) {
    await page.locator('.jp-SideBar .lm-TabBar-tab[data-id="gradmagic-sidebar"]').click();
  }
  await sidebar.waitFor({ state: 'visible' });
  return sidebar;
}

/** The notebook cell widget that holds `cellId` (found through the model's id). */
export async function cellIndex(page: Page, cellId: string): Promise<number> {
  return page.evaluate(id => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    return panel.content.widgets.findIndex((c: any) => c.model.id === id);
  }, cellId);
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, name);
}
