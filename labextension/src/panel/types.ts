/**
 * The diagnosis panel's state: the payloads gradmagic/views/widget.py makes
 * from a Report (`panel_payloads`) and syncs as the widget's traitlets, and
 * the custom messages it sends while a fit runs. Field names must not drift
 * from widget.py: tests/views/test_protocol.py type-checks real payloads
 * against these types with tsc.
 */
import type { IFitRecord, Safety, Severity } from '../protocol';

/** The widget's `header` traitlet (`header_payload`). */
export interface IHeader {
  running: boolean;
  fits: IFitRecord[];
  counts: Record<Severity, number>;
  duration_s: number | null;
  notices: string[];
  tool_error: string | null;
  cell_id: string | null;
}

/** One numbered line of a code frame. */
export interface IFrameRow {
  n: number;
  text: string;
  hit: boolean;
}

/** A fix as the panel offers it (`fix_card`). */
export interface IFixCard {
  id: string;
  title: string;
  reason: string;
  safety: Safety;
  diff: string;
  cell_id: string | null;
  expected_source: string;
  new_source: string;
  /** Why Apply is disabled (no cell id, cell text mismatch), or null. */
  apply_disabled: string | null;
}

/** One element of the widget's `findings` traitlet (`finding_card`). */
export interface IFindingCard {
  code: string;
  name: string;
  severity: Severity;
  message: string;
  line: number | null;
  layer: string | null;
  step: number | null;
  /** Measured values, none missing or empty (`evidence_rows`). */
  evidence: Record<string, unknown>;
  notes: string[];
  help: string | null;
  frame: IFrameRow[];
  /** What the offending text does wrong, shown under the frame (`Finding.label`). */
  label?: string | null;
  /** The rule's Markdown documentation, from the report's `docs`. */
  doc: string;
  caused_by: number | null;
  fixes: IFixCard[];
}

export interface IStyle {
  fill: string;
  stroke: string;
  dash: string;
  text: string;
}

/** A gradient cut drawn on an edge or a node. */
export interface ICutMark {
  op: string;
  line: number | null;
  reason: string;
}

/** NaN/Inf while training, in a layer GM301/GM310 lists (`nonfinite_layers`). */
export interface INonfiniteMark {
  code: string;
  step: number | null;
}

/** A number of the graph: NaN/Inf are strings in strict JSON. */
export type GraphNumber = number | string | null;

export interface IGraphNode {
  id: string;
  class: string;
  group: string | null;
  state: string;
  label?: string;
  params?: number;
  trainable?: boolean;
  shape?: string | null;
  line?: number | null;
  norm?: GraphNumber;
  mean?: GraphNumber;
  max?: GraphNumber;
  loss?: GraphNumber;
  codes?: string[];
  cut?: ICutMark;
  nonfinite?: INonfiniteMark;
  style: IStyle;
}

export interface IGraphGroup {
  id: string;
  label: string;
  kind: 'model' | 'stage' | 'block' | 'range';
  parent: string | null;
  state: string;
  norm: GraphNumber;
  max: GraphNumber;
  size: number;
  nonfinite?: INonfiniteMark;
  style: IStyle;
}

export interface IGraphEdge {
  source: string;
  target: string;
  inferred?: boolean;
  cut?: ICutMark;
}

export interface IGraphCut {
  op: string;
  op_name: string;
  line: number | null;
  reason: string;
  layer: string | null;
}

export interface ILegendState {
  state: string;
  fill: string;
  stroke: string;
  dash: string;
  label: string;
}

export interface ILegend {
  scale: { min: number; max: number; stops: string[] } | null;
  states: ILegendState[];
  cut: string;
}

/** The widget's `graph` traitlet (`graph_payload`), or `{}` when no model was captured. */
export interface IGraph {
  model: string;
  class: string;
  fit: number;
  fit_line: number | null;
  probe: string | null;
  measured: boolean;
  range: { min: number; max: number } | null;
  nodes: IGraphNode[];
  edges: IGraphEdge[];
  groups: IGraphGroup[];
  cuts: IGraphCut[];
  legend: ILegend;
}

/**
 * One series over training steps. `values` holds finite numbers or null (not
 * measured, or NaN/Inf); `nonfinite` lists the steps where it was NaN/Inf.
 */
export interface ILine {
  steps: number[];
  values: (number | null)[];
  nonfinite?: number[];
  first_nonfinite?: number | null;
}

export interface IMarker {
  step: number;
  code: string;
  severity: Severity;
}

/** Keras's epoch logs: loss, val_loss and the compiled metrics at each epoch end. */
export interface IEpochs {
  steps: number[];
  series: Record<string, ILine | null>;
}

/** The widget's `training` traitlet (`training_payload`). */
export interface ITraining {
  loss: ILine | null;
  total: ILine | null;
  layers: Record<string, ILine>;
  markers: IMarker[];
  epoch_ends: number[];
  epochs?: IEpochs | null;
}

/** The custom message `DiagnosisPanel.send_points` sends while a fit runs. */
export interface ITrainingPoints {
  kind: 'training_points';
  fit: number | null;
  start: number;
  steps: number[];
  loss: (number | null)[];
  grad_norm: (number | null)[];
  /** The steps among these points whose value was NaN/Inf (sent as null). */
  nonfinite?: { loss?: number[]; grad_norm?: number[] };
  markers: IMarker[];
}

/** Every synced traitlet of the widget, by name. */
export interface IPanelState {
  header: IHeader;
  findings: IFindingCard[];
  graph: IGraph | Record<string, never>;
  training: ITraining;
  applied: Record<string, boolean>;
}

/** The part of anywidget's model the panel uses. */
export interface IPanelModel {
  get<K extends keyof IPanelState>(name: K): IPanelState[K] | undefined;
  set<K extends keyof IPanelState>(name: K, value: IPanelState[K]): void;
  save_changes(): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event: string, callback: (...args: any[]) => void): void;
}
