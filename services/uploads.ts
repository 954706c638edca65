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

/**
 * Uploaded images for image-to-image configs: checked to be PNG, JPEG or WebP by their
 * content (not their name), scaled down to `maxSide`, stored under a fresh id. Clients
 * refer to an upload by that id only; its path never leaves the server.
 */
export class UploadStore {
  constructor (readonly dir: string, readonly maxSide: number) {}

  async save (data: Buffer, originalName: string): Promise<SavedUpload> {
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
    await writeFile(tmp, resized.data)
    await rename(tmp, join(this.dir, filename))
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

/** The stored bytes of an upload, or undefined when there is none under that id. */
export async function readUpload (dir: string, token: string): Promise<{ data: Buffer, filename: string } | undefined> {
  const id = uploadIdOf(token)
  if (id === undefined) return undefined
  for (const ext of Object.values(FORMATS)) {
    const filename = `${id}.${ext}`
    const data = await readFile(join(dir, filename)).catch(() => undefined)
    if (data !== undefined) return { data, filename }
  }
  return undefined
}
