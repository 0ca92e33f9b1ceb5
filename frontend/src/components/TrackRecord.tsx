import { useEffect, useEffectEvent, useState } from 'react'
import type { GroupRecord, TrackRecord as TrackRecordData } from '../protocol.gen'
import { CATEGORY_LABELS } from '../types'
import {
  brier3,
  CalibrationChart,
  CalibrationTable,
  filledBins,
  monthLabel,
  OverTimeCharts,
  OverTimeTable,
  pct,
  plural,
} from './CalibrationChart'
import { errorMessage, RetryAlert } from './RetryAlert'
import './TrackRecord.css'

const NBSP = '\u00a0'

/** The user's track record: headline numbers, calibration, accuracy over time, per category and per tag. */
export function TrackRecordPage({ load }: { load: () => Promise<TrackRecordData> }) {
  const [data, setData] = useState<TrackRecordData | null>(null)
  // Starts as loading: the effect below starts the first request on mount.
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<string | null>(null)

  // State changes only once the request settles, so the effect may start it; Retry shows
  // "Loading…" and clears the error itself before loading again.
  function fetchRecord() {
    return load()
      .then(
        (record) => setData(record),
        (e: unknown) => setError(errorMessage(e, 'Could not load your track record.')),
      )
      .finally(() => setLoading(false))
  }

  // Loads once on mount, even when the parent passes a new `load` function on every render.
  const onMount = useEffectEvent(() => {
    void fetchRecord()
  })
  useEffect(() => {
    onMount()
  }, [])

  function retry() {
    setLoading(true)
    setError(null)
    return fetchRecord()
  }

  return (
    <section aria-labelledby="track-record-title" className="track-record">
      <h2 id="track-record-title">Track record</h2>
      {error && <RetryAlert message={error} onRetry={retry} />}
      {loading && <p role="status">Loading…</p>}
      {!loading && data && <Record data={data} />}
    </section>
  )
}

function Record({ data }: { data: TrackRecordData }) {
  if (data.total === 0) {
    return (
      <p className="card tr-empty">
        You haven’t made any calls yet. Once your calls are resolved, this page shows how often you were right and
        how well your confidence matched what happened.
      </p>
    )
  }
  if (data.resolved === 0) {
    return (
      <p className="card tr-empty">
        No resolved calls yet: {plural(data.pending, 'call')} still pending. Your track record appears here once they
        are resolved.
      </p>
    )
  }
  return (
    <>
      <Headline data={data} />
      <Calibration data={data} />
      <OverTime data={data} />
      <GroupTable title="By category" column="Category" groups={data.by_category} name={categoryName} />
      <GroupTable title="By tag" column="Tag" groups={data.by_tag} name={(tag) => tag} />
    </>
  )
}

function Headline({ data }: { data: TrackRecordData }) {
  const skill = data.brier_skill
  return (
    <section aria-labelledby="tr-overall" className="card">
      <h3 id="tr-overall">Overall</h3>
      <dl className="tr-stats">
        <dt>Resolved</dt>
        <dd>
          <span className="tr-big">{data.resolved}</span> of {plural(data.total, 'call')}
          <span className="muted">
            {' '}
            ({data.pending} pending, {data.inconclusive} inconclusive)
          </span>
        </dd>
        <dt>Accuracy</dt>
        <dd>
          <span className="tr-big">{pct(data.accuracy)}</span>{' '}
          {data.accuracy == null ? (
            <span className="muted">No calls resolved true or false yet.</span>
          ) : (
            <span className="muted">right on {plural(data.decided, 'call')} that came true or false</span>
          )}
        </dd>
        <dt>Brier score</dt>
        <dd>
          <span className="tr-big">{brier3(data.brier)}</span>{' '}
          {data.brier == null ? (
            <span className="muted">
              {data.decided === 0
                ? 'No calls resolved true or false yet.'
                : 'None of your calls that came true or false had a confidence.'}
            </span>
          ) : (
            <span className="muted">
              vs {data.brier_baseline} for always saying 50{NBSP}% (lower is better), over{' '}
              {plural(data.with_confidence, 'call')} with a confidence
            </span>
          )}
        </dd>
        <dt>Skill</dt>
        <dd>
          <span className="tr-big">{skill == null ? '—' : `${skill > 0 ? '+' : ''}${skill.toFixed(2)}`}</span>{' '}
          <span className="muted">{skillText(skill)}</span>
        </dd>
      </dl>
      <p className="muted tr-note">
        <span className="badge">Note</span> {data.brier_note}
        {data.inconclusive > 0 &&
          ` ${plural(data.inconclusive, 'inconclusive call')} ${data.inconclusive === 1 ? 'is' : 'are'} left out of accuracy, the Brier score and calibration.`}
      </p>
    </section>
  )
}

