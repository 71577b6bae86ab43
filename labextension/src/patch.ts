/**
 * The patch bridge: the only place that writes into a cell.
 *
 * A fix card of the diagnosis panel dispatches `gradmagic:patch` (bubbling,
 * composed) when the user clicks Apply, Apply & re-run or Undo. This listener
 * finds the notebook that contains the card, the cell by its id in that
 * notebook's model (never by position), checks that the cell still holds the
 * source the fix was computed from, writes the new source as one undoable
 * step, runs the cell for `apply-run`, and answers with
 * `gradmagic:patch-result` on the element that asked. Every refusal is also
 * shown as a notification.
 */
import { ISessionContext, Notification } from '@jupyterlab/apputils';
import { ICellModel } from '@jupyterlab/cells';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';

import {
  IPatchRequest,
  IPatchResult,
  IUndoInfo,
  parsePatchRequest,
  PATCH_EVENT,
  PATCH_RESULT_EVENT,
  UNDO_INFO_EVENT,
  UNDO_QUERY_EVENT
} from './protocol';

/** A fix applied to a cell: its text before and after, and the fix's title. */
interface IApplied {
  before: string;
  after: string;
  title: string;
}

export const REASONS = {
  malformed:
    'the request is not a gradmagic patch request (missing cell id or sources)',
  noNotebook:
    'the panel is not inside an open notebook, so no cell can be patched from it',
  noCell: (id: string) =>
    `this notebook has no cell with id \`${id}\`: the cell was deleted or belongs to another notebook`,
  notCode: 'the target cell is not a code cell',
  readOnly: 'the cell or the notebook is read-only',
  edited:
    'the cell was edited after the check ran, so the fix no longer matches it; re-run the cell to get a fresh fix',
  editedSinceApply:
    'the cell was edited after the fix was applied; undo would overwrite those edits, so it was not done'
};

export class PatchBridge {
  constructor(
    private readonly _tracker: INotebookTracker,
    private readonly _dialogs: ISessionContext.IDialogs | null
  ) {
    document.addEventListener(PATCH_EVENT, this._onPatch);
    document.addEventListener(UNDO_QUERY_EVENT, this._onUndoQuery);
  }

  dispose(): void {
    document.removeEventListener(PATCH_EVENT, this._onPatch);
    document.removeEventListener(UNDO_QUERY_EVENT, this._onUndoQuery);
  }

  /**
   * The fix last applied to a cell, while the cell still holds its text: the
   * panel of a re-run (Apply & re-run) was made from the fixed text, so only
   * the bridge still knows the text before the fix.
   */
  appliedTo(cell: ICellModel): IApplied | null {
    const entry = this._applied.get(cell);
    return entry && cell.sharedModel.getSource() === entry.after ? entry : null;
  }

  private _onUndoQuery = (event: Event): void => {
    const origin = (event.composedPath()[0] ?? event.target) as EventTarget | null;
    const detail = ((event as CustomEvent).detail || {}) as Record<string, unknown>;
    if (typeof detail.requestId !== 'string' || typeof detail.cellId !== 'string') {
      return;
    }
    let answer: IUndoInfo = { requestId: detail.requestId, available: false };
    const panel = event.target ? this._panelContaining(event.target as Node) : null;
    const cell = panel ? findCell(panel, detail.cellId) : null;
    const entry = cell ? this.appliedTo(cell) : null;
    if (entry) {
      answer = {
        requestId: detail.requestId,
        available: true,
        title: entry.title,
        expectedSource: entry.after,
        newSource: entry.before
      };
    }
    origin?.dispatchEvent(new CustomEvent(UNDO_INFO_EVENT, { detail: answer }));
  };

  private _onPatch = (event: Event): void => {
    // The card that asked; the event may have been retargeted by a shadow root.
    const origin = (event.composedPath()[0] ?? event.target) as EventTarget | null;
    const detail = (event as CustomEvent).detail;
    const request = parsePatchRequest(detail);
    const requestId =
      request?.requestId ??
      (typeof detail?.requestId === 'string' ? detail.requestId : '');
    let result: IPatchResult;
    try {
      result = request
        ? this._apply(request, event.target as Node | null)
        : { requestId, ok: false, reason: REASONS.malformed };
    } catch (error) {
      result = {
        requestId,
        ok: false,
        reason: `the cell could not be changed (${String(error)})`
      };
    }
    if (!result.ok) {
      Notification.error(`gradmagic: ${result.reason}`, { autoClose: 10000 });
    }
    origin?.dispatchEvent(
      new CustomEvent(PATCH_RESULT_EVENT, { detail: result })
    );
  };

  private _apply(request: IPatchRequest, target: Node | null): IPatchResult {
    const refuse = (reason: string): IPatchResult => ({
      requestId: request.requestId,
      ok: false,
      reason
    });
    const panel = target ? this._panelContaining(target) : null;
    if (!panel) {
      return refuse(REASONS.noNotebook);
    }
    const cell = findCell(panel, request.cellId);
    if (!cell) {
      return refuse(REASONS.noCell(request.cellId));
    }
    if (cell.type !== 'code') {
      return refuse(REASONS.notCode);
    }
    if (
      panel.content.model?.readOnly ||
      cell.getMetadata('editable') === false
    ) {
      return refuse(REASONS.readOnly);
    }
    if (cell.sharedModel.getSource() !== request.expectedSource) {
      return refuse(
        request.action === 'undo' ? REASONS.editedSinceApply : REASONS.edited
      );
    }
    // One transaction, so one step of the cell's undo history.
    cell.sharedModel.setSource(request.newSource);
    if (request.action === 'undo') {
      this._applied.delete(cell);
    } else {
      this._applied.set(cell, {
        before: request.expectedSource,
        after: request.newSource,
        title: typeof request.title === 'string' ? request.title : ''
      });
    }
    if (request.action === 'apply-run') {
      this._run(panel, cell);
    }
    return { requestId: request.requestId, ok: true };
  }

  private _applied = new WeakMap<ICellModel, IApplied>();

  private _panelContaining(node: Node): NotebookPanel | null {
    return this._tracker.find(panel => panel.node.contains(node)) ?? null;
  }

  private _run(panel: NotebookPanel, cell: ICellModel): void {
    const widget = panel.content.widgets.find(w => w.model === cell);
    if (!widget) {
      return;
    }
    // A cell run before the session has its kernel is silently skipped.
    void panel.sessionContext.ready.then(() =>
      NotebookActions.runCells(
        panel.content,
        [widget],
        panel.sessionContext,
        this._dialogs ?? undefined
      )
    );
  }
}

/** The cell with `id` in the panel's notebook model, or null. */
export function findCell(panel: NotebookPanel, id: string): ICellModel | null {
  const cells = panel.content.model?.cells;
  if (!cells) {
    return null;
  }
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.id === id) {
      return cell;
    }
  }
  return null;
}
