/**
 * The Training tab: loss (with Keras's validation loss), the compiled metrics
 * per epoch and gradient norms over steps; live points while a fit runs.
 *
 * NaN/Inf steps are never drawn as points: they break the line and are marked
 * as a band under the chart. When the finite values span many decades the
 * chart turns to a log scale; when a few values dwarf the rest they are
 * clipped; either way a note under the chart says so. Marker labels (finding
 * codes at their steps) are stacked in rows so that none overlaps another.
 */
import { append, Children, h, s } from '../dom';
import { fmt } from './format';
import type { ILine, IMarker, ITraining, ITrainingPoints } from './types';

// -- live points --------------------------------------------------------------------------

/** The running fit's points, as gathered from `training_points` messages. */
export interface ILive {
  fit: number | null;
  steps: number[];
  loss: (number | null)[];
  grad_norm: (number | null)[];
  /** The steps whose loss / gradient norm was NaN/Inf, marked on the charts while the fit runs. */
  nonfinite: { loss: number[]; grad_norm: number[] };
  markers: IMarker[];
}

/**
 * Python sends the points of a running fit as custom messages carrying only
 * what this view lacks (`DiagnosisPanel.send_points`): keep the first `start`
 * points of that fit, append the rest.
 */
export function applyLivePoints(live: ILive | null, msg: unknown): ILive | null {
  const m = msg as ITrainingPoints | null;
  if (!m || m.kind !== 'training_points') {
    return live;
  }
  const fresh = !live || live.fit !== m.fit || !m.start;
  const base: ILive = fresh || !live
    ? { fit: m.fit, steps: [], loss: [], grad_norm: [], nonfinite: { loss: [], grad_norm: [] }, markers: [] }
    : live;
  const start = fresh ? 0 : Math.min(m.start, base.steps.length);
  const steps = base.steps.slice(0, start).concat(m.steps || []);
  const kept = new Set(base.steps.slice(0, start));
  const arrived = new Set(m.steps || []);
  const marked = (old: number[], sent: number[] | undefined) =>
    old.filter(step => kept.has(step)).concat((sent || []).filter(step => arrived.has(step)));
  return {
    fit: m.fit,
    markers: m.markers || [],
    steps,
    loss: base.loss.slice(0, start).concat(m.loss || []),
    grad_norm: base.grad_norm.slice(0, start).concat(m.grad_norm || []),
    nonfinite: {
      loss: marked(base.nonfinite.loss, m.nonfinite?.loss),
      grad_norm: marked(base.nonfinite.grad_norm, m.nonfinite?.grad_norm)
    }
  };
}

/** The live points as the training view's payload (`training_payload` of the points gathered live). */
export function liveTraining(live: ILive | null): ITraining {
  if (!live || !live.steps.length) {
    return { loss: null, total: null, layers: {}, markers: [], epoch_ends: [], epochs: null };
  }
  const line = (values: (number | null)[], nonfinite: number[]) => ({
    steps: live.steps, values: values.slice(0, live.steps.length), nonfinite, first_nonfinite: nonfinite[0] ?? null
  });
  return {
    loss: line(live.loss, live.nonfinite.loss),
    total: line(live.grad_norm, live.nonfinite.grad_norm),
    layers: {},
    markers: live.markers || [],
    epoch_ends: [],
    epochs: null
  };
}

// -- scales -------------------------------------------------------------------------------

export interface IScale {
  kind: 'linear' | 'log' | 'clipped';
  /** The lowest and highest value drawn (log10 of them on a log scale). */
  lo: number;
  hi: number;
  /** What a reader must know about the scale ("log scale: …", "clipped above …"), or null. */
  note: string | null;
}

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/**
 * The y scale for finite `values`. `log`: gradient norms, always on a log
 * scale. `auto`: linear, unless the values are all positive and span three
 * decades or more (log scale), or at least ten values sit in a band a few
 * outliers dwarf (the outliers are clipped).
 */
