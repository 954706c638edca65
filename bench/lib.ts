import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { OllamaSimulator, type SimulatorOptions } from '../simulators/ollama-simulator.js'
import { freePort, waitUp } from '../tools/wait.js'

export const now = (): number => performance.now()
export const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

export function pct (values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

export interface Rig {
  /** The server, in its own process, so its memory and CPU are its own. */
  url: string
  pid: number
  sim: OllamaSimulator
  close: () => Promise<void>
}

const root = new URL('..', import.meta.url).pathname

/** The server in a child process against a simulator in this one (the clients live here too). */
export async function rig (env: Record<string, string>, sim: Partial<SimulatorOptions>): Promise<Rig> {
  const simulator = new OllamaSimulator({ splitWrites: false, ...sim })
  const simUrl = await simulator.listen()
  const server = await spawnServer(simUrl, env)
  return {
    url: server.url,
    pid: server.pid,
    sim: simulator,
    close: async () => {
      await server.close()
      await simulator.close()
    }
  }
}

/** A server process against a given simulator; its run store in a fresh directory under `runsBase`. */
export async function spawnServer (simUrl: string, env: Record<string, string>, runsBase = tmpdir()): Promise<{ url: string, pid: number, close: () => Promise<void> }> {
  const runsDir = await mkdtemp(join(runsBase, 'artsed-bench-'))
  const port = await freePort()
  // BENCH_NODE_ARGS: extra flags for the server process, e.g. --cpu-prof to profile it.
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
  // Stage 1 really off (a request may only ask for a stricter level than SAFETY_LEVEL); every
  // client of the bench shares one address, so the per-address and per-browser waiting caps go.
  const child: ChildProcess = spawn(process.execPath, [...extra, '--import', 'tsx', 'server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), OLLAMA_URL: simUrl, COMFYUI_URL: 'simulated', RUNS_DIR: runsDir, LOG_LEVEL: 'error', RATE_LIMIT_MAX: '0', QUEUE_MAX_WAITING: '20000', QUEUE_MAX_WAITING_PER_ADDRESS: '20000', QUEUE_MAX_WAITING_PER_BROWSER: '20000', SAFETY_LEVEL: 'off', ...env },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const url = `http://127.0.0.1:${port}`
  if (!await waitUp(url)) throw new Error('the server did not start')
  return {
    url,
    pid: child.pid as number,
    close: async () => {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.exitCode === null ? child.once('exit', resolve) : resolve(undefined))
      await rm(runsDir, { recursive: true, force: true, maxRetries: 5 })
    }
  }
}

/** Resident memory (bytes) and CPU time used so far (ms) of a process, from /proc. */
export function usage (pid: number): { rss: number, cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return { rss, cpuMs: ticks * 10 }
}
