/** The findings view: a MIME renderer for the kernel's `application/vnd.sparkcoach.findings+json`. */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { ICoachContext } from '../context';
import { MIME_TYPE } from '../types';
import { FindingsRenderer } from './widget';

export { FindingsRenderer } from './widget';

/** Registered by the plugin at rank -20 (below ipywidgets' view, so this one is shown). */
export function createRendererFactory(context: ICoachContext): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [MIME_TYPE],
    defaultRank: -20,
    createRenderer: () => new FindingsRenderer(context)
  };
}
