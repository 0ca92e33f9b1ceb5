// Wire types come from the Python protocol (protocol.gen.ts, generated); REST types mirror
// docs/openapi.json (the Python side is the source of truth for both).
import type { SavedPrediction, VerifiableCategory } from './protocol.gen'

export type {
  CompleteFrame,
  ErrorCode,
  ErrorFrame,
  Evidence,
  HistoryEntry,
  NotificationFrame,
  Prediction,
  PredictionPage,
  PredictionStatus,
  SavedPrediction,
  ServerFrame,
  StatusFrame,
  StatusName,
  TextFrame,
  ToolFrame,
  Verdict,
  VerdictFrame,
  Verifiability,
  VerifiableCategory,
} from './protocol.gen'

export type Outcome = NonNullable<SavedPrediction['outcome']>
export const OUTCOMES: readonly Outcome[] = ['true', 'false', 'inconclusive']

export const OUTCOME_LABELS: Record<Outcome, string> = {
  true: 'Came true',
  false: 'Did not happen',
  inconclusive: 'Inconclusive',
}

export const CATEGORY_LABELS: Record<VerifiableCategory, string> = {
  agent_verifiable: 'Reasoning settles it',
  current_tool_verifiable: 'Knowing the date settles it',
  strands_tool_verifiable: 'A web lookup settles it',
  api_tool_verifiable: 'Needs a data source (prices, results, weather)',
  human_verifiable_only: 'Only you can judge it',
}
