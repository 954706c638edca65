import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import fp from 'fastify-plugin'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** The project root: the nearest folder above this file with a package.json (works from dist/ too). */
function projectRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

const Int = (def: number, min: number, max = Number.MAX_SAFE_INTEGER, description?: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, ...(description === undefined ? {} : { description }) })

/**
 * Every setting, its default and its bounds: the one source for the type, the validation
 * at start and (by hand, checked by a test) `.env.example`.
 */
export const ConfigSchema = Type.Object({
  PORT: Int(17802, 0, 65535),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  OLLAMA_URL: Type.String({ default: 'http://127.0.0.1:11434', pattern: '^(simulated|https?://.+)$' }),
  OLLAMA_CONNECT_TIMEOUT_MS: Int(10_000, 1),
  OLLAMA_FIRST_TOKEN_TIMEOUT_MS: Int(300_000, 1),
  OLLAMA_IDLE_TIMEOUT_MS: Int(120_000, 1),
  OLLAMA_TOTAL_TIMEOUT_MS: Int(600_000, 1),
  STAGE1_MODEL: Type.String({ default: 'qwen3:4b', minLength: 1 }),
  STAGE2_INTERCEPTION_MODEL: Type.String({ default: 'mistral-nemo:12b', minLength: 1 }),
  STAGE3_MODEL: Type.String({ default: 'qwen3:4b', minLength: 1 }),
  COMFYUI_URL: Type.String({ default: 'http://127.0.0.1:8188', pattern: '^(simulated|https?://.+)$' }),
  COMFYUI_TIMEOUT_MS: Int(600_000, 1),
  AVAILABILITY_CACHE_MS: Int(30_000, 0, 3_600_000),
  MEDIA_MAX_CONCURRENT: Int(1, 1, 100),
  QUEUE_MAX_CONCURRENT: Int(3, 1, 1000),
  QUEUE_MAX_WAITING: Int(200, 0, 1_000_000),
  CATALOG_DIR: Type.String({ default: join(projectRoot(), 'catalog'), minLength: 1 }),
  CATALOG_STRICT: Type.Boolean({ default: false }),
  RUNS_DIR: Type.String({ default: join(projectRoot(), 'runs'), minLength: 1 }),
  INPUT_MAX_CHARS: Int(4000, 1, 100_000),
  CONTEXT_MAX_CHARS: Int(8000, 1, 100_000),
  SSE_PING_MS: Int(15_000, 10, 600_000),
  BODY_LIMIT_BYTES: Int(262_144, 1024, 50 * 1024 * 1024),
  UPLOAD_MAX_BYTES: Int(10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  UPLOAD_MAX_SIDE: Int(1024, 64, 8192),
  RATE_LIMIT_MAX: Int(3000, 0, 10_000_000),
  TRUST_PROXY: Type.Boolean({ default: false }),
  CORS_ORIGINS: Type.String({ default: '' }),
  SHUTDOWN_GRACE_MS: Int(10_000, 100, 600_000),
  /** Every run's safety level; a request may only ask for a stricter one (see SAFETY_LEVELS_ALLOWED). */
  SAFETY_LEVEL: Type.Union(['kids', 'youth', 'adult', 'off', 'open'].map((l) => Type.Literal(l)), { default: 'kids' }),
  /** Looser levels a request may still ask for, comma-separated (e.g. "adult,off" in an adult lab). */
  SAFETY_LEVELS_ALLOWED: Type.String({ default: '', pattern: '^\\s*((kids|youth|adult|off|open)\\s*(,\\s*(kids|youth|adult|off|open)\\s*)*)?$' }),
  /** Bearer token for the admin routes (room view, run listing, metrics); empty: admin routes are closed. */
  ADMIN_TOKEN: Type.String({ default: '' }),
  /** Runs are readable only by the browser that made them (and the admin token); false opens them to anyone with the id. */
  RUNS_PRIVATE: Type.Boolean({ default: true }),
  /** Days a run is kept; 0 keeps runs forever. */
  RUNS_RETENTION_DAYS: Int(30, 0, 36_500),
  /** Total bytes the run store may hold; the oldest finished runs go first; 0: no limit. */
  RUNS_MAX_BYTES: Int(10 * 1024 ** 3, 0),
  /** Hours an upload is kept. */
  UPLOADS_RETENTION_HOURS: Int(24, 1, 24 * 365),
  /** Uploads one browser may have stored at a time (within UPLOADS_RETENTION_HOURS). */
  UPLOADS_MAX_PER_BROWSER: Int(30, 1, 100_000),
  /** Bytes of uploads one client address may have stored at a time. */
  UPLOADS_MAX_BYTES_PER_ADDRESS: Int(200 * 1024 * 1024, 1024),
  /** Waiting runs (model and media queue each) one browser may have. */
  QUEUE_MAX_WAITING_PER_BROWSER: Int(4, 1, 1_000_000),
  /** Waiting runs (model and media queue each) one client address may have: a class behind one NAT. */
  QUEUE_MAX_WAITING_PER_ADDRESS: Int(60, 1, 1_000_000),
  /** A request's headers and body must arrive within these (slow-loris connections are closed). */
  HEADERS_TIMEOUT_MS: Int(15_000, 100, 600_000),
  REQUEST_TIMEOUT_MS: Int(120_000, 100, 3_600_000)
})

export type Config = Static<typeof ConfigSchema>

/**
 * Reads the settings from an environment-shaped object, fills defaults, converts numbers,
 * and throws one error naming every bad variable. The only reader of `process.env` besides
 * server.ts.
 */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const v = env[key]
    if (v !== undefined && v !== '') picked[key] = v
  }
  const converted = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, picked))
  const errors = [...Value.Errors(ConfigSchema, converted)]
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.path.slice(1)}=${JSON.stringify(env[e.path.slice(1)])}: ${e.message}`)
    throw new Error(`Invalid configuration:\n  ${lines.join('\n  ')}`)
  }
  const config = converted as Config
  return { ...config, CATALOG_DIR: resolve(config.CATALOG_DIR), RUNS_DIR: resolve(config.RUNS_DIR) }
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface ConfigPluginOptions {
  /** Environment to read; default `process.env`. */
  env?: Record<string, string | undefined>
}

export default fp<ConfigPluginOptions>(async (fastify, opts) => {
  fastify.decorate('config', loadConfig(opts.env))
}, { name: 'config' })
