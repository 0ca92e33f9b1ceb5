// The app's one manual-retry pattern: a failed request is shown in plain words with a Retry button
// that runs the same request again. Nothing is retried automatically.

/** The message to show for a failed action: the error's own (plain-words) message, else `fallback`. */
export function errorMessage(error: unknown, fallback: string): string {
  return error instanceof Error && error.message ? error.message : fallback
}

interface Props {
  /** What went wrong, in plain words. */
  message: string
  /** Runs the failed action again; a returned promise is not awaited (the action reports its own errors). */
  onRetry: () => unknown
}

/** An error announced to assistive technology (role="alert"), with a Retry button. */
export function RetryAlert({ message, onRetry }: Props) {
  return (
    <p role="alert" className="error">
      {message} <button type="button" onClick={() => void onRetry()}>Retry</button>
    </p>
  )
}
