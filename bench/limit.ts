import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import http from 'node:http'
import { freePort, waitUp } from '../tools/wait.js'
import { now, pct, spawnServer } from './lib.js'

/**
 * The limit row of issue 12: artsed-server and the minimal relay (bench/minimal-relay.ts, a
 * baseline, not the server) on the same simulator in the same run, 200 streams at once.
 */
export interface Target { name: string, url: string, pid: number, path: (idea: string) => string }

const root = new URL('..', import.meta.url).pathname

/** The minimal relay in its own process, against the same simulator. */
export async function startMinimal (simUrl: string): Promise<Target & { close: () => Promise<void> }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/minimal-relay.ts'], {
    cwd: root, env: { ...process.env, PORT: String(port), OLLAMA_URL: simUrl }, stdio: ['ignore', 'ignore', 'inherit']
  })
  const url = `http://127.0.0.1:${port}`
  if (!await waitUp(url)) throw new Error('the minimal relay did not start')
  return {
    name: 'minimal relay',
    url,
    pid: child.pid as number,
    path: (idea) => `/relay?input_text=${encodeURIComponent(idea)}`,
    close: async () => {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.exitCode === null ? child.once('exit', resolve) : resolve(undefined))
    }
  }
}

/** CPU time (ms, every thread: /proc/<pid>/stat counts the whole process) and context switches (summed over its threads). */
export function threadUsage (pid: number): { cpuMs: number, ctx: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10
  let ctx = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8')
      ctx += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0)
    } catch {} // a thread that ended meanwhile
  }
  return { cpuMs, ctx }
}

export interface LimitResult { tokens: number, runs: number, cpuMs: number, ctx: number, wireBytes: number[], burst: number[], steady: number[] }
export const emptyResult = (): LimitResult => ({ tokens: 0, runs: 0, cpuMs: 0, ctx: 0, wireBytes: [], burst: [], steady: [] })

/** Tokens of each answer counted as its start (the run's setup still going on around it). */
export const BURST_TOKENS = 10

/**
 * One wave: `n` streams opened in the same instant, each its own connection (so the bytes a
 * run costs on the wire, headers and chunked framing included, are its socket's). Adds CPU,
 * context switches, relayed tokens, bytes and token delays to `into`.
 */
export async function wave (t: Target, written: Map<string, number[]>, n: number, tag: string, into: LimitResult): Promise<void> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })
  const u0 = threadUsage(t.pid)
  const runs = await Promise.all(Array.from({ length: n }, async (_, i) => {
    const idea = `limit-${tag}-${i}`
    return await new Promise<{ idea: string, arrivals: number[], bytes: number }>((resolve, reject) => {
      const arrivals: number[] = []
      http.get(`${t.url}${t.path(idea)}`, { agent }, (res) => {
        let carry = ''
        res.on('data', (chunk: Buffer) => {
          const text = carry + chunk.toString('latin1')
          let at = text.indexOf('event: chunk\n')
          while (at !== -1) { arrivals.push(now()); at = text.indexOf('event: chunk\n', at + 1) }
          carry = text.slice(-12)
        })
        res.on('end', () => resolve({ idea, arrivals, bytes: res.socket?.bytesRead ?? 0 }))
        res.on('error', reject)
      }).on('error', reject)
    })
  }))
  const u1 = threadUsage(t.pid)
  agent.destroy()
  into.cpuMs += u1.cpuMs - u0.cpuMs
  into.ctx += u1.ctx - u0.ctx
  for (const r of runs) {
    into.runs++
    into.tokens += r.arrivals.length
    into.wireBytes.push(r.bytes)
    const w = written.get(r.idea) ?? []
    r.arrivals.forEach((at, i) => {
      const sent = w[i]
      if (sent !== undefined) (i < BURST_TOKENS ? into.burst : into.steady).push(at - sent)
    })
  }
}