export function chooseScale(values: number[], mode: 'auto' | 'log', what = 'the values'): IScale {
  const finite = values.filter(v => Number.isFinite(v));
  if (mode === 'log') {
    const positive = finite.filter(v => v > 0).map(v => Math.log10(v));
    if (!positive.length) {
      return { kind: 'log', lo: 0, hi: 1, note: null };
    }
    return { kind: 'log', lo: Math.min(...positive), hi: Math.max(...positive), note: null };
  }
  if (!finite.length) {
    return { kind: 'linear', lo: 0, hi: 1, note: null };
  }
  const sorted = [...finite].sort((a, b) => a - b);
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  if (min > 0 && max / min >= 1e3) {
    return {
      kind: 'log',
      lo: Math.log10(min),
      hi: Math.log10(max),
      note: `log scale: ${what} spans ${fmt(min)} … ${fmt(max)}`
    };
  }
  if (sorted.length >= 10) {
    const q = quantile(sorted, 0.9);
    const band = q - min;
    if (band > 0 && max - q > 10 * band) {
      const hi = q + band * 0.5;
      const clipped = sorted.filter(v => v > hi).length;
      return {
        kind: 'clipped',
        lo: min,
        hi,
        note: `${clipped} value(s) above ${fmt(hi)} clipped at the top (largest ${fmt(max)})`
      };
    }
  }
  return { kind: 'linear', lo: min, hi: max, note: null };
}

/** Where `value` sits on `scale` (log10 on a log scale; clipped values at the top); null if not drawable. */
export function scaled(scale: IScale, value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return null;
  }
  if (scale.kind === 'log') {
    return value > 0 ? Math.log10(value) : null;
  }
  return scale.kind === 'clipped' ? Math.min(value, scale.hi) : value;
}

// -- non-finite steps ---------------------------------------------------------------------

/**
 * The runs of NaN/Inf steps of a line as `[first, last]` step ranges: the
 * buckets listed in `nonfinite`, neighbouring buckets merged, each reaching to
 * the step before the next bucket.
 */
export function nonfiniteSpans(line: ILine | null | undefined): [number, number][] {
  if (!line || !line.nonfinite || !line.nonfinite.length) {
    return [];
  }
  const bad = new Set(line.nonfinite);
  const spans: [number, number][] = [];
  line.steps.forEach((step, i) => {
    if (!bad.has(step)) {
      return;
    }
    const end = i + 1 < line.steps.length ? Math.max(step, line.steps[i + 1] - 1) : step;
    const last = spans[spans.length - 1];
    if (last && i > 0 && bad.has(line.steps[i - 1])) {
      last[1] = end;
    } else {
      spans.push([step, end]);
    }
  });
  return spans;
}

// -- marker labels ------------------------------------------------------------------------

export interface ILabelPlace {
  step: number;
  x: number;
  row: number;
  text: string;
  /** The label's left and right edges (px). */
  left: number;
  right: number;
  anchor: 'start' | 'end';
}

/**
 * Place one label per marked step (codes at the same step share a label) so
 * that no two overlap: each goes into the first row where it clears the labels
 * already there, right of its line, or left of it at the chart's right edge.
 */
export function placeLabels(
  markers: IMarker[],
  x: (step: number) => number,
  bounds: { left: number; right: number },
  charWidth = 6.2,
  gap = 4
): ILabelPlace[] {
  const byStep = new Map<number, string[]>();
  for (const marker of markers) {
    const codes = byStep.get(marker.step) || [];
    if (!codes.includes(marker.code)) {
      codes.push(marker.code);
    }
    byStep.set(marker.step, codes);
  }
  const rows: { left: number; right: number }[][] = [];
  const placed: ILabelPlace[] = [];
  for (const step of [...byStep.keys()].sort((a, b) => a - b)) {
    const text = byStep.get(step)!.join(' ');
    const width = text.length * charWidth + 2;
    const at = x(step);
    let anchor: 'start' | 'end' = 'start';
    let left = at + 3;
    if (left + width > bounds.right) {
      anchor = 'end';
      left = Math.max(bounds.left, at - 3 - width);
    }
    const right = left + width;
    let row = rows.findIndex(boxes => boxes.every(box => right + gap <= box.left || left >= box.right + gap));
    if (row < 0) {
      row = rows.length;
      rows.push([]);
    }
    rows[row].push({ left, right });
    placed.push({ step, x: at, row, text, left, right, anchor });
  }
  return placed;
}

// -- charts -------------------------------------------------------------------------------

