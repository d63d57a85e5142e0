/**
 * Building DOM from report text safely: every string goes in through textContent or as an attribute
 * value, never as markup.
 */
import { inlineSpans } from './format';

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element with classes, text and attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string,
  attrs: { [name: string]: string } = {}
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) {
    el.className = className;
  }
  if (text !== undefined) {
    el.textContent = text;
  }
  for (const [name, value] of Object.entries(attrs)) {
    el.setAttribute(name, value);
  }
  return el;
}

/** Append children (nulls skipped) and return the parent. */
export function append<T extends Node>(parent: T, ...children: (Node | null | undefined)[]): T {
  for (const c of children) {
    if (c) {
      parent.appendChild(c);
    }
  }
  return parent;
}

/** Text with `backtick` spans as <code>, appended to `parent`. */
export function appendInline<T extends HTMLElement>(parent: T, text: string): T {
  for (const span of inlineSpans(text)) {
    parent.appendChild(span.code ? h('code', '', span.text) : document.createTextNode(span.text));
  }
  return parent;
}

/** An SVG element with attributes (numbers written with at most two decimals). */
export function s(tag: string, attrs: { [name: string]: string | number }, text?: string): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  for (const [name, value] of Object.entries(attrs)) {
    el.setAttribute(name, typeof value === 'number' ? String(Math.round(value * 100) / 100) : value);
  }
  if (text !== undefined) {
    el.textContent = text;
  }
  return el;
}

/** A <details> with a <summary> line. */
export function details(className: string, summary: string, open = false): HTMLDetailsElement {
  const d = h('details', className);
  d.open = open;
  d.appendChild(h('summary', '', summary));
  return d;
}

/** What an error says, on one line. */
export function oneLine(reason: unknown, max = 300): string {
  const text = reason instanceof Error ? reason.message : String(reason);
  const line = text.trim().split(/\r?\n/)[0] || 'unknown error';
  return line.length <= max ? line : line.slice(0, max - 1) + '\u2026';
}
