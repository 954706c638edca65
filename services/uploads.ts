import { randomUUID } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
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
