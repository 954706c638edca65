import { parse } from 'acorn'
import { ALLOWED_GLOBALS, DENIED_NAMES, NETWORK_LOADERS, OBJECT_MEMBERS } from './p5-globals.js'

/**
 * The p5.js check (Stage 3 for code outputs). A sketch written by a model for a child runs
 * in the child's browser, so it is parsed with a real JavaScript parser (acorn) and allowed
 * only what a sketch needs: the p5 API, Math and plain language. Refused:
 * - code that does not parse, `import()`, `with`;
 * - any global that is not p5 or a harmless built-in (eval, Function, window, document, top,
 *   location, fetch, XMLHttpRequest, WebSocket, Image, localStorage, navigator ...), and any
 *   local name that would shadow one;
 * - the way to Function and the page through properties (`.constructor`, `.__proto__`,
 *   `.cookie`, `.location`, `.src` ...), also as a literal key or string;
 * - computed member access whose key is not provably harmless: a number, a harmless literal,
 *   or a variable or property that never holds a built string (`arr[i]` passes,
 *   `window['fe' + 'tch']` and `[][k]` with `k = 'constr' + 'uctor'` do not);
 * - `this` other than as `this.name` (in a plain function call it is the window);
 * - p5 loaders with anything but a literal `data:` URL, timers given strings.
 * A served sketch also carries SKETCH_CSP, so even a missed path has no network.
 */
export interface CodeProblem { what: string, line: number }

/** Content-Security-Policy for a page that runs a sketch: no network, no navigation of forms, an opaque origin. */
export const SKETCH_CSP = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data: blob:; media-src data: blob:; font-src data:; connect-src 'none'; frame-src 'none'; " +
  "worker-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-scripts"

interface N { type: string, loc?: { start: { line: number } }, [key: string]: unknown }

/** Methods and functions whose result is (or may be) a string built at run time. */
const STRINGY = new Set(['toString', 'join', 'concat', 'fromCharCode', 'fromCodePoint', 'charAt', 'slice', 'substring', 'substr',
  'replace', 'replaceAll', 'repeat', 'toLowerCase', 'toUpperCase', 'trim', 'padStart', 'padEnd', 'String', 'str', 'char', 'stringify',
  'atob', 'btoa', 'decodeURIComponent', 'decodeURI', 'unescape', 'reverse', 'split', 'keys', 'entries', 'getOwnPropertyNames',
  'nf', 'nfc', 'nfp', 'nfs', 'hex', 'unhex', 'at', 'pop', 'shift', 'find', 'toFixed', 'key', 'flat', 'reduce'])

export function checkSketch (code: string): CodeProblem[] {
  let program: N
  try {
    program = parse(code, { ecmaVersion: 2023, sourceType: 'script', locations: true }) as unknown as N
  } catch (err) {
    const line = (err as { loc?: { line: number } }).loc?.line ?? 0
    return [{ what: 'code that cannot be parsed', line }]
  }
  return new Checker(program).run()
}

const isNode = (x: unknown): x is N => typeof x === 'object' && x !== null && typeof (x as N).type === 'string'
const children = (n: N): Array<[string, N]> => {
  const out: Array<[string, N]> = []
  for (const [k, v] of Object.entries(n)) {
    if (k === 'loc') continue
    if (Array.isArray(v)) for (const c of v) { if (isNode(c)) out.push([k, c]) } else if (isNode(v)) out.push([k, v])
  }
  return out
}
const name = (n: unknown): string | undefined => isNode(n) && n.type === 'Identifier' ? n.name as string : undefined

class Checker {
  readonly problems: CodeProblem[] = []
  readonly declared = new Set<string>()
  /** Where each variable (`v:name`) and property (`p:name`) gets its values from; `null` means unknown. */
  readonly sources = new Map<string, Array<N | null>>()
  readonly keys: Array<{ key: N, at: N }> = []
  /** Named function declarations: their parameters take the arguments of their calls. */
  readonly fns = new Map<string, N>()
  constructor (readonly program: N) {}

  run (): CodeProblem[] {
    this.collect(this.program)
    this.visit(this.program, [])
    const safe = this.keySafeNames()
    for (const { key, at } of this.keys) {
      if (!this.safeExpr(key, safe)) this.refuse('a computed property key that may be a built string', at)
    }
    return this.problems
  }

