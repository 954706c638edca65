import { spawn, type ChildProcess } from 'node:child_process'
import { freePort, waitUp } from '../tools/wait.js'

export { freePort, waitUp }

const root = new URL('..', import.meta.url).pathname

/**
 * `server.ts` in a child process, with the simulators, as `npm run demo` runs it. A `preload`
 * module (a test hook) is imported first, and the child gets an IPC channel to talk back.
 */
export function startProcess (port: number, env: Record<string, string>, preload?: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...(preload === undefined ? [] : ['--import', preload]), 'server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), OLLAMA_URL: 'simulated', COMFYUI_URL: 'simulated', LOG_LEVEL: 'silent', ...env },
    stdio: preload === undefined ? 'ignore' : ['ignore', 'ignore', 'ignore', 'ipc']
  })
}

export async function exited (child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  return await new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}
