/**
 * Pure helpers of the panel: numbers, text, diff rows, evidence rows and
 * whether a fix can be applied here. No DOM.
 */
import type { IFixCard } from './types';

export const NO_EXTENSION =
  'the gradmagic JupyterLab extension is not active in this frontend, so the cell cannot be rewritten from here; use Copy';

/**
 * A number of a payload: numbers as they are, the strings strict JSON writes
 * for NaN/Inf ("NaN", "Infinity", "-Infinity"; the recorder's "nan", "inf")
 * as NaN/±Infinity, anything else as null.
 */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value !== 'string') {
    return null;
  }
  const text = value.trim().toLowerCase();
  if (text === 'nan') {
    return NaN;
  }
  if (text === 'inf' || text === 'infinity' || text === '+inf' || text === '+infinity') {
    return Infinity;
  }
  if (text === '-inf' || text === '-infinity') {
    return -Infinity;
  }
  return null;
}

/** A number in four significant digits, exponents for the very large and small; "–" for none. */
export function fmt(value: unknown): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) {
      return 'NaN';
    }
    if (!Number.isFinite(value)) {
      return value > 0 ? 'Inf' : '-Inf';
    }
    if (value === 0) {
      return '0';
    }
    const abs = Math.abs(value);
    return abs >= 1e4 || abs < 1e-3
      ? value.toExponential(2)
      : String(Number(value.toPrecision(4)));
  }
  if (typeof value === 'boolean') {
    return value ? 'yes' : 'no';
  }
  return JSON.stringify(value);
}

export function truncate(text: string, max = 24): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

export type DiffKind = 'hunk' | 'file' | 'add' | 'del' | 'ctx';

export interface IDiffRow {
  kind: DiffKind;
  text: string;
}

export function diffRows(diff: string | null | undefined): IDiffRow[] {
  return (diff || '')
    .split('\n')
    .filter((line, i, all) => i < all.length - 1 || line !== '')
    .map(line => ({
      kind: line.startsWith('@@')
        ? 'hunk'
        : line.startsWith('+++') || line.startsWith('---')
          ? 'file'
          : line.startsWith('+')
            ? 'add'
            : line.startsWith('-')
              ? 'del'
              : 'ctx',
      text: line
    }));
}

/** The part of `document` `patchUnavailable` reads (a fake one in tests). */
export interface IDocumentLike {
  body?: { dataset: Record<string, string | undefined> } | null;
}

/** Why a fix cannot be applied from this page, or null when it can. */
export function patchUnavailable(
  fix: Pick<IFixCard, 'apply_disabled'>,
  doc: IDocumentLike | undefined = globalThis.document
): string | null {
  if (fix.apply_disabled) {
    return fix.apply_disabled;
  }
  if (!doc || !doc.body || doc.body.dataset.gradmagic !== 'ready') {
    return NO_EXTENSION;
  }
  return null;
}

function isEmpty(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0)
  );
}

/** A value of the evidence as one line of text: lists joined, objects as `key value` pairs. */
export function evidenceText(value: unknown): string {
  if (Array.isArray(value)) {
    return value
      .filter(item => !isEmpty(item))
      .map(item => (typeof item === 'object' && item !== null ? `(${evidenceText(item)})` : fmt(item)))
      .join(', ');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => !isEmpty(item))
      .map(([key, item]) => `${key} ${evidenceText(item)}`)
      .join(', ');
  }
  return fmt(value);
}

/**
 * The rows of a finding's evidence table: one per measured value, none for a
 * value that is missing or empty (the widget already leaves those out; a
 * record from an older gradmagic may not).
 */
export function evidenceRows(evidence: Record<string, unknown> | null | undefined): [string, string][] {
  const rows: [string, string][] = [];
  for (const [key, value] of Object.entries(evidence || {})) {
    if (isEmpty(value)) {
      continue;
    }
    const text = key === 'fits' && Array.isArray(value)
      ? value.map(index => (typeof index === 'number' ? `#${index + 1}` : fmt(index))).join(', ')
      : evidenceText(value);
    if (text !== '' && text !== '–') {
      rows.push([key, text]);
    }
  }
  return rows;
}
