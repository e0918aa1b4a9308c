'use strict'

// The benchmark harness (benchmark/index.js, benchmark/harness.js) driven
// with a stub scenario (fixtures/bench-stub.js) whose figures are fixed per
// run: the rows fold the runs right, the tables are well formed, RESULTS.md
// and README.md are rewritten between their markers only, and a scenario's
// process tree never outlives its run. Nothing here measures or asserts time.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { main, parseArgs } = require('../benchmark/index.js')
const h = require('../benchmark/harness.js')

const FIXTURES = path.join(__dirname, 'fixtures')
const stub = (name, mode, extra = {}) => ({ name, script: 'bench-stub.js', args: [mode], pin: false, ...extra })
const STUBS = [
  stub('stub time', 'time', { goal: { le: 1.15 }, ours: 'ours does A', base: 'base does B' }),
  stub('stub rate', 'rate', { goal: { ge: 2 } }),
  stub('stub fail', 'fail', { goal: { le: 1 } }),
  stub('anchor: stub', 'anchor', { anchor: true }),
]

/** The cells of each row of the first Markdown table after `heading` in `text`. */
function tableAfter(text, heading) {
  const lines = text.slice(text.indexOf(heading)).split('\n')
  const start = lines.findIndex((l) => l.startsWith('| '))
  const rows = []
  for (let i = start; i < lines.length && lines[i].startsWith('|'); i++) {
    rows.push(lines[i].slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()))
  }
  return rows
}

function tmpFiles(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-bench-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const results = path.join(dir, 'RESULTS.md')
  const readme = path.join(dir, 'README.md')
  fs.writeFileSync(results, `# Benchmark results\n\n${h.START}\nold table\n${h.END}\n\n## Notes\n\nhand-written, kept\n`)
  fs.writeFileSync(readme, `# x\n\n## Benchmarks\n\nintro, kept\n\n${h.START}\nold\n${h.END}\n\nafter, kept\n\n## Next\n`)
  return { results, readme }
}

