/**
 * The timing chart's geometry, without the DOM: one horizontal bar per variant at its median wall
 * time, a whisker from its fastest to its slowest run, the axis up to a round number. Same units and
 * layout as the Python side's static SVG (sparkcoach/views/measure.py chart_svg).
 */
import { IMeasurement } from '../types';
import { seconds } from './format';

export const LABEL_W = 90;
export const PLOT_W = 300;
export const VALUE_W = 80;
export const TOP = 4;
export const ROW_H = 26;
export const BAR_H = 16;
export const AXIS_H = 24;
export const LABEL_CHARS = 12;

/** Bar colours: the original in grey, the rewrite in blue, a rewrite that changes the result in red. */
export const COLOURS = { original: '#8c959f', rewrite: '#0969da', changed: '#cf222e' } as const;
export type BarKind = keyof typeof COLOURS;

export interface IChartRow {
  /** The variant's label, cut to LABEL_CHARS characters. */
  label: string;
  kind: BarKind;
  y: number;
  mid: number;
  /** The bar from the axis origin to the median (null: no timed run). */
  bar: { x: number; width: number } | null;
  /** min..max of the timed runs, in chart x (null: no spread). */
  whisker: { lo: number; hi: number } | null;
  /** The value written after the bar: the median, `failed` or `no runs`. */
  value: { x: number; text: string };
}

export interface IChart {
  width: number;
  height: number;
  /** The axis end, in seconds (a round number at or above every value). */
  top: number;
  rows: IChartRow[];
  axisY: number;
  ticks: { x: number; text: string }[];
}

/** The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `x` (the axis end). */
export function nice(x: number): number {
  if (x <= 0) {
    return 1;
  }
  const power = Math.pow(10, Math.floor(Math.log10(x)));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= x * (1 - 1e-9)) {
      return step * power;
    }
  }
  return 10 * power;
}

function cut(label: string): string {
  const chars = Array.from(label);
  return chars.length <= LABEL_CHARS ? label : chars.slice(0, LABEL_CHARS - 1).join('') + '\u2026';
}

/** The chart of one measurement; null when no variant has a time. */
export function chartGeometry(m: IMeasurement): IChart | null {
  const variants = m.variants ?? [];
  const values: number[] = [];
  for (const v of variants) {
    for (const x of [v.median_s, ...(v.spread_s ?? [])]) {
      if (x !== null && x !== undefined) {
        values.push(x);
      }
    }
  }
  if (values.length === 0) {
    return null;
  }
  const top = nice(Math.max(...values));
  const scale = PLOT_W / top;
  const rows: IChartRow[] = variants.map((v, i) => {
    const y = TOP + i * ROW_H;
    const mid = y + BAR_H / 2;
    let end = 0;
    let bar: IChartRow['bar'] = null;
    if (v.median_s !== null && v.median_s !== undefined) {
      end = v.median_s * scale;
      bar = { x: LABEL_W, width: end };
    }
    let whisker: IChartRow['whisker'] = null;
    if (v.spread_s) {
      whisker = { lo: v.spread_s[0] * scale + LABEL_W, hi: v.spread_s[1] * scale + LABEL_W };
      end = Math.max(end, v.spread_s[1] * scale);
    }
    const text =
      v.median_s !== null && v.median_s !== undefined ? seconds(v.median_s) : v.error ? 'failed' : 'no runs';
    const kind: BarKind = i === 0 ? 'original' : m.same_result === false ? 'changed' : 'rewrite';
    return { label: cut(String(v.label ?? '?')), kind, y, mid, bar, whisker, value: { x: LABEL_W + end + 5, text } };
  });
  const axisY = TOP + ROW_H * variants.length;
  const ticks = [0, 0.5, 1].map(frac => ({
    x: LABEL_W + frac * PLOT_W,
    text: frac === 0 ? '0' : seconds(top * frac)
  }));
  return {
    width: LABEL_W + PLOT_W + VALUE_W,
    height: TOP + ROW_H * variants.length + AXIS_H,
    top,
    rows,
    axisY,
    ticks
  };
}
