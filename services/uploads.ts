import { randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp, { type Metadata } from 'sharp'
import { AppError } from './errors.js'

const FORMATS: Record<string, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' }
/** A decompression bomb (a tiny file that unpacks to gigapixels) is refused before decoding. */
const MAX_INPUT_PIXELS = 50_000_000

export interface SavedUpload {
  image_id: string
  filename: string
  original_filename: string
  original_size: [number, number]
  resized_size: [number, number]
  file_size_bytes: number
}

export interface UploadLimits {
  /** Uploads one browser may have stored within `windowMs`. */
  perBrowser: number
  /** Bytes of uploads one client address may have stored within `windowMs`. */
  bytesPerAddress: number
  /** How long an upload counts: the retention of uploads (they are deleted after it). */
  windowMs: number
}

/** Who uploads: the client address and the browser's owner hash. */
export interface Uploader { address: string, browser: string }

const QUOTA = {
  browser: { de: 'Du hast schon sehr viele Bilder hochgeladen. Bitte versuche es später noch einmal.', en: 'You have uploaded very many images already. Please try again later.' },
  address: { de: 'Von diesem Netz wurden schon sehr viele Bilder hochgeladen. Bitte versuche es später noch einmal.', en: 'Very many images have been uploaded from this network already. Please try again later.' }
}

/** What each client has stored lately; entries older than the window no longer count. */
class UploadQuota {
  readonly #entries = new Map<string, Array<{ at: number, bytes: number }>>()
  constructor (readonly limits: UploadLimits) {}

  check (who: Uploader, lang: 'de' | 'en', now: number): void {
    if (this.#live(`b:${who.browser}`, now).length >= this.limits.perBrowser) throw this.#refuse('browser', lang)
    if (this.#live(`a:${who.address}`, now).reduce((sum, e) => sum + e.bytes, 0) >= this.limits.bytesPerAddress) throw this.#refuse('address', lang)
  }

  add (who: Uploader, bytes: number, now: number): void {
    for (const key of [`b:${who.browser}`, `a:${who.address}`]) this.#entries.set(key, [...this.#live(key, now), { at: now, bytes }])
  }

  #live (key: string, now: number): Array<{ at: number, bytes: number }> {
    const list = (this.#entries.get(key) ?? []).filter((e) => now - e.at < this.limits.windowMs)
    if (list.length === 0) this.#entries.delete(key)
    else this.#entries.set(key, list)
    return list
  }

  #refuse (which: 'browser' | 'address', lang: 'de' | 'en'): AppError {
    return new AppError('RATE_LIMITED', QUOTA[which][lang], 429, { retry_after_s: 3600 })
  }
}

/**
 * Uploaded images for image-to-image configs: checked to be PNG, JPEG or WebP by their
 * content (not their name), scaled down to `maxSide`, stored under a fresh id. Clients
 * refer to an upload by that id only; its path never leaves the server.
 */
export class UploadStore {
  readonly #quota: UploadQuota | undefined

  constructor (readonly dir: string, readonly maxSide: number, limits?: UploadLimits) {
    this.#quota = limits === undefined ? undefined : new UploadQuota(limits)
  }

  /** Refuses (429) before the work when this client has stored its share of uploads already. */
  checkQuota (who: Uploader, lang: 'de' | 'en' = 'en'): void {
    this.#quota?.check(who, lang, Date.now())
  }

  async save (data: Buffer, originalName: string, who?: Uploader): Promise<SavedUpload> {
    let meta: Metadata
    try {
      meta = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()
    } catch {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'The file is not a PNG, JPEG or WebP image', 415)
    }
    const ext = FORMATS[meta.format ?? '']
    if (ext === undefined || meta.width === undefined || meta.height === undefined) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Images must be PNG, JPEG or WebP, not ${meta.format ?? 'unknown'}`, 415)
    }
    const resized = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS })
      .rotate() // apply the EXIF orientation, then drop the metadata (location, camera ...)
      .resize({ width: this.maxSide, height: this.maxSide, fit: 'inside', withoutEnlargement: true })
      .toFormat(meta.format as 'png' | 'jpeg' | 'webp')
      .toBuffer({ resolveWithObject: true })
    const id = randomUUID()
    const filename = `${id}.${ext}`
    await mkdir(this.dir, { recursive: true })
    const tmp = join(this.dir, `.tmp-${id}`)
    // Whose picture it is (the browser's hash, as runs record it), before the picture itself appears.
    if (who !== undefined) await writeFile(join(this.dir, `${id}.owner`), who.browser)
    await writeFile(tmp, resized.data)
    await rename(tmp, join(this.dir, filename))
    if (who !== undefined) this.#quota?.add(who, resized.data.length, Date.now())
    return {
      image_id: id,
      filename,
      original_filename: originalName.slice(0, 200),
      original_size: [meta.width, meta.height],
      resized_size: [resized.info.width, resized.info.height],
      file_size_bytes: resized.data.length
    }
  }
}

const UPLOAD_TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\.(png|jpg|webp))?$/

/**
 * An upload named by a client: its `image_id`, or the `image_path` / `filename` the upload
 * answered (the workshop's app sends `image_path` back). Never a path: anything else is undefined.
 */
export function uploadIdOf (token: string): string | undefined {
  return UPLOAD_TOKEN.exec(token.trim())?.[1]
}

/**
 * The stored bytes of an upload, or undefined when there is none under that id, or (with
 * `owner`) when it is another browser's picture: a child's photo is never someone else's input.
 */
export async function readUpload (dir: string, token: string, owner?: string): Promise<{ data: Buffer, filename: string } | undefined> {
  const id = uploadIdOf(token)
  if (id === undefined) return undefined
  if (owner !== undefined && await readFile(join(dir, `${id}.owner`), 'utf8').catch(() => undefined) !== owner) return undefined
  for (const ext of Object.values(FORMATS)) {
    const filename = `${id}.${ext}`
    const data = await readFile(join(dir, filename)).catch(() => undefined)
    if (data !== undefined) return { data, filename }
  }
  return undefined
}
