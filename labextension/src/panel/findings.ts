/**
 * The Findings tab: one card per finding (code frame, notes, evidence, help,
 * the rule's documentation rendered from Markdown) and its fix cards with
 * Apply / Apply & re-run / Undo / Copy.
 *
 * Apply goes through the patch protocol of protocol.ts: a bubbling
 * `gradmagic:patch` event from the fix card, answered by the labextension
 * with `gradmagic:patch-result` on the same element.
 */
import { append, h } from '../dom';
import {
  IPatchRequest,
  IPatchResult,
  PATCH_EVENT,
  PATCH_RESULT_EVENT,
  PatchAction
} from '../protocol';
import { diffRows, evidenceRows, patchUnavailable } from './format';
import { renderMarkdown } from './markdown';
import type { IFindingCard, IFixCard, IPanelModel } from './types';

const ANSWER_TIMEOUT_MS = 8000;
export const OTHER_APPLIED = 'another fix of this diagnosis is applied to the cell: undo it first';

export interface IFindingsContext {
  model: IPanelModel;
  /** A unique prefix for this view's patch request ids. */
  uid: string;
  /** The element a textarea may be added to for the copy fallback. */
  root: HTMLElement;
  showInGraph(layer: string): void;
}

let counter = 0;

/** "line 11 · layer dense · step 3": where a finding points, or "". */
export function whereText(f: Pick<IFindingCard, 'line' | 'layer' | 'step'>): string {
  const where: string[] = [];
  if (f.line) {
    where.push(`line ${f.line}`);
  }
  if (f.layer) {
    where.push(`layer ${f.layer}`);
  }
  if (f.step !== null && f.step !== undefined) {
    where.push(`step ${f.step}`);
  }
  return where.join(' · ');
}

const SEVERITY_RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

/** The index of the finding `index` follows from at the root of its `caused_by` chain, or null for a cause. */
export function rootCause(findings: Pick<IFindingCard, 'caused_by'>[], index: number): number | null {
  const seen = new Set<number>([index]);
  let current = index;
  let root: number | null = null;
  for (;;) {
    const next = findings[current].caused_by;
    if (typeof next !== 'number' || !Number.isInteger(next) || next < 0 || next >= findings.length) {
      return root; // findings.md: caused_by; an index out of range ends the chain
    }
    if (seen.has(next)) {
      return null; // a loop: each finding on it is shown as a cause, none is lost
    }
    seen.add(next);
    root = current = next;
  }
}

export interface ICauseGroup {
  /** The index of the cause in `findings`. */
  cause: number;
  /** The indices of the findings that follow from it, directly or not, in report order. */
  followed: number[];
}

/**
 * One group per cause (a finding whose `caused_by` is null), causes ordered by
 * severity (error, warning, info; report order within one severity), each
 * with the findings that follow from it.
 */
export function causeGroups(findings: Pick<IFindingCard, 'caused_by' | 'severity'>[]): ICauseGroup[] {
  const groups = new Map<number, ICauseGroup>();
  const roots = findings.map((_, i) => rootCause(findings, i));
  findings.forEach((_, i) => {
    if (roots[i] === null) {
      groups.set(i, { cause: i, followed: [] });
    }
  });
  findings.forEach((_, i) => {
    const root = roots[i];
    if (root !== null) {
      groups.get(root)?.followed.push(i);
    }
  });
  return [...groups.values()].sort((a, b) =>
    (SEVERITY_RANK[findings[a.cause].severity] ?? 3) - (SEVERITY_RANK[findings[b.cause].severity] ?? 3) || a.cause - b.cause);
}

export function drawFindings(body: HTMLElement, findings: IFindingCard[], ctx: IFindingsContext): void {
  if (!findings.length) {
    append(body, h('div', { class: 'gm-empty' }, "no problems found in this cell's fit calls"));
    return;
  }
  for (const group of causeGroups(findings)) {
    append(body, findingCard(findings[group.cause], findings, ctx, group.followed.map(i => findings[i])));
  }
}

/** How many evidence rows a "what followed" entry shows. */
const FOLLOWED_ROWS = 4;

