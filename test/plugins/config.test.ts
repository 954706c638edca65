import { readFileSync } from 'node:fs'
import t from 'tap'
import { ConfigSchema, loadConfig } from '../../plugins/config.js'

t.test('defaults', async (t) => {
  const c = loadConfig({})
  t.match(c, {
    PORT: 17802,
    OLLAMA_URL: 'http://127.0.0.1:11434',
    QUEUE_MAX_CONCURRENT: 3,
    QUEUE_MAX_WAITING: 200,
    OLLAMA_FIRST_TOKEN_TIMEOUT_MS: 300000,
    OLLAMA_IDLE_TIMEOUT_MS: 120000,
    OLLAMA_TOTAL_TIMEOUT_MS: 600000
  })
  t.match(c.CATALOG_DIR, /\/catalog$/)
})

t.test('numbers are converted, bad values are refused naming each variable', async (t) => {
  t.equal(loadConfig({ PORT: '8080', QUEUE_MAX_CONCURRENT: '5' }).QUEUE_MAX_CONCURRENT, 5)
  t.equal(loadConfig({ OLLAMA_URL: 'simulated' }).OLLAMA_URL, 'simulated')
  const err = (() => { try { loadConfig({ PORT: 'eighty', QUEUE_MAX_CONCURRENT: '0', OLLAMA_URL: 'ftp://x' }) } catch (e) { return e as Error } })()
  t.match(err?.message, /^Invalid configuration:/)
  for (const bad of [/PORT="eighty": Expected integer/, /QUEUE_MAX_CONCURRENT="0": Expected integer to be greater or equal to 1/, /OLLAMA_URL="ftp:\/\/x"/]) t.match(err?.message, bad)
})

t.test('.env.example documents every setting', async (t) => {
  const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')
  for (const key of Object.keys(ConfigSchema.properties)) t.match(example, new RegExp(`^#? ?${key}=`, 'm'), key)
})
