import { el } from '../dom'

/**
 * A p5.js sketch in a sandboxed frame: `allow-scripts` only (an opaque origin without
 * cookies, storage, popups, forms or top navigation), loaded from `/sketch`, whose policy
 * forbids every network request. The code goes in by postMessage once the frame says it
 * is ready; the frame runs it and answers nothing back but readiness and errors.
 */
export function sketchFrame (code: string, title: string, lang: string): { frame: HTMLIFrameElement, dispose: () => void } {
  const frame = el('iframe', { sandbox: 'allow-scripts', src: '/sketch', title, class: 'sketch', width: '420', height: '420' })
  const onMessage = (e: MessageEvent): void => {
    if (e.source !== frame.contentWindow) return
    const data = e.data as { type?: string } | null
    // The frame's origin is opaque ('null'), so '*' is the only target that reaches it.
    if (data?.type === 'sketch-ready') frame.contentWindow?.postMessage({ type: 'sketch', code, lang }, '*')
  }
  window.addEventListener('message', onMessage)
  return { frame, dispose: () => window.removeEventListener('message', onMessage) }
}
