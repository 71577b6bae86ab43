/**
 * The gradmagic frontend: the patch bridge (Apply / Apply & re-run / Undo of
 * the diagnosis panel) and the "Gradient checks" sidebar. The record renderer
 * is a separate mime extension (`mime.ts`).
 *
 * It marks the page with `document.body.dataset.gradmagic = 'ready'` once the
 * bridge listens: the panel enables its Apply buttons on that mark, and the
 * browser tests wait for it. It requests `INotebookTracker`, not `ILabShell`,
 * so that it works in Notebook 7 too.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISessionContextDialogs } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { PatchBridge } from './patch';
import { GradientChecksSidebar } from './sidebar';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'gradmagic:plugin',
  description:
    'Diagnose Keras training failures: apply gradmagic fixes to cells and list every diagnosis of a notebook.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISessionContextDialogs],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    dialogs: ISessionContextDialogs | null
  ): void => {
    new PatchBridge(notebooks, dialogs);
    // The bridge listens from here on, whatever happens to the sidebar.
    document.body.dataset.gradmagic = 'ready';
    const sidebar = new GradientChecksSidebar(notebooks, panel =>
      app.shell.activateById(panel.id)
    );
    app.shell.add(sidebar, 'right', { rank: 600 });
  }
};

export default plugin;
