/** The media kinds a stored file can be. */
export type MediaKind = 'image' | 'video' | 'audio'

/**
 * The media file types this server stores and serves, by extension: one table for the
 * ComfyUI outputs it accepts (services/media/outputs.ts) and the content types the run
 * routes answer with (services/run-files.ts).
 */
export const MEDIA_FILES: Readonly<Record<string, { kind: MediaKind, contentType: string }>> = {
  png: { kind: 'image', contentType: 'image/png' },
  jpg: { kind: 'image', contentType: 'image/jpeg' },
  jpeg: { kind: 'image', contentType: 'image/jpeg' },
  webp: { kind: 'image', contentType: 'image/webp' },
  gif: { kind: 'image', contentType: 'image/gif' },
  mp4: { kind: 'video', contentType: 'video/mp4' },
  webm: { kind: 'video', contentType: 'video/webm' },
  mov: { kind: 'video', contentType: 'video/quicktime' },
  mp3: { kind: 'audio', contentType: 'audio/mpeg' },
  wav: { kind: 'audio', contentType: 'audio/wav' },
  flac: { kind: 'audio', contentType: 'audio/flac' },
  ogg: { kind: 'audio', contentType: 'audio/ogg' },
  m4a: { kind: 'audio', contentType: 'audio/mp4' }
}

/** The text files a run records (its entities). */
const TEXT_FILES: Readonly<Record<string, string>> = {
  txt: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  js: 'text/javascript; charset=utf-8'
}

export function contentTypeOf (filename: string): string {
  const ext = filename.split('.').pop()?.toLowerCase() ?? ''
  return TEXT_FILES[ext] ?? MEDIA_FILES[ext]?.contentType ?? 'application/octet-stream'
}
