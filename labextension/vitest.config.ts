import { defineConfig } from 'vitest/config';

// Unit tests of the pure parts (positions, lint sequencing, diagnostics on an EditorState): no DOM.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts']
  }
});
