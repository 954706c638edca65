import { t, type Lang } from '../i18n'
import { installP5Subset } from './p5-subset'

/**
 * Runs inside the sandboxed sketch frame (/sketch). It asks its parent for the code, runs
 * it as a classic script (global mode: the sketch's setup() and draw() become globals) and
 * shows any error in the frame itself, in words a student can pass on.
 */
const host = document.getElementById('sketch') as HTMLElement
const g = window as unknown as Record<string, unknown>
const runtime = installP5Subset(g, host)
let started = false
let lang: Lang = 'de'

function showError (message: string): void {
  const p = document.createElement('p')
  p.className = 'sketch-error'
  p.textContent = t('sketchError', lang, { message })
  host.append(p)
}

// A sketch's own mistake is shown in the frame, not thrown into the console.
window.addEventListener('error', (e) => {
  showError(e.message)
  e.preventDefault()
})

window.addEventListener('message', (e: MessageEvent) => {
  const data = e.data as { type?: string, code?: unknown, lang?: unknown } | null
  if (e.source !== window.parent || data?.type !== 'sketch' || typeof data.code !== 'string' || started) return
  started = true
  lang = data.lang === 'en' ? 'en' : 'de'
  const note = document.createElement('p')
  note.className = 'subset-note'
  note.textContent = t('sketchSubset', lang)
  document.body.append(note)
  const script = document.createElement('script')
  // Models like to wrap code in a Markdown fence.
  script.textContent = data.code.replace(/^\s*```[\w-]*\s*\n/, '').replace(/\n```\s*$/, '')
  document.body.append(script)
  try {
    runtime.start()
  } catch (err) {
    showError(err instanceof Error ? err.message : String(err))
  }
})

window.parent.postMessage({ type: 'sketch-ready' }, '*')