  refuse (what: string, at: N): void {
    if (!this.problems.some((p) => p.what === what)) this.problems.push({ what, line: at.loc?.start.line ?? 0 })
  }

  source (key: string, value: N | null): void {
    const list = this.sources.get(key) ?? []
    list.push(value)
    this.sources.set(key, list)
  }

  /** Declared names and the values each variable and property may take. */
  collect (n: N): void {
    const declare = (p: unknown, value: N | null): void => {
      if (!isNode(p)) return
      if (p.type === 'Identifier') { this.declared.add(p.name as string); this.source(`v:${p.name as string}`, value); return }
      if (p.type === 'AssignmentPattern') { declare(p.left, p.right as N); declare(p.left, value); return }
      if (p.type === 'RestElement') { declare(p.argument, null); return }
      // Destructured parts come from somewhere we do not follow: unknown.
      if (p.type === 'ArrayPattern') for (const e of p.elements as unknown[]) declare(e, null)
      if (p.type === 'ObjectPattern') for (const prop of p.properties as N[]) declare(prop.type === 'Property' ? prop.value : prop.argument, null)
    }
    const walk = (x: N): void => {
      switch (x.type) {
        case 'VariableDeclarator': declare(x.id, (x.init as N | null) ?? null); break
        case 'FunctionDeclaration':
          this.declared.add(name(x.id) as string)
          this.fns.set(name(x.id) as string, x)
          for (const p of x.params as N[]) {
            if (name(p) === undefined) declare(p, null)
            else { this.declared.add(name(p) as string); this.sources.set(`v:${name(p) as string}`, this.sources.get(`v:${name(p) as string}`) ?? []) }
          }
          break
        case 'FunctionExpression': case 'ArrowFunctionExpression':
          if (name(x.id) !== undefined) this.declared.add(name(x.id) as string)
          for (const p of x.params as N[]) declare(p, null)
          break
        case 'ClassDeclaration': case 'ClassExpression': if (name(x.id) !== undefined) this.declared.add(name(x.id) as string); break
        case 'CatchClause': declare(x.param, null); break
        case 'AssignmentExpression': {
          const left = x.left as N
          const value = x.operator === '=' || x.operator === '+=' ? x.right as N : null
          if (left.type === 'Identifier') this.source(`v:${left.name as string}`, value)
          else if (left.type === 'MemberExpression' && !(left.computed as boolean)) this.source(`p:${name(left.property) as string}`, value)
          // `list[0] = …` puts a value into the array `list`.
          else if (left.type === 'MemberExpression' && name(left.object) !== undefined) this.source(`v:${name(left.object) as string}`, x.right as N)
          break
        }
        case 'CallExpression': {
          // `list.push(…)` and friends put values into the array `list`.
          const c = x.callee as N
          if (c.type === 'MemberExpression' && name(c.object) !== undefined && ['push', 'unshift', 'splice', 'fill', 'set', 'add'].includes(name(c.property) ?? '')) {
            for (const a of x.arguments as N[]) this.source(`v:${name(c.object) as string}`, a)
          }
          break
        }
        case 'ForInStatement': case 'ForOfStatement': {
          const left = x.left as N
          const target = left.type === 'VariableDeclaration' ? ((left.declarations as N[])[0] as N).id : left
          // for-in yields property names: strings. for-of yields what the iterable holds.
          declare(target, x.type === 'ForInStatement' ? null : x.right as N)
          break
        }
        case 'Property': case 'PropertyDefinition':
          if (!(x.computed as boolean) && name(x.key) !== undefined && isNode(x.value)) this.source(`p:${name(x.key) as string}`, x.value)
          break
      }
      for (const [, c] of children(x)) walk(c)
    }
    walk(n)
  }

