// Data shared by the component tests.
import type { Prediction } from '../protocol.gen'

/** A complete prediction as the `complete` frame carries it. */
export const PREDICTION: Prediction = {
  prediction_statement: 'The S&P 500 will close above 7000 by March 2027',
  verification_date: '2027-03-31T21:59:59Z',
  date_reasoning: 'The end of March 2027 in Paris.',
  verification_method: { source: ['Index provider'], criteria: ['Close above 7000'], steps: ['Fetch the close', 'Compare'] },
  verifiable_category: 'api_tool_verifiable',
  category_reasoning: 'Needs market data.',
  initial_status: 'pending',
  verification_mode: 'before_date',
  clarifications: [],
}
