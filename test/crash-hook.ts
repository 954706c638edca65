import fsp from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { resolve, sep } from 'node:path'

/**
 * Imported into the server child by test/crash.test.ts. The CRASH_AT_WRITE-th file opened for
 * writing below RUNS_DIR (or written with writeFile) gets half its bytes, then the child tells
 * its parent over IPC and that write never goes on: the parent's SIGKILL lands inside a write
 * window every time, whatever the machine's load. Other writes carry on as usual.
 */
const runsDir = resolve(process.env.RUNS_DIR ?? '/nonexistent') + sep
const target = Number(process.env.CRASH_AT_WRITE ?? '1')
let writes = 0

function isTarget (path: unknown): path is string {
  return typeof path === 'string' && resolve(path).startsWith(runsDir) && ++writes === target
}

async function halfThenHang (path: string, data: unknown, write: (buf: Buffer) => Promise<unknown>): Promise<never> {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(String(data))
  await write(buf.subarray(0, Math.ceil(buf.length / 2)))
  process.send?.({ inWrite: path, bytes: buf.length })
  return await new Promise<never>(() => {})
}

const open = fsp.open
fsp.open = async function (path: Parameters<typeof open>[0], flags?: Parameters<typeof open>[1], mode?: Parameters<typeof open>[2]) {
  const handle = await open(path, flags, mode)
  if (!String(flags ?? 'r').includes('w') || !isTarget(path)) return handle
  const write = handle.write.bind(handle) as (buf: Buffer) => Promise<unknown>
  const hang = async (data: unknown): Promise<never> => await halfThenHang(path, data, write)
  Object.assign(handle, { writeFile: hang, write: hang })
  return handle
} as typeof fsp.open

const writeFile = fsp.writeFile
fsp.writeFile = async function (path: Parameters<typeof writeFile>[0], data: Parameters<typeof writeFile>[1], options?: Parameters<typeof writeFile>[2]) {
  if (!isTarget(path)) return await writeFile(path, data, options)
  return await halfThenHang(path, data, async (buf) => await writeFile(path, buf))
} as typeof fsp.writeFile

syncBuiltinESMExports()