test('benchmark harness', { timeout: 60_000 }, async (t) => {
  await t.test('folds 3 runs per scenario into one row each and writes both files', async (t) => {
    const files = tmpFiles(t)
    const out = []
    const { rows, wrote, meta } = await main({
      argv: ['--runs', '3', '--write'],
      env: { PIN: 'no' },
      scenarios: STUBS,
      dir: FIXTURES,
      resultsPath: files.results,
      readmePath: files.readme,
      log: (s) => out.push(s),
      progress: () => {},
    })
    assert.equal(wrote, true)
    assert.deepEqual(
      rows.map((r) => [r.scenario, r.ok, r.runs]),
      [
        ['stub time', 3, 3],
        ['stub rate', 3, 3],
        ['stub fail', 0, 3],
        ['anchor: stub', 3, 3],
      ],
    )
    const [time, rate, fail, anchor] = rows.map(h.cells)
    assert.equal(time['ipc-main'], '11 ±9% (p99 20)')
    assert.equal(time['Node built-in'], '10 ±0.0% (p99 15)')
    assert.equal(time.ratio, '1.10× (1.00–1.20)')
    assert.equal(time.goal, '≤ 1.15×')
    assert.equal(time.met, 'yes (2/3 runs)')
    assert.equal(rate.ratio, '2.00× as fast (1.50–3.00)')
    assert.equal(rate.goal, '≥ 2× as fast')
    assert.equal(rate.met, 'yes (2/3 runs)')
    assert.equal(fail['ipc-main'], 'ERROR')
    assert.match(fail.met, /error in 3\/3 runs: exit 3/)
    assert.equal(anchor.ratio, '1.00× (1.00–1.00)')
    assert.equal(anchor.goal, 'noise floor')
    assert.equal(anchor.met, '—')

    const text = fs.readFileSync(files.results, 'utf8')
    assert.equal(text.split(h.START).length, 2)
    assert.equal(text.split(h.END).length, 2)
    assert.doesNotMatch(text, /old table/)
    assert.match(text, /^# Benchmark results\n/)
    assert.match(text, /## Notes\n\nhand-written, kept\n$/)
    assert.ok(text.includes('- Command: `PIN=no node benchmark/index.js --runs 3 --write`'))
    assert.match(text, /- Date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(took \d+ s\)/)
    assert.ok(text.includes(`- Machine: ${meta.machine.cpu}, ${meta.machine.cores} cores`))
    assert.ok(text.includes(`- Node ${process.version}, `))
    for (const heading of ['## Latest run', '### Each run', '### What each row measures']) {
      const table = tableAfter(text, heading)
      assert.ok(table.length >= 2 + STUBS.length, heading)
      for (const cellsOfRow of table) assert.equal(cellsOfRow.length, table[0].length, `${heading}: ${cellsOfRow}`)
      assert.deepEqual(
        table.slice(2).map((c) => c[0]),
        STUBS.map((s) => s.name),
      )
    }
    assert.deepEqual(tableAfter(text, '### Each run')[2].slice(1, 4), ['1.00, 1.10, 1.20', '10, 11, 12', '10, 10, 10'])
    assert.deepEqual(tableAfter(text, '### What each row measures')[2], ['stub time', 'ours does A', 'base does B'])

    const readme = fs.readFileSync(files.readme, 'utf8')
    const inside = readme.slice(readme.indexOf(h.START), readme.indexOf(h.END))
    assert.match(readme, /^# x\n\n## Benchmarks\n\nintro, kept\n\n<!-- bench:start -->/)
    assert.match(readme, /<!-- bench:end -->\n\nafter, kept\n\n## Next\n$/)
    assert.doesNotMatch(inside, /\nold\n/)
    assert.deepEqual(tableAfter(inside, '| scenario'), tableAfter(text, '## Latest run'))
    // The same table is printed.
    assert.ok(out.join('\n').includes(h.resultsTable(rows)))
  })

  await t.test('a filtered or quick run prints and writes nothing unless asked', async (t) => {
    const files = tmpFiles(t)
    const before = fs.readFileSync(files.results, 'utf8')
    const { rows, wrote } = await main({
      argv: ['--runs', '1', 'anchor'],
      env: { PIN: 'no' },
      scenarios: STUBS,
      dir: FIXTURES,
      resultsPath: files.results,
      readmePath: files.readme,
      log: () => {},
      progress: () => {},
    })
    assert.equal(wrote, false)
    assert.deepEqual(
      rows.map((r) => r.scenario),
      ['anchor: stub'],
    )
    assert.equal(h.cells(rows[0]).ratio, '1.00×')
    assert.equal(fs.readFileSync(files.results, 'utf8'), before)

    const quick = await main({
      argv: ['--runs', '1'],
      env: { PIN: 'no', BENCH_QUICK: '1' },
      scenarios: STUBS.slice(0, 1),
      dir: FIXTURES,
      resultsPath: files.results,
      readmePath: files.readme,
      log: () => {},
      progress: () => {},
    })
    assert.equal(quick.wrote, false)
    assert.equal(fs.readFileSync(files.results, 'utf8'), before)
  })

  await t.test('options: --runs, BENCH_RUNS, unknown flags', () => {
    assert.equal(parseArgs([], {}).runs, 3)
    assert.equal(parseArgs([], { BENCH_RUNS: '5' }).runs, 5)
    assert.equal(parseArgs(['--runs=2', 'worker'], { BENCH_RUNS: '5' }).runs, 2)
    assert.deepEqual(parseArgs(['--runs=2', 'worker', 'child'], {}).filters, ['worker', 'child'])
    assert.throws(() => parseArgs(['--runs', '0'], {}), /--runs/)
    assert.throws(() => parseArgs(['--frobnicate'], {}), /unknown option --frobnicate/)
  })

  await t.test("a run's process tree is killed when it ends, and when it times out", async () => {
    const orphan = await h.runOnce(stub('orphan', 'orphan'), { pin: false, run: 0, timeoutMs: 30_000, dir: FIXTURES })
    const pid = Number(orphan.note)
    assert.ok(pid > 0)
    if (!(await gone(pid, 10_000))) {
      process.kill(pid, 'SIGKILL') // it is ours (the stub's child): do not leave it behind
      assert.fail(`the scenario's grandchild ${pid} outlived its run`)
    }
    const hang = await h.runOnce(stub('hang', 'hang'), { pin: false, run: 0, timeoutMs: 300, dir: FIXTURES })
    assert.match(hang.error, /timed out/)
  })
})

/**
 * Whether process `pid` is gone (or a zombie nobody reaped yet) within
 * `ms`: SIGKILL takes effect asynchronously, so this looks again every 20 ms.
 */
async function gone(pid, ms) {
  for (let waited = 0; waited < ms; waited += 20) {
    try {
      process.kill(pid, 0)
    } catch (err) {
      if (err.code === 'ESRCH') return true
      throw err
    }
    try {
      if (/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) return true
    } catch {
      return true
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return false
}
