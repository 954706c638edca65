import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../../services/errors.js'
import { UploadStore } from '../../services/uploads.js'
import { pickLang } from '../../services/i18n.js'
import { uploadsDir } from '../../plugins/runs.js'

/**
 * `POST /api/media/upload/image` (api.md §5): one multipart `file`, PNG, JPEG or WebP, at most
 * UPLOAD_MAX_BYTES, scaled down to UPLOAD_MAX_SIDE. Multipart is registered here only, so no
 * other route accepts it.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const c = fastify.config
  const store = new UploadStore(uploadsDir(c.RUNS_DIR), c.UPLOAD_MAX_SIDE, {
    perBrowser: c.UPLOADS_MAX_PER_BROWSER,
    bytesPerAddress: c.UPLOADS_MAX_BYTES_PER_ADDRESS,
    windowMs: c.UPLOADS_RETENTION_HOURS * 3_600_000
  })
  await fastify.register(multipart, { limits: { fileSize: c.UPLOAD_MAX_BYTES, files: 1, fields: 10, parts: 12 } })

  fastify.post('/api/media/upload/image', { config: { envelope: 'success' } }, async (request, reply) => {
    // Before the body is read: a client past its share costs no decoding and no disk.
    try {
      store.checkQuota(request.client, pickLang(undefined, request.headers['accept-language']))
    } catch (err) {
      reply.header('Retry-After', '3600')
      throw err
    }
    if (!request.isMultipart()) throw new AppError('BAD_REQUEST', 'Send the image as multipart/form-data in a field named "file"', 400)
    // A broken multipart body (no boundary, cut off, too many parts) is the client's error.
    const malformed = (err: { code?: string, message?: string }): never => {
      if (err.code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('PAYLOAD_TOO_LARGE', `The image is larger than ${c.UPLOAD_MAX_BYTES} bytes`, 413)
      throw new AppError('BAD_REQUEST', `The upload could not be read: ${err.message ?? 'malformed multipart body'}`, 400)
    }
    const part = await request.file().catch(malformed)
    if (part === undefined || part.fieldname !== 'file') throw new AppError('BAD_REQUEST', 'No field named "file" in the upload', 400)
    const data = await part.toBuffer().catch(malformed)
    const saved = await store.save(data, part.filename, request.client)
    request.log.info({ image_id: saved.image_id, bytes: saved.file_size_bytes }, 'image uploaded')
    // image_path is an opaque token (the id), never a server path: the workshop's app sends it back as input_image.
    return await reply.send({ success: true, ...saved, image_path: saved.image_id })
  })
}

export default routes
