import type { ChartSpec } from '../definition';
import { escapeHtml } from './escape-html';

const WIDTH = 720;
const HEIGHT = 300;
const MARGIN = { top: 30, right: 16, bottom: 48, left: 80 };

/** Rounds the axis maximum up to 1, 2 or 5 × 10^k so tick labels stay short. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * magnitude >= value) ?? 10;
  return step * magnitude;
}

const compact = (value: number): string =>
  Math.abs(value) >= 1e6
    ? `${+(value / 1e6).toFixed(1)}M`
    : Math.abs(value) >= 1e3
      ? `${+(value / 1e3).toFixed(1)}k`
      : `${+value.toFixed(2)}`;

/** A bar chart as inline SVG, drawn on the server: the HTML report needs no browser or script to show it. */
export function barChartSvg(chart: ChartSpec): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = niceMax(Math.max(0, ...chart.bars.map((bar) => bar.value)));
  const slot = chart.bars.length ? plotW / chart.bars.length : plotW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(chart.title)}">`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-family="sans-serif">${escapeHtml(chart.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    const y = MARGIN.top + plotH - (plotH * i) / 4;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" font-family="sans-serif">${compact(value)}</text>`,
    );
  }
  chart.bars.forEach((bar, i) => {
    const h = (plotH * Math.max(0, bar.value)) / max;
    const x = MARGIN.left + i * slot + slot * 0.15;
    const y = MARGIN.top + plotH - h;
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="#3b6ea5"><title>${escapeHtml(bar.label)}: ${bar.value}</title></rect>`,
      `<text x="${(x + slot * 0.35).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="10" font-family="sans-serif">${escapeHtml(bar.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