function skillText(skill: number | null): string {
  if (skill == null) return `No Brier score yet to compare with always saying 50${NBSP}%.`
  if (skill > 0) return `better than always saying 50${NBSP}% (1 is perfect)`
  if (skill < 0) return `worse than always saying 50${NBSP}%`
  return `the same as always saying 50${NBSP}%`
}

function Calibration({ data }: { data: TrackRecordData }) {
  const bins = filledBins(data.calibration)
  return (
    <section aria-labelledby="tr-calibration" className="card">
      <h3 id="tr-calibration">Calibration</h3>
      {bins.length === 0 ? (
        <p className="muted">
          No calls with a confidence have come true or false yet, so there is nothing to plot. Give your calls a
          confidence to see how well it matches what happens.
        </p>
      ) : (
        <>
          <p className="muted">
            Of the calls you gave a given confidence, how many came true? Points on the dashed diagonal are perfectly
            calibrated; the bars show the 95{NBSP}% uncertainty range and n the number of calls.
          </p>
          <CalibrationChart bins={data.calibration} />
          <CalibrationTable bins={data.calibration} />
        </>
      )}
    </section>
  )
}

function OverTime({ data }: { data: TrackRecordData }) {
  const points = data.over_time
  const only = points.length === 1 ? points[0] : undefined
  return (
    <section aria-labelledby="tr-over-time" className="card">
      <h3 id="tr-over-time">Over time</h3>
      {points.length === 0 && <p className="muted">No resolution dates yet, so there is no monthly history.</p>}
      {only && (
        <p className="muted">
          All your resolved calls so far were resolved in {monthLabel(only.month)}: accuracy{' '}
          {pct(only.cumulative_accuracy)}
          {only.cumulative_brier != null && `, Brier score ${brier3(only.cumulative_brier)}`} over{' '}
          {plural(only.cumulative_decided, 'call')} that came true or false. A chart appears after a second month.
        </p>
      )}
      {points.length > 1 && (
        <>
          <OverTimeCharts points={points} />
          <details>
            <summary>Show as a table</summary>
            <OverTimeTable points={points} />
          </details>
        </>
      )}
    </section>
  )
}

function categoryName(key: string): string {
  return (CATEGORY_LABELS as Record<string, string | undefined>)[key] ?? key
}

interface GroupTableProps {
  title: string
  column: string
  groups: Record<string, GroupRecord>
  name: (key: string) => string
}

/** One row per group, in the order given; nothing when there are no groups. */
function GroupTable({ title, column, groups, name }: GroupTableProps) {
  const rows = Object.entries(groups)
  if (rows.length === 0) return null
  const id = `tr-${column.toLowerCase()}`
  return (
    <section aria-labelledby={id} className="card">
      <h3 id={id}>{title}</h3>
      {/* Scrolls sideways on narrow screens rather than squeezing the names into slivers. */}
      <div className="tr-scroll">
        <table className="tr-table tr-groups" aria-labelledby={id}>
          <thead>
            <tr>
              <th scope="col">{column}</th>
              <th scope="col">Resolved</th>
              <th scope="col">Decided</th>
              <th scope="col">Accuracy</th>
              <th scope="col">With confidence</th>
              <th scope="col">Brier</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([key, g]) => (
              <tr key={key}>
                <th scope="row">{name(key)}</th>
                <td>{g.resolved}</td>
                <td>{g.decided}</td>
                <td>{pct(g.accuracy)}</td>
                <td>{g.with_confidence}</td>
                <td>{brier3(g.brier)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
