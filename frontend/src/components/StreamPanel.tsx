import { useId, useState } from 'react'
import type { StreamLog, ToolChip } from '../services/streamLog'

/** What the panel shows: the run's log and its phase (a new phase collapses the transcript). */
export type StreamView = StreamLog & { phase: string }

const TOOL_STATE: Record<ToolChip['status'], string> = { running: 'running', success: 'done', error: 'failed' }
const TOOL_MARK: Record<ToolChip['status'], string> = { running: '…', success: '✓', error: '✗' }

function Chip({ tool }: { tool: ToolChip }) {
  return (
    <li className={`chip ${tool.status}`}>
      {tool.label} <span aria-hidden="true">{TOOL_MARK[tool.status]}</span>
      <span className="visually-hidden">({TOOL_STATE[tool.status]})</span>
    </li>
  )
}

function Transcript({ state }: { state: StreamView }) {
  return (
    <ol className="transcript">
      {state.transcript.map((item, i) =>
        item.kind === 'text' ? (
          <li key={i} className="transcript-text">{item.text}</li>
        ) : (
          <li key={i} className="transcript-tool">
            <strong>{item.tool.label}</strong> ({TOOL_STATE[item.tool.status]}): <code>{item.tool.name}({JSON.stringify(item.tool.input)})</code>
            {item.tool.result !== null && <pre>{item.tool.result}</pre>}
          </li>
        ),
      )}
    </ol>
  )
}

/**
 * What the agent is doing: a status line (announced on change only, never per chunk), tool chips,
 * the model's latest sentence, and the whole transcript behind "Show the full analysis" (collapsed
 * again once the card is complete).
 */
export function StreamPanel({ state, noun = 'analysis' }: { state: StreamView; noun?: string }) {
  // Expanded while the call is in the phase it was opened in: completing the card collapses it.
  const [openedIn, setOpenedIn] = useState<string | null>(null)
  const expanded = openedIn === state.phase
  const transcriptId = useId()
  return (
    <div className="card stream">
      <p className="status" role="status" aria-live="polite">{state.status}</p>
      {state.tools.length > 0 && (
        <ul className="chips" aria-label="Tools used">
          {state.tools.map((tool) => <Chip key={tool.id} tool={tool} />)}
        </ul>
      )}
      {state.liveLine && <p className="live-line" aria-label="Latest step">{state.liveLine}</p>}
      {state.transcript.length > 0 && (
        <>
          <button type="button" className="link" aria-expanded={expanded} aria-controls={transcriptId} onClick={() => setOpenedIn(expanded ? null : state.phase)}>
            {expanded ? `Hide the full ${noun}` : `Show the full ${noun}`}
          </button>
          <div id={transcriptId} hidden={!expanded} aria-label={`Full ${noun}`}>
            {expanded && <Transcript state={state} />}
          </div>
        </>
      )}
    </div>
  )
}
