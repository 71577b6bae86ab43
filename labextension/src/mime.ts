/**
 * The mime renderer for the diagnosis record: a compact, static view of a
 * saved diagnosis (status, counts by severity, the first findings with code,
 * line and layer). It needs no kernel and no widget state, so it is what
 * JupyterLab and Notebook 7 show after a reload. `safe: true` lets untrusted
 * notebooks use it: it only ever writes text.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { h } from './dom';
import { IReport, MIME_TYPE } from './protocol';
import {
  countsText,
  failureText,
  firstLine,
  STATUS_ICON,
  STATUS_LABEL,
  summarize,
  whereText
} from './summary';

/** How many findings the compact view names; the rest are counted. */
export const SHOWN_FINDINGS = 5;

export class RecordView extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('jp-gradmagic-record');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const report = (model.data[this._mimeType] ?? {}) as IReport;
    this.node.replaceChildren(renderRecord(report));
    return Promise.resolve();
  }

  private _mimeType: string;
}

export function renderRecord(report: IReport): HTMLElement {
  const summary = summarize(report);
  const fits = (Array.isArray(report.fits) ? report.fits : []).map(fit => {
    const where = typeof fit.line === 'number' ? ` line ${fit.line}` : '';
    const error = fit.exception_type ? ` (${fit.exception_type})` : '';
    return h(
      'span',
      { class: `jp-gradmagic-fit jp-gradmagic-fit-${String(fit.status)}` },
      `${fit.method || 'fit'} #${Number(fit.index) + 1}${where}: ${fit.status}${error}`
    );
  });
  const took =
    typeof report.duration_s === 'number'
      ? ` \u00B7 checked in ${report.duration_s.toFixed(1)} s`
      : '';
  const header = h(
    'div',
    { class: 'jp-gradmagic-record-header' },
    h(
      'span',
      {
        class: `jp-gradmagic-status jp-gradmagic-status-${summary.status}`,
        title: STATUS_LABEL[summary.status],
        'aria-label': STATUS_LABEL[summary.status]
      },
      STATUS_ICON[summary.status]
    ),
    h('b', {}, 'gradmagic'),
    h('span', { class: 'jp-gradmagic-counts' }, countsText(summary.counts) + took),
    fits
  );
  const items = summary.findings.slice(0, SHOWN_FINDINGS).map(finding => {
    const where = whereText(finding);
    return h(
      'li',
      {
        class: `jp-gradmagic-finding jp-gradmagic-severity-${String(finding.severity)}`,
        'data-code': String(finding.code)
      },
      h(
        'span',
        { class: 'jp-gradmagic-badge' },
        `${finding.severity}[${finding.code}]`
      ),
      ' ',
      h('span', { class: 'jp-gradmagic-message' }, firstLine(finding.message, 300)),
      where ? h('span', { class: 'jp-gradmagic-where' }, ` \u2192 ${where}`) : null
    );
  });
  const hidden = summary.findings.length - items.length;
  const failure = failureText(report);
  const notices = [
    ...(Array.isArray(report.notices) ? report.notices : []),
    ...(report.tool_error ? [`internal error: ${report.tool_error}`] : [])
  ].map(text => h('div', { class: 'jp-gradmagic-notice' }, `gradmagic: ${text}`));
  return h(
    'div',
    { class: 'jp-gradmagic-record-body' },
    header,
    failure ? h('div', { class: 'jp-gradmagic-failure' }, failure) : null,
    items.length ? h('ul', { class: 'jp-gradmagic-findings' }, items) : null,
    hidden > 0
      ? h('div', { class: 'jp-gradmagic-more' }, `\u2026 and ${hidden} more`)
      : null,
    notices
  );
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  // Below text/html's rank, so the record wins over its own HTML fallback.
  defaultRank: 10,
  createRenderer: options => new RecordView(options)
};

const extension: IRenderMime.IExtension = {
  id: 'gradmagic:diagnosis-record',
  description: 'Renders saved gradmagic diagnoses (the diagnosis record).',
  rendererFactory,
  rank: 10,
  dataType: 'json'
};

export default extension;
