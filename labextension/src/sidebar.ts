/**
 * "Gradient checks": the right-sidebar list of every diagnosis in the current
 * notebook. It is built only from the cells' saved outputs (the diagnosis
 * records), so it works after a reload without a kernel.
 */
import { ICellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { h } from './dom';
import { IFinding, IReport, MIME_TYPE } from './protocol';
import {
  countsText,
  failureText,
  firstLine,
  fitsText,
  ISummary,
  STATUS_ICON,
  STATUS_LABEL,
  summarize,
  whereText
} from './summary';

export const STALE_TITLE = 'the cell changed since this check ran: run it again for a current diagnosis';

// labextension/style belongs to the whole extension; the mark carries its own look
const STALE_STYLE =
  'margin-left: auto; padding: 0 4px; border: 1px solid var(--jp-warn-color1); border-radius: 3px; ' +
  'color: var(--jp-warn-color1); font-size: var(--jp-ui-font-size0);';

export const gradmagicIcon = new LabIcon({
  name: 'gradmagic:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M2 13h12v1.5H2z"/><path d="M2.5 12 7 4.5l2.5 4 2-3L14 12h-1.8l-.7-1.2-2 3-2.5-4L4.3 12z"/>' +
    '<circle cx="12.5" cy="3" r="1.5"/></g></svg>'
});

/** One diagnosed cell: the last record among its outputs. */
export interface IEntry {
  cellId: string;
  index: number;
  executionCount: number | null;
  summary: ISummary;
  top: IFinding | null;
  /** Without findings: what the first failed fit raised, or how the fits ended. */
  note: string;
  /** The cell's source changed since the check ran: the diagnosis may no longer hold. */
  stale: boolean;
}

/** The text of a cell or a report's `source` as gradmagic checks it: no `%%gradcheck` line, no blank edges. */
export function checkedText(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .replace(/^(?:[ \t]*\n)*[ \t]*%%gradcheck\b[^\n]*(?:\n|$)/, '')
    .replace(/^(?:[ \t]*\n)+/, '')
    .replace(/\s+$/, '');
}

/**
 * Whether the cell's source changed since the check that made `report`: the
 * report's `source` is the checked cell (its `%%gradcheck` line blanked).
 * A report without a source is never stale.
 */
export function isStale(cellSource: string, report: IReport): boolean {
  return typeof report.source === 'string' && checkedText(cellSource) !== checkedText(report.source);
}

/** Every diagnosed cell of a notebook, in notebook order. */
export function scanNotebook(panel: NotebookPanel): IEntry[] {
  const cells = panel.content.model?.cells;
  const entries: IEntry[] = [];
  if (!cells) {
    return entries;
  }
  for (let index = 0; index < cells.length; index++) {
    const cell = cells.get(index);
    const report = lastRecord(cell);
    if (report) {
      const summary = summarize(report);
      entries.push({
        cellId: cell.id,
        index,
        executionCount: executionCount(cell),
        summary,
        top: summary.findings[0] ?? null,
        note: failureText(report) || fitsText(report),
        stale: isStale(cell.sharedModel.getSource(), report)
      });
    }
  }
  return entries;
}

function lastRecord(cell: ICellModel): IReport | null {
  if (cell.type !== 'code') {
    return null;
  }
  const outputs = (cell as unknown as { outputs?: { length: number; get(i: number): { data: Record<string, unknown> } } }).outputs;
  if (!outputs) {
    return null;
  }
  for (let i = outputs.length - 1; i >= 0; i--) {
    const data = outputs.get(i).data[MIME_TYPE];
    if (data && typeof data === 'object') {
      return data as IReport;
    }
  }
  return null;
}

function executionCount(cell: ICellModel): number | null {
  const count = (cell as unknown as { executionCount?: number | null }).executionCount;
  return typeof count === 'number' ? count : null;
}

export class GradientChecksSidebar extends Widget {
  /**
   * @param activate brings a notebook to the front (`app.shell.activateById`),
   *   so that the selected cell is visible.
   */
  constructor(
    private readonly _tracker: INotebookTracker,
    private readonly _activate: (panel: NotebookPanel) => void = () => undefined
  ) {
    super();
    this.id = 'gradmagic-sidebar';
    this.addClass('jp-gradmagic-sidebar');
    this.title.icon = gradmagicIcon;
    this.title.caption = 'Gradient checks';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Gradient checks');
    _tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._onCurrentChanged();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._unwatch();
    window.clearTimeout(this._timer);
    this._tracker.currentChanged.disconnect(this._onCurrentChanged, this);
    super.dispose();
  }

  /** The entries on screen (for the current notebook). */
  get entries(): readonly IEntry[] {
    return this._entries;
  }

  private _onCurrentChanged(): void {
    this._unwatch();
    const panel = this._tracker.currentWidget;
    this._panel = panel;
    if (panel) {
      panel.content.modelContentChanged.connect(this._schedule, this);
      panel.content.modelChanged.connect(this._schedule, this);
      panel.context.pathChanged.connect(this._schedule, this);
      panel.disposed.connect(this._onCurrentChanged, this);
      void panel.context.ready.then(() => this._schedule());
    }
    this._key = null;
    this._render();
  }

  private _unwatch(): void {
    const panel = this._panel;
    if (panel && !panel.isDisposed) {
      panel.content.modelContentChanged.disconnect(this._schedule, this);
      panel.content.modelChanged.disconnect(this._schedule, this);
      panel.context.pathChanged.disconnect(this._schedule, this);
      panel.disposed.disconnect(this._onCurrentChanged, this);
    }
    this._panel = null;
  }

  /** Outputs change in bursts (every keystroke and stream chunk): coalesce them. */
  private _schedule(): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => this._render(), 120);
  }

  private _render(): void {
    const panel = this._panel && !this._panel.isDisposed ? this._panel : null;
    const entries = panel ? scanNotebook(panel) : [];
    const key = JSON.stringify([
      panel?.id ?? null,
      panel?.context.path ?? null,
      entries.map(e => [
        e.cellId,
        e.index,
        e.executionCount,
        e.summary.status,
        e.summary.counts,
        e.top && [e.top.code, e.top.message, e.top.line, e.top.layer, e.top.step],
        e.note,
        e.stale
      ])
    ]);
    if (key === this._key) {
      return;
    }
    this._key = key;
    this._entries = entries;
    const title = h(
      'div',
      { class: 'jp-gradmagic-sidebar-title' },
      h('h2', {}, 'Gradient checks'),
      panel
        ? h('div', { class: 'jp-gradmagic-sidebar-path', title: panel.context.path }, panel.title.label)
        : null
    );
    this.node.replaceChildren(
      title,
      panel ? this._list(panel, entries) : emptyState(
        'No notebook is open.',
        'Open a notebook to list the gradient checks of its cells.'
      )
    );
  }

  private _list(panel: NotebookPanel, entries: IEntry[]): HTMLElement {
    if (!entries.length) {
      return emptyState(
        'No gradient checks in this notebook yet.',
        h(
          'span',
          {},
          'Run ',
          h('code', {}, '%load_ext gradmagic'),
          ' once, then start a cell that trains a Keras model with ',
          h('code', {}, '%%gradcheck'),
          '. Each diagnosed cell is listed here, also after a reload without a kernel.'
        )
      );
    }
    return h(
      'ul',
      { class: 'jp-gradmagic-entries' },
      entries.map(entry => this._item(panel, entry))
    );
  }

  private _item(panel: NotebookPanel, entry: IEntry): HTMLElement {
    const { summary, top } = entry;
    const count =
      entry.executionCount === null ? '[ ]' : `[${entry.executionCount}]`;
    const where = top ? whereText(top) : '';
    const item = h(
      'li',
      {
        class: `jp-gradmagic-entry jp-gradmagic-entry-${summary.status}` + (entry.stale ? ' jp-gradmagic-entry-stale' : ''),
        'data-cell-id': entry.cellId,
        'data-stale': entry.stale ? 'true' : 'false',
        role: 'button',
        tabindex: '0',
        title: `select cell ${count}: ${STATUS_LABEL[summary.status]}` + (entry.stale ? ` (${STALE_TITLE})` : '')
      },
      h(
        'div',
        { class: 'jp-gradmagic-entry-head' },
        h(
          'span',
          {
            class: `jp-gradmagic-status jp-gradmagic-status-${summary.status}`,
            'aria-label': STATUS_LABEL[summary.status]
          },
          STATUS_ICON[summary.status]
        ),
        h('span', { class: 'jp-gradmagic-count' }, count),
        h('span', { class: 'jp-gradmagic-counts' }, countsText(summary.counts)),
        entry.stale
          ? h('span', { class: 'jp-gradmagic-stale', title: STALE_TITLE, style: STALE_STYLE }, 'stale')
          : null
      ),
      top
        ? h(
            'div',
            { class: 'jp-gradmagic-top' },
            h('span', { class: `jp-gradmagic-code jp-gradmagic-severity-${String(top.severity)}` }, String(top.code)),
            ' ',
            h('span', { class: 'jp-gradmagic-message' }, firstLine(top.message)),
            where ? h('div', { class: 'jp-gradmagic-where' }, where) : null
          )
        : h(
            'div',
            { class: 'jp-gradmagic-top jp-gradmagic-muted' },
            entry.note || STATUS_LABEL[summary.status]
          )
    );
    const select = () => {
      this._activate(panel);
      void selectCell(panel, entry.cellId);
    };
    item.addEventListener('click', select);
    item.addEventListener('keydown', (event: KeyboardEvent) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        select();
      }
    });
    return item;
  }

  private _panel: NotebookPanel | null = null;
  private _entries: IEntry[] = [];
  private _key: string | null = null;
  private _timer = 0;
}

function emptyState(headline: string, text: string | HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'jp-gradmagic-empty' },
    h('p', { class: 'jp-gradmagic-empty-headline' }, headline),
    h('p', {}, text)
  );
}

/** Select the cell with `cellId` (found by id, not position) and scroll to it. */
export async function selectCell(panel: NotebookPanel, cellId: string): Promise<void> {
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
  if (index < 0) {
    return;
  }
  notebook.mode = 'command';
  notebook.deselectAll();
  notebook.activeCellIndex = index;
  await notebook.scrollToCell(notebook.widgets[index], 'center');
  notebook.activate();
}
