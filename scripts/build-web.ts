import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/**
 * Builds the pages in web/ into dist/web: the TypeScript bundled by esbuild, every asset
 * named by its content hash (so it can be cached for a year), the HTML pages with those
 * names filled in, and the sketch frame with its runtime inlined (its policy allows no
 * file to be loaded). Every file is written to a temporary name and renamed, so a server
 * reading the folder, or a second build running at the same time, never sees half a file.
 */
export async function buildWeb (opts: { root?: string, out?: string } = {}): Promise<string> {
  const root = opts.root ?? projectRoot()
  const src = join(root, 'web')
  const out = opts.out ?? join(root, 'dist', 'web')
  await mkdir(join(out, 'assets'), { recursive: true })

  const bundles = await build({
    entryPoints: { student: join(src, 'student', 'main.ts'), room: join(src, 'room', 'main.ts') },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: out,
    logLevel: 'silent'
  })
  const names: Record<string, string> = {}
  for (const file of bundles.outputFiles) {
    names[basename(file.path)] = await writeHashed(out, basename(file.path), Buffer.from(file.contents))
  }
  names['style.css'] = await writeHashed(out, 'style.css', await readFile(join(src, 'style.css')))

  for (const page of ['index.html', 'room.html']) {
    const html = (await readFile(join(src, page), 'utf8')).replace(/\{\{([\w.-]+)\}\}/g, (_m, name: string) => {
      const hashed = names[name]
      if (hashed === undefined) throw new Error(`${page} refers to ${name}, which the build does not make`)
      return hashed
    })
    await writeAtomic(join(out, page), html)
  }

  const runtime = await build({ entryPoints: [join(src, 'sketch', 'main.ts')], bundle: true, format: 'iife', target: 'es2022', minify: true, write: false, logLevel: 'silent' })
  const code = (runtime.outputFiles[0]?.text ?? '').replace(/<\/(script)/gi, '<\\/$1')
  // The real p5.js, from the npm package (no CDN: a school network may be offline), inlined:
  // the sandboxed frame has an opaque origin, so it could not load it from here by 'self'.
  const p5 = (await readFile(join(root, 'node_modules', 'p5', 'lib', 'p5.min.js'), 'utf8')).replace(/<\/(script)/gi, '<\\/$1')
  const sketch = (await readFile(join(src, 'sketch.html'), 'utf8'))
    .replace('{{p5}}', () => p5)
    .replace('{{sketch-runtime}}', () => code)
  await writeAtomic(join(out, 'sketch.html'), sketch)

  // Assets of earlier builds are no longer named by any page (pages are never cached).
  const current = new Set(Object.values(names))
  for (const file of await readdir(join(out, 'assets'))) {
    if (!current.has(file) && !file.endsWith('.tmp')) await rm(join(out, 'assets', file), { force: true })
  }
  return out
}

async function writeHashed (out: string, name: string, data: Buffer): Promise<string> {
  const hash = createHash('sha256').update(data).digest('hex').slice(0, 10)
  const dot = name.lastIndexOf('.')
  const hashed = `${name.slice(0, dot)}-${hash}${name.slice(dot)}`
  await writeAtomic(join(out, 'assets', hashed), data)
  return hashed
}

async function writeAtomic (path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

function projectRoot (): string {
  // scripts/build-web.ts from the sources, dist/scripts/build-web.js once compiled.
  const here = dirname(fileURLToPath(import.meta.url))
  const up = dirname(here)
  return basename(up) === 'dist' ? dirname(up) : up
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWeb().then((out) => console.log(`web pages built into ${out}`), (err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
