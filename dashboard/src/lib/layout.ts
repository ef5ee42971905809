/**
 * The charts page's layout, kept in the URL so a view is shared as a link:
 * `?panel=<span>[@<from>-<to>]~<series>!<series>…`, one `panel` per panel.
 * Series names never hold `~`, `!` or `@` (the contract's alphabet), so
 * these separate them without escaping.
 */
export const SPANS = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const;
export type SpanName = keyof typeof SPANS;
export const SPAN_NAMES = Object.keys(SPANS) as SpanName[];
export const DEFAULT_SPAN: SpanName = '5m';
/** More series than this in one panel is no longer a readable chart. */
export const MAX_SERIES_PER_PANEL = 8;
export const MAX_PANELS = 24;

export interface PanelSpec {
  span: SpanName;
  series: string[];
  /** A past range the panel is zoomed into, ms since the epoch; live otherwise. */
  zoom?: { from: number; to: number };
}

const SERIES = /^[A-Za-z0-9_.,=-]{1,200}$/;

export function encodePanel(p: PanelSpec): string {
  const zoom = p.zoom ? `@${p.zoom.from}-${p.zoom.to}` : '';
  return `${p.span}${zoom}~${p.series.join('!')}`;
}

/** A panel from its URL form; anything malformed is left out rather than guessed at. */
export function decodePanel(text: string): PanelSpec | undefined {
  const tilde = text.indexOf('~');
  if (tilde < 0) return undefined;
  const [span, zoomText] = text.slice(0, tilde).split('@') as [string, string | undefined];
  if (!(span in SPANS)) return undefined;
  const series = [...new Set(text.slice(tilde + 1).split('!'))].filter((s) => SERIES.test(s)).slice(0, MAX_SERIES_PER_PANEL);
  const panel: PanelSpec = { span: span as SpanName, series };
  if (zoomText !== undefined) {
    const m = /^(\d{1,15})-(\d{1,15})$/.exec(zoomText);
    if (!m || Number(m[1]) >= Number(m[2])) return undefined;
    panel.zoom = { from: Number(m[1]), to: Number(m[2]) };
  }
  return panel;
}

export function readLayout(params: URLSearchParams): PanelSpec[] {
  return params
    .getAll('panel')
    .slice(0, MAX_PANELS)
    .map(decodePanel)
    .filter((p): p is PanelSpec => p !== undefined);
}

/** The query string of a layout, other parameters of `params` (a transport choice, say) kept. */
export function writeLayout(params: URLSearchParams, panels: PanelSpec[]): string {
  const next = new URLSearchParams(params);
  next.delete('panel');
  for (const p of panels) next.append('panel', encodePanel(p));
  return next.toString();
}
