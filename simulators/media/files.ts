import { readFileSync } from 'node:fs'
import sharp from 'sharp'
import { placeholderPng } from '../png.js'

/**
 * Small valid files for the simulated ComfyUI's save nodes. PNG is drawn in code (png.ts), WAV is
 * written in code, the animated WebP is made with sharp from two placeholder frames, and the MP4,
 * WebM and MP3 are tiny clips made once with ffmpeg and committed next to this file (README.md):
 * nothing here needs ffmpeg at run time.
 */
export type SavedKind = 'png' | 'webp' | 'mp4' | 'webm' | 'mp3' | 'flac' | 'wav'

/** Each save node: the file it writes, and the history key real ComfyUI reports it under. */
export const SAVE_NODES: Record<string, { kind: SavedKind, key: 'images' | 'gifs' | 'audio', animated?: boolean }> = {
  SaveImage: { kind: 'png', key: 'images' },
  SaveAnimatedWEBP: { kind: 'webp', key: 'images', animated: true },
  // Core SaveVideo and SaveWEBM report under `images` with animated: [true] (comfy_api _ui.py PreviewVideo).
  SaveVideo: { kind: 'mp4', key: 'images', animated: true },
  SaveWEBM: { kind: 'webm', key: 'images', animated: true },
  // VideoHelperSuite reports its videos under `gifs`.
  VHS_VideoCombine: { kind: 'mp4', key: 'gifs' },
  SaveAudio: { kind: 'flac', key: 'audio' },
  SaveAudioMP3: { kind: 'mp3', key: 'audio' },
  // Not a core node; a WAV for workflows that name one (e.g. custom audio savers).
  SaveAudioWAV: { kind: 'wav', key: 'audio' }
}

/** The file bytes for a kind; PNG and WebP vary with the seed and prompt. */
export async function savedFile (kind: SavedKind, seed: number, prompt: string, size: number): Promise<Buffer> {
  if (kind === 'png') return placeholderPng(size, size, seed, prompt)
  if (kind === 'wav') return wav(0.25, 8000, 220 + (seed % 440))
  if (kind === 'webp') return await animatedWebp(seed, prompt, Math.min(size, 64))
  return fixture(kind)
}

const cache = new Map<string, Buffer>()

/** A committed clip; found both from the source tree and from dist/ (npm run demo). */
function fixture (kind: 'mp4' | 'webm' | 'mp3' | 'flac'): Buffer {
  const hit = cache.get(kind)
  if (hit !== undefined) return hit
  const name = `clip.${kind}`
  for (const rel of [`./${name}`, `../../../simulators/media/${name}`]) {
    try {
      const data = readFileSync(new URL(rel, import.meta.url))
      cache.set(kind, data)
      return data
    } catch {}
  }
  throw new Error(`simulator fixture ${name} is missing`)
}

/** Mono 8-bit PCM WAV of a sine tone. */
export function wav (seconds: number, rate: number, hz: number): Buffer {
  const n = Math.round(seconds * rate)
  const out = Buffer.alloc(44 + n)
  out.write('RIFF', 0, 'ascii')
  out.writeUInt32LE(36 + n, 4)
  out.write('WAVEfmt ', 8, 'ascii')
  out.writeUInt32LE(16, 16)
  out.writeUInt16LE(1, 20) // PCM
  out.writeUInt16LE(1, 22) // mono
  out.writeUInt32LE(rate, 24)
  out.writeUInt32LE(rate, 28) // byte rate: 1 byte a sample
  out.writeUInt16LE(1, 32)
  out.writeUInt16LE(8, 34)
  out.write('data', 36, 'ascii')
  out.writeUInt32LE(n, 40)
  for (let i = 0; i < n; i++) out.writeUInt8(128 + Math.round(100 * Math.sin(2 * Math.PI * hz * i / rate)), 44 + i)
  return out
}

/** Two placeholder frames stacked as pages of one animated WebP. */
async function animatedWebp (seed: number, prompt: string, size: number): Promise<Buffer> {
  const frames = await Promise.all([0, 1].map(async (i) => await sharp(placeholderPng(size, size, seed + i, prompt)).raw().toBuffer()))
  return await sharp(Buffer.concat(frames), { raw: { width: size, height: size * 2, channels: 3, pageHeight: size } as never })
    .webp({ loop: 0, delay: [200, 200] })
    .toBuffer()
}
