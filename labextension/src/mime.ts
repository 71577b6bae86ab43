/**
 * The mime renderer for the diagnosis record.
 *
 * A record displayed with the panel's payloads in its metadata (`saved_panel`
 * of gradmagic/views/widget.py) is drawn as the full panel (findings, graph,
 * training) when no live panel is in the same output area: after a save and
 * reload the widget's model is gone, and the widget output that says "model
 * not found" is hidden. While the live panel is shown, and for records
 * without the payloads, it is a compact, static view (status, counts by
 * severity, the first findings with code, line and layer). It needs no
 * kernel and no widget state. `safe: true` lets untrusted notebooks use it:
 * it only ever writes text.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Message } from '@lumino/messaging';
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

/** What a widget output shows when its model is gone (@jupyter-widgets/jupyterlab-manager). */
export const MODEL_NOT_FOUND = 'Error displaying widget: model not found';

/** The panel's payloads saved in a record's display metadata, or null. */
export function savedPanel(metadata: unknown, mimeType: string = MIME_TYPE): Record<string, unknown> | null {
  const entry = metadata && typeof metadata === 'object' ? (metadata as Record<string, unknown>)[mimeType] : null;
  const panel = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).panel : null;
  return panel && typeof panel === 'object' && Array.isArray((panel as Record<string, unknown>).findings)
    ? (panel as Record<string, unknown>)
    : null;
}

/** A stand-in for the widget model of the panel: the saved state, changed only locally. */
export function savedModel(state: Record<string, unknown>) {
  const values: Record<string, unknown> = { applied: {}, ...state };
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    get: (name: string) => values[name],
    set: (name: string, value: unknown) => {
      values[name] = value;
      listeners.get('change:' + name)?.forEach(listener => listener());
    },
    save_changes: () => undefined,
    on: (event: string, listener: (...args: unknown[]) => void) => {
      if (!listeners.has(event)) {
        listeners.set(event, new Set());
      }
      listeners.get(event)!.add(listener);
    },
    off: (event: string, listener: (...args: unknown[]) => void) => {
      listeners.get(event)?.delete(listener);
    }
  };
}

type Mode = 'compact' | 'full';

export class RecordView extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('jp-gradmagic-record');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this._report = (model.data[this._mimeType] ?? {}) as IReport;
    this._saved = savedPanel(model.metadata, this._mimeType);
    this._mode = null;
    this._update();
    return Promise.resolve();
  }

  dispose(): void {
    this._observer?.disconnect();
    this._cleanup();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    const area = this.node.closest('.jp-OutputArea');
    if (area && !this._observer) {
      this._observer = new MutationObserver(() => this._update());
      this._observer.observe(area, { childList: true, subtree: true, characterData: true });
    }
    this._update();
  }

  protected onBeforeDetach(msg: Message): void {
    this._observer?.disconnect();
    this._observer = null;
    super.onBeforeDetach(msg);
  }

  /** A live panel in this output area (not the one drawn here). */
  private _livePanel(area: Element): boolean {
    return Array.from(area.querySelectorAll('.gm-panel')).some(panel => !this.node.contains(panel));
  }

  private _update(): void {
    const area = this.node.closest('.jp-OutputArea');
    const mode: Mode = this._saved && area && !this._livePanel(area) ? 'full' : 'compact';
    if (mode === 'full' && area) {
      // the widget output whose model is gone: the panel drawn here takes its place
      for (const node of Array.from(area.querySelectorAll('.jupyter-widgets'))) {
        if (!this.node.contains(node) && (node.textContent || '').trim() === MODEL_NOT_FOUND) {
          const child = node.closest('.jp-OutputArea-child') as HTMLElement | null;
          if (child && child.style.display !== 'none') {
            child.style.display = 'none';
            child.dataset.gradmagicHidden = 'model-not-found';
          }
        }
      }
    }
    if (mode === this._mode) {
      return;
    }
    this._mode = mode;
    this._cleanup();
    const report = this._report;
    if (mode === 'compact' || !this._saved) {
      this.node.replaceChildren(renderRecord(report));
      return;
    }
    // how the run ended (the record's header), then the panel with the findings
    const summary = renderRecord(report, false);
    const host = h('div', { class: 'jp-gradmagic-saved-panel' });
    this.node.replaceChildren(summary, host);
    const saved = this._saved;
    const generation = ++this._generation;
    void loadPanel().then(panel => {
      if (generation !== this._generation || this.isDisposed) {
        return;
      }
      this._dispose = panel.render({ model: savedModel(saved), el: host });
    }).catch(error => {
      host.textContent = `gradmagic: the saved panel could not be drawn (${String(error)})`;
    });
  }

  private _cleanup(): void {
    this._generation++;
    if (this._dispose) {
      this._dispose();
      this._dispose = null;
    }
  }

  private _mimeType: string;
  private _report: IReport = {};
  private _saved: Record<string, unknown> | null = null;
  private _mode: Mode | null = null;
  private _observer: MutationObserver | null = null;
  private _dispose: (() => void) | null = null;
  private _generation = 0;
}

/** The panel's module and stylesheet, loaded once, when a saved panel is first drawn. */
let panelModule: Promise<{ render: (props: { model: unknown; el: HTMLElement }) => () => void }> | null = null;
function loadPanel() {
  if (!panelModule) {
    panelModule = Promise.all([
      import('../../gradmagic/views/static/panel.bundle.mjs'),
      import('../../gradmagic/views/static/panel.css')
    ]).then(([panel]) => panel);
  }
  return panelModule;
}

/** The record's compact view; without `withFindings`, only how the run ended (header, failure, notices). */
export function renderRecord(report: IReport, withFindings = true): HTMLElement {
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
  const items = summary.findings.slice(0, withFindings ? SHOWN_FINDINGS : 0).map(finding => {
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
  const hidden = withFindings ? summary.findings.length - items.length : 0;
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
