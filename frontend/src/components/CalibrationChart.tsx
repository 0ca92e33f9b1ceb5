// SVG charts for the track record page, drawn by hand (no chart library), plus their table
// fallbacks and the number formats the page shares. Every chart is one role="img" with a summary
// label; the exact numbers are always also in a table.
import type { CalibrationBin, MonthPoint } from '../protocol.gen'

const NBSP = '\u00a0'

/** A share (0-1) as a whole percent, "67 %"; "—" when missing. */
export function pct(value: number | null | undefined): string {
  return value == null ? '—' : `${Math.round(value * 100)}${NBSP}%`
}

/** A Brier score to 3 decimals; "—" when missing. */
export function brier3(value: number | null | undefined): string {
  return value == null ? '—' : value.toFixed(3)
}

/** "1 call", "3 calls". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** "2026-03" → "Mar 2026" (the server's months are UTC calendar months; no time zone applies). */
export function monthLabel(month: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(month)
  const name = match ? MONTHS[Number(match[2]) - 1] : undefined
  return match && name ? `${name} ${match[1]}` : month
}

/** Bins that hold calls and can be plotted, in order. */
export function filledBins(bins: CalibrationBin[]): CalibrationBin[] {
  return bins.filter((b) => b.count > 0)
}

function bandName(bin: CalibrationBin): string {
  return `${bin.lower}–${bin.upper}${NBSP}%`
}

function range(low: number | null, high: number | null): string {
  return low == null || high == null ? '—' : `${Math.round(low * 100)}–${Math.round(high * 100)}${NBSP}%`
}

// ------------------------------------------------------------------ calibration

/**
 * Geometry of the calibration plot, in viewBox units. The plot is square so the diagonal is at 45°;
 * the viewBox is about as wide as a phone screen, so 1 unit is about 1 CSS pixel there and the
 * font sizes below stay legible at 360 px.
 */
export const PLOT = { left: 56, top: 16, size: 220, right: 16, bottom: 48 } as const
const CAL_W = PLOT.left + PLOT.size + PLOT.right
const CAL_H = PLOT.top + PLOT.size + PLOT.bottom

/** x of a stated confidence (0-1). */
export function xAt(confidence: number): number {
  return PLOT.left + confidence * PLOT.size
}

/** y of a share that came true (0-1); 0 at the bottom. */
export function yAt(rate: number): number {
  return PLOT.top + (1 - rate) * PLOT.size
}

const TICKS = [0, 0.5, 1]
const GRID = [0, 0.25, 0.5, 0.75, 1]
const INK = '#2f4ea2'
const MUTED = '#5c6577'
const GRID_INK = '#dde1e8'

function calibrationSummary(bins: CalibrationBin[]): string {
  const calls = bins.reduce((n, b) => n + b.count, 0)
  const parts = bins.map(
    (b) => `${bandName(b)}: ${plural(b.count, 'call')}, said ${pct(b.mean_confidence)} on average, ${pct(b.observed_rate)} came true`,
  )
  return (
    `Calibration chart: share of calls that came true against the confidence you stated, ` +
    `${plural(calls, 'call')} in ${plural(bins.length, 'confidence band')}; points on the diagonal are perfectly calibrated. ` +
    `${parts.join('; ')}.`
  )
}

/**
 * Stated confidence (x) against the share that came true (y), one point per non-empty bin with its
 * Wilson 95 % band and count. Empty bins are not drawn; a bin without a band is drawn as a point only.
 */
