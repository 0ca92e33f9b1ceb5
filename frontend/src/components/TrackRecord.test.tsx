import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { CalibrationBin, MonthPoint, TrackRecord } from '../protocol.gen'
import { CalibrationChart, PLOT } from './CalibrationChart'
import { TrackRecordPage } from './TrackRecord'

const BRIER_NOTE =
  'Brier score covers decided (true/false) calls that have a confidence; inconclusive calls and calls without a confidence are excluded.'

function emptyBin(i: number): CalibrationBin {
  return { lower: i * 10, upper: (i + 1) * 10, count: 0, mean_confidence: null, observed_rate: null, band_low: null, band_high: null }
}

/** Ten bins, empty except the ones given (keyed by their lower edge). */
function bins(filled: Record<number, Omit<CalibrationBin, 'lower' | 'upper'>>): CalibrationBin[] {
  return Array.from({ length: 10 }, (_, i) => {
    const bin = filled[i * 10]
    return bin ? { lower: i * 10, upper: (i + 1) * 10, ...bin } : emptyBin(i)
  })
}

const CALIBRATION = bins({
  20: { count: 2, mean_confidence: 0.25, observed_rate: 0, band_low: 0, band_high: 0.6576 },
  60: { count: 5, mean_confidence: 0.64, observed_rate: 0.6, band_low: 0.2307, band_high: 0.8824 },
  70: { count: 4, mean_confidence: 0.7375, observed_rate: 0.75, band_low: 0.3006, band_high: 0.9544 },
  90: { count: 3, mean_confidence: 0.95, observed_rate: 1, band_low: 0.4385, band_high: 1 },
})

const OVER_TIME: MonthPoint[] = [
  { month: '2026-01', resolved: 4, decided: 4, cumulative_decided: 4, cumulative_accuracy: 0.5, cumulative_with_confidence: 3, cumulative_brier: 0.2467 },
  { month: '2026-02', resolved: 6, decided: 5, cumulative_decided: 9, cumulative_accuracy: 0.6667, cumulative_with_confidence: 8, cumulative_brier: 0.2012 },
  { month: '2026-03', resolved: 8, decided: 7, cumulative_decided: 16, cumulative_accuracy: 0.6875, cumulative_with_confidence: 14, cumulative_brier: 0.1843 },
]

const RECORD: TrackRecord = {
  total: 24,
  resolved: 18,
  decided: 16,
  inconclusive: 2,
  pending: 6,
  accuracy: 0.6875,
  with_confidence: 14,
  brier: 0.1843,
  brier_baseline: 0.25,
  brier_skill: 0.2628,
  brier_note: BRIER_NOTE,
  calibration: CALIBRATION,
  by_category: {
    api_tool_verifiable: { resolved: 10, decided: 9, accuracy: 0.7778, with_confidence: 8, brier: 0.1604 },
    human_verifiable_only: { resolved: 8, decided: 7, accuracy: 0.5714, with_confidence: 6, brier: 0.2161 },
  },
  by_tag: {
    economy: { resolved: 5, decided: 4, accuracy: 0.75, with_confidence: 4, brier: 0.1519 },
    sport: { resolved: 7, decided: 7, accuracy: 0.5714, with_confidence: 6, brier: 0.2287 },
    weather: { resolved: 1, decided: 0, accuracy: null, with_confidence: 0, brier: null },
  },
  over_time: OVER_TIME,
}

const NO_RESOLVED: TrackRecord = {
  ...RECORD,
  total: 3,
  resolved: 0,
  decided: 0,
  inconclusive: 0,
  pending: 3,
  accuracy: null,
  with_confidence: 0,
  brier: null,
  brier_skill: null,
  calibration: bins({}),
  by_category: {},
  by_tag: {},
  over_time: [],
}

/** A promise with its resolve/reject handles, to hold the page in its loading state. */
function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

async function renderLoaded(record: TrackRecord) {
  const load = vi.fn(() => Promise.resolve(record))
  const view = render(<TrackRecordPage load={load} />)
  await waitFor(() => expect(screen.queryByRole('status')).not.toBeInTheDocument())
  return { ...view, load }
}

