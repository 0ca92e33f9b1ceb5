// Small display helpers shared by the components.

export function formatLocal(iso: string, timeZone?: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short', timeZone })
}

export function formatUtc(iso: string): string {
  return new Date(iso).toISOString().replace('.000Z', 'Z').replace('T', ' ')
}

/** "in 3 days", "in 5 hours", "2 days ago". */
export function countdown(iso: string, now: number = Date.now()): string {
  const diff = new Date(iso).getTime() - now
  const abs = Math.abs(diff)
  const units: [number, string][] = [
    [365 * 86_400_000, 'year'], [30 * 86_400_000, 'month'], [86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'],
  ]
  const [size, name] = units.find(([ms]) => abs >= ms) ?? [60_000, 'minute']
  const n = Math.max(1, Math.round(abs / size))
  const label = `${n} ${name}${n === 1 ? '' : 's'}`
  return diff >= 0 ? `in ${label}` : `${label} ago`
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}