export function CalibrationChart({ bins }: { bins: CalibrationBin[] }) {
  const shown = filledBins(bins).filter((b) => b.mean_confidence != null && b.observed_rate != null)
  const maxCount = Math.max(1, ...shown.map((b) => b.count))
  const bottom = PLOT.top + PLOT.size
  const right = PLOT.left + PLOT.size
  return (
    <svg
      className="tr-chart"
      role="img"
      aria-label={calibrationSummary(filledBins(bins))}
      viewBox={`0 0 ${CAL_W} ${CAL_H}`}
      width="100%"
      preserveAspectRatio="xMidYMid meet"
      fontSize={13}
      fontFamily="system-ui, sans-serif"
    >
      {GRID.map((g) => (
        <g key={g}>
          <line x1={xAt(g)} y1={PLOT.top} x2={xAt(g)} y2={bottom} stroke={GRID_INK} />
          <line x1={PLOT.left} y1={yAt(g)} x2={right} y2={yAt(g)} stroke={GRID_INK} />
        </g>
      ))}
      <rect x={PLOT.left} y={PLOT.top} width={PLOT.size} height={PLOT.size} fill="none" stroke="#b9c0cc" />
      {TICKS.map((t) => (
        <g key={t} fill={MUTED}>
          <text x={xAt(t)} y={bottom + 16} textAnchor={t === 0 ? 'start' : t === 1 ? 'end' : 'middle'}>
            {pct(t)}
          </text>
          <text x={PLOT.left - 6} y={yAt(t)} dy="0.35em" textAnchor="end">
            {pct(t)}
          </text>
        </g>
      ))}
      <text x={PLOT.left + PLOT.size / 2} y={bottom + 36} textAnchor="middle" fill="#1d2330">
        Confidence you stated
      </text>
      <text
        x={12}
        y={PLOT.top + PLOT.size / 2}
        textAnchor="middle"
        fill="#1d2330"
        transform={`rotate(-90 12 ${PLOT.top + PLOT.size / 2})`}
      >
        Share that came true
      </text>
      <line
        className="tr-diagonal"
        x1={xAt(0)}
        y1={yAt(0)}
        x2={xAt(1)}
        y2={yAt(1)}
        stroke="#8a93a5"
        strokeWidth={1.5}
        strokeDasharray="6 4"
      />
      <text
        x={xAt(0.3)}
        y={yAt(0.3) - 6}
        textAnchor="middle"
        fill={MUTED}
        fontSize={12}
        transform={`rotate(-45 ${xAt(0.3)} ${yAt(0.3) - 6})`}
      >
        perfectly calibrated
      </text>
      {shown.map((b) => {
        const cx = xAt(b.mean_confidence ?? 0)
        const cy = yAt(b.observed_rate ?? 0)
        const r = 3.5 + 4.5 * Math.sqrt(b.count / maxCount)
        const hasBand = b.band_low != null && b.band_high != null
        const top = Math.min(hasBand ? yAt(b.band_high ?? 0) : cy, cy - r)
        const low = Math.max(hasBand ? yAt(b.band_low ?? 0) : cy, cy + r)
        // The count goes above the band, or below it when there is no room at the top.
        const labelY = top - 5 < PLOT.top + 10 ? low + 13 : top - 5
        const labelX = Math.min(Math.max(cx, PLOT.left + 14), right - 14)
        return (
          <g key={b.lower} className="tr-bin" data-lower={b.lower}>
            {hasBand && (
              <g className="tr-band" stroke={INK} strokeWidth={2} opacity={0.55}>
                <line x1={cx} y1={yAt(b.band_low ?? 0)} x2={cx} y2={yAt(b.band_high ?? 0)} />
                <line x1={cx - 4} y1={yAt(b.band_low ?? 0)} x2={cx + 4} y2={yAt(b.band_low ?? 0)} />
                <line x1={cx - 4} y1={yAt(b.band_high ?? 0)} x2={cx + 4} y2={yAt(b.band_high ?? 0)} />
              </g>
            )}
            <circle cx={cx} cy={cy} r={r} fill={INK} fillOpacity={0.85} stroke="#fff" strokeWidth={1.5} />
            <text
              x={labelX}
              y={labelY}
              textAnchor="middle"
              fontSize={12}
              fill="#1d2330"
              stroke="#fff"
              strokeWidth={3}
              paintOrder="stroke"
            >
              n={b.count}
            </text>
          </g>
        )
      })}
    </svg>
  )
}

