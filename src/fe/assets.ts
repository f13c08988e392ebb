// The UI's files: hand-written HTML, CSS and JavaScript served as they are (no build step). The
// folder is found from this module both in src/fe/ (running the sources) and in dist/fe/ (the build
// emits only the server, and the package ships src/).

import { fileURLToPath } from 'node:url';

export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../src/fe/web/', import.meta.url)).replace(
  /[/\\]$/,
  '',
);
