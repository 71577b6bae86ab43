/**
 * What the sidebar and the record renderer show for a report: its status, the
 * counts by severity and the findings worth naming first. Plain functions of
 * the record, no DOM.
 */
import { IFinding, IReport, Severity, SEVERITIES } from './protocol';

/** `failed`: a fit raised; otherwise the worst severity found, or `ok`. */
export type Status = 'failed' | 'error' | 'warning' | 'info' | 'ok' | 'broken';

export interface ISummary {
  status: Status;
  counts: Record<Severity, number>;
  /** Findings, worst first (the report's own order within a severity). */
  findings: IFinding[];
  fits: number;
}

const RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

export function summarize(report: IReport): ISummary {
  const findings = Array.isArray(report.findings) ? report.findings : [];
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) {
    if (finding && finding.severity in counts) {
      counts[finding.severity] += 1;
    }
  }
  const ordered = findings
    .map((finding, index) => ({ finding, index }))
    .filter(item => item.finding && typeof item.finding === 'object')
    .sort(
      (a, b) =>
        (RANK[a.finding.severity] ?? 3) - (RANK[b.finding.severity] ?? 3) ||
        a.index - b.index
    )
    .map(item => item.finding);
  const fits = Array.isArray(report.fits) ? report.fits : [];
  let status: Status = 'ok';
  if (fits.some(fit => fit && fit.status === 'failed')) {
    status = 'failed';
  } else if (counts.error) {
    status = 'error';
  } else if (counts.warning) {
    status = 'warning';
  } else if (counts.info) {
    status = 'info';
  } else if (report.tool_error) {
    status = 'broken';
  }
  return { status, counts, findings: ordered, fits: fits.length };
}

export const STATUS_ICON: Record<Status, string> = {
  failed: '\u2716', // heavy multiplication x
  error: '\u2716',
  warning: '\u26A0',
  info: '\u2139',
  ok: '\u2714',
  broken: '?'
};

export const STATUS_LABEL: Record<Status, string> = {
  failed: 'training failed',
  error: 'errors found',
  warning: 'warnings found',
  info: 'notes only',
  ok: 'no problem found',
  broken: 'gradmagic could not check this cell'
};

const NOUN: Record<Severity, [string, string]> = {
  error: ['error', 'errors'],
  warning: ['warning', 'warnings'],
  info: ['note', 'notes']
};

/** "1 error · 2 warnings": the non-zero counts, or "no findings". */
export function countsText(counts: Record<Severity, number>): string {
  const parts = SEVERITIES.filter(s => counts[s] > 0).map(
    s => `${counts[s]} ${NOUN[s][counts[s] === 1 ? 0 : 1]}`
  );
  return parts.length ? parts.join(' \u00B7 ') : 'no findings';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The first line of a message, without terminal colour codes, at most `max` characters. */
export function firstLine(text: unknown, max = 160): string {
  const line = String(text ?? '').replace(ANSI, '').trim().split('\n')[0];
  return line.length > max ? line.slice(0, max - 1) + '\u2026' : line;
}

/** "fit #1 line 22 failed: ValueError: No gradients …" for the first failed fit, or "". */
export function failureText(report: IReport): string {
  const fit = (Array.isArray(report.fits) ? report.fits : []).find(
    f => f && f.status === 'failed'
  );
  if (!fit) {
    return '';
  }
  const where = typeof fit.line === 'number' ? ` line ${fit.line}` : '';
  const error = fit.exception_type
    ? `: ${fit.exception_type}: ${firstLine(fit.exception_message)}`
    : '';
  return `${fit.method || 'fit'} #${Number(fit.index) + 1}${where} failed${error}`;
}

/** "fit #1 line 18: completed, fit #2: completed": how each fit ended. */
export function fitsText(report: IReport): string {
  return (Array.isArray(report.fits) ? report.fits : [])
    .map(fit => {
      const where = typeof fit.line === 'number' ? ` line ${fit.line}` : '';
      return `${fit.method || 'fit'} #${Number(fit.index) + 1}${where}: ${fit.status}`;
    })
    .join(', ');
}

/** "line 12 · layer dense_1": where a finding points, or "". */
export function whereText(finding: IFinding): string {
  const parts: string[] = [];
  if (typeof finding.line === 'number') {
    parts.push(`line ${finding.line}`);
  }
  if (finding.layer !== undefined && finding.layer !== null && finding.layer !== '') {
    parts.push(`layer ${String(finding.layer)}`);
  }
  if (typeof finding.step === 'number') {
    parts.push(`step ${finding.step}`);
  }
  return parts.join(' \u00B7 ');
}
