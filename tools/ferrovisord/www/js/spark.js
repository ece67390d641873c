// SPDX-License-Identifier: MIT
// Sparklines as inline SVG polylines (no library, no canvas: crisp at any zoom).

const NS = 'http://www.w3.org/2000/svg';

/** An SVG of the series (numbers, oldest first) scaled to max (default: its own maximum). */
export function sparkline(values, {width = 120, height = 28, label = '', max = 0} = {}) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const top = Math.max(1e-9, max || Math.max(...values));
  const n = values.length;
  if (n >= 2) {
    const pts = values.map((v, i) =>
      `${((i / (n - 1)) * (width - 2) + 1).toFixed(1)},${(height - 1 - (Math.min(v, top) / top) * (height - 4)).toFixed(1)}`);
    const area = document.createElementNS(NS, 'polygon');
    area.setAttribute('points', `1,${height - 1} ${pts.join(' ')} ${width - 1},${height - 1}`);
    area.setAttribute('class', 'spark-area');
    const line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('class', 'spark-line');
    svg.append(area, line);
  }
  const title = document.createElementNS(NS, 'title');
  title.textContent = label;
  svg.append(title);
  return svg;
}