/** A finding that follows from the card's cause: code, message, where, its key numbers; no fixes of its own. */
export function followedItem(f: IFindingCard): HTMLElement {
  const where = whereText(f);
  const rows = evidenceRows(f.evidence).slice(0, FOLLOWED_ROWS);
  return h('li', { class: 'gm-followed-item', 'data-code': f.code },
    h('span', { class: 'gm-badge gm-sev-' + f.severity }, `${f.severity}[${f.code}]`),
    ' ',
    h('span', { class: 'gm-name' }, f.name),
    h('div', { class: 'gm-message' }, f.message),
    // not `gm-where`: that names where the card's own cause is
    where ? h('div', { class: 'gm-followed-where' }, '--> ' + where) : null,
    (f.notes || []).map(note => h('div', { class: 'gm-note' }, '= note: ' + note)),
    rows.length ? h('table', { class: 'gm-evidence' }, rows.map(([key, value]) =>
      h('tr', {}, h('td', {}, key), h('td', {}, value)))) : null);
}

export function findingCard(f: IFindingCard, findings: IFindingCard[], ctx: IFindingsContext,
  followed: IFindingCard[] = []): HTMLElement {
  const where = whereText(f);
  const card = h('div', { class: 'gm-card gm-card-' + f.severity, 'data-code': f.code },
    h('div', { class: 'gm-card-head' },
      h('span', { class: 'gm-badge gm-sev-' + f.severity }, `${f.severity}[${f.code}]`),
      h('span', { class: 'gm-name' }, f.name)),
    h('div', { class: 'gm-message' }, f.message),
    where ? h('div', { class: 'gm-where' }, '--> ' + where,
      f.layer ? h('button', { class: 'gm-link', onclick: () => ctx.showInGraph(f.layer as string) }, 'show in graph') : null) : null);
  if (f.frame && f.frame.length) {
    const width = String(f.frame[f.frame.length - 1].n).length;
    append(card, h('pre', { class: 'gm-frame' }, f.frame.map(row => h('div', { class: row.hit ? 'gm-hit' : '' },
      h('span', { class: 'gm-lineno' }, String(row.n).padStart(width, ' ') + ' | '), row.text))));
    if (f.label) {
      append(card, h('div', { class: 'gm-note gm-frame-label' }, '^ ' + f.label));
    }
  }
  const cause = typeof f.caused_by === 'number' && Number.isInteger(f.caused_by) ? findings[f.caused_by] : null; // findings.md: caused_by
  if (cause && !followed.length) {
    append(card, h('div', { class: 'gm-note' }, `= follows from ${cause.code} (${cause.name})`));
  }
  for (const note of f.notes || []) {
    append(card, h('div', { class: 'gm-note' }, '= note: ' + note));
  }
  const rows = evidenceRows(f.evidence);
  if (rows.length) {
    append(card, h('table', { class: 'gm-evidence' }, rows.map(([key, value]) =>
      h('tr', {}, h('td', {}, key), h('td', {}, value)))));
  }
  if (followed.length) {
    append(card, h('div', { class: 'gm-followed' },
      h('div', { class: 'gm-followed-head' }, `what followed (${followed.length})`),
      h('ul', {}, followed.map(followedItem))));
  }
  if (f.help) {
    append(card, h('div', { class: 'gm-help' }, h('b', {}, 'help'), ': ' + f.help));
  }
  if (f.doc) {
    const details = h('details', { class: 'gm-doc' }, h('summary', {}, `learn more about ${f.code}`));
    // rendered when first opened: most cards are never expanded
    details.addEventListener('toggle', () => {
      if ((details as HTMLDetailsElement).open && details.childElementCount === 1) {
        append(details, renderMarkdown(f.doc));
      }
    });
    append(card, details);
  }
  const shown = new Set<string>();
  for (const fix of f.fixes || []) {
    const key = fix.id + '\u0000' + fix.new_source;
    if (!shown.has(key)) {
      shown.add(key);
      append(card, fixCard(fix, ctx));
    }
  }
  return card;
}

async function copyText(text: string, root: HTMLElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'gm-offscreen' }) as HTMLTextAreaElement;
    area.value = text;
    root.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

