/**
 * Position arithmetic between findings and CodeMirror, with no DOM and no JupyterLab: findings give
 * 1-based lines and 1-based columns counted in code points (Python's view of a string), end column
 * exclusive; CodeMirror counts UTF-16 units from the start of the document.
 *
 * A finding refers to the text it was computed from (its *basis*); the editor may hold a newer text.
 * `diffTexts` finds the one region where they differ, and a span maps to the newer text only when it
 * lies wholly outside that region: the text it covers is then unchanged, only shifted.
 */
import { IEdit, IFinding } from './types';

/** A range of UTF-16 offsets, `from <= to`. */
export interface IRange {
  from: number;
  to: number;
}

/** One CodeMirror change (a `ChangeSpec`): replace `from..to` with `insert`. */
export interface IChange {
  from: number;
  to: number;
  insert: string;
}

/** Line breaks as CodeMirror stores them: `\r\n` and `\r` become `\n`. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** The UTF-16 offset where each line starts; `text` has `\n` line breaks only. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    starts.push(i + 1);
  }
  return starts;
}

/**
 * The UTF-16 offset within `lineText` of 1-based code-point column `column`, and whether the column
 * lay inside the line (column `length + 1`, just past the last character, is inside).
 */
export function columnToOffset(lineText: string, column: number): { offset: number; inside: boolean } {
  if (!Number.isFinite(column) || column < 1) {
    return { offset: 0, inside: false };
  }
  let offset = 0;
  for (let seen = 1; seen < column; seen++) {
    if (offset >= lineText.length) {
      return { offset: lineText.length, inside: false };
    }
    const code = lineText.codePointAt(offset) as number;
    offset += code > 0xffff ? 2 : 1;
  }
  return { offset, inside: true };
}

/** A text split into lines once, for converting many positions. */
export class LineIndex {
  readonly text: string;
  private _starts: number[];

  constructor(text: string) {
    this.text = normalizeNewlines(text);
    this._starts = lineStarts(this.text);
  }

  get lineCount(): number {
    return this._starts.length;
  }

  /** Text of 1-based line `line` (no line break); '' outside the text. */
  line(line: number): string {
    if (line < 1 || line > this._starts.length) {
      return '';
    }
    const start = this._starts[line - 1];
    const end = line < this._starts.length ? this._starts[line] - 1 : this.text.length;
    return this.text.slice(start, end);
  }

  /**
   * The offset of `line:column`, clamped into the text (a line before the first is the start, one
   * after the last is the end, a column past the line's end is that end); `inside` is false if clamped.
   */
  offset(line: number, column: number): { offset: number; inside: boolean } {
    if (!Number.isFinite(line) || line < 1) {
      return { offset: 0, inside: false };
    }
    if (line > this._starts.length) {
      return { offset: this.text.length, inside: false };
    }
    const start = this._starts[line - 1];
    const { offset, inside } = columnToOffset(this.line(line), column);
    return { offset: start + offset, inside };
  }

  /** A `line:column`–`end_line:end_column` span as offsets; clamped, never throws; `inside` if not clamped. */
  span(s: { line: number; column: number; end_line: number; end_column: number }): IRange & {
    inside: boolean;
  } {
    const a = this.offset(s.line, s.column);
    const b = this.offset(s.end_line, s.end_column);
    const from = Math.min(a.offset, b.offset);
    const to = Math.max(a.offset, b.offset);
    return { from, to, inside: a.inside && b.inside && a.offset <= b.offset };
  }
}

/**
 * Where two texts differ: they share `a.slice(0, start)` and `a.slice(endA)` == `b.slice(endB)`;
 * `a.slice(start, endA)` became `b.slice(start, endB)`. Boundaries never split a surrogate pair.
 */
export interface ITextDiff {
  start: number;
  endA: number;
  endB: number;
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
}