export interface ISeries {
  name: string;
  color: string;
  steps: number[];
  values: (number | null)[];
  dash?: string;
  /** Draw a dot at each point (sparse series: one value per epoch). */
  dots?: boolean;
}

export interface IChartOptions {
  markers?: IMarker[];
  epochEnds?: number[];
  /** `log`: always a log scale (gradient norms); `auto`: see `chooseScale`. */
  scale: 'auto' | 'log';
  /** What the values are, for the scale's note ("the loss"). */
  what?: string;
  /** NaN/Inf steps to mark, with what turned non-finite. */
  nonfinite?: { what: string; spans: [number, number][]; first?: number | null }[];
  width?: number;
  height?: number;
}

const ROW_H = 11;
const MAX_LEGEND = 8; // more series (a layer each) are named on hover only

/** A line chart (SVG) with its notes: the scale, the NaN/Inf steps. */
export function lineChart(series: ISeries[], options: IChartOptions): HTMLElement {
  const width = options.width ?? 640;
  const markers = options.markers || [];
  const bad = (options.nonfinite || []).filter(entry => entry.spans.length);
  const allSteps = series.flatMap(line => line.steps).concat(bad.flatMap(entry => entry.spans.flat()));
  const x0 = allSteps.length ? Math.min(...allSteps) : 0;
  const x1 = allSteps.length ? Math.max(...allSteps) : 1;
  const pad = { l: 58, r: 12, t: 8, b: 22 + (bad.length ? 8 : 0) };
  const sx = (step: number) => pad.l + ((step - x0) / Math.max(x1 - x0, 1)) * (width - pad.l - pad.r);
  const labels = placeLabels(markers.filter(m => m.step >= x0 && m.step <= x1), sx,
    { left: pad.l, right: width - pad.r });
  const rows = labels.reduce((most, label) => Math.max(most, label.row + 1), 0);
  pad.t += rows * ROW_H;
  const height = (options.height ?? 170) + rows * ROW_H + (bad.length ? 8 : 0);
  const values = series.flatMap(line => line.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const scale = chooseScale(values, options.scale, options.what);
  const span = scale.hi - scale.lo || 1;
  const lo = scale.hi === scale.lo ? scale.lo - 0.5 : scale.lo;
  const sy = (v: number) => pad.t + (1 - (v - lo) / (scale.hi === scale.lo ? 1 : span)) * (height - pad.t - pad.b);
  const label = (v: number) => fmt(scale.kind === 'log' ? 10 ** v : v);
  const bottom = height - pad.b;
  const chart = s('svg', {
    class: 'gm-line-chart', viewBox: `0 0 ${width} ${height}`, width, height,
    'data-scale': scale.kind
  });
  append(chart,
    s('line', { x1: pad.l, y1: bottom, x2: width - pad.r, y2: bottom, stroke: '#bbb' }),
    s('text', { x: pad.l - 4, y: pad.t + 8, 'text-anchor': 'end', class: 'gm-axis' },
      (scale.kind === 'clipped' ? '≥ ' : '') + label(scale.hi)),
    s('text', { x: pad.l - 4, y: bottom, 'text-anchor': 'end', class: 'gm-axis' }, label(scale.lo)),
    s('text', { x: pad.l, y: height - 4, class: 'gm-axis' }, `step ${x0}`),
    s('text', { x: width - pad.r, y: height - 4, 'text-anchor': 'end', class: 'gm-axis' }, `step ${x1}`));
  for (const step of options.epochEnds || []) {
    if (step >= x0 && step <= x1) {
      append(chart, s('line', { x1: sx(step), y1: pad.t, x2: sx(step), y2: bottom, stroke: '#e6e6e6' },
        s('title', {}, `epoch ends at step ${step}`)));
    }
  }
  // NaN/Inf steps: a band under the axis and a light shade over the plot
  for (const entry of bad) {
    for (const [first, last] of entry.spans) {
      const left = sx(first);
      const w = Math.max(sx(last) - left, 2);
      append(chart, s('g', { class: 'gm-nonfinite' },
        s('title', {}, `${entry.what} NaN/Inf at steps ${first}–${last}`),
        s('rect', { x: left, y: pad.t, width: w, height: bottom - pad.t, fill: '#ff1fa9', opacity: 0.08 }),
        s('rect', { x: left, y: bottom + 2, width: w, height: 6, fill: '#ff1fa9' })));
    }
  }
  for (const place of labels) {
    const y = 8 + place.row * ROW_H + 2;
    append(chart, s('g', { class: 'gm-marker', 'data-step': place.step },
      s('title', {}, `${place.text} at step ${place.step}`),
      s('line', { x1: place.x, y1: y - 8, x2: place.x, y2: bottom, stroke: '#d62728', 'stroke-dasharray': '3 3' }),
      s('text', {
        x: place.anchor === 'start' ? place.left : place.right, y, fill: '#d62728', class: 'gm-marker-label',
        'text-anchor': place.anchor
      }, place.text)));
  }
  for (const line of series) {
    const parts: string[] = [];
    const dots: Children[] = [];
    let penDown = false; // a missing value (NaN, not measured) breaks the line
    line.values.forEach((value, i) => {
      const v = i < line.steps.length ? scaled(scale, value) : null;
      if (v === null) {
        penDown = false;
        return;
      }
      const px = sx(line.steps[i]).toFixed(1);
      const py = sy(v).toFixed(1);
      parts.push(`${penDown ? 'L' : 'M'}${px},${py}`);
      if (line.dots) {
        dots.push(s('circle', { cx: px, cy: py, r: 2.5, fill: line.color },
          s('title', {}, `${line.name} ${fmt(value)} at step ${line.steps[i]}`)));
      }
      penDown = true;
    });
    if (parts.length === 1 && !line.dots) {
      parts.push(parts[0].replace('M', 'L'));
    }
    append(chart,
      s('path', {
        d: parts.join(' ') || 'M0,0', fill: 'none', stroke: line.color, 'stroke-width': 1.5,
        'stroke-linecap': 'round', 'stroke-dasharray': line.dash || null, class: 'gm-series',
        'data-name': line.name
      }, s('title', {}, line.name)),
      dots);
  }
  const notes: Children[] = [];
  if (scale.note) {
    notes.push(h('div', { class: 'gm-chart-note gm-scale-note' }, scale.note));
  }
  for (const entry of bad) {
    const steps = entry.spans.reduce((n, [a, b]) => n + b - a + 1, 0);
    const first = entry.first ?? entry.spans[0][0];
    notes.push(h('div', { class: 'gm-chart-note gm-nonfinite-note' },
      h('span', { class: 'gm-swatch gm-swatch-nan' }),
      ` ${entry.what} was NaN/Inf from step ${first} (${steps} step(s) marked, not drawn)`));
  }
  if (series.length > 1 && series.length <= MAX_LEGEND) {
    notes.push(h('div', { class: 'gm-chart-legend' }, series.map(line =>
      h('span', { class: 'gm-legend-item' },
        s('svg', { width: 22, height: 10 },
          s('line', { x1: 0, y1: 5, x2: 22, y2: 5, stroke: line.color, 'stroke-width': 2, 'stroke-dasharray': line.dash || null })),
        ' ' + line.name))));
  }
  return h('div', { class: 'gm-chart' }, chart, notes);
}

// -- the tab ------------------------------------------------------------------------------

const LOSS_COLOR = '#1f77b4';
const VAL_COLOR = '#ff7f0e';
const MAX_METRIC_CHARTS = 6;

function fromLine(name: string, color: string, line: ILine, extra: Partial<ISeries> = {}): ISeries {
  return { name, color, steps: line.steps, values: line.values, ...extra };
}

/** The metrics of Keras's epoch logs to chart beside the loss: `[name, val_name or null]`. */
export function metricPairs(names: string[]): [string, string | null][] {
  const pairs: [string, string | null][] = [];
  for (const name of names) {
    if (name === 'loss' || name === 'val_loss') {
      continue;
    }
    if (name.startsWith('val_')) {
      if (!names.includes(name.slice(4))) {
        pairs.push([name, null]);
      }
      continue;
    }
    pairs.push([name, names.includes('val_' + name) ? 'val_' + name : null]);
  }
  return pairs;
}

function nonfiniteOf(what: string, line: ILine | null | undefined) {
  const spans = nonfiniteSpans(line);
  return spans.length ? [{ what, spans, first: line?.first_nonfinite ?? null }] : [];
}

/** The Training tab's content for a payload; `running`: the cell still runs. */
export function trainingView(training: ITraining, running: boolean, palette: string[]): HTMLElement {
  const box = h('div', { class: 'gm-training' });
  const layers = Object.entries(training.layers || {});
  const epochs = training.epochs && training.epochs.steps.length ? training.epochs : null;
  const series = epochs ? epochs.series : {};
  if (!training.loss && !training.total && !layers.length && !epochs) {
    append(box, h('div', { class: 'gm-empty' }, running
      ? 'waiting for the first recorded steps…'
      : 'no training history was recorded for this cell (training did not run, or the recorder was off)'));
    return box;
  }
  const markers = training.markers || [];
  const epochEnds = training.epoch_ends || [];
  const live = running ? h('span', { class: 'gm-chip gm-running' }, 'live') : null;

  // loss: per step from the recorder, validation loss (and the epoch loss, without a recorder) per epoch
  const lossSeries: ISeries[] = [];
  if (training.loss) {
    lossSeries.push(fromLine(epochs ? 'loss (per step)' : 'loss', LOSS_COLOR, training.loss));
  } else if (series.loss) {
    lossSeries.push(fromLine('loss (per epoch)', LOSS_COLOR, series.loss, { dots: true }));
  }
  if (series.val_loss) {
    lossSeries.push(fromLine('val_loss (per epoch)', VAL_COLOR, series.val_loss, { dash: '5 3', dots: true }));
  }
  if (lossSeries.length) {
    append(box, h('div', { class: 'gm-chart-title' }, 'loss', live),
      lineChart(lossSeries, {
        markers, epochEnds, scale: 'auto', what: 'the loss',
        nonfinite: [
          ...nonfiniteOf('the loss', training.loss || series.loss),
          ...nonfiniteOf('val_loss', series.val_loss)
        ]
      }));
  }

  // compiled metrics (and custom train_step logs), train and validation, per epoch
  const pairs = metricPairs(Object.keys(series));
  for (const [name, val] of pairs.slice(0, MAX_METRIC_CHARTS)) {
    const line = series[name];
    const valLine = val ? series[val] : null;
    const lines: ISeries[] = [];
    if (line) {
      lines.push(fromLine(name, LOSS_COLOR, line, { dots: true }));
    }
    if (valLine && val) {
      lines.push(fromLine(val, VAL_COLOR, valLine, { dash: '5 3', dots: true }));
    }
    if (!lines.length) {
      continue;
    }
    append(box, h('div', { class: 'gm-chart-title' }, `${name} (per epoch)`),
      lineChart(lines, {
        markers: [], epochEnds: [], scale: 'auto', what: name, height: 120,
        nonfinite: [...nonfiniteOf(name, line), ...(val ? nonfiniteOf(val, valLine) : [])]
      }));
  }
  if (pairs.length > MAX_METRIC_CHARTS) {
    append(box, h('div', { class: 'gm-muted gm-small-text' },
      `${pairs.length - MAX_METRIC_CHARTS} more metric(s) not charted: ` +
      pairs.slice(MAX_METRIC_CHARTS).map(([name]) => name).join(', ')));
  }

  // gradient norms
  const gradSeries: ISeries[] = layers.length
    ? layers.map(([name, line], i) => fromLine(name, palette[Math.round((i / Math.max(layers.length - 1, 1)) * (palette.length - 1))], line))
    : training.total ? [fromLine('all weights', LOSS_COLOR, training.total)] : [];
  if (gradSeries.length) {
    const bad = layers.length
      ? layers.flatMap(([name, line]) => nonfiniteOf(`the gradient of ${name}`, line)).slice(0, 3)
      : nonfiniteOf('the gradient norm', training.total);
    append(box, h('div', { class: 'gm-chart-title' },
      layers.length ? 'gradient norm per layer (log scale)' : 'gradient norm (log scale)'),
    lineChart(gradSeries, {
      markers, epochEnds, scale: 'log', nonfinite: bad
    }));
    if (layers.length > 1) {
      append(box, h('div', { class: 'gm-muted gm-small-text' },
        `first layer: ${layers[0][0]} (dark) … last: ${layers[layers.length - 1][0]} (light); hover a line for its layer`));
    }
  }
  return box;
}
