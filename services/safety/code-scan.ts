/**
 * Browser APIs a p5.js sketch written by a model for a child must not use: anything that
 * reaches the network, storage, cookies, the page around the canvas, or runs strings as code.
 * The sketch runs in the student's browser, so this is checked before it is ever shown.
 */
const DANGEROUS: Array<[string, RegExp]> = [
  ['eval', /\beval\s*\(/],
  ['Function', /\bnew\s+Function\b|\bFunction\s*\(/],
  ['fetch', /\bfetch\s*\(/],
  ['XMLHttpRequest', /\bXMLHttpRequest\b/],
  ['WebSocket', /\bWebSocket\b|\bEventSource\b/],
  ['sendBeacon', /\bsendBeacon\b/],
  ['document.cookie', /\bdocument\s*\.\s*cookie\b/],
  ['storage', /\b(localStorage|sessionStorage|indexedDB)\b|\bstoreItem\s*\(|\bgetItem\s*\(/],
  ['innerHTML', /\.\s*(innerHTML|outerHTML)\b|\binsertAdjacentHTML\b|\bdocument\s*\.\s*write\b/],
  ['import', /\bimport\s*\(|^\s*import\s+[\w{*'"]/m],
  ['require', /\brequire\s*\(/],
  ['loadScript', /\bcreateElement\s*\(\s*['"`]script/],
  ['network loads', /\b(loadJSON|loadStrings|loadTable|loadXML|httpGet|httpPost|httpDo)\s*\(/],
  ['navigation', /\bwindow\s*\.\s*open\s*\(|\blocation\s*(\.\s*href\s*)?=|\blocation\s*\.\s*(assign|replace)\s*\(/],
  ['postMessage', /\bpostMessage\s*\(/],
  ['Worker', /\bnew\s+(Shared)?Worker\s*\(/],
  ['string timers', /\bset(Timeout|Interval)\s*\(\s*['"`]/]
]

/** The names of the dangerous APIs the code uses (empty when none). */
export function scanCode (code: string): string[] {
  return DANGEROUS.filter(([, pattern]) => pattern.test(code)).map(([name]) => name)
}

/** Strips a Markdown fence a model may put around code despite being asked not to. */
export function stripFence (text: string): string {
  const m = /^\s*```[a-zA-Z]*\n([\s\S]*?)\n```\s*$/.exec(text)
  return m === null ? text.trim() : (m[1] as string).trim()
}