export function diffTexts(a: string, b: string): ITextDiff {
  const max = Math.min(a.length, b.length);
  let start = 0;
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) {
    start++;
  }
  if (start === a.length && start === b.length) {
    return { start, endA: start, endB: start };
  }
  if (start > 0 && (isLowSurrogate(a, start) || isLowSurrogate(b, start))) {
    start--;
  }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  while ((endA < a.length && isLowSurrogate(a, endA)) || (endB < b.length && isLowSurrogate(b, endB))) {
    endA++;
    endB++;
  }
  return { start, endA, endB };
}

/** Whether a diff says the texts are equal. */
export function isSameText(d: ITextDiff): boolean {
  return d.start === d.endA && d.start === d.endB;
}

/**
 * `range` (offsets in the old text) in the new text, or null when it touches the changed region
 * (an empty range on the region's edge is ambiguous, so also null).
 */
export function mapRange(d: ITextDiff, range: IRange): IRange | null {
  if (isSameText(d)) {
    return { ...range };
  }
  const before = range.to < d.start || (range.to === d.start && range.from < range.to);
  if (before) {
    return { ...range };
  }
  const after = range.from > d.endA || (range.from === d.endA && range.from < range.to);
  if (after) {
    const shift = d.endB - d.endA;
    return { from: range.from + shift, to: range.to + shift };
  }
  return null;
}

/**
 * Where a finding's span lies in `current`, the text it was computed from being `basis`: clamped
 * into the basis, then mapped past any edit made since; null when the edit touched the span.
 */
export function findingRange(finding: IFinding, basis: string, current: string): IRange | null {
  const index = new LineIndex(basis);
  const span = index.span(finding);
  return mapRange(diffTexts(index.text, normalizeNewlines(current)), span);
}

/** The outcome of turning a fix's edits into editor changes. */
export type FixPlan = { ok: true; changes: IChange[] } | { ok: false; reason: string };

/**
 * A fix's edits (positions in `basis`) as CodeMirror changes on `current`, sorted and non-overlapping.
 * Refuses, with a short reason, edits that fall outside the basis text, overlap, or touch text that
 * changed since the basis was linted.
 */
export function planFix(edits: readonly IEdit[], basis: string, current: string): FixPlan {
  if (edits.length === 0) {
    return { ok: false, reason: 'the fix has no edits' };
  }
  const index = new LineIndex(basis);
  const diff = diffTexts(index.text, normalizeNewlines(current));
  const changes: IChange[] = [];
  for (const edit of edits) {
    const span = index.span(edit);
    if (!span.inside) {
      return { ok: false, reason: `edit at line ${edit.line} is outside the text it was made for` };
    }
    const mapped = mapRange(diff, span);
    if (!mapped) {
      return { ok: false, reason: 'the cell changed where the fix applies' };
    }
    changes.push({ from: mapped.from, to: mapped.to, insert: edit.replacement });
  }
  changes.sort((x, y) => x.from - y.from || x.to - y.to);
  for (let i = 1; i < changes.length; i++) {
    if (changes[i].from < changes[i - 1].to) {
      return { ok: false, reason: 'the fix has overlapping edits' };
    }
  }
  return { ok: true, changes };
}

/** Apply changes (sorted, non-overlapping, offsets in `text`) to a string: what the editor will hold. */
export function applyChanges(text: string, changes: readonly IChange[]): string {
  let out = '';
  let pos = 0;
  for (const c of changes) {
    out += text.slice(pos, c.from) + c.insert;
    pos = c.to;
  }
  return out + text.slice(pos);
}

/**
 * The "why" to show under a finding: the first paragraph of its doc (Markdown headings skipped),
 * whitespace collapsed.
 */
export function firstParagraph(doc: string): string {
  for (const block of normalizeNewlines(doc).split(/\n[ \t]*\n/)) {
    const lines = block.split('\n').filter(l => !/^\s*#/.test(l));
    const text = lines.join(' ').replace(/\s+/g, ' ').trim();
    if (text.length > 0) {
      return text;
    }
  }
  return '';
}
