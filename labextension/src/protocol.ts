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

export interface IFix {
  id: string;
  title: string;
  safety: string;
  patched_source: string;
  diff: string;
  reason?: string;
}

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
}

export interface IFitRecord {
  index: number;
  line?: number | null;
  status: string;
  exception_type?: string | null;
  exception_message?: string | null;
  model_name?: string | null;
  method?: string;
}

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
}

export type PatchAction = 'apply' | 'apply-run' | 'undo';

export interface IPatchRequest {
  requestId: string;
  action: PatchAction;
  cellId: string;
  expectedSource: string;
  newSource: string;
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