  visit (n: N, parents: N[]): void {
    const parent = parents.at(-1)
    switch (n.type) {
      case 'ImportExpression': case 'ImportDeclaration': case 'ExportNamedDeclaration': case 'ExportDefaultDeclaration': case 'ExportAllDeclaration':
        this.refuse('import', n); break
      case 'WithStatement': this.refuse('with', n); break
      case 'MetaProperty': if (name(n.meta) === 'import') this.refuse('import.meta', n); break
      case 'Identifier': this.identifier(n, parent); this.escapes(n, parent); break
      case 'ThisExpression':
        if (!(parent?.type === 'MemberExpression' && parent.object === n && (!(parent.computed as boolean) || isLiteralKey(parent.property)))) this.refuse('this used as a value', n)
        break
      case 'Literal': if (typeof n.value === 'string' && DENIED_NAMES.has(n.value) && ESCAPE_STRINGS.has(n.value)) this.refuse(`the string "${n.value}"`, n); break
      case 'MemberExpression': this.member(n); break
      case 'Property': {
        // `{constructor: c} = []` reads a property just as `[].constructor` does.
        const key = n.key as N
        if (n.computed as boolean) { if (key.type !== 'Literal') this.keys.push({ key, at: n }) } else {
          const k = key.type === 'Identifier' ? key.name as string : String(key.value)
          if (DENIED_NAMES.has(k) && ESCAPE_STRINGS.has(k)) this.refuse(`the key ${k}`, n)
        }
        break
      }
      case 'CallExpression': case 'NewExpression': this.call(n); break
    }
    for (const [, c] of children(n)) this.visit(c, [...parents, n])
  }

  identifier (n: N, parent: N | undefined): void {
    const id = n.name as string
    // Property names after a dot and non-computed keys are not variables.
    if (parent?.type === 'MemberExpression' && parent.property === n && !(parent.computed as boolean)) return
    if ((parent?.type === 'Property' || parent?.type === 'MethodDefinition' || parent?.type === 'PropertyDefinition') && parent.key === n && !(parent.computed as boolean)) return
    if (parent?.type === 'LabeledStatement' || parent?.type === 'BreakStatement' || parent?.type === 'ContinueStatement') return
    if (DENIED_NAMES.has(id)) this.refuse(id, n)
    else if (!this.declared.has(id) && !ALLOWED_GLOBALS.has(id) && !NETWORK_LOADERS.has(id)) this.refuse(`the global ${id}`, n)
  }

  member (n: N): void {
    const prop = n.property as N
    if (!(n.computed as boolean)) {
      const p = prop.name as string
      if (DENIED_NAMES.has(p)) this.refuse(`.${p}`, n)
      if (name(n.object) === 'Object' && !OBJECT_MEMBERS.has(p)) this.refuse(`Object.${p}`, n)
      return
    }
    if (prop.type === 'Literal') {
      if (typeof prop.value === 'string' && (DENIED_NAMES.has(prop.value) || (name(n.object) === 'Object' && !OBJECT_MEMBERS.has(prop.value)))) this.refuse(`["${prop.value}"]`, n)
      return
    }
    if (name(n.object) === 'Object') this.refuse('Object[…]', n)
    this.keys.push({ key: prop, at: n })
  }

  call (n: N): void {
    const callee = name(n.callee)
    const args = n.arguments as N[]
    if (callee !== undefined && NETWORK_LOADERS.has(callee)) {
      const first = args[0]
      const literal = first?.type === 'Literal' && typeof first.value === 'string' && first.value.startsWith('data:')
      if (!literal) this.refuse(`${callee} with a URL`, n)
    }
    if ((callee === 'setTimeout' || callee === 'setInterval') && args[0] !== undefined && !['FunctionExpression', 'ArrowFunctionExpression', 'Identifier'].includes(args[0].type)) {
      this.refuse(`${callee} with code as text`, n)
    }
    const fn = callee === undefined ? undefined : this.fns.get(callee)
    if (fn !== undefined) (fn.params as N[]).forEach((p, i) => { if (name(p) !== undefined) this.source(`v:${name(p) as string}`, args[i] ?? null) })
  }

  /** A named function used as a value (a callback) may be called with anything: its parameters are unknown. */
  escapes (n: N, parent: N | undefined): void {
    const fn = this.fns.get(n.name as string)
    if (fn === undefined || fn.id === n || (parent?.type === 'CallExpression' && parent.callee === n)) return
    for (const p of fn.params as N[]) if (name(p) !== undefined) this.source(`v:${name(p) as string}`, null)
  }

