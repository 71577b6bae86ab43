/**
 * The panel's header: how each fit call ended, the counts by severity, how
 * long the check took, and gradmagic's own notices.
 *
 * While the cell runs it says "running" (and which fit is training, once its
 * first points arrived); it says "no fit call ran" only once the cell ended
 * without one.
 */
import { append, clear, h } from '../dom';
import { fmt } from './format';
import type { IHeader } from './types';

export interface IHeaderItem {
  /** Extra CSS classes of the chip. */
  kind: string;
  text: string;
  title?: string;
}

/** The header's chips, left to right; `liveFit`: the fit whose points are arriving, if any. */
export function headerItems(header: Partial<IHeader>, liveFit: number | null = null): IHeaderItem[] {
  const counts = header.counts || { error: 0, warning: 0, info: 0 };
  const fits = header.fits || [];
  const items: IHeaderItem[] = [];
  if (header.running) {
    items.push({ kind: 'gm-chip gm-running', text: 'running…' });
  }
  for (const fit of fits) {
    items.push({
      kind: 'gm-chip gm-status-' + fit.status,
      text: `${fit.method || 'fit'} #${fit.index + 1}${fit.line ? ' · line ' + fit.line : ''}: ${fit.status}` +
        (fit.exception_type ? ` (${fit.exception_type})` : ''),
      title: fit.exception_type ? `${fit.exception_type}: ${fit.exception_message || ''}` : ''
    });
  }
  if (header.running) {
    const training = liveFit !== null && !fits.some(fit => fit.index === liveFit) ? liveFit : null;
    if (training !== null) {
      items.push({ kind: 'gm-chip gm-status-running', text: `fit #${training + 1}: training` });
    } else if (!fits.length) {
      items.push({ kind: 'gm-muted', text: 'waiting for the first fit' });
    }
  } else if (!fits.length) {
    items.push({ kind: 'gm-muted', text: 'no fit call ran' });
  }
  items.push(
    { kind: 'gm-chip gm-sev-error' + (counts.error ? '' : ' gm-zero'), text: `${counts.error} error(s)` },
    { kind: 'gm-chip gm-sev-warning' + (counts.warning ? '' : ' gm-zero'), text: `${counts.warning} warning(s)` },
    { kind: 'gm-chip gm-sev-info' + (counts.info ? '' : ' gm-zero'), text: `${counts.info} note(s)` }
  );
  if (!header.running && header.duration_s !== null && header.duration_s !== undefined) {
    items.push({ kind: 'gm-muted', text: `checked in ${fmt(header.duration_s)} s` });
  }
  return items;
}

export function drawHeader(box: HTMLElement, header: Partial<IHeader>, liveFit: number | null): void {
  clear(box);
  append(box, h('span', { class: 'gm-title' }, 'gradmagic'),
    headerItems(header, liveFit).map(item =>
      h('span', { class: item.kind, title: item.title || null }, item.text)));
  for (const notice of header.notices || []) {
    append(box, h('div', { class: 'gm-notice' }, 'gradmagic: ' + notice));
  }
  if (header.tool_error) {
    append(box, h('div', { class: 'gm-notice' }, 'gradmagic: ' + header.tool_error));
  }
}