/** The calibration numbers as a table: one row per non-empty bin. */
export function CalibrationTable({ bins }: { bins: CalibrationBin[] }) {
  return (
    <div className="tr-scroll">
      <table className="tr-table tr-compact">
        <caption>Calibration by confidence band</caption>
        <thead>
          <tr>
            <th scope="col">Band</th>
            <th scope="col">Calls</th>
            <th scope="col">Mean confidence</th>
            <th scope="col">Came true</th>
            <th scope="col">95{NBSP}% range</th>
          </tr>
        </thead>
        <tbody>
          {filledBins(bins).map((b) => (
            <tr key={b.lower}>
              <th scope="row">{bandName(b)}</th>
              <td>{b.count}</td>
              <td>{pct(b.mean_confidence)}</td>
              <td>{pct(b.observed_rate)}</td>
              <td>{range(b.band_low, b.band_high)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

// ------------------------------------------------------------------ over time

const LINE = { left: 48, top: 12, width: 240, height: 110, right: 16, bottom: 40 } as const

interface LineChartProps {
  /** The aria-label: what the line shows, summarised. */
  label: string
  months: string[]
  /** One value per month; null leaves a gap. */
  values: (number | null)[]
  yMax: number
  yTicks: number[]
  format: (value: number) => string
  /** A dashed horizontal reference line, e.g. the Brier score of always saying 50 %. */
  reference?: { value: number; label: string }
}

/** A small line over months, values from 0 (bottom) to yMax (top). Needs at least two months. */
export function LineChart({ label, months, values, yMax, yTicks, format, reference }: LineChartProps) {
  const n = months.length
  const x = (i: number) => LINE.left + (n > 1 ? (i * LINE.width) / (n - 1) : LINE.width / 2)
  const y = (v: number) => LINE.top + (1 - Math.min(v, yMax) / yMax) * LINE.height
  const bottom = LINE.top + LINE.height
  const right = LINE.left + LINE.width
  // Consecutive non-null values form one segment; a null breaks the line.
  const segments: { i: number; v: number }[][] = []
  values.forEach((v, i) => {
    if (v == null) return
    const last = segments[segments.length - 1]
    if (last && last[last.length - 1].i === i - 1) last.push({ i, v })
    else segments.push([{ i, v }])
  })
  return (
    <svg
      className="tr-chart tr-line"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${LINE.left + LINE.width + LINE.right} ${LINE.top + LINE.height + LINE.bottom}`}
      width="100%"
      fontSize={13}
      fontFamily="system-ui, sans-serif"
    >
      {yTicks.map((t) => (
        <g key={t}>
          <line x1={LINE.left} y1={y(t)} x2={right} y2={y(t)} stroke={GRID_INK} />
          <text x={LINE.left - 6} y={y(t)} dy="0.35em" textAnchor="end" fill={MUTED}>
            {format(t)}
          </text>
        </g>
      ))}
      {reference && (
        <g fill={MUTED}>
          <line x1={LINE.left} y1={y(reference.value)} x2={right} y2={y(reference.value)} stroke="#8a93a5" strokeDasharray="6 4" />
          <text x={right} y={y(reference.value) - 4} textAnchor="end" fontSize={12}>
            {reference.label}
          </text>
        </g>
      )}
      <line x1={LINE.left} y1={bottom} x2={right} y2={bottom} stroke="#b9c0cc" />
      <text x={x(0)} y={bottom + 18} textAnchor="start" fill={MUTED}>
        {monthLabel(months[0] ?? '')}
      </text>
      {n > 1 && (
        <text x={x(n - 1)} y={bottom + 18} textAnchor="end" fill={MUTED}>
          {monthLabel(months[n - 1] ?? '')}
        </text>
      )}
      {segments.map((seg) => (
        <polyline
          key={seg[0].i}
          points={seg.map((p) => `${x(p.i)},${y(p.v)}`).join(' ')}
          fill="none"
          stroke={INK}
          strokeWidth={2}
          strokeLinejoin="round"
        />
      ))}
      {segments.flat().map((p) => (
        <circle key={p.i} cx={x(p.i)} cy={y(p.v)} r={3} fill={INK} />
      ))}
    </svg>
  )
}

function trend(what: string, points: MonthPoint[], value: (p: MonthPoint) => number | null, format: (v: number) => string): string {
  const known = points.filter((p) => value(p) != null)
  const first = known[0]
  const last = known[known.length - 1]
  if (!first || !last) return `${what}: no values yet.`
  return `${what}, month by month: from ${format(value(first) ?? 0)} in ${monthLabel(first.month)} to ${format(value(last) ?? 0)} in ${monthLabel(last.month)}.`
}

/** Cumulative accuracy (and Brier score when there is one) per month, at least two months. */
export function OverTimeCharts({ points }: { points: MonthPoint[] }) {
  const months = points.map((p) => p.month)
  const briers = points.map((p) => p.cumulative_brier)
  const hasBrier = briers.some((b) => b != null)
  const brierMax = Math.max(0.5, Math.ceil(Math.max(0, ...briers.map((b) => b ?? 0)) * 10) / 10)
  return (
    <div className="tr-lines">
      <figure className="tr-figure">
        <figcaption>Accuracy so far</figcaption>
        <LineChart
          label={trend('Cumulative accuracy', points, (p) => p.cumulative_accuracy, pct)}
          months={months}
          values={points.map((p) => p.cumulative_accuracy)}
          yMax={1}
          yTicks={[0, 0.5, 1]}
          format={pct}
        />
      </figure>
      {hasBrier && (
        <figure className="tr-figure">
          <figcaption>Brier score so far (lower is better)</figcaption>
          <LineChart
            label={trend('Cumulative Brier score (lower is better)', points, (p) => p.cumulative_brier, brier3)}
            months={months}
            values={briers}
            yMax={brierMax}
            yTicks={[0, 0.25, brierMax]}
            format={(v) => (v === 0 ? '0' : v.toFixed(2))}
            reference={{ value: 0.25, label: `always 50${NBSP}%` }}
          />
        </figure>
      )}
    </div>
  )
}

/** The monthly series as a table. */
export function OverTimeTable({ points }: { points: MonthPoint[] }) {
  return (
    <div className="tr-scroll">
      <table className="tr-table tr-compact">
        <caption>Track record month by month</caption>
        <thead>
          <tr>
            <th scope="col">Month</th>
            <th scope="col">Resolved</th>
            <th scope="col">Decided so far</th>
            <th scope="col">Accuracy so far</th>
            <th scope="col">Brier so far</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.month}>
              <th scope="row">{monthLabel(p.month)}</th>
              <td>{p.resolved}</td>
              <td>{p.cumulative_decided}</td>
              <td>{pct(p.cumulative_accuracy)}</td>
              <td>{brier3(p.cumulative_brier)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