  /**
   * Names that never hold a built string: every value they take is made of numbers,
   * arithmetic and other such names (a fixpoint, starting from "all unknown is unsafe").
   * Parameters have no value but their call sites' arguments; callbacks' parameters none.
   */
  keySafeNames (): Set<string> {
    let safe = new Set<string>(this.sources.keys())
    for (;;) {
      const next = new Set([...safe].filter((k) => {
        const list = this.sources.get(k) ?? []
        return list.length > 0 && list.every((v) => v !== null && this.safeExpr(v, safe))
      }))
      if (next.size === safe.size) return next
      safe = next
    }
  }

  safeExpr (e: N, safe: Set<string>): boolean {
    switch (e.type) {
      case 'Literal': return typeof e.value === 'number' || typeof e.value === 'boolean' || e.value === null
      case 'Identifier': return safe.has(`v:${e.name as string}`) || (ALLOWED_GLOBALS.has(e.name as string) && !this.declared.has(e.name as string) && e.name !== 'key')
      case 'ThisExpression': return false
      case 'MemberExpression':
        if (e.computed as boolean) return this.safeExpr(e.object as N, safe)
        return name(e.property) === 'length' || safe.has(`p:${name(e.property) as string}`) || name(e.object) === 'Math'
      case 'UnaryExpression': return e.operator !== 'typeof' && this.safeExpr(e.argument as N, safe)
      case 'UpdateExpression': return true
      case 'BinaryExpression': return this.safeExpr(e.left as N, safe) && this.safeExpr(e.right as N, safe)
      case 'LogicalExpression': return this.safeExpr(e.left as N, safe) && this.safeExpr(e.right as N, safe)
      case 'ConditionalExpression': return this.safeExpr(e.consequent as N, safe) && this.safeExpr(e.alternate as N, safe)
      case 'AssignmentExpression': return this.safeExpr(e.right as N, safe)
      case 'CallExpression': {
        const c = e.callee as N
        const fn = c.type === 'Identifier' ? c.name as string : c.type === 'MemberExpression' && !(c.computed as boolean) ? name(c.property) : undefined
        if (fn === undefined || STRINGY.has(fn)) return false
        const global = c.type === 'Identifier' && !this.declared.has(fn)
        if ((global && NUMBER_ALWAYS.has(fn)) || (name(c.object) === 'Math' && fn !== 'random')) return true
        // random(list) returns an element of the list.
        return ((global && fn === 'random') || name(c.object) === 'Math') && (e.arguments as N[]).every((a) => this.safeExpr(a, safe))
      }
      case 'ArrayExpression': return (e.elements as Array<N | null>).every((x) => x === null || this.safeExpr(x, safe))
      // Objects are left out: one with its own toString could turn into any key.
      case 'FunctionExpression': case 'ArrowFunctionExpression': return true
      default: return false
    }
  }
}

/** Calls that return a number whatever they are given. */
const NUMBER_ALWAYS = new Set(['int', 'float', 'floor', 'ceil', 'round', 'abs', 'sqrt', 'sq', 'pow', 'exp', 'log', 'dist', 'map', 'lerp',
  'constrain', 'norm', 'mag', 'fract', 'min', 'max', 'sin', 'cos', 'tan', 'atan', 'atan2', 'acos', 'asin', 'degrees', 'radians', 'noise',
  'millis', 'second', 'minute', 'hour', 'day', 'month', 'year', 'parseInt', 'parseFloat', 'Number', 'randomGaussian'])

/** Strings refused wherever they appear: they only serve to reach Function, the page or the network. */
const ESCAPE_STRINGS = new Set(['constructor', '__proto__', 'prototype', 'eval', 'Function', 'globalThis', 'window', 'document', 'cookie',
  'location', 'history', 'navigator', 'top', 'parent', 'opener', 'frames', 'fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource',
  'sendBeacon', 'localStorage', 'sessionStorage', 'indexedDB', 'innerHTML', 'outerHTML', 'srcdoc', 'importScripts', 'Reflect', 'Proxy'])

const isLiteralKey = (k: unknown): boolean => isNode(k) && k.type === 'Literal' && (typeof k.value === 'number' || (typeof k.value === 'string' && !DENIED_NAMES.has(k.value)))

/** Strips a Markdown fence a model may put around code despite being asked not to. */
export function stripFence (text: string): string {
  const m = /^\s*```[a-zA-Z]*\n([\s\S]*?)\n```\s*$/.exec(text)
  return m === null ? text.trim() : (m[1] as string).trim()
}
