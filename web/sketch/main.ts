import { t, type Lang } from '../i18n'

/**
 * Runs inside the sandboxed sketch frame (/sketch). It asks its parent for the code, runs
 * it as a classic script (global mode: the sketch's setup() and draw() become globals) and
 * shows any error in the frame itself, in words a student can pass on.
 */
const host = document.getElementById('sketch') as HTMLElement
/** p5.js itself, loaded before this script from the server's own assets. */
const P5 = (window as unknown as { p5?: new (sketch?: unknown, node?: HTMLElement) => unknown }).p5
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
  const script = document.createElement('script')
  // Models like to wrap code in a Markdown fence.
  script.textContent = data.code.replace(/^\s*```[\w-]*\s*\n/, '').replace(/\n```\s*$/, '')
  document.body.append(script)
  try {
    // Global mode: the sketch's setup() and draw() are globals now; p5 starts on them.
    if (P5 === undefined) throw new Error('p5.js did not load')
    // The sandboxed frame has no motion sensors; p5 listens for them anyway, which the browser
    // reports as a policy violation on every sketch. A sketch here never gets those events.
    const listen = window.addEventListener.bind(window)
    window.addEventListener = ((type: string, ...rest: [EventListenerOrEventListenerObject, (boolean | AddEventListenerOptions)?]) => {
      if (type !== 'devicemotion' && type !== 'deviceorientation') listen(type, ...rest)
    }) as typeof window.addEventListener
    new P5(undefined, host) // eslint-disable-line no-new
  } catch (err) {
    showError(err instanceof Error ? err.message : String(err))
  }
})

window.parent.postMessage({ type: 'sketch-ready' }, '*')
