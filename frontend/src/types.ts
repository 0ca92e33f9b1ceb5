// Mirrors layers/calledit/calledit/protocol.py and schema.py (the Python side is the source of truth).

export type VerifiableCategory =
  | 'agent_verifiable'
  | 'current_tool_verifiable'
  | 'strands_tool_verifiable'
  | 'api_tool_verifiable'
  | 'human_verifiable_only'

export type PredictionStatus = 'pending' | 'true' | 'false' | 'inconclusive'

export interface Prediction {
  prediction_statement: string
  verification_date: string
  date_reasoning: string
  verification_method: { source: string[]; criteria: string[]; steps: string[] }
  verifiable_category: VerifiableCategory
  category_reasoning: string
  initial_status: 'pending'
}

export interface SavedPrediction extends Prediction {
  prediction_id: string
  request_id: string
  user_id: string
  created_at: string
  updated_at: string
  timezone: string
  model: string
  status: PredictionStatus
  outcome_note: string
}

interface FrameBase {
  request_id: string
  seq: number
}
export type StatusName = 'accepted' | 'running' | 'cancelled' | 'completed' | 'failed' | 'resumed' | 'pong'
export interface StatusFrame extends FrameBase { type: 'status'; status: StatusName; message: string }
export interface TextFrame extends FrameBase { type: 'text'; content: string }
export interface ToolFrame extends FrameBase {
  type: 'tool'
  name: string
  tool_use_id: string
  phase: 'start' | 'end'
  status: 'running' | 'success' | 'error'
  input: Record<string, unknown>
  label: string
  result: string | null
}
export interface CompleteFrame extends FrameBase { type: 'complete'; content: string; prediction: Prediction; model: string }
export type ErrorCode =
  | 'bad_request' | 'too_large' | 'unknown_action' | 'rate_limited' | 'not_found' | 'model_error' | 'internal'
export interface ErrorFrame extends FrameBase { type: 'error'; code: ErrorCode; message: string }
export type ServerFrame = StatusFrame | TextFrame | ToolFrame | CompleteFrame | ErrorFrame

export const CATEGORY_LABELS: Record<VerifiableCategory, string> = {
  agent_verifiable: 'Reasoning settles it',
  current_tool_verifiable: 'Knowing the date settles it',
  strands_tool_verifiable: 'A web lookup settles it',
  api_tool_verifiable: 'Needs a data source (prices, results, weather)',
  human_verifiable_only: 'Only you can judge it',
}
