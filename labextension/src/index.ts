import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';

/**
 * The gradmagic frontend plugin.
 *
 * For now it only announces itself: it logs one line and marks the page with
 * `document.body.dataset.gradmagic = 'ready'` so that browser tests can wait
 * for it. The notebook tracker is optional so that the plugin also activates
 * where no notebook is open or available.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'gradmagic:plugin',
  description: 'Diagnose Keras training failures: the gradmagic frontend.',
  autoStart: true,
  optional: [INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null
  ): void => {
    console.log('gradmagic labextension activated');
    document.body.dataset.gradmagic = 'ready';
  }
};

export default plugin;