function bodyRows(table: HTMLElement): string[][] {
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => Array.from(row.querySelectorAll('th, td'), (c) => c.textContent ?? ''))
}

// Percent signs follow a no-break space; compare with ordinary spaces.
const plain = (s: string) => s.replace(/\u00a0/g, ' ')

describe('TrackRecordPage', () => {
  it('shows Loading… until the record arrives, then the headline numbers', async () => {
    const pending = deferred<TrackRecord>()
    const load = vi.fn(() => pending.promise)
    render(<TrackRecordPage load={load} />)
    expect(screen.getByRole('heading', { level: 2, name: 'Track record' })).toBeInTheDocument()
    expect(screen.getByRole('status')).toHaveTextContent('Loading…')

    pending.resolve(RECORD)
    const overall = await screen.findByRole('region', { name: 'Overall' })
    expect(screen.queryByRole('status')).not.toBeInTheDocument()
    expect(load).toHaveBeenCalledTimes(1)
    const text = plain(overall.textContent ?? '')
    expect(text).toContain('18 of 24 calls')
    expect(text).toContain('6 pending, 2 inconclusive')
    expect(text).toContain('69 %') // accuracy 0.6875
    expect(text).toContain('0.184') // Brier to 3 decimals
    expect(text).toContain('vs 0.25 for always saying 50 %')
    expect(text).toContain('+0.26')
    expect(text).toContain('better than always saying 50 %')
    expect(text).toContain(BRIER_NOTE)
    expect(text).toContain('2 inconclusive calls are left out of accuracy, the Brier score and calibration.')
  })

  it('does not skip heading levels', async () => {
    await renderLoaded(RECORD)
    const levels = screen.getAllByRole('heading').map((h) => Number(h.tagName.slice(1)))
    expect(levels[0]).toBe(2)
    levels.forEach((level, i) => {
      if (i > 0) expect(level).toBeLessThanOrEqual(levels[i - 1] + 1)
    })
    expect(screen.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual([
      'Overall', 'Calibration', 'Over time', 'By category', 'By tag',
    ])
  })

  it('shows a failed load with Retry, which loads again', async () => {
    const load = vi
      .fn<() => Promise<TrackRecord>>()
      .mockRejectedValueOnce(new Error('The server is not answering. Try again in a moment.'))
      .mockResolvedValueOnce(RECORD)
    render(<TrackRecordPage load={load} />)
    const alert = await screen.findByRole('alert')
    expect(alert).toHaveTextContent('The server is not answering. Try again in a moment.')
    expect(screen.queryByRole('status')).not.toBeInTheDocument()

    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }))
    expect(await screen.findByRole('region', { name: 'Overall' })).toBeInTheDocument()
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('falls back to a generic message for an error without one', async () => {
    render(<TrackRecordPage load={() => Promise.reject(new Error(''))} />)
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not load your track record.')
  })

  it('says so when no call is resolved yet, with no chart or table', async () => {
    await renderLoaded(NO_RESOLVED)
    expect(screen.getByText(/No resolved calls yet: 3 calls still pending/)).toBeInTheDocument()
    expect(screen.queryByRole('img')).not.toBeInTheDocument()
    expect(screen.queryByRole('table')).not.toBeInTheDocument()
    expect(document.querySelector('svg')).toBeNull()
    expect(screen.queryByText('—')).not.toBeInTheDocument()
  })

  it('welcomes a user with no calls at all', async () => {
    await renderLoaded({ ...NO_RESOLVED, total: 0, pending: 0 })
    expect(screen.getByText(/You haven’t made any calls yet/)).toBeInTheDocument()
    expect(document.querySelector('svg')).toBeNull()
  })

  it('shows — with a reason when resolved calls have no confidence', async () => {
    await renderLoaded({
      ...NO_RESOLVED,
      total: 4,
      resolved: 2,
      decided: 1,
      inconclusive: 1,
      pending: 2,
      accuracy: 1,
      over_time: [OVER_TIME[0]],
    })
    const overall = screen.getByRole('region', { name: 'Overall' })
    expect(within(overall).getAllByText('—')).toHaveLength(2) // Brier and skill
    expect(overall).toHaveTextContent('None of your calls that came true or false had a confidence.')
    expect(overall).toHaveTextContent('1 inconclusive call is left out')
    const calibration = screen.getByRole('region', { name: 'Calibration' })
    expect(calibration).toHaveTextContent(/nothing to plot/)
    expect(within(calibration).queryByRole('img')).not.toBeInTheDocument()
    expect(within(calibration).queryByRole('table')).not.toBeInTheDocument()
  })

  it('draws the calibration chart with a label, and a table of exactly the non-empty bins', async () => {
    await renderLoaded(RECORD)
    const chart = screen.getByRole('img', { name: /^Calibration chart/ })
    const label = plain(chart.getAttribute('aria-label') ?? '')
    expect(label).toContain('14 calls in 4 confidence bands')
    expect(label).toContain('60–70 %: 5 calls, said 64 % on average, 60 % came true')
    expect(chart).toHaveAttribute('viewBox')
    expect(chart).toHaveAttribute('width', '100%')
    // The diagonal and ticks at 0/50/100 %.
    expect(chart.querySelector('.tr-diagonal')).not.toBeNull()
    const ticks = Array.from(chart.querySelectorAll('text')).map((t) => plain(t.textContent ?? ''))
    for (const tick of ['0 %', '50 %', '100 %']) expect(ticks).toContain(tick)
    // One point per non-empty bin, each with its count.
    expect(chart.querySelectorAll('circle')).toHaveLength(4)
    expect(ticks).toEqual(expect.arrayContaining(['n=2', 'n=5', 'n=4', 'n=3']))

    const table = screen.getByRole('table', { name: 'Calibration by confidence band' })
    expect(bodyRows(table).map((r) => r.map(plain))).toEqual([
      ['20–30 %', '2', '25 %', '0 %', '0–66 %'],
      ['60–70 %', '5', '64 %', '60 %', '23–88 %'],
      ['70–80 %', '4', '74 %', '75 %', '30–95 %'],
      ['90–100 %', '3', '95 %', '100 %', '44–100 %'],
    ])
  })

  it('places each point at (mean confidence, share that came true) with its band', async () => {
    await renderLoaded(RECORD)
    const chart = screen.getByRole('img', { name: /^Calibration chart/ })
    const bin = chart.querySelector('[data-lower="60"]')
    const circle = bin?.querySelector('circle')
    expect(Number(circle?.getAttribute('cx'))).toBeCloseTo(PLOT.left + 0.64 * PLOT.size)
    expect(Number(circle?.getAttribute('cy'))).toBeCloseTo(PLOT.top + (1 - 0.6) * PLOT.size)
    const band = bin?.querySelector('.tr-band line')
    expect(Number(band?.getAttribute('y1'))).toBeCloseTo(PLOT.top + (1 - 0.2307) * PLOT.size)
    expect(Number(band?.getAttribute('y2'))).toBeCloseTo(PLOT.top + (1 - 0.8824) * PLOT.size)
    // 100 % came true sits on the top edge, 0 % on the bottom edge.
    expect(Number(chart.querySelector('[data-lower="90"] circle')?.getAttribute('cy'))).toBeCloseTo(PLOT.top)
    expect(Number(chart.querySelector('[data-lower="20"] circle')?.getAttribute('cy'))).toBeCloseTo(PLOT.top + PLOT.size)
    // The most-used bin gets the biggest point.
    const radius = (lower: number) => Number(chart.querySelector(`[data-lower="${lower}"] circle`)?.getAttribute('r'))
    expect(radius(60)).toBeGreaterThan(radius(20))
  })

  it('copes with every call in one bin and a bin without a band', () => {
    const { container } = render(
      <CalibrationChart bins={bins({ 50: { count: 3, mean_confidence: 0.55, observed_rate: 2 / 3, band_low: null, band_high: null } })} />,
    )
    expect(container.querySelectorAll('circle')).toHaveLength(1)
    expect(container.querySelector('.tr-band')).toBeNull()
    const circle = container.querySelector('circle')
    expect(Number(circle?.getAttribute('cx'))).toBeCloseTo(PLOT.left + 0.55 * PLOT.size)
    expect(Number(circle?.getAttribute('r'))).toBeGreaterThan(0)
    for (const el of container.querySelectorAll('circle, line, text')) {
      for (const attr of ['cx', 'cy', 'r', 'x1', 'x2', 'y1', 'y2', 'x', 'y']) {
        const value = el.getAttribute(attr)
        if (value != null) expect(Number.isFinite(Number(value))).toBe(true)
      }
    }
    expect(screen.getByRole('img')).toHaveAccessibleName(/3 calls in 1 confidence band;/)
  })

  it('charts accuracy and Brier over time, with a table', async () => {
    await renderLoaded(RECORD)
    const section = screen.getByRole('region', { name: 'Over time' })
    const accuracy = within(section).getByRole('img', { name: /^Cumulative accuracy/ })
    expect(plain(accuracy.getAttribute('aria-label') ?? '')).toBe(
      'Cumulative accuracy, month by month: from 50 % in Jan 2026 to 69 % in Mar 2026.',
    )
    expect(accuracy.querySelectorAll('circle')).toHaveLength(3)
    expect(within(section).getByRole('img', { name: /^Cumulative Brier score/ })).toHaveAccessibleName(
      'Cumulative Brier score (lower is better), month by month: from 0.247 in Jan 2026 to 0.184 in Mar 2026.',
    )
    await userEvent.click(within(section).getByText('Show as a table'))
    const table = within(section).getByRole('table', { name: 'Track record month by month' })
    expect(bodyRows(table).map((r) => r.map(plain))).toEqual([
      ['Jan 2026', '4', '4', '50 %', '0.247'],
      ['Feb 2026', '6', '9', '67 %', '0.201'],
      ['Mar 2026', '8', '16', '69 %', '0.184'],
    ])
  })

  it('leaves the Brier line out when no month has one', async () => {
    await renderLoaded({ ...RECORD, over_time: OVER_TIME.map((p) => ({ ...p, cumulative_brier: null, cumulative_with_confidence: 0 })) })
    const section = screen.getByRole('region', { name: 'Over time' })
    expect(within(section).getAllByRole('img')).toHaveLength(1)
  })

  it('describes a single month in words instead of a chart', async () => {
    await renderLoaded({ ...RECORD, over_time: [OVER_TIME[2]] })
    const section = screen.getByRole('region', { name: 'Over time' })
    expect(plain(section.textContent ?? '')).toContain(
      'All your resolved calls so far were resolved in Mar 2026: accuracy 69 %, Brier score 0.184 over 16 calls that came true or false.',
    )
    expect(within(section).queryByRole('img')).not.toBeInTheDocument()
    expect(section.querySelector('svg')).toBeNull()
  })

  it('says there is no history when no month is known', async () => {
    await renderLoaded({ ...RECORD, over_time: [] })
    const section = screen.getByRole('region', { name: 'Over time' })
    expect(section).toHaveTextContent('no monthly history')
    expect(section.querySelector('svg')).toBeNull()
  })

  it('lists categories and tags in the order given', async () => {
    await renderLoaded(RECORD)
    const tags = screen.getByRole('table', { name: 'By tag' })
    expect(within(tags).getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
      'Tag', 'Resolved', 'Decided', 'Accuracy', 'With confidence', 'Brier',
    ])
    expect(bodyRows(tags).map((r) => r.map(plain))).toEqual([
      ['economy', '5', '4', '75 %', '4', '0.152'],
      ['sport', '7', '7', '57 %', '6', '0.229'],
      ['weather', '1', '0', '—', '0', '—'],
    ])
    const categories = screen.getByRole('table', { name: 'By category' })
    expect(bodyRows(categories).map((r) => r[0])).toEqual([
      'Needs a data source (prices, results, weather)',
      'Only you can judge it',
    ])
  })

  it('hides the category and tag sections when there are none', async () => {
    await renderLoaded({ ...RECORD, by_category: {}, by_tag: {} })
    expect(screen.getByRole('heading', { name: 'Calibration' })).toBeInTheDocument()
    expect(screen.queryByRole('heading', { name: 'By category' })).not.toBeInTheDocument()
    expect(screen.queryByRole('heading', { name: 'By tag' })).not.toBeInTheDocument()
  })
})
