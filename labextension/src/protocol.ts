/**
 * The contracts shared with the Python side of gradmagic.
 *
 * The record (`application/vnd.gradmagic.diagnosis+json`) is `Report.to_dict()`
 * (gradmagic/report/model.py); the patch events are the protocol of
 * gradmagic/views/widget.py. Field names must not drift from either.
 */

/** MIME type of the diagnosis record displayed beside the panel. */
export const MIME_TYPE = 'application/vnd.gradmagic.diagnosis+json';

/** Dispatched (bubbling, composed) by a fix card on its own root element. */
export const PATCH_EVENT = 'gradmagic:patch';

/** Dispatched by the labextension back on the element that sent the request. */
export const PATCH_RESULT_EVENT = 'gradmagic:patch-result';

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export type Safety = 'safe' | 'review';

/** `Fix` of gradmagic/report/model.py. */
export interface IFix {
  id: string;
  title: string;
  safety: Safety;
  patched_source: string;
  diff: string;
  reason?: string;
}

/**
 * A number of the record: strict JSON writes NaN and the infinities as the
 * strings "NaN", "Infinity" and "-Infinity" (docs/findings.md).
 */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** `Finding` of gradmagic/report/model.py. */
export interface IFinding {
  code: string;
  name: string;
  severity: Severity;
  message: string;
  line?: number | null;
  layer?: string | null;
  evidence?: Record<string, unknown>;
  fixes?: IFix[];
  help?: string | null;
  notes?: string[];
  step?: number | null;
  /** [start, end) columns of the offending text on `line`. */
  span?: number[] | null;
  /** A few words under the underlined text: what it does wrong. */
  label?: string | null;
  /** Index in `IReport.findings` of the finding this one follows from. */
  caused_by?: number | null;
}

export type FitStatus = 'completed' | 'failed' | 'interrupted';

/** `FitRecord` of gradmagic/report/model.py: one `fit` call and how it ended. */
export interface IFitRecord {
  index: number;
  line?: number | null;
  status: FitStatus;
  exception_type?: string | null;
  exception_message?: string | null;
  model_name?: string | null;
  method?: string;
  exception_line?: number | null;
}

/** `ScriptExit` of gradmagic/report/model.py (`python -m gradmagic check`). */
export interface IScriptExit {
  kind: 'completed' | 'exception' | 'exit' | 'interrupted';
  status: number;
  exception_type?: string | null;
}

/** `Report.to_dict()` of gradmagic/report/model.py: the diagnosis record. */
export interface IReport {
  source?: string;
  filename?: string;
  fits?: IFitRecord[];
  findings?: IFinding[];
  tool_error?: string | null;
  notices?: string[];
  cell_id?: string | null;
  graph?: Record<string, unknown> | null;
  history?: Record<string, unknown> | null;
  duration_s?: number | null;
  script_exit?: IScriptExit | null;
  /** The Markdown documentation of each code in `findings`. */
  docs?: Record<string, string>;
}

export type PatchAction = 'apply' | 'apply-run' | 'undo';

export interface IPatchRequest {
  requestId: string;
  action: PatchAction;
  cellId: string;
  expectedSource: string;
  newSource: string;
  /** The fix's title, remembered with the cell's source before the fix (for a later Undo). */
  title?: string;
}

export interface IPatchResult {
  requestId: string;
  ok: boolean;
  reason?: string;
}

/** The request in `detail`, or null when it does not have the protocol's shape. */
export function parsePatchRequest(detail: unknown): IPatchRequest | null {
  if (typeof detail !== 'object' || detail === null) {
    return null;
  }
  const d = detail as Record<string, unknown>;
  const strings = ['requestId', 'cellId', 'expectedSource', 'newSource'];
  if (!strings.every(key => typeof d[key] === 'string')) {
    return null;
  }
  if (d.action !== 'apply' && d.action !== 'apply-run' && d.action !== 'undo') {
    return null;
  }
  return d as unknown as IPatchRequest;
}

/**
 * Undo across runs: a panel asks the extension (a bubbling `gradmagic:undo-query`
 * with `{requestId, cellId}`) whether the cell holds a fix applied from an
 * earlier panel of this session (e.g. after Apply & re-run); the extension
 * answers `gradmagic:undo-info` on the element that asked. `expectedSource`
 * (the fixed text, what the cell holds now) and `newSource` (the text before
 * the fix) make the `undo` patch request that restores the cell.
 */
export const UNDO_QUERY_EVENT = 'gradmagic:undo-query';
export const UNDO_INFO_EVENT = 'gradmagic:undo-info';

export interface IUndoQuery {
  requestId: string;
  cellId: string;
}

export interface IUndoInfo {
  requestId: string;
  available: boolean;
  title?: string;
  expectedSource?: string;
  newSource?: string;
}
