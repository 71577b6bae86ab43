/**
 * Undo across runs. After Apply & re-run the cell holds the fixed text and a
 * new panel is made from it, so its own fix cards cannot undo the fix. The
 * panel asks the labextension (protocol.ts: `gradmagic:undo-query`) whether
 * its cell holds a fix applied from an earlier panel, and if so offers an
 * Undo that restores the cell's text from before that fix.
 */
import { append, clear, h } from '../dom';
import {
  IPatchRequest,
  IPatchResult,
  IUndoInfo,
  PATCH_EVENT,
  PATCH_RESULT_EVENT,
  UNDO_INFO_EVENT,
  UNDO_QUERY_EVENT
} from '../protocol';

let counter = 0;

export class RestoreBar {
  readonly node = h('div', { class: 'gm-restore', hidden: 'hidden' });

  constructor(private readonly _uid: string) {
    this.node.addEventListener(UNDO_INFO_EVENT, event => {
      const info = ((event as CustomEvent).detail || {}) as Partial<IUndoInfo>;
      if (info.requestId === this._query) {
        this._query = null;
        this._show(info);
      }
    });
    this.node.addEventListener(PATCH_RESULT_EVENT, event => {
      const result = ((event as CustomEvent).detail || {}) as Partial<IPatchResult>;
      if (result.requestId !== this._pending) {
        return;
      }
      this._pending = null;
      clear(this.node);
      append(this.node, h('span', { class: 'gm-fix-status', role: 'status' }, result.ok
        ? 'undone: the cell holds its text from before the fix again'
        : 'undo refused: ' + (result.reason || 'no reason given')));
    });
  }

  /** Ask again (the cell id is known, the panel is in the page, no undo is on its way). */
  check(cellId: string | null | undefined, tries = 20): void {
    if (!cellId || this._pending) {
      return;
    }
    this._cellId = cellId;
    if (!this.node.isConnected) {
      // anywidget renders into an element that joins the page a moment later
      if (tries > 0) {
        setTimeout(() => this.check(cellId, tries - 1), 250);
      }
      return;
    }
    const requestId = `${this._uid}:undo-query:${counter++}`;
    this._query = requestId;
    this.node.dispatchEvent(new CustomEvent(UNDO_QUERY_EVENT, {
      bubbles: true, composed: true, detail: { requestId, cellId }
    }));
  }

  private _show(info: Partial<IUndoInfo>): void {
    clear(this.node);
    if (!info.available || typeof info.expectedSource !== 'string' || typeof info.newSource !== 'string' || !this._cellId) {
      this.node.hidden = true;
      return;
    }
    const detail: Omit<IPatchRequest, 'requestId'> = {
      action: 'undo', cellId: this._cellId, expectedSource: info.expectedSource, newSource: info.newSource
    };
    const undo = h('button', { class: 'gm-button' }, 'Undo') as HTMLButtonElement;
    undo.addEventListener('click', () => {
      const requestId = `${this._uid}:restore:${counter++}`;
      this._pending = requestId;
      undo.disabled = true;
      this.node.dispatchEvent(new CustomEvent(PATCH_EVENT, {
        bubbles: true, composed: true, detail: { ...detail, requestId }
      }));
    });
    append(this.node,
      h('span', {}, 'this cell holds an applied fix' + (info.title ? ': ' : ''), info.title ? h('b', {}, info.title) : null),
      undo);
    this.node.hidden = false;
  }

  private _cellId: string | null = null;
  private _query: string | null = null;
  private _pending: string | null = null;
}
