// Runtime configuration: /config.json (served by the local stack or deployed next to the app),
// falling back to VITE_* build variables.

export interface AppConfig {
  websocketUrl: string
  apiUrl: string
  cognitoEndpoint: string
  cognitoClientId: string
  region: string
  mode: 'local' | 'aws'
}

function fromEnv(): AppConfig {
  // Vite types every import.meta.env key as `any`; the VITE_* build variables are optional strings.
  const env: Partial<Record<`VITE_${string}`, string>> = import.meta.env
  return {
    websocketUrl: env.VITE_WEBSOCKET_URL ?? '',
    apiUrl: env.VITE_API_URL ?? '',
    cognitoEndpoint: env.VITE_COGNITO_ENDPOINT ?? '',
    cognitoClientId: env.VITE_COGNITO_CLIENT_ID ?? '',
    region: env.VITE_AWS_REGION ?? 'us-east-1',
    mode: env.VITE_COGNITO_ENDPOINT?.includes('amazonaws.com') ? 'aws' : 'local',
  }
}

export async function loadConfig(fetchFn: typeof fetch = fetch): Promise<AppConfig> {
  const fallback = fromEnv()
  try {
    const response = await fetchFn('/config.json', { cache: 'no-store' })
    if (!response.ok) return fallback
    return { ...fallback, ...((await response.json()) as Partial<AppConfig>) }
  } catch {
    return fallback
  }
}
