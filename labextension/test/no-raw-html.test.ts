/**
 * Nothing from user code, plans or messages is inserted as raw HTML: the extension's sources build
 * every node with DOM calls (textContent, createElement, createElementNS).  This scan fails on any
 * API that parses an HTML string.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';

const RAW_HTML = /\b(innerHTML|outerHTML|insertAdjacentHTML|createContextualFragment|DOMParser|document\.write)\b/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      return name === 'generated' ? [] : sources(path);
    }
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('no raw HTML', () => {
  const files = sources(join(__dirname, '..', 'src'));

  it('scans the extension sources', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)('%s parses no HTML strings', file => {
    const hits = readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => [i + 1, line] as const)
      .filter(([, line]) => RAW_HTML.test(line));
    expect(hits).toEqual([]);
  });
});
