// What an agent run has shown so far, shared by the analysis (callSession) and the verification
// (verifyRun): the transcript of prose and tool calls, the tool chips, and the latest prose line.
import type { ToolFrame } from '../protocol.gen'

export interface ToolChip {
  id: string
  name: string
  label: string
  status: ToolFrame['status']
  input: Record<string, unknown>
  result: string | null
}

export type TranscriptItem = { kind: 'text'; text: string } | { kind: 'tool'; tool: ToolChip }

export interface StreamLog {
  /** The last status line: announced to screen readers (changes are rare, never per chunk). */
  status: string
  /** The model's latest prose sentence, without the JSON it streams. */
  liveLine: string
  transcript: TranscriptItem[]
  tools: ToolChip[]
}

export const EMPTY_LOG: StreamLog = { status: '', liveLine: '', transcript: [], tools: [] }

/** Prose only: fenced blocks (closed or still open) and a bare JSON object are not prose. */
export function proseOf(text: string, bareStart = /\{\s*"prediction_statement"/): string {
  let prose = text.replace(/```[\s\S]*?(```|$)/g, '')
  const bare = prose.search(bareStart)
  if (bare >= 0) prose = prose.slice(0, bare)
  return prose
}

export function lastLine(prose: string): string {
  const lines = prose.split('\n').map((line) => line.trim()).filter(Boolean)
  const line = lines.at(-1) ?? ''
  return line.length > 240 ? `…${line.slice(-239)}` : line
}

/** The transcript with `content` appended to its last prose item (or a new one). */
export function withText(transcript: TranscriptItem[], content: string): TranscriptItem[] {
  const next = [...transcript]
  const last = next.at(-1)
  if (last?.kind === 'text') next[next.length - 1] = { kind: 'text', text: last.text + content }
  else next.push({ kind: 'text', text: content })
  return next
}

/** Chips and transcript after a tool frame: a new chip, or the finished state of a known one. */
export function withTool(log: Pick<StreamLog, 'tools' | 'transcript'>, frame: ToolFrame): Pick<StreamLog, 'tools' | 'transcript'> {
  const chip: ToolChip = {
    id: frame.tool_use_id,
    name: frame.name,
    label: frame.label || frame.name,
    status: frame.status,
    input: frame.input ?? {},
    result: frame.result,
  }
  const known = log.tools.some((t) => t.id === chip.id)
  return {
    tools: known ? log.tools.map((t) => (t.id === chip.id ? chip : t)) : [...log.tools, chip],
    transcript: known
      ? log.transcript.map((item) => (item.kind === 'tool' && item.tool.id === chip.id ? { kind: 'tool', tool: chip } : item))
      : [...log.transcript, { kind: 'tool', tool: chip }],
  }
}
