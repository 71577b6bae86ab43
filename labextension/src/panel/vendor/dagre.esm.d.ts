/**
 * The part of @dagrejs/dagre 3.1.3 (vendored beside this file as dagre.esm.js,
 * MIT) that the diagnosis panel uses.
 */
export interface IPoint {
  x: number;
  y: number;
}

export interface INodeLabel {
  x: number;
  y: number;
  width: number;
  height: number;
  [key: string]: unknown;
}

export interface IGraphLabel {
  width?: number;
  height?: number;
  [key: string]: unknown;
}

export interface IGraph {
  setGraph(label: Record<string, unknown>): IGraph;
  graph(): IGraphLabel;
  setDefaultEdgeLabel(label: () => Record<string, unknown>): IGraph;
  setNode(name: string, label?: Record<string, unknown>): IGraph;
  setParent(name: string, parent: string): IGraph;
  setEdge(source: string, target: string, label?: Record<string, unknown>): IGraph;
  node(name: string): INodeLabel;
  edge(source: string, target: string): { points: IPoint[] };
}

export interface IDagre {
  graphlib: {
    Graph: new (options?: { compound?: boolean; multigraph?: boolean; directed?: boolean }) => IGraph;
  };
  layout(graph: IGraph): void;
}

declare const dagre: IDagre;
export default dagre;
