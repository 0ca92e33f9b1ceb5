// Wire types come from the Python protocol (protocol.gen.ts, generated); REST types mirror
// docs/openapi.json (the Python side is the source of truth for both).
import type { Prediction, VerifiableCategory } from './protocol.gen'

export type {
  CompleteFrame,
  ErrorCode,
  ErrorFrame,
  Prediction,
  ServerFrame,
  StatusFrame,
  StatusName,
  TextFrame,
  ToolFrame,
  VerifiableCategory,
} from './protocol.gen'

export type PredictionStatus = 'pending' | 'true' | 'false' | 'inconclusive'

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

export const CATEGORY_LABELS: Record<VerifiableCategory, string> = {
  agent_verifiable: 'Reasoning settles it',
  current_tool_verifiable: 'Knowing the date settles it',
  strands_tool_verifiable: 'A web lookup settles it',
  api_tool_verifiable: 'Needs a data source (prices, results, weather)',
  human_verifiable_only: 'Only you can judge it',
}