export interface LimitRow {
  tokensPerAnswer: number
  textBytes: number
  server: LimitResult
  minimal: LimitResult
  /** The server with its run store on tmpfs: the relay without the cost of creating files on this machine's disk. */
  tmpfs: LimitResult | undefined
}

const f = (v: number, d = 2): string => Number.isFinite(v) ? v.toFixed(d) : 'n/a'
export const cpuPerToken = (r: LimitResult): number => (r.cpuMs * 1000) / r.tokens
export const wirePerRun = (r: LimitResult): number => pct(r.wireBytes, 50)

/** The table rows for BENCHMARKS.md. */
export function limitTable (rows: LimitRow[]): string {
  const lines = ['| answer | relay | CPU µs per relayed token | ratio | context switches per token | bytes per run (per byte of text) | token delay p99 ms: start burst / steady |', '|---|---|---|---|---|---|---|']
  for (const row of rows) {
    const targets: Array<[string, LimitResult]> = [['minimal relay', row.minimal], ['artsed-server', row.server]]
    if (row.tmpfs !== undefined) targets.push(['artsed-server, run store on tmpfs', row.tmpfs])
    for (const [name, r] of targets) {
      const ratio = name === 'minimal relay' ? '1' : `**×${f(cpuPerToken(r) / cpuPerToken(row.minimal))}**`
      lines.push(`| ${row.tokensPerAnswer} tokens | ${name} | ${f(cpuPerToken(r), 1)} | ${ratio} | ${f(r.ctx / r.tokens, 3)} | ${f(wirePerRun(r), 0)} (${f(wirePerRun(r) / row.textBytes, 1)}) | ${f(pct(r.burst, 99))} / ${f(pct(r.steady, 99))} |`)
    }
  }
  return lines.join('\n')
}

/**
 * Both relays on the rig's simulator (50 ms to the first token, then 50 tokens/s), 200
 * streams per wave, waves alternating between them so the machine's noise falls on both.
 * The simulator's answer is `words` repeated: 6 tokens a time.
 */
export async function limitRows (r: { url: string, pid: number, sim: { url: string, set: (o: { reply: () => string }) => void } }, written: Map<string, number[]>, quick: boolean): Promise<LimitRow[]> {
  const minimal = await startMinimal(r.sim.url)
  // A second server process on the same simulator, its run store in memory (tmpfs).
  const shm = existsSync('/dev/shm') ? await spawnServer(r.sim.url, { QUEUE_MAX_CONCURRENT: '1000' }, '/dev/shm') : undefined
  const tmpfs: Target | undefined = shm === undefined ? undefined : { name: 'tmpfs', url: shm.url, pid: shm.pid, path: (idea) => server.path(idea) }
  const server: Target = { name: 'artsed-server', url: r.url, pid: r.pid, path: (idea) => `/api/schema/pipeline/execute?schema=user_defined&safety_level=off&enable_streaming=true&input_text=${encodeURIComponent(idea)}` }
  const rows: LimitRow[] = []
  try {
    const words = 'ein kleines Haus am See '
    // Warm-up: both JITs see the path before anything is counted.
    r.sim.set({ reply: () => words.repeat(8) })
    await wave(server, written, 50, 'warm-s', emptyResult())
    await wave(minimal, written, 50, 'warm-m', emptyResult())
    if (tmpfs !== undefined) await wave(tmpfs, written, 50, 'warm-t', emptyResult())
    for (const [tokens, waves] of [[48, quick ? 3 : 6], [300, quick ? 2 : 4]] as const) {
      const reply = words.repeat(tokens / 6)
      r.sim.set({ reply: () => reply })
      const row: LimitRow = { tokensPerAnswer: tokens, textBytes: Buffer.byteLength(reply.trim()), server: emptyResult(), minimal: emptyResult(), tmpfs: tmpfs === undefined ? undefined : emptyResult() }
      for (let i = 0; i < waves; i++) {
        await wave(server, written, 200, `s${tokens}-${i}`, row.server)
        await wave(minimal, written, 200, `m${tokens}-${i}`, row.minimal)
        if (tmpfs !== undefined && row.tmpfs !== undefined) await wave(tmpfs, written, 200, `t${tokens}-${i}`, row.tmpfs)
      }
      console.log(`limit ${tokens} tokens: server ${f(cpuPerToken(row.server), 1)} µs/token, minimal ${f(cpuPerToken(row.minimal), 1)} µs/token, bytes ${f(wirePerRun(row.server), 0)} vs ${f(wirePerRun(row.minimal), 0)}, p99 burst/steady ${f(pct(row.server.burst, 99))}/${f(pct(row.server.steady, 99))} vs ${f(pct(row.minimal.burst, 99))}/${f(pct(row.minimal.steady, 99))}${row.tmpfs === undefined ? '' : `; tmpfs ${f(cpuPerToken(row.tmpfs), 1)} µs/token`}`)
      rows.push(row)
    }
  } finally {
    await minimal.close()
    await shm?.close()
  }
  return rows
}

