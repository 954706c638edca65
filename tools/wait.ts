import { createServer } from 'node:net'

/** Polls `check` until it is true or `ms` pass; returns whether it became true. */
export async function eventually (check: () => boolean | Promise<boolean>, ms = 10_000, step = 10): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, step))
  }
  return await check()
}

export const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

/** Whether a server at `base` answers /health within 20 s. */
export async function waitUp (base: string): Promise<boolean> {
  return await eventually(async () => await fetch(`${base}/health`).then((r) => r.ok, () => false), 20000, 100)
}
