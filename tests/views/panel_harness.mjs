// Runs the panel's pure functions (grouping, dagre layout, diff rows, patch availability)
// under Node on a graph payload made by Python. Usage: node panel_harness.mjs PANEL_BUNDLE PAYLOAD_JSON
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const panel = await import(pathToFileURL(process.argv[2]).href);
const input = JSON.parse(readFileSync(process.argv[3], "utf8"));
const graph = input.graph;

async function describe(collapsed) {
  const view = panel.visibleGraph(graph, collapsed);
  const layout = panel.layoutGraph(view);
  const inside = (a, b) => a.x - a.width / 2 <= b.x && b.x <= a.x + a.width / 2 && a.y - a.height / 2 <= b.y && b.y <= a.y + a.height / 2;
  return {
    collapsed: [...collapsed].sort(),
    nodes: view.nodes.map((n) => ({ key: n.key, parent: n.parent, cut: n.cut })),
    edges: view.edges.map((e) => ({ source: e.source, target: e.target, cut: e.cut })),
    clusters: view.clusters.map((c) => c.id),
    positioned: view.nodes.every((n) => Number.isFinite(layout.nodes.get(n.key).x) && Number.isFinite(layout.nodes.get(n.key).y)),
    nested: view.nodes.filter((n) => n.parent !== null).every((n) => inside(layout.clusters.get("C:" + n.parent), layout.nodes.get(n.key))),
    edge_points: layout.edges.every((e) => e.points.length >= 2),
    size: [layout.width, layout.height],
  };
}

const fakeDocument = (ready) => ({ body: { dataset: ready ? { gradmagic: "ready" } : {} } });
const result = {
  default_view: await describe(panel.initialCollapsed(graph, input.limit)),
  tight_view: await describe(panel.initialCollapsed(graph, 3)),
  full_view: await describe(new Set()),
  diff_rows: panel.diffRows(input.diff),
  availability: input.fixes.map((fix) => [panel.patchUnavailable(fix, fakeDocument(true)), panel.patchUnavailable(fix, fakeDocument(false))]),
  no_extension: panel.NO_EXTENSION,
};
console.log(JSON.stringify(result));