/** The BENCHMARKS.md section: the goals of issue 12, the table, and why a goal is not met. */
export function limitSection (rows: LimitRow[]): string {
  const short = rows.find((r) => r.tokensPerAnswer === 48)
  const long = rows.find((r) => r.tokensPerAnswer === 300)
  if (short === undefined || long === undefined) return ''
  const ratio = (r: LimitRow, x: LimitResult = r.server): number => cpuPerToken(x) / cpuPerToken(r.minimal)
  const perText = (r: LimitRow, x: LimitResult = r.server): number => wirePerRun(x) / r.textBytes
  const goal = (ok: boolean): string => ok ? 'met' : '**not met**'
  const storeMs = (r: LimitRow): number => r.tmpfs === undefined ? NaN : ((cpuPerToken(r.server) - cpuPerToken(r.tmpfs)) * r.tokensPerAnswer) / 1000
  const overheadMs = (r: LimitRow, x: LimitResult): number => ((cpuPerToken(x) - cpuPerToken(r.minimal)) * r.tokensPerAnswer) / 1000
  const notes: string[] = []
  if (ratio(short) > 1.75) {
    notes.push(`- **CPU at 48-token answers** (×${f(ratio(short))}). Per token the two relays cost about the same (the
  300-token row); the server's surplus is per run: ${f(overheadMs(short, short.server))} ms of CPU per run (all threads) against the
  minimal relay, which has no queue, no checks and records nothing.${short.tmpfs === undefined
    ? ''
    : ` With the run store on tmpfs it is ${f(overheadMs(short, short.tmpfs))} ms
  (×${f(ratio(short, short.tmpfs))}); ${storeMs(short) > 0.3
    ? `the difference, ${f(storeMs(short))} ms, is the run store on this machine's disk`
    : `the run store on this machine's disk made no difference beyond this run's noise (${f(storeMs(short))} ms)`} (a streaming run is a
  directory, its entity files and metadata.json: six files, each created on ext4 on a virtual disk,
  which cost this VM 0.1–0.7 ms of kernel CPU each in a separate measurement, against 14 µs on tmpfs).`} The rest is a Fastify request with its hooks (helmet, cookies, the owner, metrics), the slot queue,
  Stage 1's §86a term check (run at every level), the model call's timers and the run's seven
  events, spread over only 48 tokens.`)
  }
  if (pct(short.server.burst, 99) > 20 || pct(long.server.burst, 99) > 20) {
    notes.push(`- **Start burst** (p99 of the first ${BURST_TOKENS} tokens of 200 runs admitted at once): ${f(pct(short.server.burst, 99))} / ${f(pct(long.server.burst, 99))} ms
  (48 / 300 tokens)${short.tmpfs === undefined || long.tmpfs === undefined ? '' : `, ${f(pct(short.tmpfs.burst, 99))} / ${f(pct(long.tmpfs.burst, 99))} ms with the run store on tmpfs`}, minimal relay ${f(pct(short.minimal.burst, 99))} / ${f(pct(long.minimal.burst, 99))} ms.
  Nothing is written while a run starts except its directory (made when it gets its slot, as
  before), and 200 directories at once are what this disk feels; the rest is 200 requests' setup
  on one thread while the first tokens come in.`)
  }
  if (ratio(long) > 1.5) notes.push(`- **CPU at 300-token answers** (×${f(ratio(long))}): the same per-run cost, ${f(overheadMs(long, long.server))} ms, over 300 tokens.`)
  if (perText(short) > 20) {
    notes.push(`- **Bytes at 48-token answers** (${f(perText(short), 1)} per byte of text): a \`chunk\` frame of api.md §1 is about 73 bytes for a
  4-byte token (the minimal relay sends the same frames: ${f(perText(short, short.minimal), 1)}), and a run has a fixed part on top: the response
  headers (the security headers of every response) and the five events before the first token, about
  ${f(wirePerRun(short.server) - wirePerRun(short.minimal), 0)} bytes more than the minimal relay. Over a 192-byte answer that fixed part alone is 7 bytes per byte.
  The bytes grow with the answer, never with its square (\`accumulated\` only when asked).`)
  }
  if (perText(long) > 20) notes.push(`- **Bytes at 300-token answers** (${f(perText(long), 1)} per byte of text): the frames of api.md §1 alone are close to 19.`)
  const steady = pct(long.server.steady, 99)
  if (!(steady < 20)) {
    notes.push(`- **Steady-state token delay** (${f(steady)} ms p99 at 300-token answers; the minimal relay in the same run:
  ${f(pct(long.minimal.steady, 99))} ms): the two cores are shared with the load generator, the simulator and the other sessions on
  this machine (see the load average above); when the minimal relay misses it too, the machine did.`)
  }
  return `## At the limit: against a minimal relay (issue 12)

A minimal relay (bench/minimal-relay.ts, a baseline and not part of the server: plain node:http
and an undici Pool, each NDJSON line parsed and sent on as one SSE \`chunk\` of the same shape)
and the server, in their own processes, on the same simulator in the same run: 200 streams opened in
the same instant, each its own connection, 50 ms to the first token and then 50 tokens/s, waves
alternating between them. CPU: utime + stime of every thread of the process (/proc/<pid>/stat) over
the waves, divided by the \`chunk\` events the clients received. Context switches: voluntary and
involuntary, summed over /proc/<pid>/task/*. Bytes per run: what the client's socket read (headers
and framing included), median. Token delay: client received token *i* minus simulator wrote it; the
start burst is the first ${BURST_TOKENS} tokens of each answer (the 200 runs' setup is going on around
them), the steady state the rest. Both relays end an event stream with its connection (no chunked
framing). ${long.tmpfs === undefined ? '' : 'A second server process with its run store on tmpfs runs in the same waves, to show the relay without the cost of creating files on this machine\'s disk.'}

| goal | measured | |
|---|---|---|
| server CPU per relayed token ≤ 1.5× the minimal relay, 300-token answers | ×${f(ratio(long))} | ${goal(ratio(long) <= 1.5)} |
| ... ≤ 1.75×, 48-token answers | ×${f(ratio(short))}${short.tmpfs === undefined ? '' : ` (run store on tmpfs: ×${f(ratio(short, short.tmpfs))})`} | ${goal(ratio(short) <= 1.75)} |
| at most 20 bytes on the wire per byte of final text, 300-token answers | ${f(perText(long), 1)} | ${goal(perText(long) <= 20)} |
| ... 48-token answers | ${f(perText(short), 1)} | ${goal(perText(short) <= 20)} |
| 200 streams × 50 tokens/s, 300-token answers: steady-state p99 token delay < 20 ms | ${f(steady)} ms (start burst ${f(pct(long.server.burst, 99))} ms) | ${goal(steady < 20)} |

${limitTable(rows)}
${notes.length === 0 ? '' : `\n### Where it falls short, and why\n\n${notes.join('\n')}\n`}`
}
