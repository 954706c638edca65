import { open, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
export { contentTypeOf } from './file-types.js'

/** An entity's file: `NN_type.ext`. */
export const ENTITY_FILE = /^(\d{2,4})_([a-z0-9_]{1,40})\.([a-z0-9]{1,8})$/

let tmpCounter = 0

/**
 * Writes to a temporary file in the same directory and renames it over the target, so a
 * crash at any moment leaves the file either old or new, never half-written. `sync` flushes
 * the file before the rename (durable against a power cut once the directory is flushed too);
 * without it the write survives a killed process (the page cache stays) but not a power cut
 * until someone flushes it. A failed write removes its temporary file.
 */
export async function atomicWrite (path: string, data: string | Buffer, sync: boolean): Promise<void> {
  const tmp = join(dirname(path), `.tmp-${process.pid}-${++tmpCounter}`)
  try {
    const handle = await open(tmp, 'w')
    try {
      await handle.writeFile(data)
      if (sync) await handle.datasync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {})
    throw err
  }
}

/** Flushes files written without `sync` (their data; the directory flush covers the names). */
export async function syncFiles (paths: string[]): Promise<void> {
  await Promise.all(paths.map(async (path) => {
    const handle = await open(path, 'r')
    try {
      await handle.datasync()
    } finally {
      await handle.close()
    }
  }))
}

/** Flushes a directory, so the renames in it survive a power cut. */
export async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch {
    // Some file systems cannot fsync a directory (EINVAL); the rename is then as durable as it gets.
  } finally {
    await handle.close()
  }
}

export interface FoundEntity { sequence: number, type: string, filename: string, timestamp: string }

/**
 * The entity files of a run directory after `afterSequence`, in order: what a run that did not
 * end (a killed process) wrote after its metadata was last written. Each is complete (it was
 * renamed into place); only its recorded metadata is lost. Reading, never writing.
 */
export async function entitiesAfter (dir: string, afterSequence: number): Promise<FoundEntity[]> {
  const found: FoundEntity[] = []
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = ENTITY_FILE.exec(name)
    if (m === null || Number(m[1]) <= afterSequence) continue
    const info = await stat(join(dir, name)).catch(() => undefined)
    if (info?.isFile() !== true) continue
    found.push({ sequence: Number(m[1]), type: m[2] as string, filename: name, timestamp: info.mtime.toISOString() })
  }
  return found.sort((a, b) => a.sequence - b.sequence)
}
