import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SimRequest } from './ollama-simulator.js'

/** What the Ollama simulator answers, and its small HTTP helpers. */

export const UNSAFE = /\b(blood\w*|blut\w*|gore|kill\w*|murder\w*|mord\w*|naked|nackt\w*|nude|weapon\w*|waffe\w*|gun|pistol\w*|cocaine|kokain|drug\w*|drogen|street address|wohnt in der)\b/i

export interface JsonSchema { type?: string, properties?: Record<string, JsonSchema>, items?: JsonSchema, enum?: unknown[], required?: string[] }

/** A value of the schema's shape, taking `preferred` values where they fit. */
export function fillSchema (schema: JsonSchema, preferred: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {}
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const want = preferred[key]
    if (sub.enum !== undefined) out[key] = sub.enum.includes(want) ? want : sub.enum[0]
    else if (sub.type === 'boolean') out[key] = typeof want === 'boolean' ? want : true
    else if (sub.type === 'number' || sub.type === 'integer') out[key] = typeof want === 'number' ? want : 0
    else if (sub.type === 'array') out[key] = Array.isArray(want) ? want : []
    else if (sub.type === 'object') out[key] = fillSchema(sub, {})
    else out[key] = typeof want === 'string' ? want : 'simulated'
  }
  return out
}

/** The safety prompt holds hints and instructions too; judge only the student's text. */
export function textToJudge (prompt: string): string {
  const i = prompt.lastIndexOf('Text to judge:')
  return i === -1 ? prompt : prompt.slice(i + 'Text to judge:'.length)
}

function studentText (prompt: string): string {
  const m = /(?:Prompt|Text):\n([\s\S]*)$/.exec(prompt)
  return (m === null ? prompt : m[1] as string).trim()
}

/** A deterministic "interception": enough tokens, umlauts and an emoji to exercise the relay. */
export function defaultReply (req: SimRequest): string {
  if (wantsP5(req)) return p5Sketch(req)
  // A translation request gets its text back unchanged: a simulated "translation".
  const translate = /^Translate [\s\S]*\nText:\n([\s\S]*)$/.exec(req.prompt)
  if (translate !== null) return (translate[1] as string).trim()
  const idea = studentText(req.prompt).slice(0, 200)
  return `Simulierte Antwort (${req.model}): ${idea} – neu gedacht als Szene aus klaren Formen, ` +
    'mit grünen Flächen, über die das Licht fällt, und einer Größe, die man spürt ✨. ' +
    'Jedes Element behält seinen Platz, doch alles wirkt wie frisch erfunden.'
}

/** Word-sized pieces, like a tokenizer's output. */
export function tokenize (s: string): string[] {
  const pieces = s.match(/\s*\S{1,6}/gu) ?? []
  return pieces.length === 0 ? [s] : pieces
}

export async function readJson (req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  let raw = ''
  for await (const chunk of req) raw += String(chunk)
  try {
    const v = JSON.parse(raw) as unknown
    return typeof v === 'object' && v !== null ? v as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

export function json (res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

export function text (res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' })
  res.end(body)
}

export function writeAll (res: ServerResponse, buf: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || res.writableEnded) { resolve(); return }
    if (res.write(buf)) resolve()
    else {
      const done = (): void => { res.off('drain', done); res.off('close', done); resolve() }
      res.once('drain', done)
      res.once('close', done)
    }
  })
}

/** The answer to a `format` request: a safety verdict when the schema asks for `safe`, else any value of its shape. */
export function structuredAnswer (req: SimRequest, judge: (req: SimRequest) => boolean): unknown {
  const schema = typeof req.format === 'object' && req.format !== null ? req.format as JsonSchema : { type: 'object' }
  const props = schema.properties ?? {}
  if ('safe' in props) {
    const safe = judge(req)
    const found = safe ? [] : [...textToJudge(req.prompt).matchAll(new RegExp(UNSAFE.source, 'gi'))].map((m) => m[0])
    return fillSchema(schema, {
      safe,
      category: safe ? 'none' : 'violence',
      terms: found,
      explanation: safe ? 'harmless in context' : 'not suitable for this audience',
      positive_prompt: safe ? textToJudge(req.prompt).trim() : '',
      negative_prompt: safe ? 'gore, scary faces' : '',
      abort_reason: safe ? '' : 'not suitable for this audience'
    })
  }
  return fillSchema(schema, {})
}

/** A request whose messages speak of p5.js (the code sketcher, the code optimization). */
export function wantsP5 (req: SimRequest): boolean {
  const messages = Array.isArray(req.body.messages) ? req.body.messages as Array<{ content?: unknown }> : []
  const texts = [req.prompt, req.system ?? '', ...messages.map((m) => String(m.content ?? ''))]
  return texts.some((t) => /\bp5(?:\.js)?\b/i.test(t))
}

/** A small runnable sketch on the plain p5 API: no network, no eval, nothing a scan refuses. */
export function p5Sketch (req: SimRequest): string {
  return [
    `// Simulated sketch (${req.model}): shapes drifting on a slow noise field`,
    'let hue',
    'function setup () {',
    '  createCanvas(400, 400)',
    '  noStroke()',
    '  hue = random(120, 220)',
    '}',
    'function draw () {',
    '  background(20, 30, 60)',
    '  const t = frameCount * 0.01',
    '  for (let i = 0; i < 12; i++) {',
    '    const x = width * noise(i, t)',
    '    const y = height * noise(i + 100, t)',
    '    const d = 20 + 40 * noise(i + 200, t * 2)',
    '    fill(hue - i * 6, 200, 160, 180)',
    '    ellipse(x, y, d, d)',
    '  }',
    '}'
  ].join('\n')
}

/** A thinking model's reasoning: plain words, long enough to eat a small budget. */
export function defaultThinking (req: SimRequest): string {
  const idea = studentText(req.prompt).replace(/\s+/g, ' ').slice(0, 60)
  return `Okay, the user wants something about "${idea}". Let me think about what matters here: ` +
    'the audience, the tone, the shape of the answer and what to leave out. ' +
    'First I should read the instructions again, then check each part, then write the answer.'
}
