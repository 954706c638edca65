import { resolve } from 'node:path'
import { formatProblems, loadCatalog } from '../services/catalog/loader.js'
import { loadConfig } from '../plugins/config.js'

/**
 * `npm run catalog:check [DIR]`: loads a catalog as the server would and prints what it
 * skipped as invalid and what cannot run here, with file, field and reason. Exits 1 when
 * there is any problem, so catalog authors and CI can gate on it.
 */
const dir = resolve(process.argv[2] ?? loadConfig(process.env).CATALOG_DIR)
const catalog = await loadCatalog(dir)
const c = catalog.counts()
console.log(`catalog ${dir}`)
console.log(`  ${c.chunks} chunks, ${c.pipelines} pipelines, ${c.configs} configs: ${c.interception} interception configs and ${c.outputs} outputs can run`)
const problems = formatProblems([...catalog.problems])
if (problems.length === 0) {
  console.log('  no problems')
} else {
  console.log(`  ${problems.length} problem(s):`)
  for (const line of problems) console.log(`  ${line}`)
  process.exitCode = 1
}