export function fixCard(fix: IFixCard, ctx: IFindingsContext): HTMLElement {
  const { model } = ctx;
  const applied = () => Boolean((model.get('applied') || {})[fix.id]);
  const status = h('span', { class: 'gm-fix-status', role: 'status' });
  const apply = h('button', { class: 'gm-button gm-primary' }, 'Apply') as HTMLButtonElement;
  const applyRun = h('button', { class: 'gm-button' }, 'Apply & re-run') as HTMLButtonElement;
  const undo = h('button', { class: 'gm-button' }, 'Undo') as HTMLButtonElement;
  const copy = h('button', { class: 'gm-button', title: 'copy the fixed cell to the clipboard' }, 'Copy');
  const card = h('div', { class: 'gm-fix', 'data-fix': fix.id },
    h('div', { class: 'gm-fix-head' },
      h('span', { class: 'gm-badge gm-safety-' + fix.safety }, fix.safety),
      h('span', { class: 'gm-fix-title' }, fix.title)),
    fix.reason ? h('div', { class: 'gm-fix-reason' }, fix.reason) : null,
    h('pre', { class: 'gm-diff' }, diffRows(fix.diff).map(row => h('div', { class: 'gm-diff-' + row.kind }, row.text))),
    h('div', { class: 'gm-fix-actions' }, apply, applyRun, undo, copy, status));
  let pending: { requestId: string; action: PatchAction } | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** Another fix of this panel is applied: the cell no longer holds the source this one was made for. */
  const otherApplied = () => Object.entries(model.get('applied') || {}).some(([id, on]) => on && id !== fix.id);

  function refresh(): void {
    const reason = patchUnavailable(fix) || (otherApplied() ? OTHER_APPLIED : null);
    const busy = pending !== null;
    for (const button of [apply, applyRun]) {
      button.disabled = Boolean(reason) || busy || applied();
      if (reason) {
        button.setAttribute('title', reason);
      } else {
        button.removeAttribute('title');
      }
    }
    undo.hidden = !applied();
    undo.disabled = busy || Boolean(patchUnavailable(fix));
    if (!busy) {
      // the card says what the cell holds now: this fix, or not (after an Undo anywhere)
      if (applied()) {
        status.textContent = 'applied';
      } else if (status.textContent === 'applied') {
        status.textContent = '';
      }
    }
  }
  // `applied` is the cell's state, shared by every card of the panel
  const onApplied = () => {
    if (!card.isConnected && !pending) {
      model.off('change:applied', onApplied);
      return;
    }
    refresh();
  };
  model.on('change:applied', onApplied);

  function send(action: PatchAction, expectedSource: string, newSource: string): void {
    if (!fix.cell_id) {
      return;
    }
    const requestId = `${ctx.uid}:${fix.id}:${Date.now()}:${counter++}`;
    pending = { requestId, action };
    status.textContent = action === 'undo' ? 'undoing…' : 'applying…';
    refresh();
    timer = setTimeout(() => {
      if (pending && pending.requestId === requestId) {
        pending = null;
        status.textContent = 'no answer from the gradmagic JupyterLab extension';
        refresh();
      }
    }, ANSWER_TIMEOUT_MS);
    const detail: IPatchRequest = { requestId, action, cellId: fix.cell_id, expectedSource, newSource, title: fix.title };
    card.dispatchEvent(new CustomEvent(PATCH_EVENT, { bubbles: true, composed: true, detail }));
  }

  card.addEventListener(PATCH_RESULT_EVENT, event => {
    const detail = ((event as CustomEvent).detail || {}) as Partial<IPatchResult>;
    if (!pending || detail.requestId !== pending.requestId) {
      return;
    }
    const action = pending.action;
    pending = null;
    clearTimeout(timer);
    if (detail.ok) {
      const next = { ...(model.get('applied') || {}) };
      if (action === 'undo') {
        delete next[fix.id];
      } else {
        next[fix.id] = true;
      }
      model.set('applied', next);
      model.save_changes();
      status.textContent = action === 'undo' ? 'undone' : 'applied';
    } else {
      status.textContent = (action === 'undo' ? 'undo refused: ' : 'refused: ') + (detail.reason || 'no reason given');
    }
    refresh();
  });
  apply.addEventListener('click', () => send('apply', fix.expected_source, fix.new_source));
  applyRun.addEventListener('click', () => send('apply-run', fix.expected_source, fix.new_source));
  undo.addEventListener('click', () => send('undo', fix.new_source, fix.expected_source));
  copy.addEventListener('click', async () => {
    status.textContent = (await copyText(fix.new_source, ctx.root)) ? 'copied the fixed cell' : 'copy failed';
  });
  card.addEventListener('pointerenter', refresh);
  refresh();
  return card;
}
